"""The reports: pure functions of a :class:`Filters`, returning rows.

Each report runs a fixed number of queries whatever the volume: sums, counts and
(on PostgreSQL) percentiles are computed by the database; SQLite has no percentile
function, so there one query fetches the ordered durations per group and Python
interpolates them (``dialect.percentile``).

What counts as spend is what the budgets count (``budgets.services``): a purchase
order from its issue on, never a request's estimate. An order that is fully
received (or closed) has spent its whole total, shipping and tax included; an order
still open has spent what has been received and commits the rest. An order counts
in the month it was issued.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections import defaultdict
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from .. import access
from ..budgets.services import DONE_ORDER_STATUSES, LIVE_ORDER_STATUSES
from ..db import is_postgres
from ..errors import Forbidden, ValidationError
from ..extensions import db
from ..models import (
    ApprovalStep,
    Department,
    OrderLine,
    OrderStatus,
    PurchaseOrder,
    PurchaseRequest,
    Quote,
    Receipt,
    ReceiptLine,
    RequestLine,
    RequestStatus,
    Rfq,
    RfqStatus,
    StepStatus,
    User,
    Vendor,
)
from ..money import CENT, Money
from . import dialect

ZERO = Decimal("0.00")
# A line not tied to a request line (typed into a quote by hand) has no category.
UNCATEGORISED = "other"
# The order's shipping and tax belong to no line, so to no category.
SHIPPING_AND_TAX = "Shipping and tax"
# How many of the requests waiting longest the cycle-time report lists.
WAITING_LIMIT = 20


# Who may read -------------------------------------------------------------------------


def may_read(user: User) -> bool:
    return access.may(user, "read_reports")


def require_reader(user: User) -> None:
    if not may_read(user):
        raise Forbidden("Reports are for finance, procurement and admin.")


# Filters ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Filters:
    """What every report is narrowed by; ``None`` means "any". The dates are
    inclusive calendar days (UTC)."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    department_id: int | None = None
    category: str | None = None
    vendor_id: int | None = None

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValidationError.field("date_to", "The end date is before the start date.")

    def period(self, column: Any) -> list[sa.ColumnElement[bool]]:
        """``column`` (a timestamp) on or after the first day and before the day
        after the last."""
        conditions = []
        if self.date_from:
            conditions.append(column >= dt.datetime.combine(self.date_from, dt.time()))
        if self.date_to:
            end = self.date_to + dt.timedelta(days=1)
            conditions.append(column < dt.datetime.combine(end, dt.time()))
        return conditions


def _has_category(category: str) -> sa.ColumnElement[bool]:
    """The request has a line of ``category``."""
    return sa.exists().where(
        RequestLine.request_id == PurchaseRequest.id, RequestLine.category == category
    )


def _ordered_from(vendor_id: int) -> sa.ColumnElement[bool]:
    """The request has an order (not cancelled) with the vendor."""
    return sa.exists().where(
        PurchaseOrder.request_id == PurchaseRequest.id,
        PurchaseOrder.vendor_id == vendor_id,
        PurchaseOrder.status != OrderStatus.CANCELLED,
    )


def _request_conditions(filters: Filters, date_column: Any) -> list[sa.ColumnElement[bool]]:
    """Filters on requests: the date on ``date_column``, the request's department, a
    line of the category, an order with the vendor."""
    conditions = filters.period(date_column)
    if filters.department_id is not None:
        conditions.append(PurchaseRequest.department_id == filters.department_id)
    if filters.category:
        conditions.append(_has_category(filters.category))
    if filters.vendor_id is not None:
        conditions.append(_ordered_from(filters.vendor_id))
    return conditions


def _money(value: Any) -> Decimal:
    return ZERO if value is None else Decimal(value).quantize(CENT)


# Spend ---------------------------------------------------------------------------------


class Dimension(enum.StrEnum):
    VENDOR = "vendor"
    CATEGORY = "category"
    DEPARTMENT = "department"
    MONTH = "month"

    @property
    def label(self) -> str:
        return self.value.capitalize()


@dataclasses.dataclass(frozen=True)
class SpendRow:
    key: str
    label: str
    spent: Decimal
    committed: Decimal

    @property
    def total(self) -> Decimal:
        return self.spent + self.committed


@dataclasses.dataclass(frozen=True)
class SpendReport:
    by: Dimension
    rows: list[SpendRow]

    @property
    def spent(self) -> Decimal:
        return sum((row.spent for row in self.rows), ZERO)

    @property
    def committed(self) -> Decimal:
        return sum((row.committed for row in self.rows), ZERO)

    @property
    def total(self) -> Decimal:
        return self.spent + self.committed


def _spend_items(filters: Filters, *, by_line: bool, department: bool) -> sa.Subquery:
    """What each live order has spent and still commits, by the budgets' rules: one row
    per order, or (``by_line``, for categories) one per order line and one per order's
    shipping and tax. ``department`` adds the request's department (a join the other
    groupings do without)."""
    done = PurchaseOrder.status.in_(DONE_ORDER_STATUSES)
    conditions = [
        PurchaseOrder.status.in_(LIVE_ORDER_STATUSES),
        *filters.period(PurchaseOrder.issued_at),
    ]
    if filters.vendor_id is not None:
        conditions.append(PurchaseOrder.vendor_id == filters.vendor_id)
    if filters.department_id is not None:
        conditions.append(PurchaseRequest.department_id == filters.department_id)
    department = department or filters.department_id is not None
    columns = [
        PurchaseOrder.vendor_id.label("vendor_id"),
        (PurchaseRequest.department_id if department else sa.null()).label("department_id"),
        PurchaseOrder.issued_at.label("issued_at"),
    ]

    def of_orders(query: sa.Select) -> sa.Select:
        if department:
            query = query.join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
        return query.where(*conditions)

    if not by_line and not filters.category:
        # Received so far: asked only of orders not yet delivered (CASE is lazy).
        received = sa.func.coalesce(
            sa.select(sa.func.sum(ReceiptLine.value))
            .join(Receipt, Receipt.id == ReceiptLine.receipt_id)
            .where(Receipt.order_id == PurchaseOrder.id)
            .correlate(PurchaseOrder)
            .scalar_subquery(),
            0,
        )
        orders = sa.select(
            *columns,
            sa.null().label("category"),
            sa.case((done, PurchaseOrder.total), else_=received).label("spent"),
            sa.case((done, 0), else_=PurchaseOrder.total - received).label("committed"),
        ).select_from(PurchaseOrder)
        return of_orders(orders).subquery("spend_items")
    received = sa.func.coalesce(
        sa.select(sa.func.sum(ReceiptLine.value))
        .where(ReceiptLine.order_line_id == OrderLine.id)
        .correlate(OrderLine)
        .scalar_subquery(),
        0,
    )
    category = sa.func.coalesce(RequestLine.category, UNCATEGORISED)
    lines = of_orders(
        sa.select(
            *columns,
            category.label("category"),
            sa.case((done, OrderLine.total), else_=received).label("spent"),
            sa.case((done, 0), else_=OrderLine.total - received).label("committed"),
        )
        .select_from(OrderLine)
        .join(PurchaseOrder, PurchaseOrder.id == OrderLine.order_id)
        .outerjoin(RequestLine, RequestLine.id == OrderLine.request_line_id)
    )
    if filters.category:
        return lines.where(category == filters.category).subquery("spend_items")
    extra = PurchaseOrder.shipping + PurchaseOrder.tax
    extras = of_orders(
        sa.select(
            *columns,
            sa.null(),
            sa.case((done, extra), else_=0),
            sa.case((done, 0), else_=extra),
        ).select_from(PurchaseOrder)
    ).where(extra > 0)
    return sa.union_all(lines, extras).subquery("spend_items")


def spend(filters: Filters, by: Dimension = Dimension.VENDOR) -> SpendReport:
    """Spent and committed per vendor, category, department or month: one query."""
    items = _spend_items(
        filters, by_line=by == Dimension.CATEGORY, department=by == Dimension.DEPARTMENT
    )
    spent = sa.type_coerce(sa.func.sum(items.c.spent), Money).label("spent")
    committed = sa.type_coerce(sa.func.sum(items.c.committed), Money).label("committed")
    rows: list[SpendRow] = []
    if by == Dimension.VENDOR:
        query = (
            sa.select(Vendor.id, Vendor.name, spent, committed)
            .join(Vendor, Vendor.id == items.c.vendor_id)
            .group_by(Vendor.id, Vendor.name)
        )
        rows = [SpendRow(str(i), name, _money(s), _money(c)) for i, name, s, c in _all(query)]
    elif by == Dimension.DEPARTMENT:
        query = (
            sa.select(Department.code, Department.name, spent, committed)
            .join(Department, Department.id == items.c.department_id)
            .group_by(Department.code, Department.name)
        )
        rows = [
            SpendRow(code, f"{code} — {name}", _money(s), _money(c))
            for code, name, s, c in _all(query)
        ]
    elif by == Dimension.CATEGORY:
        from ..reference import list_categories

        labels = {c.name: c.label for c in list_categories()}
        query = sa.select(items.c.category, spent, committed).group_by(items.c.category)
        rows = [
            SpendRow(
                name or "",
                labels.get(name, name) if name else SHIPPING_AND_TAX,
                _money(s),
                _money(c),
            )
            for name, s, c in _all(query)
        ]
    else:
        month = dialect.month_of(items.c.issued_at)
        query = sa.select(month, spent, committed).group_by(month).order_by(month)
        rows = [SpendRow(m, m, _money(s), _money(c)) for m, s, c in _all(query)]
        return SpendReport(by, rows)
    rows.sort(key=lambda row: (-row.total, row.label.casefold()))
    return SpendReport(by, rows)


def _all(query: sa.Select) -> list[sa.Row]:
    return list(db.session.execute(query).all())


# Approval cycle time -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Durations:
    """How long decisions took in one group: the count, the median and the 90th
    percentile, in hours."""

    key: str
    label: str
    count: int
    median_hours: float | None
    p90_hours: float | None


@dataclasses.dataclass(frozen=True)
class Waiting:
    id: int
    number: str
    title: str
    department: str
    step: str
    total: Decimal
    since: dt.datetime

    @property
    def hours(self) -> float:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        return (now - self.since).total_seconds() / 3600


@dataclasses.dataclass(frozen=True)
class CycleTimeReport:
    by_step: list[Durations]
    by_department: list[Durations]
    overall: Durations
    waiting: list[Waiting]


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else float(seconds) / 3600


def _durations(
    query: sa.Select, key: Any, label: Any, seconds: Any, *, overall: str
) -> tuple[list[Durations], Durations]:
    """Count, median and 90th percentile of ``seconds`` per ``key``, and over all
    rows: one query either way."""
    if is_postgres():
        rows = db.session.execute(
            query.with_only_columns(
                key,
                label,
                sa.func.count(),
                dialect.percentile_cont(0.5, seconds),
                dialect.percentile_cont(0.9, seconds),
            ).group_by(sa.func.grouping_sets(sa.tuple_(key, label), sa.tuple_()))
        ).all()
        groups = [
            Durations(str(k), str(lab), n, _hours(p50), _hours(p90))
            for k, lab, n, p50, p90 in rows
            if k is not None
        ]
        whole = next(
            (
                Durations("", overall, n, _hours(p50), _hours(p90))
                for k, _lab, n, p50, p90 in rows
                if k is None
            ),
            Durations("", overall, 0, None, None),
        )
        return sorted(groups, key=lambda d: d.label.casefold()), whole
    per_key: dict[tuple[str, str], list[float]] = defaultdict(list)
    for k, lab, value in db.session.execute(
        query.with_only_columns(key, label, seconds).order_by(key, seconds)
    ):
        per_key[(str(k), str(lab))].append(float(value))
    groups = [
        Durations(
            k,
            lab,
            len(values),
            _hours(dialect.percentile(values, 0.5)),
            _hours(dialect.percentile(values, 0.9)),
        )
        for (k, lab), values in per_key.items()
    ]
    everything = sorted(v for values in per_key.values() for v in values)
    whole = Durations(
        "",
        overall,
        len(everything),
        _hours(dialect.percentile(everything, 0.5)),
        _hours(dialect.percentile(everything, 0.9)),
    )
    return sorted(groups, key=lambda d: d.label.casefold()), whole


def cycle_time(filters: Filters) -> CycleTimeReport:
    """From submission to decision, per approval step and per department.

    A step is timed from the moment it could be decided (the decision of the step
    before it, or the submission for the first) to its own decision; a request from
    its submission to its final decision (approved or rejected). Only the latest
    submission of a request counts: a request returned for changes starts again.
    The date range selects requests by the day they were submitted."""
    previous = orm.aliased(ApprovalStep)
    step = ApprovalStep
    started = sa.func.coalesce(previous.decided_at, PurchaseRequest.submitted_at)
    steps = (
        sa.select(step.id)
        .join(PurchaseRequest, PurchaseRequest.id == step.request_id)
        .outerjoin(
            previous,
            sa.and_(
                previous.request_id == step.request_id,
                previous.round == step.round,
                previous.position == step.position - 1,
            ),
        )
        .where(
            step.round == PurchaseRequest.approval_round,
            step.decided_at.is_not(None),
            *_request_conditions(filters, PurchaseRequest.submitted_at),
        )
    )
    by_step, _ = _durations(
        steps,
        step.name,
        step.name,
        dialect.seconds_between(started, step.decided_at),
        overall="All steps",
    )
    requests = (
        sa.select(PurchaseRequest.id)
        .join(Department, Department.id == PurchaseRequest.department_id)
        .where(
            PurchaseRequest.decided_at.is_not(None),
            PurchaseRequest.submitted_at.is_not(None),
            *_request_conditions(filters, PurchaseRequest.submitted_at),
        )
    )
    by_department, overall = _durations(
        requests,
        Department.code,
        Department.name,
        dialect.seconds_between(PurchaseRequest.submitted_at, PurchaseRequest.decided_at),
        overall="All departments",
    )
    return CycleTimeReport(by_step, by_department, overall, waiting_longest(filters))


def waiting_longest(filters: Filters, limit: int = WAITING_LIMIT) -> list[Waiting]:
    """Requests awaiting a decision, the longest wait first (ageing)."""
    rows = db.session.execute(
        sa.select(
            PurchaseRequest.id,
            PurchaseRequest.number,
            PurchaseRequest.title,
            Department.code,
            ApprovalStep.name,
            PurchaseRequest.total,
            ApprovalStep.pending_since,
        )
        .join(ApprovalStep, ApprovalStep.request_id == PurchaseRequest.id)
        .join(Department, Department.id == PurchaseRequest.department_id)
        .where(
            PurchaseRequest.status == RequestStatus.PENDING_APPROVAL,
            ApprovalStep.status == StepStatus.PENDING,
            *_request_conditions(filters, PurchaseRequest.submitted_at),
        )
        .order_by(ApprovalStep.pending_since, PurchaseRequest.id)
        .limit(limit)
    )
    return [Waiting(*row) for row in rows]


# Sourcing savings -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SavingsRow:
    rfq_id: int
    rfq_number: str
    request_number: str
    title: str
    department: str
    vendor: str
    awarded_at: dt.datetime
    quotes: int
    awarded: Decimal
    highest: Decimal
    median: Decimal

    @property
    def saved_vs_highest(self) -> Decimal:
        return self.highest - self.awarded

    @property
    def saved_vs_median(self) -> Decimal:
        return self.median - self.awarded


@dataclasses.dataclass(frozen=True)
class SavingsReport:
    rows: list[SavingsRow]  # the latest awards first; perhaps only the first of them
    count: int  # every award the filters select; the sums are over all of them
    awarded: Decimal
    median: Decimal
    highest: Decimal

    @property
    def saved_vs_highest(self) -> Decimal:
        return self.highest - self.awarded

    @property
    def saved_vs_median(self) -> Decimal:
        return self.median - self.awarded

    @property
    def share_vs_highest(self) -> Decimal | None:
        if not self.highest:
            return None
        return (self.saved_vs_highest / self.highest * 100).quantize(Decimal("0.1"))


def _quote_figures(rfq_ids: sa.Select) -> sa.Subquery:
    """Per RFQ of ``rfq_ids``: how many current quotes, the highest, and the median
    (the middle quote, or the mean of the middle two, rounded half up to the cent —
    ``percentile_cont(0.5)``), with window functions both databases have."""
    ranked = (
        sa.select(
            Quote.rfq_id.label("rfq_id"),
            Quote.total.label("total"),
            sa.func.row_number()
            .over(partition_by=Quote.rfq_id, order_by=(Quote.total, Quote.id))
            .label("rank"),
            sa.func.count().over(partition_by=Quote.rfq_id).label("quotes"),
        )
        .where(Quote.rfq_id.in_(rfq_ids.scalar_subquery()), Quote.replaced_by_id.is_(None))
        .subquery()
    )
    middle = ranked.c.rank.in_([(ranked.c.quotes + 1) // 2, (ranked.c.quotes + 2) // 2])
    return (
        sa.select(
            ranked.c.rfq_id,
            sa.func.max(ranked.c.quotes).label("quotes"),
            sa.func.max(ranked.c.total).label("highest"),
            sa.type_coerce(
                sa.func.round(sa.func.avg(sa.case((middle, ranked.c.total)))), Money
            ).label("median"),
        )
        .group_by(ranked.c.rfq_id)
        .subquery("quote_figures")
    )


def savings(filters: Filters, *, limit: int | None = None) -> SavingsReport:
    """Per awarded RFQ: the awarded quote's total against the highest and the median
    of the RFQ's current quotes (a corrected quote replaces the one it corrects), and
    the sums over every award. The date range selects RFQs by the day they were
    awarded; the vendor is the awarded one. Two queries; ``limit`` keeps the latest
    so many rows (the sums still cover all)."""
    awarded = orm.aliased(Quote)
    conditions = [
        Rfq.status == RfqStatus.AWARDED,
        *_request_conditions(dataclasses.replace(filters, vendor_id=None), Rfq.awarded_at),
    ]
    if filters.vendor_id is not None:
        conditions.append(awarded.vendor_id == filters.vendor_id)
    base = (
        sa.select(Rfq.id)
        .join(PurchaseRequest, PurchaseRequest.id == Rfq.request_id)
        .join(awarded, awarded.id == Rfq.awarded_quote_id)
        .where(*conditions)
    )
    latest = (Rfq.awarded_at.desc(), Rfq.id.desc())
    figures = _quote_figures(base)
    count, total_awarded, total_median, total_highest = db.session.execute(
        base.join(figures, figures.c.rfq_id == Rfq.id).with_only_columns(
            sa.func.count(),
            sa.func.sum(awarded.total),
            sa.type_coerce(sa.func.sum(figures.c.median), Money),
            sa.type_coerce(sa.func.sum(figures.c.highest), Money),
        )
    ).one()
    # The rows' own figures: of the latest ``limit`` awards only.
    shown = _quote_figures(base.order_by(*latest).limit(limit) if limit is not None else base)
    query = (
        base.join(shown, shown.c.rfq_id == Rfq.id)
        .add_columns(
            Rfq.number,
            PurchaseRequest.number,
            PurchaseRequest.title,
            Department.code,
            Vendor.name,
            Rfq.awarded_at,
            shown.c.quotes,
            awarded.total,
            shown.c.highest,
            shown.c.median,
        )
        .join(Department, Department.id == PurchaseRequest.department_id)
        .join(Vendor, Vendor.id == awarded.vendor_id)
        .order_by(*latest)
    )
    rows = [SavingsRow(*row) for row in db.session.execute(query)]
    return SavingsReport(
        rows, count, _money(total_awarded), _money(total_median), _money(total_highest)
    )


# Vendor scorecards --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class VendorRow:
    vendor: Vendor
    spend: SpendRow | None
    scorecard: Any  # vendors.services.Scorecard

    @property
    def period_total(self) -> Decimal:
        return self.spend.total if self.spend else ZERO


@dataclasses.dataclass(frozen=True)
class VendorReport:
    rows: list[VendorRow]
    # Every vendor the filters select; ``rows`` may hold only the first of them.
    total: int


def vendor_scorecards(filters: Filters, *, limit: int | None = None) -> VendorReport:
    """The vendors dealt with under the filters — ordered from (an order issued in
    the range) or asked to quote (a quote on an RFQ sent in the range) — each with its
    spend under the filters and its scorecard as the vendor's own page shows it. The
    biggest spend first; ``limit`` keeps the first so many."""
    from ..vendors.services import scorecards

    by_vendor = {row.key: row for row in spend(filters, Dimension.VENDOR).rows}
    quoted = (
        sa.select(Quote.vendor_id)
        .join(Rfq, Rfq.id == Quote.rfq_id)
        .join(PurchaseRequest, PurchaseRequest.id == Rfq.request_id)
        .where(
            Quote.replaced_by_id.is_(None),
            *_request_conditions(dataclasses.replace(filters, vendor_id=None), Rfq.sent_at),
        )
    )
    if filters.vendor_id is not None:
        quoted = quoted.where(Quote.vendor_id == filters.vendor_id)
    names = {int(row.key): row.label for row in by_vendor.values()}
    names.update(
        db.session.execute(
            sa.select(Vendor.id, Vendor.name).where(Vendor.id.in_(quoted.scalar_subquery()))
        ).all()
    )
    if not names:
        return VendorReport([], 0)
    chosen = sorted(
        names,
        key=lambda i: (
            -(by_vendor[str(i)].total if str(i) in by_vendor else ZERO),
            names[i].casefold(),
        ),
    )[:limit]
    order = {vendor_id: index for index, vendor_id in enumerate(chosen)}
    vendors = sorted(
        db.session.scalars(
            sa.select(Vendor).where(Vendor.id.in_(chosen)).options(orm.lazyload("*"))
        ),
        key=lambda v: order[v.id],
    )
    cards = scorecards(vendors)
    return VendorReport(
        [VendorRow(v, by_vendor.get(str(v.id)), cards[v.id]) for v in vendors], len(names)
    )
