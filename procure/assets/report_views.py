"""The asset register's reports (``reports.py``): what runs out of warranty uncovered
(with its CSV), what the assets in use cost per department and category, how much of
each licence pool is used, and what leavers still hold. Readers of the register only
(capability ``read_assets``, checked in ``reports.py``).

A warranty horizon that is not one of the offered ones answers 400 with the message
beside the field and no rows, as the other reports do."""

from __future__ import annotations

from flask import Response, render_template, request
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from . import bp, reports

REPORTS = [
    (
        "assets.report_warranty",
        "Warranty ending, not covered",
        "Assets in use whose warranty ends within the days you choose and that no active "
        "maintenance or support contract covers, soonest first.",
    ),
    (
        "assets.report_costs",
        "Cost per department and category",
        "What the assets in use cost, in the base currency, per department of the request "
        "that bought them and per category, with totals.",
    ),
    (
        "assets.report_licences",
        "Licence utilisation",
        "Each licence pool's seats, used and free, and when its contract ends: what could "
        "be given back at renewal.",
    ),
    (
        "assets.report_leavers",
        "Leavers",
        "Deactivated accounts still holding assets or licence seats, with what to recover.",
    ),
]


# How many rows a page lists (the warranty CSV holds all of them).
TABLE_LIMIT = 500
DAYS_MESSAGE = "Choose one of " + ", ".join(map(str, reports.WARRANTY_DAYS)) + " days."


class WarrantyFilterForm(FlaskForm):
    """The warranty report's horizon (a GET form)."""

    class Meta:
        csrf = False

    days = SelectField(
        "Warranty ends within",
        choices=[SelectChoice(d, f"{d} days") for d in reports.WARRANTY_DAYS],
        coerce=int,
        default=reports.DEFAULT_DAYS,
        validate_choice=True,
    )


def _warranty_form() -> tuple[WarrantyFilterForm, int | None]:
    """The form bound to the query string, and the days (None when not offered)."""
    if "days" not in request.args:
        form = WarrantyFilterForm(formdata=None)
        return form, reports.DEFAULT_DAYS
    form = WarrantyFilterForm(request.args)
    if form.validate():
        return form, form.days.data
    form.days.errors = [DAYS_MESSAGE]
    return form, None


@bp.get("/assets/reports")
@login_required
def reports_index():
    reports.require_reader(current_user)
    return render_template("assets/reports/index.html", reports=REPORTS)


@bp.get("/assets/reports/warranty")
@login_required
def report_warranty():
    reports.require_reader(current_user)
    form, days = _warranty_form()
    if days is None:
        return render_template(
            "assets/reports/warranty.html", form=form, report=None, reports=REPORTS
        ), 400
    report = reports.warranty(current_user, days, limit=TABLE_LIMIT)
    return render_template(
        "assets/reports/warranty.html",
        form=form,
        report=report,
        shown=report.rows,
        reports=REPORTS,
    )


@bp.get("/assets/reports/warranty.csv")
@login_required
def report_warranty_csv():
    reports.require_reader(current_user)
    form, days = _warranty_form()
    if days is None:
        messages = [f"{form.days.label.text}: {error}" for error in form.days.errors]
        return "\n".join(messages) + "\n", 400, {"Content-Type": "text/plain; charset=utf-8"}
    report = reports.warranty(current_user, days)
    return Response(
        reports.warranty_csv(report).encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="warranty-ending-{days}-days.csv"'},
    )


@bp.get("/assets/reports/costs")
@login_required
def report_costs():
    return render_template(
        "assets/reports/costs.html", report=reports.costs(current_user), reports=REPORTS
    )


@bp.get("/assets/reports/licences")
@login_required
def report_licences():
    rows = reports.licence_use(current_user)
    return render_template(
        "assets/reports/licences.html", rows=rows[:TABLE_LIMIT], total=len(rows), reports=REPORTS
    )


@bp.get("/assets/reports/leavers")
@login_required
def report_leavers():
    return render_template(
        "assets/reports/leavers.html", leavers=reports.leavers(current_user), reports=REPORTS
    )
