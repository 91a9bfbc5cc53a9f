"""Budgets through the API (API.md, "Budgets")."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from ..budgets import services
from ..extensions import db
from ..models import Budget
from . import bp
from .schemas import Input, Money, MoneyOut, Output, Page, PageQuery, Timestamp
from .spec import current_user, operation

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class BudgetIn(Input):
    department: Code = Field(description="Department code.")
    fiscal_year: int = Field(ge=2000, le=2999)
    amount: Money
    currency: Annotated[str, StringConstraints(max_length=3)] | None = None
    category: Code | None = Field(None, description="A category name; none: the whole department.")


class BudgetPatch(Input):
    amount: Money
    version: int | None = None


class BudgetOut(Output):
    id: int
    department: str
    fiscal_year: int
    category: str | None
    currency: str
    amount: MoneyOut
    committed: MoneyOut
    spent: MoneyOut
    invoiced: MoneyOut = Field(
        description="Approved invoices not yet paid, at the order's frozen rate: a part of "
        "`spent`, not subtracted again."
    )
    paid: MoneyOut = Field(
        description="Paid invoices at the order's frozen rate (credit notes negative): a "
        "part of `spent`, not subtracted again."
    )
    available: MoneyOut
    exchange_difference: MoneyOut = Field(
        description="What paying foreign invoices at the payment day's rate cost beyond "
        "their booked base amount (negative: less). Not part of spend or of `available`."
    )
    version: int
    updated_at: Timestamp


class BudgetQuery(PageQuery):
    department: Annotated[str, StringConstraints(max_length=20)] | None = None
    fiscal_year: int | None = Field(None, ge=2000, le=2999)


def budget_out(budget: Budget, figures: services.Figures | None = None) -> BudgetOut:
    figures = figures or services.figures_of(budget)
    return BudgetOut(
        id=budget.id,
        department=budget.department.code,
        fiscal_year=budget.fiscal_year,
        category=budget.category,
        currency=budget.currency,
        amount=figures.amount,
        committed=figures.committed,
        spent=figures.spent,
        invoiced=figures.invoiced,
        paid=figures.paid,
        available=figures.available,
        exchange_difference=figures.exchange_difference,
        version=budget.version,
        updated_at=budget.updated_at,
    )


@operation(
    bp,
    "POST",
    "/budgets",
    body=BudgetIn,
    response=BudgetOut,
    status=201,
    summary="Set a department's budget for a fiscal year (finance)",
    tag="Budgets",
    errors=(403,),
)
def create_budget(body: BudgetIn):
    """One budget per department, fiscal year and category (no category: the whole
    department). A second one for the same three is a 422 on `fiscal_year`: change the
    existing budget's amount instead. The amount is in the installation's currency."""
    budget = services.create(
        services.BudgetData(
            department=body.department,
            fiscal_year=body.fiscal_year,
            amount=body.amount,
            category=body.category,
            currency=body.currency,
        ),
        actor=current_user(),
    )
    return budget_out(budget)


@operation(
    bp,
    "GET",
    "/budgets",
    query=BudgetQuery,
    response=Page[BudgetOut],
    summary="Budgets with committed, spent and available",
    tag="Budgets",
)
def list_budgets(query: BudgetQuery):
    """Finance and admin see every budget; approvers their department's; others none."""
    select = services.list_query(
        current_user(), department=query.department, fiscal_year=query.fiscal_year
    )
    total = (
        db.session.scalar(db.select(db.func.count()).select_from(select.order_by(None).subquery()))
        or 0
    )
    rows = list(
        db.session.scalars(select.limit(query.per_page).offset((query.page - 1) * query.per_page))
    )
    numbers = services.figures(rows)
    return {
        "items": [budget_out(row, numbers[row.id]) for row in rows],
        "page": query.page,
        "per_page": query.per_page,
        "total": total,
    }


@operation(
    bp,
    "GET",
    "/budgets/<int:budget_id>",
    response=BudgetOut,
    summary="Read a budget",
    tag="Budgets",
)
def get_budget(budget_id: int):
    """The amount, what is committed (approved requests not yet ordered, issued orders
    not yet received), what is spent (received) and what remains available (negative when
    overspent). `invoiced` (approved, unpaid) and `paid` split what is spent and are not
    subtracted again; `exchange_difference` stands apart. A budget the caller may not see
    is a 404."""
    return budget_out(services.get(budget_id, current_user()))


@operation(
    bp,
    "PATCH",
    "/budgets/<int:budget_id>",
    body=BudgetPatch,
    response=BudgetOut,
    summary="Change a budget's amount (finance)",
    tag="Budgets",
    errors=(403, 409),
)
def patch_budget(budget_id: int, body: BudgetPatch):
    """Only the amount changes; the change is audited. Send the `version` you read: a budget
    changed since answers 409 `conflict`."""
    budget = services.get(budget_id, current_user())
    services.set_amount(budget, body.amount, actor=current_user(), expected_version=body.version)
    return budget_out(budget)
