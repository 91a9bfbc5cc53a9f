"""Recording vendor invoices and credit notes, and finding them again. The actions on
an invoice (submit, resolve, release, approve, reject, cancel, pay) are in
``actions.py``. Services check, change, audit and flush; the caller commits once.
Who sees and changes an invoice is in ``access.DOCUMENTS``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from .. import access, audit, numbering, permissions, rates, workflow
from ..errors import ValidationError
from ..extensions import db
from ..models import (
    Attachment,
    Invoice,
    InvoiceLine,
    InvoiceSource,
    InvoiceStatus,
    OrderStatus,
    PurchaseOrder,
    User,
    Vendor,
    utcnow,
)
from ..money import round_money
from ..validation import FieldErrors
from ..workflow import INVOICE, INVOICE_USER_ACTIONS
from . import numbers
from .matching import invoiced_elsewhere

ZERO = Decimal("0.00")
TEXT_MAX = 10_000
# Orders an invoice may be recorded against: issued, whatever has arrived since.
INVOICEABLE = (
    OrderStatus.ISSUED,
    OrderStatus.PARTIALLY_RECEIVED,
    OrderStatus.RECEIVED,
    OrderStatus.CLOSED,
)
# What a credit note may credit: an invoice that was submitted and not withdrawn.
CREDITABLE = (
    InvoiceStatus.MATCHED,
    InvoiceStatus.ON_HOLD,
    InvoiceStatus.APPROVED,
    InvoiceStatus.PAID,
)
MAX_LINES = 1000


def get(invoice_id: int, user: User) -> Invoice:
    return access.load(Invoice, invoice_id, user)


def list_query(
    user: User,
    *,
    status: str | None = None,
    order_id: int | None = None,
    vendor_id: int | None = None,
    due_before: dt.date | None = None,
) -> sa.Select:
    query = access.scoped(Invoice, user, sa.select(Invoice))
    if status:
        query = query.where(Invoice.status == InvoiceStatus(status))
    if order_id:
        query = query.where(Invoice.order_id == order_id)
    if vendor_id:
        query = query.where(Invoice.vendor_id == vendor_id)
    if due_before:
        query = query.where(Invoice.due_date < due_before)
    return query.order_by(Invoice.id.desc())


def allowed_actions(invoice: Invoice, user: User) -> list[str]:
    people = {action.value for action in INVOICE_USER_ACTIONS}
    if permissions.may_resolve(user, invoice) is not None:
        people.discard("resolve")
    return [a for a in workflow.allowed_actions(INVOICE, invoice, user) if a in people]


# Recording ------------------------------------------------------------------------------


@dataclasses.dataclass
class LineData:
    order_line_id: int | None
    quantity: Decimal | None
    unit_price: Decimal | None


@dataclasses.dataclass
class InvoiceData:
    order_id: int | None
    vendor_invoice_number: str
    invoice_date: dt.date | None
    lines: list[LineData]
    due_date: dt.date | None = None
    shipping: Decimal | None = None
    tax: Decimal | None = None
    # When given, it must equal the lines, shipping and tax added up.
    total: Decimal | None = None
    credit_for: int | None = None
    note: str = ""


def find_order(order_id: int | None, errors: FieldErrors) -> PurchaseOrder | None:
    """The order an invoice is for: issued (not a draft, not cancelled)."""
    order = db.session.get(PurchaseOrder, order_id) if order_id else None
    if order is None:
        errors.add("order_id", "No such purchase order.")
        return None
    if order.status not in INVOICEABLE:
        errors.add(
            "order_id",
            f"{order.number or 'This order'} is {order.status.value.replace('_', ' ')}: "
            "only an issued order can be invoiced.",
        )
        return None
    return order


def duplicate_of(vendor_id: int, number: str) -> Invoice | None:
    """The invoice already recorded under this vendor number (normalised), if any; a
    cancelled one does not count (it was withdrawn, the number may be entered again)."""
    return db.session.scalars(
        sa.select(Invoice).where(
            Invoice.vendor_id == vendor_id,
            Invoice.vendor_number_key == numbers.normalise(number),
            Invoice.status != InvoiceStatus.CANCELLED,
        )
    ).first()


def create(
    data: InvoiceData,
    *,
    actor: User | None,
    source: InvoiceSource = InvoiceSource.ENTERED,
    pdf: Attachment | None = None,
    xml: Attachment | None = None,
    order: PurchaseOrder | None = None,
) -> Invoice:
    """Record a draft invoice (or, with ``credit_for``, a credit note) against an issued
    order. ``actor`` None: the vendor sent it through the order's private link, and
    ``order`` is that link's order."""
    if actor is not None:
        access.require(actor, "enter_invoices", action="enter invoices")
    errors = FieldErrors()
    if order is None:
        order = find_order(data.order_id, errors)
    elif order.status not in INVOICEABLE:
        errors.add("order_id", "This order can no longer be invoiced.")
        order = None
    number = errors.text(
        data.vendor_invoice_number,
        "vendor_invoice_number",
        max_length=100,
        required=True,
        missing="Give the vendor's invoice number.",
    )
    if number and not numbers.normalise(number):
        errors.add("vendor_invoice_number", "The invoice number has no letters or digits.")
    elif number and order is not None:
        # The vendor's row, locked, makes two people entering the same number queue:
        # the second then finds the first's invoice.
        db.session.execute(
            sa.select(Vendor.id).where(Vendor.id == order.vendor_id).with_for_update()
        )
        twin = duplicate_of(order.vendor_id, number)
        if twin is not None:
            errors.add(
                "vendor_invoice_number",
                f"{order.vendor.name}'s invoice {twin.vendor_invoice_number} is already "
                f"recorded as {twin.number}.",
            )
    today = utcnow().date()
    if data.invoice_date is None:
        errors.add("invoice_date", "Give the invoice date.")
    elif data.invoice_date > today:
        errors.add("invoice_date", "The invoice date is in the future.")
    if data.due_date is not None and data.invoice_date and data.due_date < data.invoice_date:
        errors.add("due_date", "The due date is before the invoice date.")
    note = errors.text(data.note, "note", max_length=TEXT_MAX)
    credited = _credited(data.credit_for, order, errors)
    shipping = _amount(data.shipping, "shipping", order, errors)
    tax = _amount(data.tax, "tax", order, errors)
    lines = _lines(data.lines, order, errors)
    errors.raise_if_any()
    if order is None or data.invoice_date is None:  # raise_if_any has refused it already
        raise ValidationError.field("order_id", "No such purchase order.")
    sign = Decimal(-1) if credited is not None else Decimal(1)
    subtotal = sum((line.total for line in lines), ZERO)
    total = subtotal + shipping + tax
    if data.total is not None and round_money(data.total, order.currency) != total:
        raise ValidationError.field(
            "total",
            f"The lines, shipping and tax add up to {total}, not {data.total}.",
        )
    for line in lines:
        line.quantity, line.total = sign * line.quantity, sign * line.total
    rate = order.rate if order.rate is not None else Decimal(1)
    invoice = Invoice(
        number=numbering.next_number("INV", today.year),
        vendor_invoice_number=number,
        vendor_number_key=numbers.normalise(number),
        vendor_id=order.vendor_id,
        order=order,
        credit_for_id=credited.id if credited is not None else None,
        source=source,
        invoice_date=data.invoice_date,
        due_date=data.due_date or numbers.due_date(data.invoice_date, order.payment_terms),
        currency=order.currency,
        subtotal=sign * subtotal,
        shipping=sign * shipping,
        tax=sign * tax,
        total=sign * total,
        rate=rate,
        total_base=rates.to_base(
            sign * total, rates.Rate(order.currency, order.rate_date or today, rate)
        ),
        note=note,
        pdf_attachment_id=pdf.id if pdf is not None else None,
        xml_attachment_id=xml.id if xml is not None else None,
        entered_by_id=actor.id if actor is not None else None,
        lines=lines,
    )
    db.session.add(invoice)
    db.session.flush()
    audit.record(
        "invoice",
        invoice.id,
        "create",
        actor=actor,
        changes={
            "number": invoice.number,
            "vendor_invoice_number": invoice.vendor_invoice_number,
            "order": order.number,
            "source": source.value,
            "credit_for": credited.number if credited is not None else None,
            "currency": invoice.currency,
            "total": str(invoice.total),
            "due_date": invoice.due_date.isoformat(),
            "pdf_sha256": pdf.sha256 if pdf is not None else None,
        },
    )
    return invoice


def _credited(
    invoice_id: int | None, order: PurchaseOrder | None, errors: FieldErrors
) -> Invoice | None:
    if invoice_id is None:
        return None
    credited = db.session.get(Invoice, invoice_id)
    if credited is None or order is None or credited.order_id != order.id:
        errors.add("credit_for", "A credit note credits an invoice of the same order.")
        return None
    if credited.is_credit_note:
        errors.add("credit_for", f"{credited.number} is itself a credit note.")
        return None
    if credited.status not in CREDITABLE:
        errors.add(
            "credit_for",
            f"{credited.number} is {credited.status.value.replace('_', ' ')}: only a "
            "submitted invoice can be credited.",
        )
        return None
    return credited


def _amount(
    value: Decimal | None, field: str, order: PurchaseOrder | None, errors: FieldErrors
) -> Decimal:
    if value is None:
        return ZERO
    if value < 0:
        errors.add(field, "The amount cannot be negative.")
        return ZERO
    if order is not None and round_money(value, order.currency) != value:
        errors.add(field, f"{order.currency} amounts have at most the currency's decimals.")
    return value


def _lines(
    given: list[LineData], order: PurchaseOrder | None, errors: FieldErrors
) -> list[InvoiceLine]:
    if not given:
        errors.add("lines", "An invoice needs at least one line.")
        return []
    if len(given) > MAX_LINES:
        errors.add("lines", f"An invoice has at most {MAX_LINES} lines.")
        return []
    by_id = {line.id: line for line in order.lines} if order is not None else {}
    seen: set[int] = set()
    lines: list[InvoiceLine] = []
    for index, item in enumerate(given):
        field = f"lines.{index}"
        ordered = by_id.get(item.order_line_id) if item.order_line_id is not None else None
        if ordered is None:
            if order is not None:
                errors.add(f"{field}.order_line_id", f"This line is not part of {order.number}.")
            continue
        if ordered.id in seen:
            errors.add(f"{field}.order_line_id", "This order line is already on the invoice.")
            continue
        seen.add(ordered.id)
        if item.quantity is None or item.quantity <= 0:
            errors.add(f"{field}.quantity", "The quantity must be greater than zero.")
            continue
        if item.unit_price is None or item.unit_price < 0:
            errors.add(f"{field}.unit_price", "Give the unit price (zero or more).")
            continue
        if round_money(item.unit_price, order.currency) != item.unit_price:
            errors.add(
                f"{field}.unit_price",
                f"{order.currency} amounts have at most the currency's decimals.",
            )
            continue
        lines.append(
            InvoiceLine(
                position=len(lines) + 1,
                order_line_id=ordered.id,
                order_line=ordered,
                description=ordered.description,
                quantity=item.quantity,
                unit_price=item.unit_price,
                total=round_money(item.quantity * item.unit_price, order.currency),
            )
        )
    return lines


# Figures per order line ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LineFigures:
    """An invoice line beside its order line: what was ordered, received, and invoiced
    on other invoices (the page's three columns, the API's line fields)."""

    line: InvoiceLine
    ordered: Decimal
    received: Decimal
    previously_invoiced: Decimal


def line_figures(invoice: Invoice) -> list[LineFigures]:
    elsewhere = invoiced_elsewhere(invoice)
    return [
        LineFigures(
            line=line,
            ordered=line.order_line.quantity,
            received=line.order_line.received_quantity,
            previously_invoiced=elsewhere.get(line.order_line_id, Decimal(0)),
        )
        for line in invoice.lines
    ]
