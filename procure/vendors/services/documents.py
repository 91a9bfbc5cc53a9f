"""Vendors' compliance documents: the kinds every vendor must hold (an admin
setting), filing and removing documents, and the flags a missing or expired
document raises. A flagged vendor may not be invited to quote nor awarded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from ... import access, attachments, audit, settings
from ...errors import NotFound, ValidationError
from ...extensions import db
from ...models import Attachment, User, Vendor, VendorDocument
from ...money import format_date
from ...validation import FieldErrors
from .register import NAME_MAX, require_manager, today

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


def required_documents() -> list[str]:
    """The document kinds every vendor must hold, unexpired (admin setting)."""
    return [kind for kind in settings.get(REQUIRED_DOCUMENTS) or [] if kind in DOCUMENT_KINDS]


def set_required_documents(kinds: Iterable[str], *, actor: User | None) -> None:
    if actor is not None:
        access.require(actor, "administer", action="choose the required vendor documents")
    wanted = []
    for kind in kinds:
        if kind not in DOCUMENT_KINDS:
            raise ValidationError.field("kinds", f"There is no document kind {kind!r}.")
        if kind not in wanted:
            wanted.append(kind)
    settings.put(REQUIRED_DOCUMENTS, [k for k in DOCUMENT_KINDS if k in wanted], actor=actor)


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
            reasons.append(f"The {kind_label(kind).lower()} expired on {format_date(latest)}.")
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


def _check(kind: str, title: str) -> tuple[FieldErrors, str]:
    """The problems of a document's kind and title so far, and the title cleaned."""
    errors = FieldErrors()
    if kind not in DOCUMENT_KINDS:
        errors.add("kind", f"There is no document kind {kind!r}.")
    return errors, errors.text(title, "title", max_length=NAME_MAX)


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
    errors, _title = _check(kind, title)
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
    errors, title = _check(kind, title)
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
