"""The vendor's own documents on an invoice: its PDF, attached by whoever books
invoices while the invoice is still being matched, and served to whoever may see it."""

from __future__ import annotations

from werkzeug.datastructures import FileStorage

from .. import access, attachments, audit, workflow
from ..errors import InvalidTransition, NotFound, ValidationError
from ..extensions import db
from ..models import Attachment, Invoice, InvoiceStatus, User

PDF = ("application/pdf",)
# While the figures may still be checked against the vendor's document.
ATTACHABLE = (InvoiceStatus.DRAFT, InvoiceStatus.ON_HOLD, InvoiceStatus.MATCHED)


def attach_pdf(
    invoice: Invoice,
    upload: FileStorage | None,
    *,
    actor: User,
    expected_version: int | None = None,
) -> Attachment:
    """Store the vendor's PDF (checked by its content) as the invoice's document; a PDF
    attached before is replaced, and the audit event names both."""
    access.require(actor, "enter_invoices", action="attach the vendor's PDF")
    if invoice.status not in ATTACHABLE:
        raise InvalidTransition(
            f"{invoice.number} is {invoice.status.value.replace('_', ' ')}: its PDF can "
            "only be attached while it is a draft, matched or on hold."
        )
    workflow.check_version(invoice, expected_version, "invoice")
    if upload is None or not upload.filename:
        raise ValidationError.field("file", "Choose the vendor's PDF.")
    stored = attachments.store_upload(upload, user=actor, field="file", allowed=PDF)
    if stored is None:  # store_upload answers None only for no file, refused above
        raise ValidationError.field("file", "Choose the vendor's PDF.")
    replaced = invoice.pdf.sha256 if invoice.pdf is not None else None
    invoice.pdf = stored
    db.session.flush()
    audit.record(
        "invoice",
        invoice.id,
        "attach_pdf",
        actor=actor,
        changes={"pdf_sha256": stored.sha256, "filename": stored.filename, "replaced": replaced},
    )
    return stored


def pdf_of(invoice: Invoice) -> Attachment:
    """The invoice's PDF; 404 when none is attached."""
    if invoice.pdf is None:
        raise NotFound(f"No PDF is attached to {invoice.number}.")
    return invoice.pdf
