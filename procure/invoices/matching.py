"""Matching an invoice to its order and the order's receipts (API.md, "Invoices").

:func:`findings` says what is wrong with an invoice now, each a named exception with
its figures; :func:`match` keeps the invoice's exception rows true to them:

- **quantity**, per line: everything invoiced on the order line (this invoice and
  those submitted before it, credit notes subtracting) against what was received
  (three-way, goods) or ordered (two-way: the categories of the
  ``invoices.two_way_categories`` setting);
- **price**, per line: the unit price above the order's by more than the tolerance;
- **total**: the invoice's total above what its quantities at the order's prices,
  with the order's shipping and tax, justify, by more than the tolerance;
- **over_order**: everything invoiced on the order above its total plus tolerance;
- **possible_duplicate**: another invoice of the same vendor for the same amount
  dated within 30 days (the same vendor number is refused outright, at entry).

The tolerance is the lesser of a percent of the order's figure and an amount (base
currency, converted at the order's frozen rate): admin sets both (``tolerances.py``).
A lower price than ordered is never an exception.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from .. import currencies, receiving
from ..extensions import db
from ..models import (
    ExceptionKind,
    Invoice,
    InvoiceException,
    InvoiceLine,
    InvoiceStatus,
    OrderLine,
    PurchaseOrder,
    RequestLine,
    utcnow,
)
from ..money import format_money, round_money
from . import tolerances

# Invoices that count towards what an order line has been invoiced: submitted, and
# neither rejected nor cancelled.
COUNTED = (
    InvoiceStatus.MATCHED,
    InvoiceStatus.ON_HOLD,
    InvoiceStatus.APPROVED,
    InvoiceStatus.PAID,
)
DUPLICATE_WINDOW = dt.timedelta(days=30)
NO_LONGER_HOLDS = "No longer holds: matched again."


@dataclasses.dataclass(frozen=True)
class Finding:
    kind: ExceptionKind
    line: InvoiceLine | None
    message: str

    @property
    def key(self) -> tuple[ExceptionKind, int | None]:
        return self.kind, self.line.id if self.line is not None else None


def _qty(value: Decimal) -> str:
    return f"{value.normalize():f}"


def is_two_way(line: OrderLine) -> bool:
    return receiving.category_of(line) in set(tolerances.current().two_way_categories)


def tolerance(expected: Decimal, invoice: Invoice) -> Decimal:
    """How far above ``expected`` (in the invoice's currency) an amount may be."""
    setting = tolerances.current()
    rate = invoice.order.rate or Decimal(1)
    in_currency = round_money(setting.amount / rate, invoice.currency)
    return min(round_money(abs(expected) * setting.percent / 100, invoice.currency), in_currency)


def tolerance_words() -> str:
    setting = tolerances.current()
    return (
        f"tolerance: {setting.percent.normalize():f} % or "
        f"{format_money(setting.amount, currencies.base())}, whichever is less"
    )


def before(invoice: Invoice) -> tuple[sa.ColumnElement[bool], ...]:
    """The order's other invoices an invoice is matched against: those submitted before
    it (all submitted ones while it is a draft), and every credit note. An invoice that
    crosses a limit is held, not the earlier ones it came after."""
    conditions = [
        Invoice.order_id == invoice.order_id,
        Invoice.id != invoice.id,
        Invoice.status.in_(COUNTED),
    ]
    if invoice.submitted_at is not None:
        conditions.append(
            sa.or_(
                Invoice.credit_for_id.is_not(None),
                Invoice.submitted_at < invoice.submitted_at,
                sa.and_(Invoice.submitted_at == invoice.submitted_at, Invoice.id < invoice.id),
            )
        )
    return tuple(conditions)


def counts_before(
    invoice: Invoice, other_id: int, other_submitted_at: dt.datetime | None, other_is_credit: bool
) -> bool:
    """:func:`before` for one other counted invoice of the same order, in Python: for a
    page of invoices whose figures are read in one query (``listing.py``)."""
    if other_id == invoice.id:
        return False
    if invoice.submitted_at is None or other_is_credit:
        return True
    if other_submitted_at is None:
        return False
    return (other_submitted_at, other_id) < (invoice.submitted_at, invoice.id)


def invoiced_elsewhere(invoice: Invoice) -> dict[int, Decimal]:
    """Quantities invoiced per order line by the invoices :func:`before` it."""
    rows = db.session.execute(
        sa.select(InvoiceLine.order_line_id, sa.func.sum(InvoiceLine.quantity))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(*before(invoice))
        .group_by(InvoiceLine.order_line_id)
    )
    return {line_id: total or Decimal(0) for line_id, total in rows}


def invoiced_on(order_id: int, statuses: tuple[InvoiceStatus, ...]) -> dict[int, Decimal]:
    """Per order line of an order, what its invoices in ``statuses`` bill (credit notes
    subtracting): the recording form's and the vendor page's "already invoiced"."""
    rows = db.session.execute(
        sa.select(InvoiceLine.order_line_id, sa.func.sum(InvoiceLine.quantity))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.order_id == order_id, Invoice.status.in_(statuses))
        .group_by(InvoiceLine.order_line_id)
    )
    return {line_id: total or Decimal(0) for line_id, total in rows}


def credit_expected(order: PurchaseOrder) -> Decimal:
    """What the vendor owes back as a credit note (the order's currency): of each
    three-way line, what submitted invoices bill beyond what is received now — goods
    returned or a receipt reversed after they were invoiced — at the line's price."""
    invoiced = invoiced_on(order.id, COUNTED)
    owed = Decimal(0)
    for line in order.lines:
        over = invoiced.get(line.id, Decimal(0)) - line.received_quantity
        if over > 0 and not is_two_way(line):
            owed += round_money(over * line.unit_price, order.currency)
    return owed


def _invoiced_total_elsewhere(invoice: Invoice) -> tuple[Decimal, Decimal, Decimal]:
    """Total, shipping and tax of the invoices :func:`before` it."""
    total, shipping, tax = db.session.execute(
        sa.select(
            sa.func.sum(Invoice.total), sa.func.sum(Invoice.shipping), sa.func.sum(Invoice.tax)
        ).where(*before(invoice))
    ).one()
    zero = Decimal("0.00")
    return total or zero, shipping or zero, tax or zero


def findings(invoice: Invoice) -> list[Finding]:
    found: list[Finding] = []
    elsewhere = invoiced_elsewhere(invoice)
    credit = invoice.is_credit_note
    for line in invoice.lines:
        ordered = line.order_line
        before = elsewhere.get(ordered.id, Decimal(0))
        everything = before + line.quantity
        if credit:
            # A credit note gives back at most what has been invoiced on the line.
            if everything < 0:
                found.append(
                    Finding(
                        ExceptionKind.QUANTITY,
                        line,
                        f"Credits {_qty(-line.quantity)} of line {ordered.position}, but only "
                        f"{_qty(before)} has been invoiced.",
                    )
                )
            continue
        two_way = is_two_way(ordered)
        limit = ordered.quantity if two_way else ordered.received_quantity
        if everything > limit:
            what = "ordered" if two_way else "received"
            found.append(
                Finding(
                    ExceptionKind.QUANTITY,
                    line,
                    f"Invoiced {_qty(everything)} of line {ordered.position} "
                    f"({_qty(before)} before, {_qty(line.quantity)} on this invoice), "
                    f"but {_qty(limit)} {what}.",
                )
            )
        over = line.unit_price - ordered.unit_price
        if over > tolerance(ordered.unit_price, invoice):
            share = (over / ordered.unit_price * 100) if ordered.unit_price else Decimal(100)
            found.append(
                Finding(
                    ExceptionKind.PRICE,
                    line,
                    f"Unit price {format_money(line.unit_price, invoice.currency)} on line "
                    f"{ordered.position} is {share:.1f} % above the order's "
                    f"{format_money(ordered.unit_price, invoice.currency)} "
                    f"({tolerance_words()}).",
                )
            )
    if not credit:
        priced = {f.line.id for f in found if f.kind == ExceptionKind.PRICE and f.line}
        found += _whole_invoice_findings(invoice, priced)
    return found


def _whole_invoice_findings(invoice: Invoice, priced: set[int]) -> list[Finding]:
    """The total (beyond what the price exceptions already name), over the order, and
    a possible duplicate."""
    found: list[Finding] = []
    order = invoice.order
    money = lambda value: format_money(value, invoice.currency)  # noqa: E731
    total_before, shipping_before, tax_before = _invoiced_total_elsewhere(invoice)
    at_order_prices = sum(
        (round_money(line.quantity * line.order_line.unit_price, invoice.currency))
        for line in invoice.lines
    )
    # Shipping and tax as ordered, less what earlier invoices billed of them.
    shipping = min(invoice.shipping, max(order.shipping - shipping_before, Decimal(0)))
    tax_share = (
        round_money(order.tax * at_order_prices / order.subtotal, invoice.currency)
        if order.subtotal
        else Decimal(0)
    )
    tax = min(invoice.tax, max(tax_share, order.tax - tax_before, Decimal(0)))
    justified = at_order_prices + shipping + tax
    # The excess of lines held for their price is named there already.
    named = sum(
        (
            line.total - round_money(line.quantity * line.order_line.unit_price, invoice.currency)
            for line in invoice.lines
            if line.id in priced
        ),
        Decimal(0),
    )
    if invoice.total - named - justified > tolerance(justified, invoice):
        found.append(
            Finding(
                ExceptionKind.TOTAL,
                None,
                f"The total {money(invoice.total)} is above the {money(justified)} its "
                f"quantities at the order's prices, shipping and tax justify "
                f"({tolerance_words()}).",
            )
        )
    everything = total_before + invoice.total
    if everything - order.total > tolerance(order.total, invoice):
        found.append(
            Finding(
                ExceptionKind.OVER_ORDER,
                None,
                f"Invoiced on {order.number} so far: {money(everything)} "
                f"({money(total_before)} before, {money(invoice.total)} on this invoice), "
                f"above the order's total of {money(order.total)}.",
            )
        )
    twin = _possible_duplicate(invoice)
    if twin is not None:
        found.append(
            Finding(
                ExceptionKind.POSSIBLE_DUPLICATE,
                None,
                f"{twin.number} (vendor number {twin.vendor_invoice_number}, dated "
                f"{twin.invoice_date.isoformat()}) is from the same vendor for the same "
                f"amount, {money(twin.total)}, within 30 days.",
            )
        )
    return found


def _possible_duplicate(invoice: Invoice) -> Invoice | None:
    """An invoice of the same vendor and amount within 30 days, recorded before this one
    (the later of two is the one held)."""
    return db.session.scalars(
        sa.select(Invoice)
        .where(
            Invoice.vendor_id == invoice.vendor_id,
            Invoice.id < invoice.id,
            Invoice.total == invoice.total,
            Invoice.invoice_date.between(
                invoice.invoice_date - DUPLICATE_WINDOW, invoice.invoice_date + DUPLICATE_WINDOW
            ),
            Invoice.status.not_in((InvoiceStatus.CANCELLED, InvoiceStatus.REJECTED)),
        )
        .order_by(Invoice.id)
        .limit(1)
    ).first()


def match(invoice: Invoice) -> bool:
    """Bring the invoice's exception rows in line with :func:`findings`: a new finding
    opens an exception (unless a person resolved that one already), an open exception
    that no longer holds closes, one that still holds takes the current figures.
    Returns whether the open exceptions changed."""
    now = utcnow()
    current = {finding.key: finding for finding in findings(invoice)}
    changed = False
    resolved_by_person = {
        (e.kind, e.line_id) for e in invoice.exceptions if e.resolved_by_id is not None
    }
    for exception in invoice.open_exceptions:
        finding = current.pop((exception.kind, exception.line_id), None)
        if finding is None:
            exception.resolved_at, exception.resolution = now, NO_LONGER_HOLDS
            changed = True
        else:
            exception.message = finding.message
    for key, finding in current.items():
        if key in resolved_by_person:
            continue
        invoice.exceptions.append(
            InvoiceException(
                kind=finding.kind,
                line_id=key[1],
                message=finding.message,
                created_at=now,
            )
        )
        changed = True
    db.session.flush()
    return changed


def described(invoice: Invoice) -> list[dict]:
    """The open exceptions as the audit log records them."""
    return [
        {"kind": e.kind.value, "line_id": e.line_id, "message": e.message}
        for e in invoice.open_exceptions
    ]


def request_line_categories(order_line_ids: list[int]) -> dict[int, str]:
    """Categories of many order lines at once (for lists and the payment CSV)."""
    if not order_line_ids:
        return {}
    rows = db.session.execute(
        sa.select(OrderLine.id, RequestLine.category)
        .join(RequestLine, RequestLine.id == OrderLine.request_line_id)
        .where(OrderLine.id.in_(order_line_ids))
    )
    return dict(rows.all())
