"""The report pages and their CSV exports.

Bad filters (an unknown department, dates out of order, a parameter that is no
filter) answer 400 with the message beside the field and no figures: a report that
quietly ignored a filter would show numbers the reader did not ask for.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.numbers import format_currency
from flask import current_app, render_template, request
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from .. import reference
from ..models import utcnow
from ..money import format_money
from . import bp, charts, dialect, services, splits
from .export import csv_response
from .forms import FilterForm, SpendFilterForm

# How many rows a chart draws (the table under it lists every row, or the first
# TABLE_LIMIT with the CSV holding all of them).
CHART_ROWS = 15
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
]

SPENT = "#15503f"
COMMITTED = "#5fa58f"
THIRD = "#c9a227"


@bp.before_request
@login_required
def _readers_only() -> None:
    services.require_reader(current_user)
    dialect.without_jit()


def _currency() -> str:
    return current_app.config["PROCURE_CURRENCY"]


def _money(value: charts.Number) -> str:
    return format_money(
        Decimal(repr(value)) if isinstance(value, float) else Decimal(value),
        _currency(),
        current_app.config["PROCURE_LOCALE"],
    )


def _money_tick(value: charts.Number) -> str:
    return format_currency(
        Decimal(repr(float(value))),
        _currency(),
        format="¤#,##0",
        currency_digits=False,
        locale=current_app.config["PROCURE_LOCALE"],
    )


def _arguments() -> MultiDict:
    """The query string; without any date, the report covers the last DEFAULT_DAYS (the
    form shows it; an emptied date field, sent as ``start=``, means all time)."""
    args = request.args.copy()
    if "start" not in args and "end" not in args:
        args["start"] = (utcnow().date() - dt.timedelta(days=DEFAULT_DAYS)).isoformat()
    return args


def _form(form_class: type[FilterForm] = FilterForm):  # type: ignore[no-untyped-def]
    """The filter form bound to the query string, and the filters (None when bad)."""
    args = _arguments()
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
        **context,
    ), (200 if filters is not None else 400)


def _bad_csv(form: FilterForm):  # type: ignore[no-untyped-def]
    messages = list(form.form_errors) + [
        f"{field.label.text}: {error}" for field in form for error in field.errors
    ]
    return "\n".join(messages) + "\n", 400, {"Content-Type": "text/plain; charset=utf-8"}


def _amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _hours(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


@bp.get("/")
def index():
    return render_template("reports/index.html", reports=REPORTS)


# Spend ------------------------------------------------------------------------------------


def _spend_chart(report: services.SpendReport) -> Markup:
    rows = report.rows[:CHART_ROWS] if report.by != services.Dimension.MONTH else report.rows
    what = report.by.label.lower()
    return charts.bar_chart(
        chart_id="spend-chart",
        title=f"Spend by {what}",
        description=(
            f"Stacked bars per {what}: spent (received) and committed (ordered, not yet "
            f"received), in {_currency()}. Total {_money(report.total)}."
        ),
        labels=[row.label for row in rows],
        series=[
            charts.Series("Spent", "bar-spent", SPENT, [row.spent for row in rows]),
            charts.Series("Committed", "bar-committed", COMMITTED, [r.committed for r in rows]),
        ],
        value_axis=f"Amount ({_currency()})",
        label_axis=report.by.label,
        fmt=_money,
        tick_fmt=_money_tick,
        stacked=True,
    )


@bp.get("/spend")
def spend():
    form, filters = _form(SpendFilterForm)
    if filters is None:
        return _page("reports/spend.html", form, None)
    report = services.spend(filters, services.Dimension(form.by.data))
    return _page(
        "reports/spend.html",
        form,
        filters,
        report=report,
        chart=_spend_chart(report) if report.rows else None,
        chart_rows=CHART_ROWS,
        rows=report.rows if report.by == services.Dimension.MONTH else report.rows[:TABLE_LIMIT],
    )


@bp.get("/spend.csv")
def spend_csv():
    form, filters = _form(SpendFilterForm)
    if filters is None:
        return _bad_csv(form)
    report = services.spend(filters, services.Dimension(form.by.data))
    currency = _currency()
    return csv_response(
        f"spend-by-{report.by.value}.csv",
        [report.by.label, f"Spent ({currency})", f"Committed ({currency})", f"Total ({currency})"],
        (
            [row.label, _amount(row.spent), _amount(row.committed), _amount(row.total)]
            for row in report.rows
        ),
    )


# Cycle time ------------------------------------------------------------------------------------


def _durations_chart(chart_id: str, title: str, axis: str, rows) -> Markup:  # type: ignore[no-untyped-def]
    return charts.bar_chart(
        chart_id=chart_id,
        title=title,
        description=(
            "Median and 90th percentile of the time from submission to decision, "
            f"per {axis.lower()}."
        ),
        labels=[row.label for row in rows],
        series=[
            charts.Series("Median", "bar-spent", SPENT, [row.median_hours for row in rows]),
            charts.Series(
                "90th percentile", "bar-committed", COMMITTED, [r.p90_hours for r in rows]
            ),
        ],
        value_axis="Time to decision",
        label_axis=axis,
        fmt=charts.duration,
    )


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
        step_chart=_durations_chart(
            "cycle-steps-chart", "Approval time per step", "Step", report.by_step
        )
        if report.by_step
        else None,
        department_chart=_durations_chart(
            "cycle-departments-chart",
            "Submission to decision per department",
            "Department",
            report.by_department[:CHART_ROWS],
        )
        if report.by_department
        else None,
    )


@bp.get("/cycle-time.csv")
def cycle_time_csv():
    form, filters = _form()
    if filters is None:
        return _bad_csv(form)
    report = services.cycle_time(filters)
    rows = (
        [
            ("step", d.key, d.label, d.count, _hours(d.median_hours), _hours(d.p90_hours))
            for d in report.by_step
        ]
        + [
            ("department", d.key, d.label, d.count, _hours(d.median_hours), _hours(d.p90_hours))
            for d in report.by_department
        ]
        + [
            (
                "all",
                "",
                report.overall.label,
                report.overall.count,
                _hours(report.overall.median_hours),
                _hours(report.overall.p90_hours),
            )
        ][: 1 if report.overall.count else 0]
    )
    return csv_response(
        "approval-cycle-time.csv",
        ["Per", "Key", "Name", "Decisions", "Median hours", "90th percentile hours"],
        rows,
    )


# Savings ------------------------------------------------------------------------------------


@bp.get("/savings")
def savings():
    form, filters = _form()
    if filters is None:
        return _page("reports/savings.html", form, None)
    report = services.savings(filters, limit=TABLE_LIMIT)
    shown = report.rows[:CHART_ROWS]
    chart = (
        charts.bar_chart(
            chart_id="savings-chart",
            title="Awarded quote against the median and the highest quote",
            description=(
                f"Per RFQ, the awarded total, the median and the highest quote in {_currency()}. "
                f"Saved against the highest quotes: {_money(report.saved_vs_highest)}."
            ),
            labels=[f"{row.rfq_number} {row.title}" for row in shown],
            series=[
                charts.Series("Awarded", "bar-spent", SPENT, [row.awarded for row in shown]),
                charts.Series(
                    "Median quote", "bar-committed", COMMITTED, [r.median for r in shown]
                ),
                charts.Series("Highest quote", "bar-highest", THIRD, [r.highest for r in shown]),
            ],
            value_axis=f"Amount ({_currency()})",
            label_axis="RFQ",
            fmt=_money,
            tick_fmt=_money_tick,
        )
        if shown
        else None
    )
    return _page(
        "reports/savings.html",
        form,
        filters,
        report=report,
        chart=chart,
        chart_rows=CHART_ROWS,
    )


@bp.get("/savings.csv")
def savings_csv():
    form, filters = _form()
    if filters is None:
        return _bad_csv(form)
    report = services.savings(filters)
    currency = _currency()
    return csv_response(
        "sourcing-savings.csv",
        [
            "RFQ",
            "Request",
            "Title",
            "Department",
            "Awarded vendor",
            "Awarded on",
            "Quotes",
            f"Awarded ({currency})",
            f"Median quote ({currency})",
            f"Highest quote ({currency})",
            f"Saved against median ({currency})",
            f"Saved against highest ({currency})",
        ],
        (
            [
                row.rfq_number,
                row.request_number,
                row.title,
                row.department,
                row.vendor,
                row.awarded_at.date().isoformat(),
                row.quotes,
                _amount(row.awarded),
                _amount(row.median),
                _amount(row.highest),
                _amount(row.saved_vs_median),
                _amount(row.saved_vs_highest),
            ]
            for row in report.rows
        ),
    )


# Vendors ------------------------------------------------------------------------------------


def _rate(value: Decimal | None) -> float | None:
    return None if value is None else float(value * 100)


@bp.get("/vendors")
def vendors():
    form, filters = _form()
    if filters is None:
        return _page("reports/vendors.html", form, None)
    report = services.vendor_scorecards(filters, limit=VENDOR_LIMIT)
    shown = report.rows[:CHART_ROWS]
    chart = (
        charts.bar_chart(
            chart_id="vendors-chart",
            title="On-time delivery and quote win rate per vendor",
            description=(
                "Per vendor, the share of measured deliveries that arrived on time and the "
                "share of quotes that won, in per cent; a vendor without any has no bar."
            ),
            labels=[row.vendor.name for row in shown],
            series=[
                charts.Series(
                    "On-time delivery",
                    "bar-spent",
                    SPENT,
                    [_rate(r.scorecard.on_time_rate) for r in shown],
                ),
                charts.Series(
                    "Quote win rate",
                    "bar-committed",
                    COMMITTED,
                    [_rate(r.scorecard.win_rate) for r in shown],
                ),
            ],
            value_axis="Per cent",
            label_axis="Vendor",
            fmt=charts.percent,
        )
        if shown
        else None
    )
    return _page(
        "reports/vendors.html",
        form,
        filters,
        report=report,
        chart=chart,
        chart_rows=CHART_ROWS,
        vendor_limit=VENDOR_LIMIT,
    )


def _ratio(value: Decimal | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


@bp.get("/vendors.csv")
def vendors_csv():
    form, filters = _form()
    if filters is None:
        return _bad_csv(form)
    report = services.vendor_scorecards(filters)
    currency = _currency()
    return csv_response(
        "vendor-scorecards.csv",
        [
            "Vendor",
            "Status",
            f"Spent in range ({currency})",
            f"Committed in range ({currency})",
            "Quotes requested",
            "Quotes sent",
            "Quotes won",
            "Win rate %",
            "Deliveries measured",
            "On time",
            "On-time rate %",
            "Average lead time days",
            "Rating",
            f"Spend this fiscal year ({currency})",
        ],
        (
            [
                row.vendor.name,
                row.vendor.status.value,
                _amount(row.spend.spent if row.spend else Decimal("0.00")),
                _amount(row.spend.committed if row.spend else Decimal("0.00")),
                row.scorecard.quotes_requested,
                row.scorecard.quotes_sent,
                row.scorecard.quotes_won,
                _ratio(row.scorecard.win_rate),
                row.scorecard.deliveries_measured,
                row.scorecard.deliveries_on_time,
                _ratio(row.scorecard.on_time_rate),
                "" if row.scorecard.average_lead_time is None else row.scorecard.average_lead_time,
                "" if row.scorecard.rating is None else row.scorecard.rating,
                _amount(row.scorecard.spend_this_year),
            ]
            for row in report.rows
        ),
    )


# Split purchases --------------------------------------------------------------------------


def _split_label(split: splits.Split) -> str:
    return f"{split.department} · {split.label} · {split.first.date().isoformat()}"


@bp.get("/split-purchases")
def split_purchases():
    form, filters = _form()
    if filters is None:
        return _page(
            "reports/split_purchases.html", form, None, window=reference.split_window_days()
        )
    found = splits.find(filters)
    shown = found[:CHART_ROWS]
    chart = (
        charts.bar_chart(
            chart_id="splits-chart",
            title="Split purchases: together against the limit each is under",
            description=(
                "Per group of requests, their combined total and the approval limit that "
                f"each of them stays under, in {_currency()}."
            ),
            labels=[_split_label(s) for s in shown],
            series=[
                charts.Series("Together", "bar-spent", SPENT, [s.combined for s in shown]),
                charts.Series(
                    "Approval limit", "bar-highest", THIRD, [s.limit.amount for s in shown]
                ),
            ],
            value_axis=f"Amount ({_currency()})",
            label_axis="Department · vendor or category · first request",
            fmt=_money,
            tick_fmt=_money_tick,
        )
        if shown
        else None
    )
    return _page(
        "reports/split_purchases.html",
        form,
        filters,
        splits=found[:TABLE_LIMIT],
        member_limit=MEMBER_LIMIT,
        total=len(found),
        chart=chart,
        chart_rows=CHART_ROWS,
        table_limit=TABLE_LIMIT,
        window=reference.split_window_days(),
    )


@bp.get("/split-purchases.csv")
def split_purchases_csv():
    form, filters = _form()
    if filters is None:
        return _bad_csv(form)
    currency = _currency()
    return csv_response(
        "split-purchases.csv",
        [
            "Department",
            "Grouped by",
            "Vendor or category",
            "Requests",
            "Request totals",
            f"Together ({currency})",
            f"Limit ({currency})",
            "Steps avoided",
            "First created",
            "Last created",
        ],
        (
            [
                split.department,
                split.kind,
                split.label,
                " ".join(m.number for m in split.members),
                " ".join(_amount(m.total) for m in split.members),
                _amount(split.combined),
                _amount(split.limit.amount),
                " ".join(split.limit.steps),
                split.first.isoformat(sep=" ", timespec="seconds"),
                split.last.isoformat(sep=" ", timespec="seconds"),
            ]
            for split in splits.find(filters)
        ),
    )
