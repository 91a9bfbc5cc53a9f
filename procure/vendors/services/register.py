"""The vendor register: a vendor's data, its checks, adding and editing a vendor,
and its life cycle (approve, suspend, reinstate, block).

Services check, change, audit and flush; the caller commits once. Every signed-in
user may read vendors; only procurement changes them (DESIGN.md, "Roles").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ... import access, audit, workflow
from ...errors import ValidationError
from ...extensions import db
from ...models import (
    AuditEvent,
    User,
    Vendor,
    VendorCategory,
    VendorContact,
    VendorStatus,
    utcnow,
)
from ...reference import category_names
from ...validation import FieldErrors
from ...workflow import VENDOR, VendorAction

NAME_MAX = 200
TEXT_MAX = 10_000
MAX_CONTACTS = 50
MAX_CATEGORIES = 50

_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


@dataclasses.dataclass
class ContactData:
    name: str = ""
    title: str = ""
    email: str = ""
    phone: str = ""
    is_primary: bool = False


@dataclasses.dataclass
class VendorData:
    name: str
    legal_name: str = ""
    tax_id: str = ""
    address: str = ""
    website: str = ""
    email: str = ""
    phone: str = ""
    categories: list[str] = dataclasses.field(default_factory=list)
    rating: int | None = None
    notes: str = ""
    contacts: list[ContactData] = dataclasses.field(default_factory=list)

    @classmethod
    def of(cls, vendor: Vendor) -> VendorData:
        """The vendor as it stands: the starting point of a partial update."""
        return cls(
            name=vendor.name,
            legal_name=vendor.legal_name,
            tax_id=vendor.tax_id,
            address=vendor.address,
            website=vendor.website,
            email=vendor.email,
            phone=vendor.phone,
            categories=list(vendor.categories),
            rating=vendor.rating,
            notes=vendor.notes,
            contacts=[
                ContactData(c.name, c.title, c.email, c.phone, c.is_primary)
                for c in vendor.contacts
            ],
        )


def may_manage(user: User) -> bool:
    return access.may(user, "manage_vendors")


def require_manager(actor: User | None, action: str = "change vendors") -> None:
    """Only procurement changes vendors; ``None`` is the command line's operator."""
    if actor is not None:
        access.require(actor, "manage_vendors", action=action)


def today() -> dt.date:
    return utcnow().date()


def get(vendor_id: int, user: User, *, change: bool = False) -> Vendor:
    return access.load(Vendor, vendor_id, user, change=change)


def allowed_actions(vendor: Vendor, user: User) -> list[str]:
    return workflow.allowed_actions(VENDOR, vendor, user)


# Validation --------------------------------------------------------------------------


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    if len(ascii_host) > 253 or not all(_HOST_LABEL.match(label) for label in labels):
        return False
    return len(labels) > 1 or ascii_host == "localhost"


def clean_website(value: str | None, field: str, errors: FieldErrors) -> str:
    text = errors.text(value, field, max_length=300)
    if not text or len(text) > 300:
        return text
    problem = None
    if any(char.isspace() or ord(char) < 0x20 for char in text):
        problem = "A web address has no spaces."
    else:
        parts = urlsplit(text)
        try:
            parts.port  # noqa: B018 -- raises ValueError on a bad port
            host = parts.hostname
        except ValueError:
            host = None
        if parts.scheme.lower() not in ("http", "https"):
            problem = "Give a web address that starts with https:// or http://."
        elif parts.username is not None or parts.password is not None:
            problem = "Leave the user name and password out of the web address."
        elif not host or not _valid_host(host.lower()):
            problem = "This web address has no valid host name."
    if problem:
        errors.add(field, problem)
    return text


def _clean_rating(value: Any, errors: FieldErrors) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add("rating", "The rating is a whole number from 1 to 5, or none.")
        return None
    if not 1 <= value <= 5:
        errors.add("rating", "The rating is a whole number from 1 to 5, or none.")
        return None
    return value


def _clean_categories(
    values: Sequence[str], errors: FieldErrors, vendor: Vendor | None, known: set[str] | None
) -> list[str]:
    # A category admin has retired since stays on the vendors that had it.
    known = set(category_names(active_only=True)) if known is None else set(known)
    known |= set(vendor.categories if vendor else ())
    cleaned = []
    for value in values:
        name = (value or "").strip().lower()
        if not name:
            continue
        if name not in known:
            errors.add("categories", f"There is no category {value.strip()!r}.")
        elif name not in cleaned:
            cleaned.append(name)
    if len(cleaned) > MAX_CATEGORIES:
        errors.add("categories", f"A vendor has at most {MAX_CATEGORIES} categories.")
    return sorted(cleaned)


def _clean_contacts(contacts: Sequence[ContactData], errors: FieldErrors) -> list[ContactData]:
    cleaned = []
    if len(contacts) > MAX_CONTACTS:
        errors.add("contacts", f"A vendor has at most {MAX_CONTACTS} contacts.")
        return []
    for index, contact in enumerate(contacts):
        prefix = f"contacts.{index}"
        name = errors.text(contact.name, f"{prefix}.name", max_length=NAME_MAX, required=True)
        cleaned.append(
            ContactData(
                name=name,
                title=errors.text(contact.title, f"{prefix}.title", max_length=NAME_MAX),
                email=errors.email(contact.email, f"{prefix}.email"),
                phone=errors.text(contact.phone, f"{prefix}.phone", max_length=50),
                is_primary=bool(contact.is_primary),
            )
        )
    if sum(contact.is_primary for contact in cleaned) > 1:
        errors.add("contacts", "Mark one contact at most as the primary contact.")
    elif cleaned and not any(contact.is_primary for contact in cleaned):
        cleaned[0].is_primary = True  # someone has to be called first
    return cleaned


def name_taken(name: str, *, exclude: Vendor | None = None) -> Vendor | None:
    query = sa.select(Vendor).where(Vendor.name_key == Vendor.fold(name))
    if exclude is not None and exclude.id is not None:
        query = query.where(Vendor.id != exclude.id)
    return db.session.scalar(query)


def validate(
    data: VendorData,
    *,
    vendor: Vendor | None = None,
    check_name: bool = True,
    categories: set[str] | None = None,
) -> VendorData:
    """Domain checks of a vendor's content: every problem at once, by field.

    ``check_name=False`` leaves the duplicate check to the caller (the CSV import
    checks all names in one query); ``categories`` are the known category names,
    when the caller has read them already."""
    errors = FieldErrors()
    name = errors.text(data.name, "name", max_length=NAME_MAX, required=True)
    clean = VendorData(
        name=name,
        legal_name=errors.text(data.legal_name, "legal_name", max_length=NAME_MAX),
        tax_id=errors.text(data.tax_id, "tax_id", max_length=50),
        address=errors.text(data.address, "address", max_length=TEXT_MAX),
        website=clean_website(data.website, "website", errors),
        email=errors.email(data.email, "email"),
        phone=errors.text(data.phone, "phone", max_length=50),
        categories=_clean_categories(data.categories, errors, vendor, categories),
        rating=_clean_rating(data.rating, errors),
        notes=errors.text(data.notes, "notes", max_length=TEXT_MAX),
        contacts=_clean_contacts(data.contacts, errors),
    )
    if check_name and name and "name" not in errors:
        other = name_taken(name, exclude=vendor)
        if other is not None:
            errors.add("name", f"There is a vendor {other.name!r} already.")
    errors.raise_if_any()
    return clean


# Creating and editing ----------------------------------------------------------------


def _snapshot(vendor: Vendor) -> dict[str, Any]:
    return {
        "name": vendor.name,
        "legal_name": vendor.legal_name,
        "tax_id": vendor.tax_id,
        "address": vendor.address,
        "website": vendor.website,
        "email": vendor.email,
        "phone": vendor.phone,
        "categories": list(vendor.categories),
        "rating": vendor.rating,
        "notes": vendor.notes,
        "contacts": [[c.name, c.title, c.email, c.phone, c.is_primary] for c in vendor.contacts],
    }


def _assign(vendor: Vendor, clean: VendorData) -> None:
    vendor.name = clean.name
    vendor.name_key = Vendor.fold(clean.name)
    vendor.legal_name = clean.legal_name
    vendor.tax_id = clean.tax_id
    vendor.address = clean.address
    vendor.website = clean.website
    vendor.email = clean.email
    vendor.phone = clean.phone
    vendor.rating = clean.rating
    vendor.notes = clean.notes
    if vendor.categories != clean.categories:
        vendor.category_rows = [VendorCategory(category=name) for name in clean.categories]
    current = [[c.name, c.title, c.email, c.phone, c.is_primary] for c in vendor.contacts]
    wanted = [[c.name, c.title, c.email, c.phone, c.is_primary] for c in clean.contacts]
    if current != wanted:
        vendor.contacts = [
            VendorContact(
                name=c.name, title=c.title, email=c.email, phone=c.phone, is_primary=c.is_primary
            )
            for c in clean.contacts
        ]


def _flush_unique(vendor: Vendor) -> None:
    """Flush; a name taken meanwhile by a concurrent writer is a validation error."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise ValidationError.field(
            "name", f"There is a vendor {vendor.name!r} already."
        ) from None


def create_vendor(
    data: VendorData, *, actor: User | None, _checked: VendorData | None = None
) -> Vendor:
    """A new vendor, a prospect until procurement approves it."""
    require_manager(actor, "add vendors")
    clean = _checked or validate(data)
    vendor = Vendor(status=VendorStatus.PROSPECT)
    _assign(vendor, clean)
    db.session.add(vendor)
    _flush_unique(vendor)
    changes = _snapshot(vendor)
    changes["status"] = vendor.status.value
    audit.record("vendor", vendor.id, "create", actor=actor, changes=changes)
    return vendor


def update_vendor(
    vendor: Vendor, data: VendorData, *, actor: User, expected_version: int | None = None
) -> None:
    require_manager(actor)
    workflow.check_version(vendor, expected_version, "vendor")
    clean = validate(data, vendor=vendor)
    before = _snapshot(vendor)
    _assign(vendor, clean)
    changes = audit.diff(before, _snapshot(vendor))
    if not changes:
        return
    # Contacts and categories live in their own rows: touch the vendor's row so that
    # its version moves and a concurrent editor conflicts.
    vendor.updated_at = utcnow()
    _flush_unique(vendor)
    audit.record("vendor", vendor.id, "update", actor=actor, changes=changes)


# The life cycle ------------------------------------------------------------------------

ACTIONS = tuple(action.value for action in VendorAction)


def act(
    vendor: Vendor,
    action: str,
    *,
    actor: User,
    comment: str = "",
    expected_version: int | None = None,
) -> None:
    """Approve, suspend, reinstate or block (pages and API share this)."""
    require_manager(actor)
    comment = (comment or "").strip()
    if len(comment) > TEXT_MAX:
        raise ValidationError.field("comment", f"Use at most {TEXT_MAX:,} characters.")
    workflow.apply(
        VENDOR,
        vendor,
        VendorAction(action),
        actor=actor,
        comment=comment,
        expected_version=expected_version,
    )


def history(vendor: Vendor) -> list[AuditEvent]:
    return list(db.session.scalars(audit.events_for("vendor", vendor.id)))
