"""Spend: what was ordered, spent (received) and still committed, by vendor,
category, department or month — in one query, in the base currency.

What counts as spend is what the budgets count (``budgets.services``): a purchase
order from its issue on, never a request's estimate. An order that is fully
received (or closed) has spent its whole total, shipping and tax included; an order
still open has spent what has been received and commits the rest. An order counts
in the month it was issued.

Amounts are in the base currency at each order's rate, frozen when it was issued: its
``total_base``, and what it received converted at its ``rate`` (summed per rate, then
rounded once, by the budgets' rule). A foreign order's lines (the category grouping)
convert at the same rate, so a category's share may differ from the order's frozen
base total by the rounding of a minor unit.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import sqlalchemy as sa

from ... import receiving, reference
from ...budgets.services import DONE_ORDER_STATUSES, LIVE_ORDER_STATUSES, to_base
from ...extensions import db
from ...models import (
    Department,
    OrderLine,
    PurchaseOrder,
    PurchaseRequest,
    RequestLine,
    Vendor,
)
from ...money import Money, rounder
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
    groupings do without).

    Each row carries the order's frozen ``rate`` and whether it is ``done`` (fully
    received), and its amounts in two kinds: ``fixed`` is already in the base currency
    (an order's frozen ``total_base``), ``amount`` and ``received`` are in the order's
    currency, to be converted per rate (``_figures``)."""
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
        PurchaseOrder.rate.label("rate"),
        sa.case((done, 1), else_=0).label("done"),
    ]

    def of_orders(query: sa.Select) -> sa.Select:
        if department:
            query = query.join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
        return query.where(*conditions)

    if not by_line and not filters.category:
        # Received so far: asked only of orders not yet delivered (CASE is lazy).
        moved = receiving.movements()
        received = sa.func.coalesce(
            sa.select(sa.func.sum(moved.c.value))
            .where(moved.c.order_id == PurchaseOrder.id)
            .correlate(PurchaseOrder)
            .scalar_subquery(),
            0,
        )
        orders = sa.select(
            *columns,
            sa.null().label("category"),
            sa.func.coalesce(PurchaseOrder.total_base, PurchaseOrder.total).label("fixed"),
            sa.literal(0).label("amount"),
            sa.case((done, 0), else_=received).label("received"),
        ).select_from(PurchaseOrder)
        return of_orders(orders).subquery("spend_items")
    moved = receiving.movements()
    received = sa.func.coalesce(
        sa.select(sa.func.sum(moved.c.value))
        .where(moved.c.order_line_id == OrderLine.id)
        .correlate(OrderLine)
        .scalar_subquery(),
        0,
    )
    category = sa.func.coalesce(RequestLine.category, UNCATEGORISED)
    lines = of_orders(
        sa.select(
            *columns,
            category.label("category"),
            sa.literal(0).label("fixed"),
            OrderLine.total.label("amount"),
            sa.case((done, 0), else_=received).label("received"),
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
            sa.literal(0),
            extra,
            sa.literal(0),
        ).select_from(PurchaseOrder)
    ).where(extra > 0)
    return sa.union_all(lines, extras).subquery("spend_items")


def _figures(query: sa.Select, items: sa.Subquery, keys: int) -> dict[tuple, tuple]:
    """Run ``query`` (its first ``keys`` columns the grouping) summed per frozen rate
    and state, and convert each sum once, as the budgets do (``budgets.figures``): a
    fully received order has spent its base total; an open one has spent what it
    received, at its rate, and commits the rest. Returns (spent, committed) per key,
    in the base currency."""
    sums = [
        sa.type_coerce(sa.func.sum(items.c.fixed), Money),
        sa.type_coerce(sa.func.sum(items.c.amount), Money),
        sa.type_coerce(sa.func.sum(items.c.received), Money),
    ]
    query = query.add_columns(items.c.rate, items.c.done, *sums).group_by(
        items.c.rate, items.c.done
    )
    in_base = rounder()  # the base currency looked up once for all the sums
    found: dict[tuple, tuple] = {}
    for row in _all(query):
        key = tuple(row[:keys])
        rate, done, fixed, amount, received = row[keys:]
        total = as_money(fixed, in_base) + to_base(as_money(amount, in_base), rate)
        spent, committed = found.get(key, (ZERO, ZERO))
        if done:
            found[key] = (spent + total, committed)
        else:
            part = to_base(as_money(received, in_base), rate)
            found[key] = (spent + part, committed + total - part)
    return found


def spend(filters: Filters, by: Dimension = Dimension.VENDOR) -> SpendReport:
    """Spent and committed per vendor, category, department or month, in the base
    currency: one query."""
    items = _spend_items(
        filters, by_line=by == Dimension.CATEGORY, department=by == Dimension.DEPARTMENT
    )
    rows: list[SpendRow] = []
    if by == Dimension.VENDOR:
        query = (
            sa.select(Vendor.id, Vendor.name)
            .join(Vendor, Vendor.id == items.c.vendor_id)
            .group_by(Vendor.id, Vendor.name)
        )
        rows = [
            SpendRow(str(i), name, s, c) for (i, name), (s, c) in _figures(query, items, 2).items()
        ]
    elif by == Dimension.DEPARTMENT:
        query = (
            sa.select(Department.code, Department.name)
            .join(Department, Department.id == items.c.department_id)
            .group_by(Department.code, Department.name)
        )
        rows = [
            SpendRow(code, f"{code} — {name}", s, c)
            for (code, name), (s, c) in _figures(query, items, 2).items()
        ]
    elif by == Dimension.CATEGORY:
        labels = {c.name: c.label for c in reference.list_categories()}
        query = sa.select(items.c.category).group_by(items.c.category)
        rows = [
            SpendRow(
                name or "",
                labels.get(name, name) if name else SHIPPING_AND_TAX,
                s,
                c,
            )
            for (name,), (s, c) in _figures(query, items, 1).items()
        ]
    else:
        month = dialect.month_of(items.c.issued_at)
        query = sa.select(month).group_by(month)
        found = _figures(query, items, 1)
        rows = [SpendRow(m, m, *found[(m,)]) for (m,) in sorted(found)]
        return SpendReport(by, rows)
    rows.sort(key=lambda row: (-row.total, row.label.casefold()))
    return SpendReport(by, rows)


def _all(query: sa.Select) -> list[sa.Row]:
    return list(db.session.execute(query).all())
