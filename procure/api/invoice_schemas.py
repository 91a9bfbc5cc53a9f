"""What the invoices API reads and answers (API.md, "Additions — Invoices"), and the
translation of an invoice into its JSON. The operations are in ``invoices.py``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints

from .. import currencies
from ..invoices import services
from ..models import ExceptionKind, Invoice, InvoiceSource, InvoiceStatus
from .orders import VendorRef
from .requests import PersonOut, person
from .schemas import (
    Amount,
    Id,
    Input,
    Output,
    PageQuery,
    Price,
    Quantity,
    QuantityOut,
    Text,
    Timestamp,
    amount_out,
    rate_out,
)
from .spec import current_user

# Long enough for the service to say what is wrong with a number that is too long.
VendorNumber = Annotated[str, StringConstraints(max_length=1000)]
Reference = Annotated[str, StringConstraints(max_length=1000)]
VERSION = Field(None, description="The version you acted on; 409 conflict if the invoice moved.")


# What is read ------------------------------------------------------------------------------


class InvoiceLineIn(Input):
    order_line_id: Id = Field(description="A line of the invoice's order.")
    quantity: Quantity = Field(description="Positive, also on a credit note.")
    unit_price: Price = Field(description="In the order's currency, with its decimals.")


class InvoiceIn(Input):
    order_id: Id = Field(description="An issued purchase order.")
    vendor_invoice_number: VendorNumber = Field(
        description="The vendor's own number; the same one twice for a vendor is refused "
        "(compared lower-cased, without punctuation or leading zeros)."
    )
    invoice_date: dt.date
    due_date: dt.date | None = Field(
        None, description="Default: the invoice date plus the days of the order's terms."
    )
    lines: list[InvoiceLineIn] = Field(min_length=1, max_length=services.MAX_LINES)
    shipping: Price | None = None
    tax: Price | None = None
    total: Price | None = Field(
        None, description="When given, it must equal the lines, shipping and tax added up."
    )
    credit_for: Id | None = Field(
        None, description="The invoice a credit note credits (its amounts become negative)."
    )
    note: Text = ""


class InvoiceQuery(PageQuery):
    status: InvoiceStatus | None = None
    order_id: Id | None = None
    vendor_id: Id | None = None
    due_before: dt.date | None = Field(None, description="Due strictly before this date.")


class ExportQuery(Input):
    status: InvoiceStatus | None = Field(None, description="Default: every status.")
    due_before: dt.date | None = Field(None, description="Due strictly before this date.")


class VersionBody(Input):
    version: int | None = VERSION


class CommentBody(VersionBody):
    comment: Text = ""


class ResolveIn(VersionBody):
    reason: Text = Field("", description="How the exceptions were resolved (required).")
    exception_ids: list[Id] | None = Field(
        None,
        min_length=1,
        max_length=1000,
        description="Only these open exceptions; default: every open one that is yours.",
    )


class ReleaseIn(VersionBody):
    justification: Text = Field("", description="Why it is approved despite the hold.")


class PayIn(VersionBody):
    paid_on: dt.date | None = None
    reference: Reference = Field("", description="The bank's reference of the payment.")


class BatchPayIn(Input):
    invoice_ids: list[Id] = Field(min_length=1, max_length=500)
    paid_on: dt.date | None = None
    reference: Reference = ""


# What is answered -------------------------------------------------------------------------


class InvoiceLineOut(Output):
    id: int
    order_line_id: int
    position: int
    description: str
    quantity: QuantityOut = Field(description="Negative on a credit note.")
    unit_price: Amount
    total: Amount
    ordered: QuantityOut = Field(description="The order line's quantity.")
    received: QuantityOut = Field(description="What has arrived of the order line so far.")
    previously_invoiced: QuantityOut = Field(
        description="Invoiced on the order line by the order's other submitted invoices."
    )


class InvoiceExceptionOut(Output):
    id: int
    kind: ExceptionKind
    line_id: int | None = Field(description="The invoice line; null for the whole invoice.")
    message: str = Field(description="What does not match, with the figures.")
    resolved: bool
    resolution: str
    resolved_by: PersonOut | None
    created_at: Timestamp
    resolved_at: Timestamp | None


class InvoiceOut(Output):
    id: int
    number: str
    vendor_invoice_number: str
    status: InvoiceStatus
    version: int
    allowed_actions: list[str]
    vendor: VendorRef
    order_id: int
    order_number: str | None
    credit_for: int | None = Field(description="The invoice this credit note credits.")
    source: InvoiceSource
    invoice_date: dt.date
    due_date: dt.date
    currency: str
    lines: list[InvoiceLineOut]
    subtotal: Amount
    shipping: Amount
    tax: Amount
    total: Amount = Field(description="In `currency`; negative for a credit note.")
    total_base: Amount | None = Field(description="In the base currency at `rate`.")
    rate: str | None = Field(description="The order's rate, frozen at its issue.")
    exceptions: list[InvoiceExceptionOut] = Field(
        description="What matching found, open and resolved ones (`resolved`)."
    )
    note: str
    reason: str = Field(description="Why it was rejected or cancelled.")
    entered_by: PersonOut | None = Field(description="Null when the vendor sent it.")
    submitted_at: Timestamp | None
    approved_by: PersonOut | None
    approved_at: Timestamp | None
    release_justification: str
    paid_on: dt.date | None
    payment_reference: str
    paid_by: PersonOut | None
    paid_rate: str | None = Field(description="The rate of the payment date.")
    paid_base: Amount | None = Field(description="In the base currency at `paid_rate`.")
    exchange_difference: Amount | None = Field(
        description="`paid_base` − `total_base`, in the base currency."
    )
    pdf_sha256: str | None = Field(description="The vendor's PDF, if one is attached.")
    xml_sha256: str | None = Field(description="The e-invoice as received, if imported.")
    created_at: Timestamp


class PaidOut(Output):
    items: list[InvoiceOut] = Field(description="The invoices paid, in the order given.")


def _base(value: Decimal | None) -> str | None:
    return None if value is None else amount_out(value, currencies.base())


def invoice_out(invoice: Invoice, summary: list[services.LineFigures] | None = None) -> InvoiceOut:
    """``summary``: the line figures, when a list read those of its page at once."""
    money = lambda value: amount_out(value, invoice.currency)  # noqa: E731
    figures_of = summary if summary is not None else services.line_figures(invoice)
    return InvoiceOut(
        id=invoice.id,
        number=invoice.number,
        vendor_invoice_number=invoice.vendor_invoice_number,
        status=invoice.status,
        version=invoice.version,
        allowed_actions=services.allowed_actions(invoice, current_user()),
        vendor=VendorRef(id=invoice.vendor.id, name=invoice.vendor.name),
        order_id=invoice.order_id,
        order_number=invoice.order.number,
        credit_for=invoice.credit_for_id,
        source=invoice.source,
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        lines=[
            InvoiceLineOut(
                id=figures.line.id,
                order_line_id=figures.line.order_line_id,
                position=figures.line.position,
                description=figures.line.description,
                quantity=figures.line.quantity,
                unit_price=money(figures.line.unit_price),
                total=money(figures.line.total),
                ordered=figures.ordered,
                received=figures.received,
                previously_invoiced=figures.previously_invoiced,
            )
            for figures in figures_of
        ],
        subtotal=money(invoice.subtotal),
        shipping=money(invoice.shipping),
        tax=money(invoice.tax),
        total=money(invoice.total),
        total_base=_base(invoice.total_base),
        rate=rate_out(invoice.rate),
        exceptions=[
            InvoiceExceptionOut(
                id=e.id,
                kind=e.kind,
                line_id=e.line_id,
                message=e.message,
                resolved=e.resolved_at is not None,
                resolution=e.resolution,
                resolved_by=person(e.resolved_by),
                created_at=e.created_at,
                resolved_at=e.resolved_at,
            )
            for e in invoice.exceptions
        ],
        note=invoice.note,
        reason=invoice.reason,
        entered_by=person(invoice.entered_by),
        submitted_at=invoice.submitted_at,
        approved_by=person(invoice.approved_by),
        approved_at=invoice.approved_at,
        release_justification=invoice.release_justification,
        paid_on=invoice.paid_on,
        payment_reference=invoice.payment_reference,
        paid_by=person(invoice.paid_by),
        paid_rate=rate_out(invoice.paid_rate),
        paid_base=_base(invoice.paid_base),
        exchange_difference=_base(invoice.exchange_difference),
        pdf_sha256=invoice.pdf.sha256 if invoice.pdf is not None else None,
        xml_sha256=invoice.xml.sha256 if invoice.xml is not None else None,
        created_at=invoice.created_at,
    )
