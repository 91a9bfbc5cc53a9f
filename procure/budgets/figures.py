"""A budget's figures, in the base currency, computed from the documents' current
states — never running totals but those kept beside the documents in their own
transaction (what an order and its lines have received, ``procure/totals.py``):

- committed = approved requests not yet ordered (their estimate at the rate frozen at
  submit, ``total_base``), plus issued orders not yet received (the order's
  ``total_base``, frozen at issue, which replaces the request's estimate);
- spent = what has been received, at the order's frozen rate;
- available = amount − committed − spent, negative when overspent (never clamped);
- invoiced (approved, not yet paid) and paid: the vendors' invoices at their base
  total (the order's frozen rate; credit notes negative). They are *parts* of spent,
  answered beside it and never subtracted again; an invoice of a two-way line
  (services, licences) may run ahead of what was received;
- exchange difference: what paying foreign invoices at the payment day's rate cost
  beyond their base total (``Invoice.paid_base − Invoice.total_base``): its own figure,
  never in spent or available.

:attr:`Figures.available` is the one computation of what remains: the budget page,
the finance dashboard, the API and a request's budget check all read it.

Conversion (``rates.py``): an amount in a document's currency times its frozen rate,
rounded half-up once to the base currency's minor units. The sums are taken in SQL per
frozen rate (a document's currency amounts summed, then converted once per rate), so
base-currency documents (rate 1) count exactly as they always did, and a foreign order
converts what it received at the same rate as its total. A request or order counts in
the fiscal year in which its request was submitted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import Decimal

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    Budget,
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
from ..money import round_money

ZERO = Decimal("0.00")
ONE = Decimal(1)
# Orders that count at all (issued onwards, not cancelled), and those whose whole total
# is spent (delivered); the spend report counts by the same two lists.
LIVE_ORDER_STATUSES = (
    OrderStatus.ISSUED,
    OrderStatus.PARTIALLY_RECEIVED,
    OrderStatus.RECEIVED,
    OrderStatus.CLOSED,
)
DONE_ORDER_STATUSES = (OrderStatus.RECEIVED, OrderStatus.CLOSED)


@dataclasses.dataclass(frozen=True)
class Figures:
    amount: Decimal
    committed: Decimal
    spent: Decimal
    invoiced: Decimal = ZERO  # approved invoices, not yet paid: a part of spent
    paid: Decimal = ZERO  # paid invoices: a part of spent
    exchange_difference: Decimal = ZERO  # paid at another rate: not part of spend

    @property
    def available(self) -> Decimal:
        return self.amount - self.committed - self.spent

    @property
    def not_invoiced(self) -> Decimal:
        """Received, not yet on an approved or paid invoice (zero when the invoices run
        ahead of the receipts)."""
        return max(self.spent - self.invoiced - self.paid, ZERO)

    @property
    def invoiced_ahead(self) -> Decimal:
        """Invoiced (approved or paid) beyond what has been received: two-way lines,
        billed against what was ordered, or a hold released before delivery."""
        return max(self.invoiced + self.paid - self.spent, ZERO)

    def share(self, part: Decimal) -> float:
        """``part`` as a fraction of the amount, for bars (0..1, over 1 when overspent)."""
        return float(part / self.amount) if self.amount else 0.0


def _money(value: Decimal | None) -> Decimal:
    """A SUM over a money column keeps the column's type: Decimal, or None for no rows."""
    return ZERO if value is None else value


def to_base(amount: Decimal | None, rate: Decimal | None) -> Decimal:
    """``amount`` of a document's currency in the base currency at its frozen ``rate``
    (``rates.to_base``'s rule: multiply, round half-up once). A document from before
    currencies (no rate) is in the base currency."""
    amount = _money(amount)
    if rate is None or rate == ONE:
        return amount
    return round_money(amount * rate)


@dataclasses.dataclass(frozen=True)
class Wanted:
    """The category budgets asked for: only their departments' lines of their
    categories are read per category (reading every line of the year's orders and
    invoices to keep a few dozen budgets' was most of the page at a million requests)."""

    departments: frozenset[int] = frozenset()
    categories: frozenset[str] = frozenset()

    @classmethod
    def of(cls, budgets: list[Budget]) -> Wanted:
        chosen = [b for b in budgets if b.category is not None]
        return cls(
            frozenset(b.department_id for b in chosen),
            frozenset(b.category for b in chosen if b.category is not None),
        )

    def lines(self, category: sa.ColumnElement) -> tuple[sa.ColumnElement[bool], ...]:
        return (
            PurchaseRequest.department_id.in_(self.departments),
            category.in_(self.categories),
        )


def _committed_requests(
    departments: set[int], years: set[int], wanted: Wanted
) -> tuple[dict, dict]:
    """Base estimates of approved requests, per (department, year) and per category.
    The whole is the frozen ``total_base``; a category's share is its lines' total
    converted at the request's frozen rate (per rate, as the module says)."""
    scope = (
        PurchaseRequest.status == RequestStatus.APPROVED,
        PurchaseRequest.department_id.in_(departments),
        PurchaseRequest.fiscal_year.in_(years),
    )
    whole: dict = {}
    for dept, year, total in db.session.execute(
        sa.select(
            PurchaseRequest.department_id,
            PurchaseRequest.fiscal_year,
            sa.func.sum(sa.func.coalesce(PurchaseRequest.total_base, PurchaseRequest.total)),
        )
        .where(*scope)
        .group_by(PurchaseRequest.department_id, PurchaseRequest.fiscal_year)
    ):
        whole[(dept, year)] = _money(total)
    by_category: dict = {}
    if not wanted.categories:
        return whole, by_category
    for dept, year, category, rate, total in db.session.execute(
        sa.select(
            PurchaseRequest.department_id,
            PurchaseRequest.fiscal_year,
            RequestLine.category,
            PurchaseRequest.rate,
            sa.func.sum(RequestLine.total),
        )
        .join(RequestLine, RequestLine.request_id == PurchaseRequest.id)
        .where(*scope, *wanted.lines(RequestLine.category))
        .group_by(
            PurchaseRequest.department_id,
            PurchaseRequest.fiscal_year,
            RequestLine.category,
            PurchaseRequest.rate,
        )
    ):
        key = (dept, year, category)
        by_category[key] = by_category.get(key, ZERO) + to_base(total, rate)
    return whole, by_category


def _orders(departments: set[int], years: set[int], wanted: Wanted) -> tuple[dict, dict]:
    """Committed and spent from purchase orders, per (department, year) and per
    category, in the base currency. An order not yet fully received commits its base
    total less what has been received, which is spent (at the order's frozen rate); a
    received (or closed) order has spent its base total, shipping and tax included.
    Category budgets count the lines of their category. What is received, net of
    reversals and returns, is kept on the order and its lines (``totals.moved``):
    summing the receipts of the orders in scope took seconds at a million requests."""
    scope = (
        PurchaseOrder.status.in_(LIVE_ORDER_STATUSES),
        PurchaseRequest.department_id.in_(departments),
        PurchaseRequest.fiscal_year.in_(years),
    )
    done = set(DONE_ORDER_STATUSES)
    whole: dict = {}
    for dept, year, status, rate, total, received in db.session.execute(
        sa.select(
            PurchaseRequest.department_id,
            PurchaseRequest.fiscal_year,
            PurchaseOrder.status,
            PurchaseOrder.rate,
            sa.func.sum(sa.func.coalesce(PurchaseOrder.total_base, PurchaseOrder.total)),
            sa.func.sum(PurchaseOrder.received_value),
        )
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
        .where(*scope)
        .group_by(
            PurchaseRequest.department_id,
            PurchaseRequest.fiscal_year,
            PurchaseOrder.status,
            PurchaseOrder.rate,
        )
    ):
        _add(whole, (dept, year), _money(total), to_base(received, rate), status in done)
    by_category: dict = {}
    if not wanted.categories:
        return whole, by_category
    for dept, year, category, status, rate, total, received in db.session.execute(
        sa.select(
            PurchaseRequest.department_id,
            PurchaseRequest.fiscal_year,
            RequestLine.category,
            PurchaseOrder.status,
            PurchaseOrder.rate,
            sa.func.sum(OrderLine.total),
            sa.func.sum(OrderLine.received_value),
        )
        .select_from(OrderLine)
        .join(PurchaseOrder, PurchaseOrder.id == OrderLine.order_id)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
        .join(RequestLine, RequestLine.id == OrderLine.request_line_id)
        .where(*scope, *wanted.lines(RequestLine.category))
        .group_by(
            PurchaseRequest.department_id,
            PurchaseRequest.fiscal_year,
            RequestLine.category,
            PurchaseOrder.status,
            PurchaseOrder.rate,
        )
    ):
        key = (dept, year, category)
        _add(by_category, key, to_base(total, rate), to_base(received, rate), status in done)
    return whole, by_category


def _add(into: dict, key: tuple, total: Decimal, received: Decimal, done: bool) -> None:
    committed, spent = into.get(key, (ZERO, ZERO))
    if done:
        into[key] = (committed, spent + total)
    else:
        into[key] = (committed + total - received, spent + received)


# Invoices that split what is spent: approved (to pay) and paid.
INVOICE_SPLIT = (InvoiceStatus.APPROVED, InvoiceStatus.PAID)


@dataclasses.dataclass(frozen=True)
class _Invoiced:
    invoiced: Decimal = ZERO
    paid: Decimal = ZERO
    exchange_difference: Decimal = ZERO

    def plus(self, status: InvoiceStatus, booked: Decimal, paid_base: Decimal) -> _Invoiced:
        if status == InvoiceStatus.APPROVED:
            return dataclasses.replace(self, invoiced=self.invoiced + booked)
        return _Invoiced(
            self.invoiced,
            self.paid + booked,
            self.exchange_difference + (paid_base - booked),
        )


def _invoices(departments: set[int], years: set[int], wanted: Wanted) -> tuple[dict, dict]:
    """Invoiced (approved), paid and the exchange difference, per (department, year)
    and per category, in the base currency. The whole counts each invoice's frozen
    ``total_base`` (shipping and tax included) and, once paid, its ``paid_base``; a
    category counts its invoice lines, converted per rate pair (booked at the order's
    rate, paid at the payment day's), as the orders' lines are."""
    scope = (
        Invoice.status.in_(INVOICE_SPLIT),
        PurchaseRequest.department_id.in_(departments),
        PurchaseRequest.fiscal_year.in_(years),
    )
    # The orders in scope first: found by their requests' department, where reading
    # every paid invoice of five years to keep one year's took most of the time.
    in_scope = (
        sa.select(PurchaseOrder.id)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
        .where(
            PurchaseRequest.department_id.in_(departments),
            PurchaseRequest.fiscal_year.in_(years),
        )
    )
    whole: dict = {}
    for dept, year, status, booked, paid_base in db.session.execute(
        sa.select(
            PurchaseRequest.department_id,
            PurchaseRequest.fiscal_year,
            Invoice.status,
            sa.func.sum(sa.func.coalesce(Invoice.total_base, Invoice.total)),
            sa.func.sum(sa.func.coalesce(Invoice.paid_base, Invoice.total_base, Invoice.total)),
        )
        .join(PurchaseOrder, PurchaseOrder.id == Invoice.order_id)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
        .where(*scope)
        .group_by(PurchaseRequest.department_id, PurchaseRequest.fiscal_year, Invoice.status)
    ):
        key = (dept, year)
        whole[key] = whole.get(key, _Invoiced()).plus(status, _money(booked), _money(paid_base))
    by_category: dict = {}
    if not wanted.categories:
        return whole, by_category
    for dept, year, category, status, rate, paid_rate, amount in db.session.execute(
        sa.select(
            PurchaseRequest.department_id,
            PurchaseRequest.fiscal_year,
            RequestLine.category,
            Invoice.status,
            Invoice.rate,
            Invoice.paid_rate,
            sa.func.sum(InvoiceLine.total),
        )
        .select_from(InvoiceLine)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .join(OrderLine, OrderLine.id == InvoiceLine.order_line_id)
        .join(RequestLine, RequestLine.id == OrderLine.request_line_id)
        .join(PurchaseOrder, PurchaseOrder.id == Invoice.order_id)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
        .where(*scope, *wanted.lines(RequestLine.category), Invoice.order_id.in_(in_scope))
        .group_by(
            PurchaseRequest.department_id,
            PurchaseRequest.fiscal_year,
            RequestLine.category,
            Invoice.status,
            Invoice.rate,
            Invoice.paid_rate,
        )
    ):
        key = (dept, year, category)
        booked = to_base(amount, rate)
        paid_base = to_base(amount, paid_rate if paid_rate is not None else rate)
        by_category[key] = by_category.get(key, _Invoiced()).plus(status, booked, paid_base)
    return whole, by_category


def figures(budgets: Iterable[Budget]) -> dict[int, Figures]:
    """The figures of many budgets at once, in a fixed number of queries."""
    budgets = list(budgets)
    if not budgets:
        return {}
    departments = {b.department_id for b in budgets}
    years = {b.fiscal_year for b in budgets}
    wanted = Wanted.of(budgets)
    whole, by_category = _committed_requests(departments, years, wanted)
    ordered_whole, ordered_by_category = _orders(departments, years, wanted)
    invoiced_whole, invoiced_by_category = _invoices(departments, years, wanted)
    result = {}
    for budget in budgets:
        if budget.category is None:
            key: tuple = (budget.department_id, budget.fiscal_year)
            estimate = whole.get(key)
            ordered = ordered_whole.get(key, (ZERO, ZERO))
            invoiced = invoiced_whole.get(key, _Invoiced())
        else:
            key = (budget.department_id, budget.fiscal_year, budget.category)
            estimate = by_category.get(key)
            ordered = ordered_by_category.get(key, (ZERO, ZERO))
            invoiced = invoiced_by_category.get(key, _Invoiced())
        result[budget.id] = Figures(
            amount=budget.amount,
            committed=_money(estimate) + ordered[0],
            spent=ordered[1],
            invoiced=invoiced.invoiced,
            paid=invoiced.paid,
            exchange_difference=invoiced.exchange_difference,
        )
    return result


def bar_rows(budgets: Iterable[Budget]) -> list[dict]:
    """Each budget with its figures and the shares of its bar (spent, committed,
    available, in per cent of the amount), for the budget page and the dashboard."""
    budgets = list(budgets)
    numbers = figures(budgets)
    rows = []
    for budget in budgets:
        figure = numbers[budget.id]
        spent = min(figure.share(figure.spent), 1.0)
        committed = min(figure.share(figure.committed), 1.0 - spent)
        rows.append(
            {
                "budget": budget,
                "figures": figure,
                "spent_pct": round(spent * 100, 2),
                "committed_pct": round(committed * 100, 2),
                "available_pct": round(max(0.0, 1.0 - spent - committed) * 100, 2),
                "overspent": figure.available < 0,
            }
        )
    return rows


def figures_of(budget: Budget) -> Figures:
    return figures([budget])[budget.id]
