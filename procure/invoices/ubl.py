"""Importing an e-invoice: a UBL 2.1 ``Invoice`` or ``CreditNote`` (Peppol BIS Billing
3.0 is UBL 2.1 with rules on top), read safely and recorded as a draft invoice.

Reading (``ubl_document.py``): ``defusedxml`` with every DTD refused — a file with a
``DOCTYPE`` (the carrier of external entities, entity expansion and network fetches) is
refused whole; no e-invoice has one; and a size limit.

What maps to what (API.md, "Invoices"):

- ``cbc:ID`` → ``vendor_invoice_number``; ``cbc:IssueDate`` → ``invoice_date``;
  ``cbc:DueDate`` (else ``cac:PaymentMeans/cbc:PaymentDueDate``) → ``due_date``;
- ``cac:OrderReference/cbc:ID`` → the purchase order, by its number;
- ``cac:AccountingSupplierParty//cbc:CompanyID`` → the vendor, by ``Vendor.tax_id``
  (compared upper-cased, without spaces, dots or dashes); it must be the order's vendor;
- ``cbc:DocumentCurrencyCode`` must be the order's currency;
- ``cac:InvoiceLine`` / ``cac:CreditNoteLine``: ``cbc:InvoicedQuantity`` /
  ``cbc:CreditedQuantity``, ``cac:Price/cbc:PriceAmount`` (per ``cbc:BaseQuantity``
  when given), ``cac:OrderLineReference/cbc:LineID`` = the order line's position
  (without it, the n-th line is the order's n-th line);
- ``shipping``: the document-level ``cac:AllowanceCharge`` charges less its allowances;
- ``tax``: ``cac:TaxTotal/cbc:TaxAmount`` in the document currency;
- ``total``: ``cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount`` (else ``PayableAmount``,
  which a prepayment makes differ from what the lines add up to); it must add up;
- a credit note: ``cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID`` names
  the credited invoice by the vendor's number;
- an embedded PDF (``cac:AdditionalDocumentReference`` … ``EmbeddedDocumentBinaryObject``
  of ``mimeCode="application/pdf"``) becomes the invoice's PDF.

Every refusal is a ``ValidationError`` by field (the API's names: ``order_id``,
``lines.0.quantity``…, and ``file`` for the document itself). What the file itself
shows wrong is refused before the XML is stored; what only ``services.create`` finds
after that (none of its checks is known to be left) leaves the stored file unreferenced,
as a refused upload does elsewhere.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from decimal import Decimal

import sqlalchemy as sa

from .. import access, attachments, money
from ..errors import BadRequest, ValidationError
from ..extensions import db
from ..models import (
    Attachment,
    Invoice,
    InvoiceSource,
    InvoiceStatus,
    PurchaseOrder,
    User,
    Vendor,
    utcnow,
)
from ..validation import FieldErrors
from . import numbers, services
from .ubl_document import FILE, Document, Line, document, read, shown

_TAX_ID_NOISE = re.compile(r"[ .\-]")
XML_TYPES = ("application/xml", "text/xml")
NUMBER_MAX = 100  # Invoice.vendor_invoice_number
_POSITION = re.compile(r"\d{1,9}", re.ASCII)  # an order line's position, as a LineID


# From the document to the invoice's data ---------------------------------------------------


def _order(doc: Document, errors: FieldErrors) -> PurchaseOrder | None:
    if not doc.order_number:
        errors.add("order_id", "The file names no purchase order (cac:OrderReference/cbc:ID).")
        return None
    order = db.session.scalars(
        sa.select(PurchaseOrder).where(PurchaseOrder.number == doc.order_number)
    ).first()
    if order is None:
        errors.add("order_id", f"There is no purchase order {shown(doc.order_number)}.")
        return None
    return services.find_order(order.id, errors)


def _tax_key(value: str) -> str:
    return _TAX_ID_NOISE.sub("", value).upper()


def _check_vendor(doc: Document, order: PurchaseOrder, errors: FieldErrors) -> None:
    if not doc.tax_ids:
        errors.add(
            "vendor",
            "The file gives no tax id of the supplier "
            "(cac:AccountingSupplierParty … cbc:CompanyID).",
        )
        return
    keys = {_tax_key(tax_id) for tax_id in doc.tax_ids} - {""}
    stored = sa.func.upper(
        sa.func.replace(sa.func.replace(sa.func.replace(Vendor.tax_id, " ", ""), ".", ""), "-", "")
    )
    vendors = list(db.session.scalars(sa.select(Vendor).where(stored.in_(keys)))) if keys else []
    named = ", ".join(shown(tax_id) for tax_id in doc.tax_ids[:3])
    if not vendors:
        errors.add("vendor", f"No vendor has the tax id {named}: record it on the vendor first.")
    elif all(vendor.id != order.vendor_id for vendor in vendors):
        errors.add(
            "vendor",
            f"The tax id {named} is {vendors[0].name}'s, but {order.number} was issued to "
            f"{order.vendor.name}.",
        )


def _date(value: str, field: str, errors: FieldErrors, *, required: bool) -> dt.date | None:
    if not value:
        if required:
            errors.add(field, "The file gives no issue date (cbc:IssueDate).")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.add(field, f"{shown(value)} is not a date (YYYY-MM-DD).")
        return None


def _amount(value: str | None, field: str, currency: str, errors: FieldErrors) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return money.parse_money(value, currency=currency)
    except money.MoneyError as exc:
        errors.add(field, f"{shown(value)}: the amount {exc}.")
        return None


def _sum(values: list[str], field: str, currency: str, errors: FieldErrors) -> Decimal:
    amounts = [_amount(value, field, currency, errors) for value in values]
    return sum((amount for amount in amounts if amount is not None), Decimal(0))


def _unit_price(line: Line, field: str, currency: str, errors: FieldErrors) -> Decimal | None:
    if line.price is None:
        errors.add(field, "The line gives no price (cac:Price/cbc:PriceAmount).")
        return None
    price = _amount(line.price, field, currency, errors)
    if price is None or line.base_quantity is None:
        return price
    try:
        per = money.parse_quantity(line.base_quantity)
    except money.MoneyError as exc:
        errors.add(field, f"The price's base quantity {shown(line.base_quantity)} {exc}.")
        return None
    unit = price / per
    if money.round_money(unit, currency) != unit:
        errors.add(field, f"{price} per {per} is no whole {currency} amount per unit.")
        return None
    return money.round_money(unit, currency)


def _lines(doc: Document, order: PurchaseOrder, errors: FieldErrors) -> list[services.LineData]:
    if not doc.lines:
        errors.add("lines", "The file has no invoice lines.")
        return []
    if len(doc.lines) > services.MAX_LINES:
        errors.add("lines", f"An invoice has at most {services.MAX_LINES} lines.")
        return []
    by_position = {line.position: line for line in order.lines}
    in_order = sorted(order.lines, key=lambda line: line.position)
    given: list[services.LineData] = []
    seen: set[int] = set()
    for index, line in enumerate(doc.lines):
        field = f"lines.{index}"
        if line.line_id is not None:
            position = _POSITION.fullmatch(line.line_id)
            ordered = by_position.get(int(line.line_id)) if position else None
            if ordered is None:
                errors.add(
                    f"{field}.order_line_id",
                    f"{order.number} has no line {shown(line.line_id)} "
                    "(cac:OrderLineReference/cbc:LineID).",
                )
        else:
            ordered = in_order[index] if index < len(in_order) else None
            if ordered is None:
                errors.add(
                    f"{field}.order_line_id",
                    f"{order.number} has {len(in_order)} lines; this is line {index + 1}.",
                )
        if ordered is not None and ordered.id in seen:
            errors.add(f"{field}.order_line_id", "This order line is already on the invoice.")
        elif ordered is not None:
            seen.add(ordered.id)
        if any(code and code != doc.currency for code in line.currencies):
            errors.add(f"{field}.unit_price", f"The price is not in {doc.currency}.")
        quantity = None
        try:
            quantity = money.parse_quantity(line.quantity or "")
        except money.MoneyError as exc:
            errors.add(f"{field}.quantity", f"The quantity {shown(line.quantity or '')} {exc}.")
        price = _unit_price(line, f"{field}.unit_price", order.currency, errors)
        given.append(
            services.LineData(ordered.id if ordered is not None else None, quantity, price)
        )
    return given


def _credited(doc: Document, order: PurchaseOrder, errors: FieldErrors) -> int | None:
    if not doc.credit_note:
        return None
    if not doc.credited_number:
        errors.add(
            "credit_for",
            "The credit note names no invoice it credits "
            "(cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID).",
        )
        return None
    credited = db.session.scalars(
        sa.select(Invoice)
        .where(
            Invoice.vendor_id == order.vendor_id,
            Invoice.vendor_number_key == numbers.normalise(doc.credited_number),
            Invoice.status != InvoiceStatus.CANCELLED,
        )
        .order_by(Invoice.id)
    ).first()
    if credited is None:
        errors.add(
            "credit_for",
            f"{order.vendor.name} has no invoice {shown(doc.credited_number)} to credit.",
        )
        return None
    if credited.order_id != order.id or credited.is_credit_note:
        errors.add(
            "credit_for", f"{credited.number} is not an invoice of {order.number} to credit."
        )
        return None
    if credited.status not in services.CREDITABLE:
        errors.add(
            "credit_for",
            f"{credited.number} is {credited.status.value.replace('_', ' ')}: only a "
            "submitted invoice can be credited.",
        )
        return None
    return credited.id


def _check_total(
    lines: list[services.LineData],
    extras: list[Decimal | None],
    total: Decimal | None,
    currency: str,
    errors: FieldErrors,
) -> None:
    """The total must be the lines, shipping and tax added up (as ``services.create``
    checks it: here, before the file is stored)."""
    amounts = [
        money.round_money(line.quantity * line.unit_price, currency)
        for line in lines
        if line.quantity is not None and line.unit_price is not None
    ]
    if total is None or len(amounts) != len(lines):
        return
    added = sum(amounts, Decimal(0)) + sum((e for e in extras if e is not None), Decimal(0))
    if added != total:
        errors.add("total", f"The lines, shipping and tax add up to {added}, not {total}.")


def invoice_data(doc: Document, errors: FieldErrors) -> tuple[PurchaseOrder, services.InvoiceData]:
    """What ``services.create`` is given for ``doc``; every problem by field, at once."""
    order = _order(doc, errors)
    errors.raise_if_any()
    if order is None:  # raise_if_any has refused it already
        raise ValidationError.field("order_id", "No such purchase order.")
    _check_vendor(doc, order, errors)
    if doc.currency != order.currency:
        errors.add(
            "currency",
            f"The file is in {shown(doc.currency) or 'no currency'} "
            f"(cbc:DocumentCurrencyCode), {order.number} in {order.currency}.",
        )
        errors.raise_if_any()
    if any(code and code != doc.currency for code in doc.amount_currencies):
        errors.add("total", f"Some of the file's amounts are not in {doc.currency}.")
    invoice_date = _date(doc.issue_date, "invoice_date", errors, required=True)
    due_date = _date(doc.due_date, "due_date", errors, required=False)
    # What the service would refuse after the file is stored, refused before it is.
    if invoice_date is not None and invoice_date > utcnow().date():
        errors.add("invoice_date", f"The issue date {invoice_date} is in the future.")
    if invoice_date is not None and due_date is not None and due_date < invoice_date:
        errors.add("due_date", "The due date is before the issue date.")
    lines = _lines(doc, order, errors)
    shipping = _sum(doc.charges, "shipping", order.currency, errors) - _sum(
        doc.allowances, "shipping", order.currency, errors
    )
    if shipping < 0:
        errors.add(
            "shipping",
            "The file's allowances exceed its charges: Procure takes a discount in the "
            "line prices. Ask the vendor for an invoice with its prices net of it.",
        )
    tax = _amount(doc.tax, "tax", order.currency, errors)
    total = _amount(doc.total, "total", order.currency, errors)
    if doc.total is None:
        errors.add("total", "The file gives no total (cac:LegalMonetaryTotal).")
    _check_total(lines, [max(shipping, Decimal(0)), tax], total, order.currency, errors)
    credit_for = _credited(doc, order, errors)
    twin = services.duplicate_of(order.vendor_id, doc.number) if doc.number.strip() else None
    if not numbers.normalise(doc.number):
        errors.add("vendor_invoice_number", "The file gives no invoice number (cbc:ID).")
    elif len(doc.number) > NUMBER_MAX:
        errors.add("vendor_invoice_number", f"The invoice number is over {NUMBER_MAX} characters.")
    elif twin is not None:
        errors.add(
            "vendor_invoice_number",
            f"{order.vendor.name}'s invoice {shown(doc.number)} is already recorded as "
            f"{twin.number}.",
        )
    return order, services.InvoiceData(
        order_id=order.id,
        vendor_invoice_number=doc.number,
        invoice_date=invoice_date,
        due_date=due_date,
        lines=lines,
        shipping=max(shipping, Decimal(0)),
        tax=tax,
        total=total,
        credit_for=credit_for,
        note=doc.note,
    )


def embedded_pdf(doc: Document, errors: FieldErrors) -> bytes | None:
    if doc.pdf is None:
        return None
    try:
        data = base64.b64decode("".join(doc.pdf.split()), validate=True)
    except (binascii.Error, ValueError):
        errors.add(FILE, "The embedded PDF is not valid base64.")
        return None
    if attachments.detect_type(data[:16]) != "application/pdf":
        errors.add(FILE, "The embedded document said to be a PDF is not one.")
        return None
    return data


def import_xml(data: bytes, *, actor: User, content_type: str = "application/xml") -> Invoice:
    """Record the e-invoice ``data`` as a draft invoice (or credit note) of its order,
    keeping the XML as received (and its embedded PDF, if any)."""
    access.require(actor, "enter_invoices", action="import invoices")
    if content_type not in XML_TYPES:
        raise BadRequest("Send the e-invoice as the body, with Content-Type: application/xml.")
    doc = document(read(data))
    errors = FieldErrors()
    order, invoice_data_ = invoice_data(doc, errors)
    pdf_data = embedded_pdf(doc, errors)
    errors.raise_if_any()
    name = attachments.clean_filename(doc.number or "invoice")
    xml = attachments.store_bytes(data, f"{name}.xml", "application/xml", user=actor)
    pdf: Attachment | None = None
    if pdf_data is not None:
        pdf = attachments.store_bytes(pdf_data, f"{name}.pdf", "application/pdf", user=actor)
    return services.create(
        invoice_data_, actor=actor, source=InvoiceSource.EINVOICE, xml=xml, pdf=pdf, order=order
    )
