"""Budgets: amount per department and fiscal year (optionally per category), and the
figures computed from the documents' current states — never running totals:

- committed = approved requests not yet ordered (their estimate), plus issued orders
  not yet received (the order's total, which replaces the request's estimate);
- spent = what has been received;
- available = amount − committed − spent, negative when overspent (never clamped).

:attr:`Figures.available` is the one computation of what remains: the budget page,
the finance dashboard, the API and a request's budget check all read it.

A request counts in the fiscal year in which it was submitted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app

from .. import access, audit, reference, workflow
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import (
    Budget,
    Department,
    OrderLine,
    OrderStatus,
    PurchaseOrder,
    PurchaseRequest,
    Receipt,
    ReceiptLine,
    RequestLine,
    RequestStatus,
    User,
)
from ..money import MAX_AMOUNT, format_money
from ..reference import category_names, department_by_code
from ..validation import FieldErrors

ZERO = Decimal("0.00")
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

    @property
    def available(self) -> Decimal:
        return self.amount - self.committed - self.spent

    def share(self, part: Decimal) -> float:
        """``part`` as a fraction of the amount, for bars (0..1, over 1 when overspent)."""
        return float(part / self.amount) if self.amount else 0.0


def may_open(user: User) -> bool:
    return access.may(user, "open_budgets")


def may_manage(user: User) -> bool:
    """Whether ``user`` sets budgets and their amounts (finance)."""
    return access.may(user, "manage_budgets")


# Figures -----------------------------------------------------------------------------


def _committed_requests(departments: set[int], years: set[int]) -> tuple[dict, dict]:
    """Estimates of approved requests, per (department, year) and per category."""
    base = (
        PurchaseRequest.status == RequestStatus.APPROVED,
        PurchaseRequest.department_id.in_(departments),
        PurchaseRequest.fiscal_year.in_(years),
    )
    whole = {
        (dept, year): total
        for dept, year, total in db.session.execute(
            sa.select(
                PurchaseRequest.department_id,
                PurchaseRequest.fiscal_year,
                sa.func.sum(PurchaseRequest.total),
            )
            .where(*base)
            .group_by(PurchaseRequest.department_id, PurchaseRequest.fiscal_year)
        )
    }
    by_category = {
        (dept, year, category): total
        for dept, year, category, total in db.session.execute(
            sa.select(
                PurchaseRequest.department_id,
                PurchaseRequest.fiscal_year,
                RequestLine.category,
                sa.func.sum(RequestLine.total),
            )
            .join(RequestLine, RequestLine.request_id == PurchaseRequest.id)
            .where(*base)
            .group_by(
                PurchaseRequest.department_id, PurchaseRequest.fiscal_year, RequestLine.category
            )
        )
    }
    return whole, by_category


def _money(value: Decimal | None) -> Decimal:
    """A SUM over a money column keeps the column's type: Decimal, or None for no rows."""
    return ZERO if value is None else value


def _orders(departments: set[int], years: set[int]) -> tuple[dict, dict]:
    """Committed and spent from purchase orders, per (department, year) and per
    category. An order not yet fully received commits its total less what has been
    received, which is spent; a received (or closed) order has spent its total,
    shipping and tax included. Category budgets count the lines of their category."""
    live = LIVE_ORDER_STATUSES
    done = set(DONE_ORDER_STATUSES)
    scope = (
        PurchaseOrder.status.in_(live),
        PurchaseRequest.department_id.in_(departments),
        PurchaseRequest.fiscal_year.in_(years),
    )
    # What has been received, summed for the orders in scope only: summing every
    # receipt ever made took seconds at a million requests.
    in_scope = (
        sa.select(PurchaseOrder.id)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
        .where(*scope)
    )
    per_order = (
        sa.select(Receipt.order_id, sa.func.sum(ReceiptLine.value).label("value"))
        .join(ReceiptLine, ReceiptLine.receipt_id == Receipt.id)
        .where(Receipt.order_id.in_(in_scope))
        .group_by(Receipt.order_id)
        .subquery()
    )
    per_line = (
        sa.select(ReceiptLine.order_line_id, sa.func.sum(ReceiptLine.value).label("value"))
        .join(Receipt, Receipt.id == ReceiptLine.receipt_id)
        .where(Receipt.order_id.in_(in_scope))
        .group_by(ReceiptLine.order_line_id)
        .subquery()
    )
    whole: dict = {}
    for dept, year, status, total, received in db.session.execute(
        sa.select(
            PurchaseRequest.department_id,
            PurchaseRequest.fiscal_year,
            PurchaseOrder.status,
            sa.func.sum(PurchaseOrder.total),
            sa.func.sum(sa.func.coalesce(per_order.c.value, 0)),
        )
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
        .outerjoin(per_order, per_order.c.order_id == PurchaseOrder.id)
        .where(*scope)
        .group_by(PurchaseRequest.department_id, PurchaseRequest.fiscal_year, PurchaseOrder.status)
    ):
        _add(whole, (dept, year), _money(total), _money(received), status in done)
    by_category: dict = {}
    for dept, year, category, status, total, received in db.session.execute(
        sa.select(
            PurchaseRequest.department_id,
            PurchaseRequest.fiscal_year,
            RequestLine.category,
            PurchaseOrder.status,
            sa.func.sum(OrderLine.total),
            sa.func.sum(sa.func.coalesce(per_line.c.value, 0)),
        )
        .select_from(OrderLine)
        .join(PurchaseOrder, PurchaseOrder.id == OrderLine.order_id)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
        .join(RequestLine, RequestLine.id == OrderLine.request_line_id)
        .outerjoin(per_line, per_line.c.order_line_id == OrderLine.id)
        .where(*scope)
        .group_by(
            PurchaseRequest.department_id,
            PurchaseRequest.fiscal_year,
            RequestLine.category,
            PurchaseOrder.status,
        )
    ):
        _add(by_category, (dept, year, category), _money(total), _money(received), status in done)
    return whole, by_category


def _add(into: dict, key: tuple, total: Decimal, received: Decimal, done: bool) -> None:
    committed, spent = into.get(key, (ZERO, ZERO))
    if done:
        into[key] = (committed, spent + total)
    else:
        into[key] = (committed + total - received, spent + received)


def figures(budgets: Iterable[Budget]) -> dict[int, Figures]:
    """The figures of many budgets at once, in a fixed number of queries."""
    budgets = list(budgets)
    if not budgets:
        return {}
    departments = {b.department_id for b in budgets}
    years = {b.fiscal_year for b in budgets}
    whole, by_category = _committed_requests(departments, years)
    ordered_whole, ordered_by_category = _orders(departments, years)
    result = {}
    for budget in budgets:
        if budget.category is None:
            key: tuple = (budget.department_id, budget.fiscal_year)
            estimate = whole.get(key)
            ordered = ordered_whole.get(key, (ZERO, ZERO))
        else:
            key = (budget.department_id, budget.fiscal_year, budget.category)
            estimate = by_category.get(key)
            ordered = ordered_by_category.get(key, (ZERO, ZERO))
        result[budget.id] = Figures(
            amount=budget.amount, committed=_money(estimate) + ordered[0], spent=ordered[1]
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


@dataclasses.dataclass(frozen=True)
class BudgetPage:
    year: int
    rows: list[dict]  # bar_rows() of the budgets of the year the user may see
    years: range  # the fiscal years the page links to
    may_manage: bool


def budget_page(user: User, year: int) -> BudgetPage:
    """What the budget page shows of fiscal ``year`` to ``user``."""
    return BudgetPage(
        year=year,
        rows=bar_rows(db.session.scalars(list_query(user, fiscal_year=year))),
        years=range(year - 2, year + 3),
        may_manage=may_manage(user),
    )


# The check at submission -------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BudgetCheck:
    over: bool
    messages: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        return "; ".join(self.messages)


def check_request(pr: PurchaseRequest, year: int | None = None) -> BudgetCheck:
    """Would ``pr`` exceed what remains of its department's budgets? A department
    with no budget for the year is not over budget."""
    year = year if year is not None else (pr.fiscal_year or reference.current_fiscal_year())
    budgets = list(
        db.session.scalars(
            sa.select(Budget).where(
                Budget.department_id == pr.department_id, Budget.fiscal_year == year
            )
        )
    )
    if not budgets:
        return BudgetCheck(False)
    numbers = figures(budgets)
    per_category: dict[str, Decimal] = {}
    for line in pr.lines:
        per_category[line.category] = per_category.get(line.category, ZERO) + line.total
    messages = []
    for budget in budgets:
        available = numbers[budget.id].available
        need = pr.total if budget.category is None else per_category.get(budget.category)
        if need is None or need <= available:
            continue
        scope = (
            f"{pr.department.code}'s {year} budget"
            if budget.category is None
            else f"{pr.department.code}'s {year} {budget.category} budget"
        )
        # The figure the budget page, the dashboard and the API show: negative when
        # the budget is overspent already, never clamped to zero.
        messages.append(
            f"it exceeds {scope}: {format_money(available, budget.currency)} "
            f"available, {format_money(need, budget.currency)} requested"
        )
    return BudgetCheck(bool(messages), tuple(messages))


# Managing budgets --------------------------------------------------------------------


@dataclasses.dataclass
class BudgetData:
    department: str
    fiscal_year: int
    amount: Decimal
    category: str | None = None
    currency: str | None = None


def _validate(data: BudgetData) -> Department:
    errors = FieldErrors()
    department = department_by_code(data.department or "")
    if department is None:
        errors.add("department", f"There is no department {data.department!r}.")
    if not 2000 <= data.fiscal_year <= 2999:
        errors.add("fiscal_year", "Give a fiscal year between 2000 and 2999.")
    if data.amount is None or data.amount < 0:
        errors.add("amount", "The amount must not be negative.")
    elif data.amount > MAX_AMOUNT:
        errors.add("amount", "The amount is larger than Procure accepts.")
    currency = current_app.config["PROCURE_CURRENCY"]
    if data.currency and data.currency.strip().upper() != currency:
        errors.add("currency", f"This installation works in {currency} only.")
    if data.category and data.category not in category_names(active_only=False):
        errors.add("category", f"There is no category {data.category!r}.")
    if not errors:
        duplicate = sa.select(Budget.id).where(
            Budget.department_id == department.id,
            Budget.fiscal_year == data.fiscal_year,
            Budget.category.is_(None) if not data.category else Budget.category == data.category,
        )
        if db.session.scalar(duplicate) is not None:
            what = f"{data.category} budget" if data.category else "budget"
            errors.add(
                "fiscal_year",
                f"{department.code} has a {what} for {data.fiscal_year} already; change its "
                "amount instead.",
            )
    errors.raise_if_any()
    return department


def create(data: BudgetData, *, actor: User | None) -> Budget:
    if actor is not None:
        access.require(actor, "manage_budgets", action="manage budgets")
    department = _validate(data)
    budget = Budget(
        department=department,
        fiscal_year=data.fiscal_year,
        category=data.category or None,
        amount=data.amount,
        currency=current_app.config["PROCURE_CURRENCY"],
    )
    db.session.add(budget)
    db.session.flush()
    audit.record(
        "budget",
        budget.id,
        "create",
        actor=actor,
        changes={
            "department": department.code,
            "fiscal_year": budget.fiscal_year,
            "category": budget.category,
            "amount": str(budget.amount),
        },
    )
    return budget


def set_amount(
    budget: Budget, amount: Decimal, *, actor: User, expected_version: int | None = None
) -> None:
    access.require(actor, "manage_budgets", action="manage budgets")
    if amount is None or amount < 0:
        raise ValidationError.field("amount", "The amount must not be negative.")
    if amount > MAX_AMOUNT:
        raise ValidationError.field("amount", "The amount is larger than Procure accepts.")
    workflow.check_version(budget, expected_version, "budget")
    if amount != budget.amount:
        changes = {"amount": [str(budget.amount), str(amount)]}
        budget.amount = amount
        db.session.flush()
        audit.record("budget", budget.id, "update", actor=actor, changes=changes)


def get(budget_id: int, user: User) -> Budget:
    return access.load(Budget, budget_id, user)


def list_query(
    user: User, *, department: str | None = None, fiscal_year: int | None = None
) -> sa.Select:
    query = access.scoped(Budget, user, sa.select(Budget).join(Department))
    if department:
        query = query.where(Department.code == department.strip().upper())
    if fiscal_year:
        query = query.where(Budget.fiscal_year == fiscal_year)
    return query.order_by(
        Budget.fiscal_year.desc(), Department.code, Budget.category.is_not(None), Budget.category
    )


def require(budget_id: int) -> Budget:
    budget = db.session.get(Budget, budget_id)
    if budget is None:
        raise NotFound("No such budget.")
    return budget
