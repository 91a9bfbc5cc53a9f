"""Price variance by vendor: on approved and paid invoice lines, the invoiced unit price
against the order's, in the base currency (issue 20, point 6).

Per vendor: the lines invoiced, how many were above the order's price, the amount
invoiced, what the same quantities cost at the order's prices, and the variance —
above minus below the order's prices — with its share of the amount at order prices.
Amounts convert at each invoice's rate (the order's, frozen at issue), summed per
rate then rounded once, as the budgets do. Credit notes are left out: they give back
quantities, not prices. The date range is on the invoice date; the category is the
order line's (its request line's); the department is the request's.
"""

from __future__ import annotations

import dataclasses
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from ...budgets.services import to_base
from ...extensions import db
from ...models import (
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    OrderLine,
    PurchaseOrder,
    PurchaseRequest,
    RequestLine,
    Vendor,
)
from ...money import round_money
from ..common import ZERO, Filters, as_money
from .payables import date_conditions
from .spend import UNCATEGORISED

# Invoice lines that count: on approved or paid invoices.
COUNTED = (InvoiceStatus.APPROVED, InvoiceStatus.PAID)
# Quantity × price of two columns stored in thousandths is in millionths.
_PRODUCT_SCALE = -6


@dataclasses.dataclass(frozen=True)
class VarianceRow:
    vendor_id: int
    vendor: str
    lines: int
    lines_over: int
    invoiced: Decimal  # base currency
    at_order_prices: Decimal  # the same quantities at the order's unit prices
    above: Decimal  # paid above the order's prices, line by line
    below: Decimal  # invoiced below them

    @property
    def variance(self) -> Decimal:
        return self.above - self.below

    @property
    def share(self) -> Decimal | None:
        """The variance in per cent of the amount at order prices (None: nothing)."""
        if not self.at_order_prices:
            return None
        return (self.variance / self.at_order_prices * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclasses.dataclass(frozen=True)
class VarianceReport:
    rows: list[VarianceRow]  # the largest variance first; perhaps only the first of them
    total: VarianceRow  # over every vendor the filters select
    count: int  # vendors


def _raw(column: sa.ColumnElement) -> sa.ColumnElement:
    """A scaled column's stored integer, as an exact numeric for products."""
    return sa.cast(sa.type_coerce(column, sa.BigInteger), sa.Numeric(38, 0))


def _exact(total: sa.ColumnElement) -> sa.ColumnElement:
    """A sum of products handed back as the database gives it (an integer, or an exact
    numeric): no float on the way."""
    return sa.type_coerce(total, sa.BigInteger)


def _scaled(value: object) -> Decimal:
    return ZERO if value is None else Decimal(value).scaleb(_PRODUCT_SCALE)


def _base(amount: Decimal, currency: str, rate: Decimal | None) -> Decimal:
    """An amount of the invoice's currency, rounded to its minor units, in the base."""
    return to_base(round_money(amount, currency), rate)


def _together(vendor_id: int, name: str, rows: list[VarianceRow]) -> VarianceRow:
    return VarianceRow(
        vendor_id,
        name,
        sum(r.lines for r in rows),
        sum(r.lines_over for r in rows),
        sum((r.invoiced for r in rows), ZERO),
        sum((r.at_order_prices for r in rows), ZERO),
        sum((r.above for r in rows), ZERO),
        sum((r.below for r in rows), ZERO),
    )


def price_variance(filters: Filters, *, limit: int | None = None) -> VarianceReport:
    """Per vendor, in one query (grouped by vendor and rate, converted once per rate)."""
    difference = _raw(InvoiceLine.unit_price) - _raw(OrderLine.unit_price)
    weighted = difference * _raw(InvoiceLine.quantity)
    above = _exact(sa.func.sum(sa.case((difference > 0, weighted), else_=0)))
    below = _exact(sa.func.sum(sa.case((difference < 0, -weighted), else_=0)))
    at_order = _exact(sa.func.sum(_raw(InvoiceLine.quantity) * _raw(OrderLine.unit_price)))
    over = sa.func.sum(sa.case((InvoiceLine.unit_price > OrderLine.unit_price, 1), else_=0))
    query = (
        sa.select(
            Vendor.id,
            Vendor.name,
            Invoice.currency,
            Invoice.rate,
            sa.func.count(),
            over,
            sa.func.sum(InvoiceLine.total),
            at_order,
            above,
            below,
        )
        .select_from(InvoiceLine)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .join(OrderLine, OrderLine.id == InvoiceLine.order_line_id)
        .join(Vendor, Vendor.id == Invoice.vendor_id)
        .where(
            Invoice.status.in_(COUNTED),
            Invoice.credit_for_id.is_(None),
            *date_conditions(filters, Invoice.invoice_date),
        )
        .group_by(Vendor.id, Vendor.name, Invoice.currency, Invoice.rate)
    )
    if filters.vendor_id is not None:
        query = query.where(Invoice.vendor_id == filters.vendor_id)
    if filters.department_id is not None:
        query = (
            query.join(PurchaseOrder, PurchaseOrder.id == Invoice.order_id)
            .join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
            .where(PurchaseRequest.department_id == filters.department_id)
        )
    if filters.category:
        category = sa.func.coalesce(RequestLine.category, UNCATEGORISED)
        query = query.outerjoin(RequestLine, RequestLine.id == OrderLine.request_line_id).where(
            category == filters.category
        )
    parts: dict[int, list[VarianceRow]] = {}
    for row in db.session.execute(query):
        vendor_id, name, currency, rate, lines, lines_over = row[:6]
        invoiced, at_order_sum, above_sum, below_sum = row[6:]
        parts.setdefault(vendor_id, []).append(
            VarianceRow(
                vendor_id,
                name,
                lines,
                int(lines_over or 0),
                _base(as_money(invoiced), currency, rate),
                _base(_scaled(at_order_sum), currency, rate),
                _base(_scaled(above_sum), currency, rate),
                _base(_scaled(below_sum), currency, rate),
            )
        )
    rows = [_together(vendor_id, same[0].vendor, same) for vendor_id, same in parts.items()]
    rows.sort(key=lambda r: (-r.variance, r.vendor.casefold()))
    total = _together(0, "All vendors", rows)
    return VarianceReport(rows[:limit] if limit is not None else rows, total, len(rows))
