"""Vendors: the register, its life cycle, compliance documents and the scorecard.

Services check, change, audit and flush; the caller commits once. Every signed-in
user may read vendors; only procurement changes them (DESIGN.md, "Roles").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import re
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from .. import access, attachments, audit, reference, settings, workflow
from ..errors import ValidationError
from ..extensions import db
from ..models import (
    Attachment,
    AuditEvent,
    OrderStatus,
    PurchaseOrder,
    Quote,
    Receipt,
    ReceiptLine,
    Rfq,
    RfqInvitation,
    Role,
    User,
    Vendor,
    VendorCategory,
    VendorContact,
    VendorDocument,
    VendorStatus,
    utcnow,
)
from ..money import ZERO
from ..reference import category_names
from ..workflow import VENDOR, VendorAction

NAME_MAX = 200
TEXT_MAX = 10_000
MAX_CONTACTS = 50
MAX_CATEGORIES = 50
REQUIRED_DOCUMENTS = "vendors.required_documents"

# Compliance document kinds, in the order forms list them.
DOCUMENT_KINDS = {
    "insurance": "Insurance certificate",
    "tax_form": "Tax form",
    "nda": "Non-disclosure agreement",
    "security": "Security assessment",
    "certification": "Certification (ISO, SOC…)",
    "other": "Other",
}
DOCUMENT_TYPES = ("application/pdf", "image/png", "image/jpeg")

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
        access.require_role(actor, Role.PROCUREMENT, action=action)


def get(vendor_id: int, user: User, *, change: bool = False) -> Vendor:
    return access.load(Vendor, vendor_id, user, change=change)


def list_query(
    *,
    q: str | None = None,
    status: VendorStatus | str | None = None,
    category: str | None = None,
    flagged: bool | None = None,
) -> sa.Select[Any]:
    """Vendors by name; ``q`` matches part of the name, ignoring case and spacing."""
    query = sa.select(Vendor)
    folded = Vendor.fold(q or "")
    if folded:
        query = query.where(Vendor.name_key.contains(folded, autoescape=True))
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


def allowed_actions(vendor: Vendor, user: User) -> list[str]:
    return workflow.allowed_actions(VENDOR, vendor, user)


# Validation --------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            first = next(iter(self.fields.values()))[0]
            raise ValidationError(first, fields=self.fields)


def _text(
    value: str | None, field: str, errors: _Errors, *, max_length: int, required: bool = False
) -> str:
    text = (value or "").strip()
    if required and not text:
        errors.add(field, "This field is required.")
    elif len(text) > max_length:
        errors.add(field, f"Use at most {max_length:,} characters.")
    return text


def clean_email(value: str | None, field: str, errors: _Errors) -> str:
    text = _text(value, field, errors, max_length=254)
    if not text or len(text) > 254:
        return text
    try:
        # No deliverability check: that needs the network.
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        errors.add(field, f"This is not a valid e-mail address: {exc}")
        return text


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


def clean_website(value: str | None, field: str, errors: _Errors) -> str:
    text = _text(value, field, errors, max_length=300)
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


def _clean_rating(value: Any, errors: _Errors) -> int | None:
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
    values: Sequence[str], errors: _Errors, vendor: Vendor | None, known: set[str] | None
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


def _clean_contacts(contacts: Sequence[ContactData], errors: _Errors) -> list[ContactData]:
    cleaned = []
    if len(contacts) > MAX_CONTACTS:
        errors.add("contacts", f"A vendor has at most {MAX_CONTACTS} contacts.")
        return []
    for index, contact in enumerate(contacts):
        prefix = f"contacts.{index}"
        name = _text(contact.name, f"{prefix}.name", errors, max_length=NAME_MAX, required=True)
        cleaned.append(
            ContactData(
                name=name,
                title=_text(contact.title, f"{prefix}.title", errors, max_length=NAME_MAX),
                email=clean_email(contact.email, f"{prefix}.email", errors),
                phone=_text(contact.phone, f"{prefix}.phone", errors, max_length=50),
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
    errors = _Errors()
    name = _text(data.name, "name", errors, max_length=NAME_MAX, required=True)
    clean = VendorData(
        name=name,
        legal_name=_text(data.legal_name, "legal_name", errors, max_length=NAME_MAX),
        tax_id=_text(data.tax_id, "tax_id", errors, max_length=50),
        address=_text(data.address, "address", errors, max_length=TEXT_MAX),
        website=clean_website(data.website, "website", errors),
        email=clean_email(data.email, "email", errors),
        phone=_text(data.phone, "phone", errors, max_length=50),
        categories=_clean_categories(data.categories, errors, vendor, categories),
        rating=_clean_rating(data.rating, errors),
        notes=_text(data.notes, "notes", errors, max_length=TEXT_MAX),
        contacts=_clean_contacts(data.contacts, errors),
    )
    if check_name and name and "name" not in errors.fields:
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


# Compliance documents -------------------------------------------------------------------


def required_documents() -> list[str]:
    """The document kinds every vendor must hold, unexpired (admin setting)."""
    return [kind for kind in settings.get(REQUIRED_DOCUMENTS) or [] if kind in DOCUMENT_KINDS]


def set_required_documents(kinds: Iterable[str], *, actor: User | None) -> None:
    if actor is not None:
        access.require_role(actor, Role.ADMIN, action="choose the required vendor documents")
    wanted = []
    for kind in kinds:
        if kind not in DOCUMENT_KINDS:
            raise ValidationError.field("kinds", f"There is no document kind {kind!r}.")
        if kind not in wanted:
            wanted.append(kind)
    settings.put(REQUIRED_DOCUMENTS, [k for k in DOCUMENT_KINDS if k in wanted], actor=actor)


def today() -> dt.date:
    return utcnow().date()


def is_expired(document: VendorDocument, on: dt.date | None = None) -> bool:
    return document.expires_on is not None and document.expires_on < (on or today())


def kind_label(kind: str) -> str:
    return DOCUMENT_KINDS.get(kind, kind.replace("_", " ").capitalize())


def flag_reasons(
    vendor: Vendor, *, required: Sequence[str] | None = None, on: dt.date | None = None
) -> list[str]:
    """Why the vendor is flagged: each required document missing or expired.

    Pass ``required`` (from :func:`required_documents`) when checking many vendors,
    to read the setting once."""
    required = required_documents() if required is None else required
    day = on or today()
    reasons = []
    for kind in required:
        held = [d for d in vendor.documents if d.kind == kind]
        if not held:
            reasons.append(f"No {kind_label(kind).lower()} on file.")
        elif all(is_expired(d, day) for d in held):
            latest = max(d.expires_on for d in held if d.expires_on is not None)
            reasons.append(f"The {kind_label(kind).lower()} expired on {latest.isoformat()}.")
    return reasons


def is_flagged(vendor: Vendor, *, required: Sequence[str] | None = None) -> bool:
    """A flagged vendor may not be invited to quote nor awarded (DESIGN.md, "Vendor")."""
    return bool(flag_reasons(vendor, required=required))


def flagged_condition(
    required: Sequence[str] | None = None, on: dt.date | None = None
) -> sa.ColumnElement[bool]:
    """:func:`is_flagged` as SQL, to filter vendor queries."""
    required = required_documents() if required is None else required
    day = on or today()
    missing = [
        ~sa.exists().where(
            VendorDocument.vendor_id == Vendor.id,
            VendorDocument.kind == kind,
            sa.or_(VendorDocument.expires_on.is_(None), VendorDocument.expires_on >= day),
        )
        for kind in required
    ]
    return sa.or_(*missing) if missing else sa.false()


def flags(vendors: Iterable[Vendor]) -> dict[int, list[str]]:
    """The flag reasons of many vendors, reading the setting once."""
    required = required_documents()
    day = today()
    return {v.id: flag_reasons(v, required=required, on=day) for v in vendors}


def add_document(
    vendor: Vendor,
    upload: FileStorage | None,
    *,
    kind: str,
    title: str = "",
    expires_on: dt.date | None = None,
    actor: User,
) -> VendorDocument:
    """File an uploaded compliance document: a PDF or an image, checked by its content."""
    require_manager(actor)
    errors = _Errors()
    if kind not in DOCUMENT_KINDS:
        errors.add("kind", f"There is no document kind {kind!r}.")
    _text(title, "title", errors, max_length=NAME_MAX)
    if upload is None or not upload.filename:
        errors.add("file", "Choose the file to upload.")
    errors.raise_if_any()
    attachment = attachments.store_upload(upload, user=actor, field="file", allowed=DOCUMENT_TYPES)
    return file_document(
        vendor, attachment, kind=kind, title=title, expires_on=expires_on, actor=actor
    )


def file_document(
    vendor: Vendor,
    attachment: Attachment | None,
    *,
    kind: str,
    title: str = "",
    expires_on: dt.date | None = None,
    actor: User | None,
) -> VendorDocument:
    """File a document whose bytes are stored already (``attachments.store_bytes``)."""
    require_manager(actor)
    errors = _Errors()
    if kind not in DOCUMENT_KINDS:
        errors.add("kind", f"There is no document kind {kind!r}.")
    title = _text(title, "title", errors, max_length=NAME_MAX)
    errors.raise_if_any()
    document = VendorDocument(
        kind=kind,
        title=title or kind_label(kind),
        expires_on=expires_on,
        attachment=attachment,
        uploaded_by_id=actor.id if actor is not None else None,
    )
    vendor.documents.append(document)
    db.session.flush()
    audit.record(
        "vendor",
        vendor.id,
        "add_document",
        actor=actor,
        changes={
            "document": document.id,
            "kind": kind,
            "title": document.title,
            "expires_on": expires_on,
            "sha256": attachment.sha256 if attachment else None,
        },
    )
    return document


def get_document(vendor: Vendor, document_id: int) -> VendorDocument:
    for document in vendor.documents:
        if document.id == document_id:
            return document
    from ..errors import NotFound

    raise NotFound("No such document.")


def remove_document(vendor: Vendor, document: VendorDocument, *, actor: User) -> None:
    require_manager(actor)
    audit.record(
        "vendor",
        vendor.id,
        "remove_document",
        actor=actor,
        changes={"document": document.id, "kind": document.kind, "title": document.title},
    )
    vendor.documents.remove(document)
    db.session.flush()


def history(vendor: Vendor) -> list[AuditEvent]:
    return list(db.session.scalars(audit.events_for("vendor", vendor.id)))


# The scorecard --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Scorecard:
    quotes_requested: int = 0
    quotes_sent: int = 0
    quotes_won: int = 0
    average_lead_time: Decimal | None = None  # days, over the quotes sent
    deliveries_measured: int = 0  # delivered orders with a needed-by date, and overdue ones
    deliveries_on_time: int = 0
    spend_this_year: Decimal = ZERO
    fiscal_year: int = 0
    rating: int | None = None

    @property
    def win_rate(self) -> Decimal | None:
        return _ratio(self.quotes_won, self.quotes_sent)

    @property
    def on_time_rate(self) -> Decimal | None:
        return _ratio(self.deliveries_on_time, self.deliveries_measured)


def _ratio(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def _fiscal_year_bounds() -> tuple[int, dt.date, dt.date]:

    year = reference.current_fiscal_year()
    month = int(current_app.config["PROCURE_FISCAL_YEAR_START"])
    return year, dt.date(year, month, 1), dt.date(year + 1, month, 1)


def scorecards(vendors: Sequence[Vendor]) -> dict[int, Scorecard]:
    """The scorecards of many vendors in five queries, however many vendors."""
    ids = [v.id for v in vendors]
    if not ids:
        return {}
    requested = dict(
        db.session.execute(
            sa.select(RfqInvitation.vendor_id, sa.func.count())
            .where(RfqInvitation.vendor_id.in_(ids))
            .group_by(RfqInvitation.vendor_id)
        ).all()
    )
    sent = {
        vendor_id: (count, lead)
        for vendor_id, count, lead in db.session.execute(
            sa.select(Quote.vendor_id, sa.func.count(), sa.func.avg(Quote.lead_time_days))
            .where(Quote.vendor_id.in_(ids), Quote.replaced_by_id.is_(None))
            .group_by(Quote.vendor_id)
        )
    }
    won = dict(
        db.session.execute(
            sa.select(Quote.vendor_id, sa.func.count())
            .join(Rfq, Rfq.awarded_quote_id == Quote.id)
            .where(Quote.vendor_id.in_(ids))
            .group_by(Quote.vendor_id)
        ).all()
    )
    deliveries = _deliveries(ids)
    year, start, end = _fiscal_year_bounds()
    spend = dict(
        db.session.execute(
            sa.select(PurchaseOrder.vendor_id, sa.func.sum(ReceiptLine.value))
            .join(Receipt, Receipt.id == ReceiptLine.receipt_id)
            .join(PurchaseOrder, PurchaseOrder.id == Receipt.order_id)
            .where(
                PurchaseOrder.vendor_id.in_(ids),
                Receipt.received_on >= start,
                Receipt.received_on < end,
            )
            .group_by(PurchaseOrder.vendor_id)
        ).all()
    )
    result = {}
    for vendor in vendors:
        count, lead = sent.get(vendor.id, (0, None))
        measured, on_time = deliveries.get(vendor.id, (0, 0))
        result[vendor.id] = Scorecard(
            quotes_requested=requested.get(vendor.id, 0),
            quotes_sent=count,
            quotes_won=won.get(vendor.id, 0),
            average_lead_time=None
            if lead is None
            else Decimal(str(lead)).quantize(Decimal("0.1"), ROUND_HALF_UP),
            deliveries_measured=measured,
            deliveries_on_time=on_time or 0,
            spend_this_year=spend.get(vendor.id) or ZERO,
            fiscal_year=year,
            rating=vendor.rating,
        )
    return result


def _deliveries(ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per vendor: orders whose delivery is measured, and those delivered on time.

    An order is measured when it has a needed-by date and is either fully received
    (delivered on the date of its last receipt) or still open past its date (late
    already). On time: everything received on or before the needed-by date."""
    last = (
        sa.select(Receipt.order_id, sa.func.max(Receipt.received_on).label("delivered_on"))
        .group_by(Receipt.order_id)
        .subquery()
    )
    delivered = PurchaseOrder.status.in_([OrderStatus.RECEIVED, OrderStatus.CLOSED])
    overdue = sa.and_(
        PurchaseOrder.status.in_([OrderStatus.ISSUED, OrderStatus.PARTIALLY_RECEIVED]),
        PurchaseOrder.needed_by < today(),
    )
    on_time = sa.case(
        (sa.and_(delivered, last.c.delivered_on <= PurchaseOrder.needed_by), 1), else_=0
    )
    rows = db.session.execute(
        sa.select(PurchaseOrder.vendor_id, sa.func.count(), sa.func.sum(on_time))
        .outerjoin(last, last.c.order_id == PurchaseOrder.id)
        .where(
            PurchaseOrder.vendor_id.in_(ids),
            PurchaseOrder.needed_by.is_not(None),
            sa.or_(delivered, overdue),
        )
        .group_by(PurchaseOrder.vendor_id)
    )
    return {vendor_id: (count, int(hits or 0)) for vendor_id, count, hits in rows}


def scorecard(vendor: Vendor) -> Scorecard:
    return scorecards([vendor])[vendor.id]
