"""Which vendors can take part in sourcing: invited, awarded, sent an order."""

from __future__ import annotations

import sqlalchemy as sa

from ...extensions import db
from ...models import PurchaseRequest, Vendor, VendorStatus
from ...vendors import services as vendors


def vendor_problems(vendor: Vendor) -> list[str]:
    """Why ``vendor`` cannot be invited or awarded now (empty: it can)."""
    problems = []
    if vendor.status != VendorStatus.APPROVED:
        problems.append(f"{vendor.name} is {vendor.status.value}, not approved")
    problems.extend(
        f"{vendor.name} is flagged: {reason.rstrip('.')}" for reason in flag_reasons(vendor)
    )
    return problems


def flag_reasons(vendor: Vendor) -> list[str]:
    """Required compliance documents that are missing or expired (the register's rule)."""
    return vendors.flag_reasons(vendor)


def request_categories(pr: PurchaseRequest) -> set[str]:
    return {line.category for line in pr.lines}


def supplies(vendor: Vendor, wanted: set[str]) -> bool:
    """Whether ``vendor`` supplies one of the ``wanted`` categories (a vendor or a
    request without categories matches anything)."""
    return not wanted or not vendor.categories or bool(wanted & set(vendor.categories))


def vendor_choices(pr: PurchaseRequest) -> list[tuple[Vendor, list[str]]]:
    """Approved vendors of the request's categories, with anything that stops them:
    what the new RFQ's form offers."""
    wanted = request_categories(pr)
    approved = db.session.scalars(
        sa.select(Vendor).where(Vendor.status == VendorStatus.APPROVED).order_by(Vendor.name)
    )
    return [(vendor, flag_reasons(vendor)) for vendor in approved if supplies(vendor, wanted)]


def vendor_address(vendor: Vendor) -> str:
    """Where invitations and orders go: the primary contact's e-mail, else the vendor's."""
    for contact in vendor.contacts:
        if contact.email:
            return contact.email
    return vendor.email or ""
