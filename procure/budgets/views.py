from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from .. import reference, web
from ..errors import Forbidden, ValidationError
from ..forms import submitted_version
from ..money import MoneyError, format_money, parse_money
from ..reference import list_categories, list_departments
from . import bp, services
from .forms import AmountForm, BudgetForm, YearForm


@bp.before_request
@login_required
def _who_may_look():
    if not services.may_open(current_user):
        raise Forbidden("Budgets are for finance, admin and department approvers.")


def _budget_form(year: int, form: BudgetForm | None = None) -> BudgetForm:
    form = form or BudgetForm(fiscal_year=year)
    form.department.choices = [
        SelectChoice(d.code, f"{d.code} — {d.name}") for d in list_departments()
    ]
    form.category.choices = [SelectChoice("", "Whole department")] + [
        SelectChoice(c.name, c.label) for c in list_categories(active_only=True)
    ]
    return form


def _render(year: int, form: BudgetForm | None = None, status: int = 200):
    page = services.budget_page(current_user, year)
    return render_template(
        "budgets/index.html",
        year=page.year,
        rows=page.rows,
        may_manage=page.may_manage,
        form=_budget_form(year, form) if page.may_manage else None,
        amount_form=AmountForm(),
        years=page.years,
    ), status


@bp.get("/")
def index():
    filters = YearForm(request.args)
    year = (
        filters.year.data
        if filters.validate() and filters.year.data
        else reference.current_fiscal_year()
    )
    return _render(year)


@bp.post("/")
def create():
    form = _budget_form(reference.current_fiscal_year(), BudgetForm())
    if form.validate():
        try:
            amount = parse_money(form.amount.data)
        except MoneyError as exc:
            form.amount.errors.append(f"The amount {exc}.")
        else:
            with web.form_errors(form) as outcome:
                budget = services.create(
                    services.BudgetData(
                        department=form.department.data,
                        fiscal_year=form.fiscal_year.data,
                        amount=amount,
                        category=form.category.data or None,
                    ),
                    actor=current_user,
                )
            if outcome.ok:
                flash(
                    f"The {budget.fiscal_year} budget of {budget.department.code} is set: "
                    f"{format_money(budget.amount, budget.currency)}.",
                    "success",
                )
                return redirect(url_for(".index", year=budget.fiscal_year))
    return _render(form.fiscal_year.data or reference.current_fiscal_year(), form, 422)


@bp.post("/<int:budget_id>/amount")
def set_amount(budget_id: int):
    budget = services.get(budget_id, current_user)
    form = AmountForm()
    if form.validate():
        try:
            amount = parse_money(form.amount.data)
        except MoneyError as exc:
            raise ValidationError.field("amount", f"The amount {exc}.") from None
        version = submitted_version(form)
        services.set_amount(budget, amount, actor=current_user, expected_version=version)
        flash(
            f"The budget of {budget.department.code} is now "
            f"{format_money(budget.amount, budget.currency)}.",
            "success",
        )
    else:
        flash("Give the new amount.", "danger")
    return redirect(url_for(".index", year=budget.fiscal_year))
