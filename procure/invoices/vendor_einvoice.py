"""A vendor uploading its e-invoice (UBL 2.1 / Peppol BIS Billing 3.0) through the
order's private link instead of typing it: read as an import is (``ubl.py``), but only
for the link's order and its vendor, and never a credit note (those go to the buyer).

The page is public, so a refusal names nothing the link does not already show: the
file's order number and tax id are checked against the link's order before the import
would look anything up by them. Every problem lands on the upload's field."""

from __future__ import annotations

import re

from flask import current_app
from werkzeug.datastructures import FileStorage

from .. import attachments
from ..errors import ValidationError
from ..models import Invoice, InvoiceSource, PurchaseOrder
from ..validation import FieldErrors
from . import services, ubl, ubl_document
from .links import PDF_ONLY, notify_desk

XML_FIELD = "xml"
_TAX_ID_NOISE = re.compile(r"[\s.\-/]")


def _tax_key(value: str) -> str:
    return _TAX_ID_NOISE.sub("", value).upper()


def _label(field: str) -> str:
    """``lines.2.quantity`` → "Line 3, quantity": where in the file a problem is."""
    parts = field.split(".")
    if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit():
        return f"Line {int(parts[1]) + 1}, {parts[2].replace('_', ' ')}"
    return field.replace("_", " ").capitalize()


def _on_the_upload(exc: ValidationError) -> ValidationError:
    """The import's problems, by the file's field, as messages on the upload."""
    errors = FieldErrors()
    for field, messages in (exc.fields or {"": [exc.message]}).items():
        for message in messages:
            known = field in ("", ubl_document.FILE, XML_FIELD)
            errors.add(XML_FIELD, message if known else f"{_label(field)}: {message}")
    return ValidationError(next(iter(errors.fields[XML_FIELD])), fields=errors.fields)


def _document(order: PurchaseOrder, data: bytes) -> ubl_document.Document:
    doc = ubl_document.document(ubl_document.read(data))
    if doc.credit_note:
        raise ValidationError.field(
            XML_FIELD, "This link takes invoices: send a credit note to the buyer."
        )
    if doc.order_number != order.number:
        raise ValidationError.field(
            XML_FIELD,
            f"The file is for order {ubl_document.shown(doc.order_number) or '(none)'}, "
            f"not {order.number} (cac:OrderReference/cbc:ID).",
        )
    ours = _tax_key(order.vendor.tax_id or "")
    if not ours or ours not in {_tax_key(tax_id) for tax_id in doc.tax_ids}:
        raise ValidationError.field(
            XML_FIELD,
            "The file's supplier tax id (cac:AccountingSupplierParty … cbc:CompanyID) is "
            "not the one the buyer has on record for you: type the invoice in instead, "
            "and ask the buyer to check your tax id.",
        )
    return doc


def receive(order: PurchaseOrder, xml: FileStorage | None, pdf: FileStorage | None) -> Invoice:
    """Record the uploaded e-invoice as a draft of the link's order, the XML kept as
    received, the PDF the one it embeds or else the one uploaded beside it (required);
    then tell finance and procurement, as for a typed invoice."""
    if xml is None or not xml.filename:
        raise ValidationError.field(XML_FIELD, "Choose your e-invoice's XML file.")
    data = xml.stream.read(current_app.config["MAX_UPLOAD_BYTES"] + 1)
    try:
        doc = _document(order, data)
        errors = FieldErrors()
        _found, invoice_data = ubl.invoice_data(doc, errors)
        # ubl.py's own reading of an embedded PDF (private there: to be made public).
        embedded = ubl.embedded_pdf(doc, errors)
        errors.raise_if_any()
    except ValidationError as exc:
        raise _on_the_upload(exc) from None
    invoice_data.credit_for = None
    name = attachments.clean_filename(doc.number or "invoice")
    if embedded is not None:
        stored_pdf = attachments.store_bytes(embedded, f"{name}.pdf", "application/pdf", user=None)
    else:
        stored_pdf = attachments.store_upload(pdf, user=None, field="pdf", allowed=PDF_ONLY)
        if stored_pdf is None:
            raise ValidationError.field(
                "pdf", "Your e-invoice carries no PDF: attach the invoice as a PDF beside it."
            )
    stored_xml = attachments.store_bytes(data, f"{name}.xml", "application/xml", user=None)
    try:
        invoice = services.create(
            invoice_data,
            actor=None,
            source=InvoiceSource.VENDOR,
            order=order,
            pdf=stored_pdf,
            xml=stored_xml,
        )
    except ValidationError as exc:
        raise _on_the_upload(exc) from None
    notify_desk(invoice)
    return invoice
