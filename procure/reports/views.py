"""The report pages and their CSV exports.

Bad filters (an unknown department, dates out of order, a parameter that is no
filter) answer 400 with the message beside the field and no figures: a report that
quietly ignored a filter would show numbers the reader did not ask for.
"""

from __future__ import annotations

import datetime as dt

from flask import render_template, request
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from .. import reference
from ..models import utcnow
from . import bp, charts, dialect, export, figures, services, splits
from .figures import CHART_ROWS
from .forms import FilterForm, PayablesFilterForm, PaymentsFilterForm, SpendFilterForm

# How many rows the table under a chart lists (the CSV holds all of them).
TABLE_LIMIT = 100
VENDOR_LIMIT = 25
MEMBER_LIMIT = 8  # requests named per split on the page
# Without dates, a report covers the last 90 days: the quarter a reader usually asks
# about, and a bound on the rows read (a million requests over five years would
# otherwise be read whole on every first look).
DEFAULT_DAYS = 90

REPORTS = [
    (
        "reports.spend",
        "Spend",
        "What was ordered, spent (received) and still committed, by vendor, category, "
        "department or month.",
    ),
    (
        "reports.cycle_time",
        "Approval cycle time",
        "Median and 90th percentile from submission to decision, per step and per "
        "department; the requests waiting longest.",
    ),
    (
        "reports.savings",
        "Sourcing savings",
        "The awarded quote against the highest and the median quote of each RFQ.",
    ),
    (
        "reports.vendors",
        "Vendor scorecards",
        "Vendors side by side: spend, on-time delivery, quote win rate, lead time, rating.",
    ),
    (
        "reports.split_purchases",
        "Split purchases",
        "Requests of one department to one vendor or category, each under an approval "
        "limit, together over it.",
    ),
    (
        "reports.price_variance",
        "Price variance",
        "Approved and paid invoice lines against the order's unit prices, per vendor: the "
        "variance, its share and the lines invoiced above the order's price.",
    ),
]
# Finance's and admin's only (capability ``read_payables``).
PAYABLES_REPORTS = [
    (
        "reports.payables",
        "Accounts payable ageing",
        "What is owed today per vendor — approved, matched and held invoices — by how long "
        "past their due date: current, 1–30, 31–60, 61–90, over 90 days.",
    ),
    (
        "reports.exchange_differences",
        "Exchange differences",
        "Foreign invoices paid at another rate than their order's: booked and paid in the "
        "base currency, and the difference, per currency. Not part of spend.",
    ),
]


@bp.before_request
@login_required
def _readers_only() -> None:
    services.require_reader(current_user)
    dialect.without_jit()


def _arguments(*, dated: bool = True) -> MultiDict:
    """The query string; without any date, the report covers the last DEFAULT_DAYS (the
    form shows it; an emptied date field, sent as ``start=``, means all time)."""
    args = request.args.copy()
    if dated and "start" not in args and "end" not in args:
        args["start"] = (utcnow().date() - dt.timedelta(days=DEFAULT_DAYS)).isoformat()
    return args


def _form(form_class: type[FilterForm] = FilterForm):  # type: ignore[no-untyped-def]
    """The filter form bound to the query string, and the filters (None when bad)."""
    args = _arguments(dated=form_class.start is not None)
    form = form_class(args)
    valid = form.validate()
    form.check_names(set(args))
    form.arguments = args.to_dict()
    if not valid or form.form_errors:
        return form, None
    return form, form.filters()


def _page(template: str, form: FilterForm, filters, **context):  # type: ignore[no-untyped-def]
    return render_template(
        template,
        form=form,
        valid=filters is not None,
        reports=REPORTS,
        query=form.arguments,
        chart_rows=CHART_ROWS,
        **context,
    ), (200 if filters is not None else 400)


def _bad_csv(form: FilterForm):  # type: ignore[no-untyped-def]
    messages = list(form.form_errors) + [
        f"{field.label.text}: {error}" for field in form for error in field.errors
    ]
    return "\n".join(messages) + "\n", 400, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/")
def index():
    payables = PAYABLES_REPORTS if services.may_read_payables(current_user) else []
    return render_template("reports/index.html", reports=REPORTS + payables)


@bp.get("/spend")
def spend():
    form, filters = _form(SpendFilterForm)
    if filters is None:
        return _page("reports/spend.html", form, None)
    report = services.spend(filters, services.Dimension(form.by.data))
    by_month = report.by == services.Dimension.MONTH
    return _page(
        "reports/spend.html",
        form,
        filters,
        report=report,
        chart=figures.spend_chart(report),
        rows=report.rows if by_month else report.rows[:TABLE_LIMIT],
    )


@bp.get("/spend.csv")
def spend_csv():
    form, filters = _form(SpendFilterForm)
    if filters is None:
        return _bad_csv(form)
    return export.spend_csv(services.spend(filters, services.Dimension(form.by.data)))


@bp.get("/cycle-time")
def cycle_time():
    form, filters = _form()
    if filters is None:
        return _page("reports/cycle_time.html", form, None)
    report = services.cycle_time(filters)
    return _page(
        "reports/cycle_time.html",
        form,
        filters,
        report=report,
        duration=charts.duration,
        step_chart=figures.step_chart(report),
        department_chart=figures.department_chart(report),
    )


@bp.get("/cycle-time.csv")
def cycle_time_csv():
    form, filters = _form()
    if filters is None:
        return _bad_csv(form)
    return export.cycle_time_csv(services.cycle_time(filters))


@bp.get("/savings")
def savings():
    form, filters = _form()
    if filters is None:
        return _page("reports/savings.html", form, None)
    report = services.savings(filters, limit=TABLE_LIMIT)
    return _page(
        "reports/savings.html", form, filters, report=report, chart=figures.savings_chart(report)
    )


@bp.get("/savings.csv")
def savings_csv():
    form, filters = _form()
    if filters is None:
        return _bad_csv(form)
    return export.savings_csv(services.savings(filters))


@bp.get("/vendors")
def vendors():
    form, filters = _form()
    if filters is None:
        return _page("reports/vendors.html", form, None)
    report = services.vendor_scorecards(filters, limit=VENDOR_LIMIT)
    return _page(
        "reports/vendors.html",
        form,
        filters,
        report=report,
        chart=figures.vendors_chart(report),
        vendor_limit=VENDOR_LIMIT,
    )


@bp.get("/vendors.csv")
def vendors_csv():
    form, filters = _form()
    if filters is None:
        return _bad_csv(form)
    return export.vendors_csv(services.vendor_scorecards(filters))


@bp.get("/split-purchases")
def split_purchases():
    form, filters = _form()
    window = reference.split_window_days()
    if filters is None:
        return _page("reports/split_purchases.html", form, None, window=window)
    shown, total = splits.first(filters, TABLE_LIMIT, MEMBER_LIMIT)
    return _page(
        "reports/split_purchases.html",
        form,
        filters,
        splits=shown,
        member_limit=MEMBER_LIMIT,
        total=total,
        chart=figures.splits_chart(shown),
        table_limit=TABLE_LIMIT,
        window=window,
    )


@bp.get("/split-purchases.csv")
def split_purchases_csv():
    form, filters = _form()
    if filters is None:
        return _bad_csv(form)
    return export.splits_csv(splits.find(filters))


@bp.get("/price-variance")
def price_variance():
    form, filters = _form()
    if filters is None:
        return _page("reports/price_variance.html", form, None)
    report = services.price_variance(filters, limit=TABLE_LIMIT)
    return _page(
        "reports/price_variance.html",
        form,
        filters,
        report=report,
        chart=figures.variance_chart(report),
    )


@bp.get("/price-variance.csv")
def price_variance_csv():
    form, filters = _form()
    if filters is None:
        return _bad_csv(form)
    return export.variance_csv(services.price_variance(filters))


@bp.get("/payables")
def payables():
    services.require_payables_reader(current_user)
    form, filters = _form(PayablesFilterForm)
    if filters is None:
        return _page("reports/payables.html", form, None)
    report = services.ageing(filters, user=current_user)
    return _page(
        "reports/payables.html",
        form,
        filters,
        report=report,
        rows=report.rows[:TABLE_LIMIT],
        buckets=services.BUCKETS,
        chart=figures.ageing_chart(report),
    )


@bp.get("/payables.csv")
def payables_csv():
    services.require_payables_reader(current_user)
    form, filters = _form(PayablesFilterForm)
    if filters is None:
        return _bad_csv(form)
    return export.ageing_csv(services.ageing(filters, user=current_user))


@bp.get("/exchange-differences")
def exchange_differences():
    services.require_payables_reader(current_user)
    form, filters = _form(PaymentsFilterForm)
    if filters is None:
        return _page("reports/exchange_differences.html", form, None)
    report = services.exchange_differences(filters, user=current_user, limit=TABLE_LIMIT)
    return _page(
        "reports/exchange_differences.html",
        form,
        filters,
        report=report,
        chart=figures.exchange_chart(report),
    )


@bp.get("/exchange-differences.csv")
def exchange_differences_csv():
    services.require_payables_reader(current_user)
    form, filters = _form(PaymentsFilterForm)
    if filters is None:
        return _bad_csv(form)
    return export.exchange_csv(services.exchange_differences(filters, user=current_user))
