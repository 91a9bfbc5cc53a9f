"""A budget's figures, in the base currency, from the sums kept per budget key
(``budget_sums.py``: what the documents' current states add up to, written in their
own transaction; ``verify-totals`` recomputes them from the documents):

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
rounded half-up once to the base currency's minor units. The sums are kept per
frozen rate (a document's currency amounts summed, then converted once per rate), so
base-currency documents (rate 1) count exactly as they always did, and a foreign order
converts what it received at the same rate as its total. A request or order counts in
the fiscal year in which its request was submitted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import Decimal

from .. import budget_sums
from ..budget_contributions import DONE_ORDER_STATUSES, Amounts, Key
from ..models import (
    Budget,
    InvoiceStatus,
)
from ..money import round_money

ZERO = Decimal("0.00")
ONE = Decimal(1)


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


def _add(into: dict, key: tuple, total: Decimal, received: Decimal, done: bool) -> None:
    committed, spent = into.get(key, (ZERO, ZERO))
    if done:
        into[key] = (committed, spent + total)
    else:
        into[key] = (committed + total - received, spent + received)


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


@dataclasses.dataclass
class _Sums:
    """The budget keys' figures from their kept rows, converted per group as the
    module says: ``requests`` (approved estimates), ``orders`` (committed, spent) and
    ``invoices``, each per (department, year) or (department, year, category)."""

    requests: dict = dataclasses.field(default_factory=dict)
    orders: dict = dataclasses.field(default_factory=dict)
    invoices: dict = dataclasses.field(default_factory=dict)

    def add(self, kept_key: Key, amounts: Amounts) -> None:
        department, year, category, source, status, rate, paid_rate = kept_key
        total, received, paid = amounts
        key: tuple = (department, year, category) if category else (department, year)
        # A whole's totals are the documents' frozen base totals; a category's lines
        # and what an order received are in its currency.
        base = to_base(total, rate) if category else total
        if source == "request":
            self.requests[key] = self.requests.get(key, ZERO) + base
        elif source == "order":
            done = status in DONE_ORDER_STATUSES
            _add(self.orders, key, base, to_base(received, rate), done)
        else:
            # A category's lines are paid at the payment day's rate (``base`` is booked
            # at the order's); a whole keeps what its invoices were paid.
            paid_base = to_base(total, paid_rate or rate) if category else paid
            self.invoices[key] = self.invoices.get(key, _Invoiced()).plus(
                InvoiceStatus(status), base, paid_base
            )


def figures(budgets: Iterable[Budget]) -> dict[int, Figures]:
    """The figures of many budgets at once, in a fixed number of queries."""
    budgets = list(budgets)
    if not budgets:
        return {}
    sums = _Sums()
    departments = {b.department_id for b in budgets}
    years = {b.fiscal_year for b in budgets}
    wanted = Wanted.of(budgets)
    kept = budget_sums.read(departments, years, wanted.departments, wanted.categories)
    for key, amounts in kept:
        sums.add(key, amounts)
    result = {}
    for budget in budgets:
        key: tuple = (budget.department_id, budget.fiscal_year)
        if budget.category is not None:
            key += (budget.category,)
        ordered = sums.orders.get(key, (ZERO, ZERO))
        invoiced = sums.invoices.get(key, _Invoiced())
        result[budget.id] = Figures(
            amount=budget.amount,
            committed=sums.requests.get(key, ZERO) + ordered[0],
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
