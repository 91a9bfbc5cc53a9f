"""What the vendor pages show: the list's query, one vendor's page (its flags,
scorecard, actions and history) and the admin setting's page, each gathered here
so that a view only parses, calls and renders."""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ... import access, history
from ...extensions import db
from ...models import (
    AuditEvent,
    User,
    Vendor,
    VendorBankAccount,
    VendorCategory,
    VendorStatus,
)
from . import bank
from .documents import flag_reasons, flagged_condition, is_expired, required_documents
from .register import allowed_actions, may_manage
from .register import history as events_of
from .scorecard import Scorecard, scorecard


def list_query(
    *,
    q: str | None = None,
    status: VendorStatus | str | None = None,
    category: str | None = None,
    flagged: bool | None = None,
) -> sa.Select[Any]:
    """Vendors by name; ``q`` matches part of the name, ignoring case and spacing."""
    query = sa.select(Vendor)
    named = Vendor.name_holds(q or "")
    if named is not None:
        query = query.where(named)
    if status:
        query = query.where(Vendor.status == VendorStatus(status))
    if category:
        query = query.where(
            sa.exists().where(
                VendorCategory.vendor_id == Vendor.id, VendorCategory.category == category
            )
        )
    if flagged is not None:
        condition = flagged_condition()
        query = query.where(condition if flagged else sa.not_(condition))
    return query.order_by(Vendor.name_key, Vendor.id).options(
        selectinload(Vendor.category_rows),
        selectinload(Vendor.contacts),
        selectinload(Vendor.documents),
    )


# One vendor's page ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class VendorPage:
    vendor: Vendor
    reasons: list[str]  # why the vendor is flagged; empty when it is not
    required: list[str]  # the document kinds every vendor must hold
    card: Scorecard
    actions: list[str]  # the life-cycle actions the user may take now
    may_manage: bool
    expired: set[int]  # the ids of the vendor's expired documents
    timeline: list[dict[str, Any]]
    # Bank details, masked: shown to who pays or orders (None for the others, or none yet).
    sees_bank: bool = False
    bank: VendorBankAccount | None = None


def vendor_page(vendor: Vendor, user: User) -> VendorPage:
    required = required_documents()
    sees_bank = access.may(user, "see_bank_details")
    return VendorPage(
        vendor=vendor,
        reasons=flag_reasons(vendor, required=required),
        required=required,
        card=scorecard(vendor),
        actions=allowed_actions(vendor, user),
        may_manage=may_manage(user),
        expired={document.id for document in vendor.documents if is_expired(document)},
        timeline=timeline(vendor),
        sees_bank=sees_bank,
        bank=bank.shown(vendor) if sees_bank else None,
    )


def timeline(vendor: Vendor) -> list[dict[str, Any]]:
    """The vendor's history as the page lists it, in the words every document uses."""
    return history.entries("vendor", events_of(vendor), detail=_detail)


def _detail(event: AuditEvent, changes: dict[str, Any]) -> tuple[str, str | None]:
    """A document's title, or the fields an edit changed."""
    if event.action in ("add_document", "remove_document") and changes.get("title"):
        return f": {changes['title']}", None
    if event.action == "update" and changes:
        return ": " + ", ".join(k.replace("_", " ") for k in sorted(changes)), None
    return "", None


# The admin setting ---------------------------------------------------------------------


def require_admin(user: User) -> None:
    access.require(user, "administer", action="open the administration")


def flagged_count() -> int:
    """How many vendors the required documents flag now."""
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(list_query(flagged=True).order_by(None).subquery())
    )
    return count or 0
