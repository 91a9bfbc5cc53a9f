"""Reports as CSV: UTF-8, a header row even when no row follows, and every cell
neutralised against spreadsheet formula injection (as the vendor export does).
A CSV holds every row of its report, where the page lists the first ones. A plain
number, negative ones included, is written as it is: no spreadsheet runs it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

from flask import Response

from .. import reference
from ..money import rate_to_api, to_api
from ..vendors.csvio import neutralise
from . import services, splits

# A plain decimal number ("-10.00"): a spreadsheet reads it as a number, never as a
# formula, so a negative amount keeps its sign instead of turning into text.
NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text if NUMBER.fullmatch(text) else neutralise(text)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([_cell(cell) for cell in row])
    return out.getvalue()


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Response:
    return Response(
        csv_text(header, rows).encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _hours(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _ratio(value: Decimal | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def spend_csv(report: services.SpendReport) -> Response:
    currency = reference.currency()
    return csv_response(
        f"spend-by-{report.by.value}.csv",
        [report.by.label, f"Spent ({currency})", f"Committed ({currency})", f"Total ({currency})"],
        (
            [row.label, _amount(row.spent), _amount(row.committed), _amount(row.total)]
            for row in report.rows
        ),
    )


def _durations_row(per: str, d: services.Durations) -> list[object]:
    return [per, d.key, d.label, d.count, _hours(d.median_hours), _hours(d.p90_hours)]


def cycle_time_csv(report: services.CycleTimeReport) -> Response:
    rows = (
        [_durations_row("step", d) for d in report.by_step]
        + [_durations_row("department", d) for d in report.by_department]
        + ([_durations_row("all", report.overall)] if report.overall.count else [])
    )
    return csv_response(
        "approval-cycle-time.csv",
        ["Per", "Key", "Name", "Decisions", "Median hours", "90th percentile hours"],
        rows,
    )


def savings_csv(report: services.SavingsReport) -> Response:
    currency = reference.currency()
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


def vendors_csv(report: services.VendorReport) -> Response:
    currency = reference.currency()
    return csv_response(
        "vendor-scorecards.csv",
        [
            "Vendor",
            "Status",
            f"{report.spent_label} ({currency})",
            f"{report.committed_label} ({currency})",
            "Quotes requested",
            "Quotes sent",
            "Quotes won",
            "Win rate %",
            "Deliveries measured",
            "On time",
            "On-time rate %",
            "Average lead time days",
            "Rating",
            f"{report.received_label} ({currency})",
            "Invoices submitted",
            "Matched first time",
            "Invoice accuracy %",
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
                row.scorecard.invoices_checked,
                row.scorecard.invoices_first_time,
                _ratio(row.scorecard.invoice_accuracy),
            ]
            for row in report.rows
        ),
    )


def splits_csv(found: Iterable[splits.Split]) -> Response:
    currency = reference.currency()
    return csv_response(
        "split-purchases.csv",
        [
            "Department",
            "Grouped by",
            "Vendor or category",
            "Requests",
            f"Request totals ({currency})",
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
            for split in found
        ),
    )


def ageing_csv(report: services.AgeingReport) -> Response:
    """One row per vendor owed, then the total; as of the report's day."""
    currency = reference.currency()
    buckets = services.BUCKETS
    rows = [
        [
            row.vendor,
            row.count,
            *(_amount(row.amounts[b]) for b in buckets),
            _amount(row.total),
        ]
        for row in report.rows
    ]
    rows.append(
        [
            "Total",
            report.count,
            *(_amount(report.totals[b]) for b in buckets),
            _amount(report.total),
        ]
    )
    return csv_response(
        f"accounts-payable-ageing-{report.today.isoformat()}.csv",
        [
            "Vendor",
            "Invoices",
            *(f"{b.label} ({currency})" for b in buckets),
            f"Total ({currency})",
        ],
        rows,
    )


def variance_csv(report: services.VarianceReport) -> Response:
    currency = reference.currency()
    return csv_response(
        "price-variance-by-vendor.csv",
        [
            "Vendor",
            "Lines",
            "Lines above the order's price",
            f"Invoiced ({currency})",
            f"At the order's prices ({currency})",
            f"Above the order's prices ({currency})",
            f"Below the order's prices ({currency})",
            f"Variance ({currency})",
            "Variance %",
        ],
        (
            [
                row.vendor,
                row.lines,
                row.lines_over,
                _amount(row.invoiced),
                _amount(row.at_order_prices),
                _amount(row.above),
                _amount(row.below),
                _amount(row.variance),
                "" if row.share is None else f"{row.share}",
            ]
            for row in report.rows
        ),
    )


def exchange_csv(report: services.ExchangeReport) -> Response:
    """One row per paid foreign invoice (ISO dates, decimal strings)."""
    currency = reference.currency()
    return csv_response(
        "exchange-differences.csv",
        [
            "Invoice",
            "Vendor",
            "Paid on",
            "Currency",
            "Amount",
            "Order's rate",
            f"Booked ({currency})",
            "Payment day's rate",
            f"Paid ({currency})",
            f"Exchange difference ({currency})",
        ],
        (
            [
                row.number,
                row.vendor,
                row.paid_on.isoformat(),
                row.currency,
                to_api(row.total, row.currency),
                "" if row.rate is None else rate_to_api(row.rate),
                _amount(row.booked),
                "" if row.paid_rate is None else rate_to_api(row.paid_rate),
                _amount(row.paid),
                _amount(row.difference),
            ]
            for row in report.rows
        ),
    )
