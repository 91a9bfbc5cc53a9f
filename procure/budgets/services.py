"""Budgets: amount per department and fiscal year (optionally per category), in the
base currency, and how a request stands against them. The figures themselves
(committed, spent, available) are ``figures.py``'s; the names are re-exported here for
the callers that read them (``budgets.figures(...)``, the spend report's statuses).

A request counts in the fiscal year in which it was submitted, at the rate frozen then.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import sqlalchemy as sa

from .. import access, audit, currencies, reference, workflow
from ..budget_contributions import DONE_ORDER_STATUSES, LIVE_ORDER_STATUSES
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import Budget, Department, PurchaseRequest, User
from ..money import MAX_AMOUNT, format_money
from ..reference import category_names, department_by_code
from ..validation import FieldErrors
from .figures import (
    ZERO,
    Figures,
    bar_rows,
    figures,
    figures_of,
    to_base,
)

__all__ = [
    "DONE_ORDER_STATUSES",
    "LIVE_ORDER_STATUSES",
    "BudgetCheck",
    "BudgetData",
    "BudgetPage",
    "Figures",
    "bar_rows",
    "budget_page",
    "check_request",
    "create",
    "figures",
    "figures_of",
    "get",
    "list_query",
    "may_manage",
    "may_open",
    "require",
    "set_amount",
]


def may_open(user: User) -> bool:
    return access.may(user, "open_budgets")


def may_manage(user: User) -> bool:
    """Whether ``user`` sets budgets and their amounts (finance)."""
    return access.may(user, "manage_budgets")


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


def _frozen_rate(pr: PurchaseRequest) -> Decimal | None:
    """The rate ``pr`` counts at when the caller gives none: its frozen one, 1 in the
    base currency, None for a foreign draft (not converted yet)."""
    if pr.rate is not None:
        return pr.rate
    return Decimal(1) if pr.currency == currencies.base() else None


def check_request(
    pr: PurchaseRequest, year: int | None = None, *, rate: Decimal | None = None
) -> BudgetCheck:
    """Would ``pr`` exceed what remains of its department's budgets, in the base
    currency? ``rate`` converts the request's amounts (the submit date's, at submit);
    without it the frozen one. A department with no budget for the year is not over
    budget, and a foreign draft without a rate cannot be checked yet (not over)."""
    year = year if year is not None else (pr.fiscal_year or reference.current_fiscal_year())
    rate = rate if rate is not None else _frozen_rate(pr)
    if rate is None:
        return BudgetCheck(False)
    per_category: dict[str, Decimal] = {}
    for line in pr.lines:
        per_category[line.category] = per_category.get(line.category, ZERO) + line.total
    base_per_category = {name: to_base(amount, rate) for name, amount in per_category.items()}
    return _check(pr, year, to_base(pr.total, rate), base_per_category)


def check_amount(
    pr: PurchaseRequest, amount_base: Decimal, per_category: dict[str, Decimal]
) -> BudgetCheck:
    """Would spending ``amount_base`` more on ``pr`` (an order's increase; per category
    in ``per_category``), both in the base currency, exceed what remains of its budgets?"""
    year = pr.fiscal_year or reference.current_fiscal_year()
    return _check(pr, year, amount_base, per_category)


def _check(
    pr: PurchaseRequest, year: int, total_base: Decimal, base_per_category: dict[str, Decimal]
) -> BudgetCheck:
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
    messages = []
    for budget in budgets:
        available = numbers[budget.id].available
        need = total_base if budget.category is None else base_per_category.get(budget.category)
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
    currency = currencies.base()
    if data.currency and data.currency.strip().upper() != currency:
        errors.add("currency", f"Budgets are in the base currency, {currency}.")
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
        currency=currencies.base(),
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
