"""Spend: what was ordered, spent (received) and still committed, by vendor,
category, department or month — in one query.

What counts as spend is what the budgets count (``budgets.services``): a purchase
order from its issue on, never a request's estimate. An order that is fully
received (or closed) has spent its whole total, shipping and tax included; an order
still open has spent what has been received and commits the rest. An order counts
in the month it was issued.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import sqlalchemy as sa

from ... import reference
from ...budgets.services import DONE_ORDER_STATUSES, LIVE_ORDER_STATUSES
from ...extensions import db
from ...models import (
    Department,
    OrderLine,
    PurchaseOrder,
    PurchaseRequest,
    Receipt,
    ReceiptLine,
    RequestLine,
    Vendor,
)
from ...money import Money
from .. import dialect
from ..common import ZERO, Dimension, Filters, as_money

# A line not tied to a request line (typed into a quote by hand) has no category.
UNCATEGORISED = "other"
# The order's shipping and tax belong to no line, so to no category.
SHIPPING_AND_TAX = "Shipping and tax"


@dataclasses.dataclass(frozen=True)
class SpendRow:
    key: str
    label: str
    spent: Decimal
    committed: Decimal

    @property
    def total(self) -> Decimal:
        return self.spent + self.committed


@dataclasses.dataclass(frozen=True)
class SpendReport:
    by: Dimension
    rows: list[SpendRow]

    @property
    def spent(self) -> Decimal:
        return sum((row.spent for row in self.rows), ZERO)

    @property
    def committed(self) -> Decimal:
        return sum((row.committed for row in self.rows), ZERO)

    @property
    def total(self) -> Decimal:
        return self.spent + self.committed


def _spend_items(filters: Filters, *, by_line: bool, department: bool) -> sa.Subquery:
    """What each live order has spent and still commits, by the budgets' rules: one row
    per order, or (``by_line``, for categories) one per order line and one per order's
    shipping and tax. ``department`` adds the request's department (a join the other
    groupings do without)."""
    done = PurchaseOrder.status.in_(DONE_ORDER_STATUSES)
    conditions = [
        PurchaseOrder.status.in_(LIVE_ORDER_STATUSES),
        *filters.period(PurchaseOrder.issued_at),
    ]
    if filters.vendor_id is not None:
        conditions.append(PurchaseOrder.vendor_id == filters.vendor_id)
    if filters.department_id is not None:
        conditions.append(PurchaseRequest.department_id == filters.department_id)
    department = department or filters.department_id is not None
    columns = [
        PurchaseOrder.vendor_id.label("vendor_id"),
        (PurchaseRequest.department_id if department else sa.null()).label("department_id"),
        PurchaseOrder.issued_at.label("issued_at"),
    ]

    def of_orders(query: sa.Select) -> sa.Select:
        if department:
            query = query.join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
        return query.where(*conditions)

    if not by_line and not filters.category:
        # Received so far: asked only of orders not yet delivered (CASE is lazy).
        received = sa.func.coalesce(
            sa.select(sa.func.sum(ReceiptLine.value))
            .join(Receipt, Receipt.id == ReceiptLine.receipt_id)
            .where(Receipt.order_id == PurchaseOrder.id)
            .correlate(PurchaseOrder)
            .scalar_subquery(),
            0,
        )
        orders = sa.select(
            *columns,
            sa.null().label("category"),
            sa.case((done, PurchaseOrder.total), else_=received).label("spent"),
            sa.case((done, 0), else_=PurchaseOrder.total - received).label("committed"),
        ).select_from(PurchaseOrder)
        return of_orders(orders).subquery("spend_items")
    received = sa.func.coalesce(
        sa.select(sa.func.sum(ReceiptLine.value))
        .where(ReceiptLine.order_line_id == OrderLine.id)
        .correlate(OrderLine)
        .scalar_subquery(),
        0,
    )
    category = sa.func.coalesce(RequestLine.category, UNCATEGORISED)
    lines = of_orders(
        sa.select(
            *columns,
            category.label("category"),
            sa.case((done, OrderLine.total), else_=received).label("spent"),
            sa.case((done, 0), else_=OrderLine.total - received).label("committed"),
        )
        .select_from(OrderLine)
        .join(PurchaseOrder, PurchaseOrder.id == OrderLine.order_id)
        .outerjoin(RequestLine, RequestLine.id == OrderLine.request_line_id)
    )
    if filters.category:
        return lines.where(category == filters.category).subquery("spend_items")
    extra = PurchaseOrder.shipping + PurchaseOrder.tax
    extras = of_orders(
        sa.select(
            *columns,
            sa.null(),
            sa.case((done, extra), else_=0),
            sa.case((done, 0), else_=extra),
        ).select_from(PurchaseOrder)
    ).where(extra > 0)
    return sa.union_all(lines, extras).subquery("spend_items")


def spend(filters: Filters, by: Dimension = Dimension.VENDOR) -> SpendReport:
    """Spent and committed per vendor, category, department or month: one query."""
    items = _spend_items(
        filters, by_line=by == Dimension.CATEGORY, department=by == Dimension.DEPARTMENT
    )
    spent = sa.type_coerce(sa.func.sum(items.c.spent), Money).label("spent")
    committed = sa.type_coerce(sa.func.sum(items.c.committed), Money).label("committed")
    rows: list[SpendRow] = []
    if by == Dimension.VENDOR:
        query = (
            sa.select(Vendor.id, Vendor.name, spent, committed)
            .join(Vendor, Vendor.id == items.c.vendor_id)
            .group_by(Vendor.id, Vendor.name)
        )
        rows = [SpendRow(str(i), name, as_money(s), as_money(c)) for i, name, s, c in _all(query)]
    elif by == Dimension.DEPARTMENT:
        query = (
            sa.select(Department.code, Department.name, spent, committed)
            .join(Department, Department.id == items.c.department_id)
            .group_by(Department.code, Department.name)
        )
        rows = [
            SpendRow(code, f"{code} — {name}", as_money(s), as_money(c))
            for code, name, s, c in _all(query)
        ]
    elif by == Dimension.CATEGORY:
        labels = {c.name: c.label for c in reference.list_categories()}
        query = sa.select(items.c.category, spent, committed).group_by(items.c.category)
        rows = [
            SpendRow(
                name or "",
                labels.get(name, name) if name else SHIPPING_AND_TAX,
                as_money(s),
                as_money(c),
            )
            for name, s, c in _all(query)
        ]
    else:
        month = dialect.month_of(items.c.issued_at)
        query = sa.select(month, spent, committed).group_by(month).order_by(month)
        rows = [SpendRow(m, m, as_money(s), as_money(c)) for m, s, c in _all(query)]
        return SpendReport(by, rows)
    rows.sort(key=lambda row: (-row.total, row.label.casefold()))
    return SpendReport(by, rows)


def _all(query: sa.Select) -> list[sa.Row]:
    return list(db.session.execute(query).all())
