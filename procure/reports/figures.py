"""The chart each report page draws above its table (``charts.py`` draws them).

A chart shows the first ``CHART_ROWS`` rows; the table under it lists more, and the
CSV every one. Amounts are in the installation's currency, formatted with Babel.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from babel.numbers import format_currency
from flask import current_app
from markupsafe import Markup

from .. import reference
from ..money import format_date, format_money
from . import charts, services, splits

# How many rows a chart draws.
CHART_ROWS = 15

SPENT = "#15503f"
COMMITTED = "#5fa58f"
THIRD = "#c9a227"
ZERO = Decimal("0.00")


def _money(value: charts.Number) -> str:
    return format_money(
        Decimal(repr(value)) if isinstance(value, float) else Decimal(value),
        reference.currency(),
        current_app.config["PROCURE_LOCALE"],
    )


def money_tick(value: charts.Number) -> str:
    """A tick's amount, without cents unless the tick falls between whole units (2.5)."""
    return format_currency(
        Decimal(repr(float(value))),
        reference.currency(),
        format="¤#,##0.##",
        currency_digits=False,
        locale=current_app.config["PROCURE_LOCALE"],
    )


def _amount_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: list[str],
    series: list[charts.Series],
    label_axis: str,
    stacked: bool = False,
) -> Markup:
    """A chart of amounts in the installation's currency."""
    return charts.bar_chart(
        chart_id=chart_id,
        title=title,
        description=description,
        labels=labels,
        series=series,
        value_axis=f"Amount ({reference.currency()})",
        label_axis=label_axis,
        fmt=_money,
        tick_fmt=money_tick,
        stacked=stacked,
    )


def spend_chart(report: services.SpendReport) -> Markup | None:
    if not report.rows:
        return None
    by_month = report.by == services.Dimension.MONTH
    rows = report.rows if by_month else report.rows[:CHART_ROWS]
    what = report.by.label.lower()
    return _amount_chart(
        chart_id="spend-chart",
        title=f"Spend by {what}",
        description=(
            f"Stacked bars per {what}: spent (received) and committed (ordered, not yet "
            f"received), in {reference.currency()}. Total {_money(report.total)}."
        ),
        labels=[row.label for row in rows],
        series=[
            charts.Series("Spent", "bar-spent", SPENT, [row.spent for row in rows]),
            charts.Series("Committed", "bar-committed", COMMITTED, [r.committed for r in rows]),
        ],
        label_axis=report.by.label,
        stacked=True,
    )


def _durations_chart(
    chart_id: str, title: str, axis: str, rows: Sequence[services.Durations]
) -> Markup | None:
    if not rows:
        return None
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


def step_chart(report: services.CycleTimeReport) -> Markup | None:
    return _durations_chart("cycle-steps-chart", "Approval time per step", "Step", report.by_step)


def department_chart(report: services.CycleTimeReport) -> Markup | None:
    return _durations_chart(
        "cycle-departments-chart",
        "Submission to decision per department",
        "Department",
        report.by_department[:CHART_ROWS],
    )


def savings_chart(report: services.SavingsReport) -> Markup | None:
    shown = report.rows[:CHART_ROWS]
    if not shown:
        return None
    return _amount_chart(
        chart_id="savings-chart",
        title="Awarded quote against the median and the highest quote",
        description=(
            f"Per RFQ, the awarded total, the median and the highest quote in "
            f"{reference.currency()}. Saved against the highest quotes: "
            f"{_money(report.saved_vs_highest)}."
        ),
        labels=[f"{row.rfq_number} {row.title}" for row in shown],
        series=[
            charts.Series("Awarded", "bar-spent", SPENT, [row.awarded for row in shown]),
            charts.Series("Median quote", "bar-committed", COMMITTED, [r.median for r in shown]),
            charts.Series("Highest quote", "bar-highest", THIRD, [r.highest for r in shown]),
        ],
        label_axis="RFQ",
    )


def _rate(value: Decimal | None) -> float | None:
    return None if value is None else float(value * 100)


def vendors_chart(report: services.VendorReport) -> Markup | None:
    shown = report.rows[:CHART_ROWS]
    if not shown:
        return None
    return charts.bar_chart(
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


def _split_label(split: splits.Split) -> str:
    return f"{split.department} · {split.label} · {format_date(split.first)}"


def splits_chart(found: Sequence[splits.Split]) -> Markup | None:
    shown = found[:CHART_ROWS]
    if not shown:
        return None
    return _amount_chart(
        chart_id="splits-chart",
        title="Split purchases: together against the limit each is under",
        description=(
            "Per group of requests, their combined total and the approval limit that "
            f"each of them stays under, in {reference.currency()}."
        ),
        labels=[_split_label(s) for s in shown],
        series=[
            charts.Series("Together", "bar-spent", SPENT, [s.combined for s in shown]),
            charts.Series("Approval limit", "bar-highest", THIRD, [s.limit.amount for s in shown]),
        ],
        label_axis="Department · vendor or category · first request",
    )


def ageing_chart(report: services.AgeingReport) -> Markup | None:
    if not report.rows:
        return None
    return _amount_chart(
        chart_id="ageing-chart",
        title="Accounts payable by days past due",
        description=(
            "Stacked bars per age: approved invoices (to pay) and matched or held invoices "
            f"(awaiting approval), in {reference.currency()}. Owed in all "
            f"{_money(report.total)}."
        ),
        labels=[bucket.label for bucket in services.BUCKETS],
        series=[
            charts.Series(
                "Approved, to pay",
                "bar-spent",
                SPENT,
                [max(report.approved[b], ZERO) for b in services.BUCKETS],
            ),
            charts.Series(
                "Awaiting approval",
                "bar-committed",
                COMMITTED,
                [max(report.awaiting[b], ZERO) for b in services.BUCKETS],
            ),
        ],
        label_axis="Due",
        stacked=True,
    )


def variance_chart(report: services.VarianceReport) -> Markup | None:
    shown = report.rows[:CHART_ROWS]
    if not shown:
        return None
    return _amount_chart(
        chart_id="variance-chart",
        title="Invoiced above and below the order's prices, per vendor",
        description=(
            "Per vendor, what approved and paid invoice lines billed above the order's unit "
            f"prices and below them, in {reference.currency()}. Variance over all vendors: "
            f"{_money(report.total.variance)}."
        ),
        labels=[row.vendor for row in shown],
        series=[
            charts.Series(
                "Above the order's prices", "bar-highest", THIRD, [r.above for r in shown]
            ),
            charts.Series(
                "Below the order's prices", "bar-spent", SPENT, [r.below for r in shown]
            ),
        ],
        label_axis="Vendor",
    )


def exchange_chart(report: services.ExchangeReport) -> Markup | None:
    if not report.currencies:
        return None
    return _amount_chart(
        chart_id="exchange-chart",
        title="Foreign invoices booked at the order's rate and paid at the payment day's",
        description=(
            f"Per currency, the paid invoices in {reference.currency()}: booked at the rate "
            "frozen on the order, and paid at the rate of the payment day. Exchange "
            f"difference over all: {_money(report.difference)}."
        ),
        labels=[total.currency for total in report.currencies],
        series=[
            charts.Series(
                "Booked (order's rate)",
                "bar-committed",
                COMMITTED,
                [max(t.booked, ZERO) for t in report.currencies],
            ),
            charts.Series(
                "Paid (payment day's rate)",
                "bar-spent",
                SPENT,
                [max(t.paid, ZERO) for t in report.currencies],
            ),
        ],
        label_axis="Currency",
    )
