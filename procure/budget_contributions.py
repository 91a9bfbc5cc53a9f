"""What the documents contribute to each budget key — the groups the budget figures
convert once each (``budgets/figures.py``): a department, a fiscal year, a category
('' for the whole budget), a source (``request``, ``order`` or ``invoice``) and its
status, and the frozen rates its amounts convert at. :func:`contributions` says it in
SQL, one grouped select per source and level; ``budget_sums.py`` keeps the sums of
every key beside the documents and checks them against it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .extensions import db
from .models import (
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    OrderLine,
    OrderStatus,
    PurchaseOrder,
    PurchaseRequest,
    RequestLine,
    RequestStatus,
)
from .money import Money, RateColumn

# Orders that count at all (issued onwards, not cancelled), and those whose whole total
# is spent (delivered); the spend report counts by the same two lists.
LIVE_ORDER_STATUSES = (
    OrderStatus.ISSUED,
    OrderStatus.PARTIALLY_RECEIVED,
    OrderStatus.RECEIVED,
    OrderStatus.CLOSED,
)
DONE_ORDER_STATUSES = (OrderStatus.RECEIVED, OrderStatus.CLOSED)
# Invoices that split what is spent: approved (to pay) and paid.
INVOICE_SPLIT = (InvoiceStatus.APPROVED, InvoiceStatus.PAID)

Key = tuple[int, int, str, str, str, Decimal, Decimal]
Amounts = tuple[Decimal, Decimal, Decimal]  # total, received, paid
NO_RATE = Decimal(1)  # a document from before currencies: the base currency
NOT_PAID = Decimal(0)  # no payment rate (an invoice not paid, or a whole's row)
ZERO = Decimal(0)


def _grouped(source: str, status: Any, *columns: Any, **amounts: Any) -> sa.Select:
    """One source's grouped select, in the union's shape. ``columns`` are category, rate
    and paid rate (None: the whole / no rate); ``amounts`` total, received and paid."""
    category, rate, paid_rate = columns
    shaped = [
        PurchaseRequest.department_id.label("department_id"),
        PurchaseRequest.fiscal_year.label("fiscal_year"),
        (category if category is not None else sa.literal_column("''")).label("category"),
        sa.literal_column(f"'{source}'").label("source"),
        sa.cast(status, sa.String(20)).label("status"),
        (rate if rate is not None else sa.cast(sa.null(), RateColumn)).label("rate"),
        (paid_rate if paid_rate is not None else sa.cast(sa.null(), RateColumn)).label(
            "paid_rate"
        ),
    ]
    sums = [
        sa.type_coerce(
            sa.func.sum(amounts[name]) if name in amounts else sa.literal_column("0"), Money
        ).label(name)
        for name in ("total", "received", "paid")
    ]
    grouped_by = [PurchaseRequest.department_id, PurchaseRequest.fiscal_year, status]
    grouped_by += [column for column in columns if column is not None]
    return sa.select(*shaped, *sums).group_by(*grouped_by)


@functools.cache
def contributions(some: bool) -> sa.CompoundSelect:
    """What the documents add to each budget key, per source and level, as
    ``budgets/figures.py`` converts them: the whole at the documents' base totals, a
    category at its lines per frozen rate. ``some``: only those of the requests given
    as the parameter ``requests`` (built once: it is read around every flush that
    changes a document)."""
    approved = PurchaseRequest.status == RequestStatus.APPROVED
    live = PurchaseOrder.status.in_(LIVE_ORDER_STATUSES)
    split = Invoice.status.in_(INVOICE_SPLIT)
    scope = [PurchaseRequest.fiscal_year.is_not(None)]  # submitted: in a fiscal year
    if some:
        scope.append(PurchaseRequest.id.in_(sa.bindparam("requests", expanding=True)))
    booked = sa.func.coalesce(Invoice.total_base, Invoice.total)
    selects = [
        _grouped(
            "request",
            PurchaseRequest.status,
            None,
            None,
            None,
            total=sa.func.coalesce(PurchaseRequest.total_base, PurchaseRequest.total),
        ).where(approved, *scope),
        _grouped(
            "request",
            PurchaseRequest.status,
            RequestLine.category,
            PurchaseRequest.rate,
            None,
            total=RequestLine.total,
        )
        .select_from(RequestLine)
        .join(PurchaseRequest, PurchaseRequest.id == RequestLine.request_id)
        .where(approved, *scope),
        _grouped(
            "order",
            PurchaseOrder.status,
            None,
            PurchaseOrder.rate,
            None,
            total=sa.func.coalesce(PurchaseOrder.total_base, PurchaseOrder.total),
            received=PurchaseOrder.received_value,
        )
        .select_from(PurchaseOrder)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
        .where(live, *scope),
        _grouped(
            "order",
            PurchaseOrder.status,
            RequestLine.category,
            PurchaseOrder.rate,
            None,
            total=OrderLine.total,
            received=OrderLine.received_value,
        )
        .select_from(OrderLine)
        .join(PurchaseOrder, PurchaseOrder.id == OrderLine.order_id)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
        .join(RequestLine, RequestLine.id == OrderLine.request_line_id)
        .where(live, *scope),
        _grouped(
            "invoice",
            Invoice.status,
            None,
            None,
            None,
            total=booked,
            paid=sa.func.coalesce(Invoice.paid_base, booked),
        )
        .select_from(Invoice)
        .join(PurchaseOrder, PurchaseOrder.id == Invoice.order_id)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
        .where(split, *scope),
        _grouped(
            "invoice",
            Invoice.status,
            RequestLine.category,
            Invoice.rate,
            Invoice.paid_rate,
            total=InvoiceLine.total,
        )
        .select_from(InvoiceLine)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .join(OrderLine, OrderLine.id == InvoiceLine.order_line_id)
        .join(RequestLine, RequestLine.id == OrderLine.request_line_id)
        .join(PurchaseOrder, PurchaseOrder.id == Invoice.order_id)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
        .where(split, *scope),
    ]
    return sa.union_all(*selects)


def summed(
    requests: Iterable[int] | None = None, session: Session | None = None
) -> dict[Key, Amounts]:
    """The contributions of ``requests`` (None: all), per key, merged as they are kept
    (no rate frozen counts as rate 1, converting exactly as it)."""
    result: dict[Key, Amounts] = {}
    if requests is None:
        rows = (session or db.session).execute(contributions(False))
    else:
        some = contributions(True)
        rows = (session or db.session).execute(some, {"requests": sorted(requests)})
    for row in rows:
        key: Key = (
            row.department_id,
            row.fiscal_year,
            row.category,
            row.source,
            row.status,
            NO_RATE if row.rate is None else row.rate,
            NOT_PAID if row.paid_rate is None else row.paid_rate,
        )
        amounts = (row.total, row.received, row.paid)
        result[key] = plus(result.get(key), amounts)
    return result


def plus(into: Amounts | None, more: Amounts, sign: int = 1) -> Amounts:
    base = into or (ZERO, ZERO, ZERO)
    return (base[0] + sign * more[0], base[1] + sign * more[1], base[2] + sign * more[2])


def difference(before: dict[Key, Amounts], after: dict[Key, Amounts]) -> dict[Key, Amounts]:
    """What changed from ``before`` to ``after``, without the keys that did not."""
    result = {}
    for key in before.keys() | after.keys():
        moved = plus(after.get(key), before.get(key, (ZERO, ZERO, ZERO)), -1)
        if any(moved):
            result[key] = moved
    return result
