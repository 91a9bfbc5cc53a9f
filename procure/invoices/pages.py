"""What each invoice page shows: one call per page, everything its template needs, and
booleans for what the user may do (the template tests no role). Also the two verbs
only the pages have: recording an invoice with its uploaded PDF, and paying the
invoices ticked on the list."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from werkzeug.datastructures import FileStorage

from .. import access, attachments
from ..errors import InvalidTransition, ValidationError
from ..extensions import db
from ..models import (
    ExceptionKind,
    Invoice,
    InvoiceException,
    InvoiceStatus,
    PurchaseOrder,
    User,
    Vendor,
    utcnow,
)
from ..money import format_date
from ..pagination import PageOf, paginate_page
from . import actions, links, matching, numbers, services, ubl
from .matching import COUNTED
from .services import INVOICEABLE

# Submitted and not yet paid, rejected or cancelled: what is owed to vendors.
OUTSTANDING = (InvoiceStatus.MATCHED, InvoiceStatus.ON_HOLD, InvoiceStatus.APPROVED)
WEEK = dt.timedelta(days=7)
QUICK_FILTERS = {
    "on_hold": "On hold",
    "due_this_week": "Due this week",
    "overdue": "Overdue",
    "price_holds": "Held for price",
}
# Exceptions procurement resolves: a price above the order's, a total above the lines'.
PRICE_KINDS = (ExceptionKind.PRICE, ExceptionKind.TOTAL)


def today() -> dt.date:
    return utcnow().date()


# The list ---------------------------------------------------------------------------


@dataclasses.dataclass
class Filters:
    status: str | None = None
    vendor_id: int | None = None
    # Part of the vendor's name, ignoring case and spacing (as the vendor search).
    vendor: str | None = None
    due_before: dt.date | None = None
    quick: str | None = None


def held_for_price() -> sa.ColumnElement[bool]:
    """On hold with a price or total exception still open."""
    return sa.and_(
        Invoice.status == InvoiceStatus.ON_HOLD,
        sa.select(InvoiceException.id)
        .where(
            InvoiceException.invoice_id == Invoice.id,
            InvoiceException.kind.in_(PRICE_KINDS),
            InvoiceException.resolved_at.is_(None),
        )
        .exists(),
    )


def filtered_query(user: User, filters: Filters) -> sa.Select:
    query = services.list_query(
        user,
        status=filters.status,
        vendor_id=filters.vendor_id,
        due_before=filters.due_before,
    )
    named = Vendor.name_holds(filters.vendor or "")
    if named is not None:
        query = query.where(Invoice.vendor_id.in_(sa.select(Vendor.id).where(named)))
    day = today()
    if filters.quick == "on_hold":
        query = query.where(Invoice.status == InvoiceStatus.ON_HOLD)
    elif filters.quick == "due_this_week":
        query = query.where(
            Invoice.status.in_(OUTSTANDING), Invoice.due_date.between(day, day + WEEK)
        )
    elif filters.quick == "overdue":
        query = query.where(Invoice.status.in_(OUTSTANDING), Invoice.due_date < day)
    elif filters.quick == "price_holds":
        query = query.where(held_for_price())
    return query


@dataclasses.dataclass
class ListPage:
    page: PageOf
    filters: Filters
    statuses: list[str]
    # The vendor ``vendor_id`` names (a link from the payables report), if any.
    vendor_name: str | None
    today: dt.date
    # Finance: tick approved invoices and pay them together.
    may_pay: bool
    may_enter: bool

    def overdue(self, invoice: Invoice) -> bool:
        return invoice.status in OUTSTANDING and invoice.due_date < self.today

    def payable(self, invoice: Invoice) -> bool:
        return self.may_pay and invoice.status == InvoiceStatus.APPROVED

    @property
    def any_payable(self) -> bool:
        return any(self.payable(invoice) for invoice in self.page.items)


def list_page(user: User, filters: Filters) -> ListPage:
    page = paginate_page(filtered_query(user, filters), key=Invoice.id)
    # The vendor is typed, not picked from a list: a list of every invoiced vendor was
    # thousands of options, its query and markup a third of the page's time.
    vendor_name = (
        db.session.scalar(sa.select(Vendor.name).where(Vendor.id == filters.vendor_id))
        if filters.vendor_id is not None
        else None
    )
    return ListPage(
        page=page,
        filters=filters,
        statuses=[s.value for s in InvoiceStatus],
        vendor_name=vendor_name,
        today=today(),
        may_pay=access.may(user, "pay_invoices"),
        may_enter=access.may(user, "enter_invoices"),
    )


def pay_chosen(ids: list[int], payment: actions.Payment, *, actor: User) -> list[Invoice]:
    """Pay the invoices ticked on the list: each one the payer may see; all or none."""
    if not ids:
        raise ValidationError.field("invoice_ids", "Tick the invoices to pay.")
    chosen = [services.get(invoice_id, actor) for invoice_id in ids]
    actions.pay_batch(chosen, payment, actor=actor)
    return chosen


# Recording ---------------------------------------------------------------------------


def creditable(order: PurchaseOrder) -> list[Invoice]:
    return list(
        db.session.scalars(
            sa.select(Invoice)
            .where(
                Invoice.order_id == order.id,
                Invoice.credit_for_id.is_(None),
                Invoice.status.in_(services.CREDITABLE),
            )
            .order_by(Invoice.id)
        )
    )


@dataclasses.dataclass
class NewInvoicePage:
    order: PurchaseOrder
    # Per order line: what remains to invoice, and what is invoiced already.
    remaining: dict[int, Decimal]
    invoiced: dict[int, Decimal]
    creditable: list[Invoice]
    # "Net 30 → Dec 5, 2026 for an invoice dated today".
    due_hint: str


def order_to_invoice(order_id: Any, user: User) -> PurchaseOrder:
    """The order an invoice is recorded against: one the user sees, issued."""
    access.require(user, "enter_invoices", action="enter invoices")
    raw = str(order_id or "")
    order = access.load(PurchaseOrder, int(raw) if raw.isdigit() and len(raw) < 12 else 0, user)
    if order.status not in INVOICEABLE:
        raise InvalidTransition(
            f"{order.number or 'This order'} is {order.status.value.replace('_', ' ')}: "
            "only an issued order can be invoiced."
        )
    return order


def new_invoice_page(order: PurchaseOrder) -> NewInvoicePage:
    invoiced = matching.invoiced_on(order.id, COUNTED)
    day = today()
    terms = order.payment_terms or f"Net {numbers.DEFAULT_DAYS}"
    return NewInvoicePage(
        order=order,
        remaining={line.id: line.quantity - invoiced.get(line.id, 0) for line in order.lines},
        invoiced=invoiced,
        creditable=creditable(order),
        due_hint=(
            f"Leave it empty to take it from the payment terms: {terms} → "
            f"{format_date(numbers.due_date(day, order.payment_terms))} for an invoice "
            "dated today."
        ),
    )


def record(
    order: PurchaseOrder,
    data: services.InvoiceData,
    pdf: FileStorage | None,
    *,
    actor: User,
    submit: bool = False,
) -> Invoice:
    """Record the invoice typed on the page with the vendor's PDF, and submit it when
    asked ("Save and submit"): matched, or on hold."""
    access.require(actor, "enter_invoices", action="enter invoices")
    stored = attachments.store_upload(pdf, user=actor, field="pdf", allowed=("application/pdf",))
    invoice = services.create(data, actor=actor, pdf=stored, order=order)
    if submit:
        actions.submit(invoice, actor=actor)
    return invoice


def may_import(user: User) -> None:
    access.require(user, "enter_invoices", action="import invoices")


def import_upload(upload: FileStorage | None, *, actor: User) -> Invoice:
    """Import the uploaded e-invoice as a draft (``ubl.import_xml`` reads it safely)."""
    may_import(actor)
    if upload is None or not upload.filename:
        raise ValidationError.field("file", "Choose the e-invoice's XML file.")
    # Read no further than an upload may be; ubl refuses what is over its own limit.
    return ubl.import_xml(
        upload.stream.read(current_app.config["MAX_UPLOAD_BYTES"] + 1), actor=actor
    )


# The order page ----------------------------------------------------------------------


@dataclasses.dataclass
class OrderInvoices:
    rows: list[Invoice]
    # The user may enter invoices and the order can be invoiced.
    may_record: bool
    # The vendor's private link to send invoices, for who may change the order (and
    # re-issue the link); None for the others, or once it no longer works.
    vendor_link: str | None = None
    # Billed beyond what is received now (goods returned after they were invoiced):
    # the credit note the vendor owes, in the order's currency.
    credit_expected: Decimal = Decimal(0)


def order_invoices(order: PurchaseOrder, user: User) -> OrderInvoices:
    rows = list(
        db.session.scalars(
            access.scoped(Invoice, user, sa.select(Invoice))
            .where(Invoice.order_id == order.id)
            .order_by(Invoice.id)
        )
    )
    return OrderInvoices(
        rows=rows,
        may_record=access.may(user, "enter_invoices") and order.status in INVOICEABLE,
        vendor_link=links.current_link(order) if access.can_change(user, order) else None,
        credit_expected=matching.credit_expected(order) if rows else Decimal(0),
    )
