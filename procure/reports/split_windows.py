"""The split purchases' statement (``splits``): window functions over the requests of
each group in the order of their creation, which leave in the database every request
that is no member of a split.

Per group, in creation order, two passes over rows sorted once: the sum of the totals
under each limit within the window around every request (a ``RANGE`` frame of the
window's width), which says which requests are flagged, each under the highest of its
group's limits it reaches; then, per limit, the last flagged request whose window
reaches back to each request (a running max over an unbounded start, never
recomputed). Under a limit, the members are the requests under it that such a window
holds. The windows of all the limits are computed in the same pass: their widths are
written into the statement, so that PostgreSQL sees one window where bound parameters
made as many.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm

from .. import reference
from ..models import OrderStatus, PolicyRule, PurchaseOrder, PurchaseRequest, RequestStatus
from ..money import to_units
from . import dialect

COUNTED_STATUSES = (
    RequestStatus.PENDING_APPROVAL,
    RequestStatus.APPROVED,
    RequestStatus.ORDERED,
    RequestStatus.CLOSED,
)

VENDOR, CATEGORY = "vendor", "category"


@dataclasses.dataclass(frozen=True)
class Query:
    """What ``splits`` looks for: the requests in ``scope`` (conditions on them), the
    groups in ``groups`` (functions of a row's kind and key), splits flagged in a
    request created from ``since`` until before ``until`` (None: any), and the first
    ``shown`` members of each (None: all)."""

    scope: list
    groups: list
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    shown: int | None = None

    @property
    def window_ms(self) -> int:
        return reference.split_window_days() * dialect.SECONDS_PER_DAY * 1000


# The groups --------------------------------------------------------------------------------


def _base_total() -> sa.ColumnElement:
    """A request's total in the base currency, frozen at its submission (the policy's
    limits are in the base currency and see the same amount)."""
    return sa.func.coalesce(PurchaseRequest.total_base, PurchaseRequest.total)


def _memberships(scope: list[sa.ColumnElement[bool]], groups: list, below: int) -> sa.CTE:
    """(request, department, created, its millisecond, total in money units, kind, key) of
    every counted request in ``scope`` with a total under ``below`` units (one at or over
    every limit is no part of a split, nor of any sum): a row per vendor group and one
    per category group it belongs to; ``groups`` narrows them (functions of the row's
    kind and key). Only what the windows need: each step carries every row along."""
    cents = sa.type_coerce(_base_total(), sa.BigInteger)
    counted = [PurchaseRequest.status.in_(COUNTED_STATUSES), cents < below, *scope]
    common = (
        PurchaseRequest.id.label("request_id"),
        PurchaseRequest.department_id.label("department_id"),
        PurchaseRequest.created_at.label("created_at"),
        dialect.epoch_ms(PurchaseRequest.created_at).label("ms"),
        cents.label("cents"),
    )
    # Kept with the request's lines (``totals.main_category``): computing it from every
    # line of the range took most of the report's time at a million requests.
    category = PurchaseRequest.main_category
    by_category = sa.select(
        *common, sa.literal(CATEGORY).label("kind"), category.label("key")
    ).where(*counted, category.is_not(None), *[g(sa.literal(CATEGORY), category) for g in groups])
    vendor = sa.cast(PurchaseOrder.vendor_id, sa.String)
    # A request's vendor once, from its first order to it: a DISTINCT over the rows
    # sorted every one of them.
    earlier = orm.aliased(PurchaseOrder)
    by_vendor = (
        sa.select(*common, sa.literal(VENDOR), vendor)
        .join(PurchaseOrder, PurchaseOrder.request_id == PurchaseRequest.id)
        .where(
            *counted,
            PurchaseOrder.status != OrderStatus.CANCELLED,
            ~sa.exists().where(
                earlier.request_id == PurchaseOrder.request_id,
                earlier.vendor_id == PurchaseOrder.vendor_id,
                earlier.status != OrderStatus.CANCELLED,
                earlier.id < PurchaseOrder.id,
            ),
            *[g(sa.literal(VENDOR), vendor) for g in groups],
        )
    )
    return sa.union_all(by_category, by_vendor).cte("memberships")


def _frame(before: int | None, after: int) -> sa.FrameClause:
    """A ``RANGE`` frame from ``before`` milliseconds before a request (None: from the
    group's first) to ``after`` after it. The widths are written into the statement, so
    that PostgreSQL sees equal windows as one and computes them in one pass (a bound
    parameter makes each window a pass of its own)."""

    def width(ms: int) -> sa.BindParameter:
        return sa.bindparam(None, ms, type_=sa.BigInteger, literal_execute=True)

    return sa.FrameClause(
        None if before is None else width(before),
        width(after),
        sa.FrameClauseType.UNBOUNDED if before is None else sa.FrameClauseType.PRECEDING,
        sa.FrameClauseType.FOLLOWING,
    )


def _applies(rules: list[PolicyRule], limit: Decimal, rows) -> sa.ColumnElement[bool]:  # type: ignore[no-untyped-def]
    """Whether ``limit`` is one of the limits of a row's group (``_limits``, in SQL)."""
    return sa.or_(
        *[
            sa.and_(
                sa.true()
                if rule.department_id is None
                else rows.c.department_id == rule.department_id,
                sa.true()
                if rule.category is None
                else sa.and_(rows.c.kind == CATEGORY, rows.c.key == rule.category),
            )
            for rule in rules
            if rule.min_total == limit
        ]
    )


def statement(query: Query, rules: list[PolicyRule], limits: list[Decimal]) -> sa.Select:
    """The requests that belong to a split under some limit, a group's in creation order:
    (department, kind, key, request, its millisecond, total in Money units, created,
    then per limit of ``limits`` the millisecond of the last request flagged under it
    whose window reaches back to this one, None for none). A request belongs to a split
    under a limit when it is under the limit and that flagged request's window holds
    it; ``splits`` joins the members into splits.

    Both steps read the requests of a group in the order of their creation, sorted
    once; each computes every limit's window in one pass."""
    window = query.window_ms
    # The Money column's own units (thousandths), as the totals are compared raw.
    units = [to_units(limit) for limit in limits]
    memberships = _memberships(query.scope, query.groups, max(units))
    everything = range(len(units))

    def over(rows, value, frame: sa.FrameClause):  # type: ignore[no-untyped-def]
        group = (rows.c.department_id, rows.c.kind, rows.c.key)
        return value.over(partition_by=group, order_by=rows.c.ms, range_=frame)

    # Per limit, the sum of the totals under it within the window around each request.
    summed = sa.select(
        memberships,
        *[
            over(
                memberships,
                sa.func.sum(sa.case((memberships.c.cents < u, memberships.c.cents))),
                _frame(window, window),
            ).label(f"sum_{i}")
            for i, u in enumerate(units)
        ],
    ).subquery("summed")

    def reaches(i: int) -> sa.ColumnElement[bool]:
        return sa.and_(
            summed.c.cents < units[i],
            summed.c[f"sum_{i}"] >= units[i],
            _applies(rules, limits[i], summed),
        )

    anchored = [summed.c.created_at >= query.since] if query.since else []
    anchored += [summed.c.created_at < query.until] if query.until else []
    # A request is flagged under the highest of its group's limits it reaches (and, in
    # a report of a date range, when created in it). Per limit, the last flagged request
    # whose window reaches back to each request: a running max, never recomputed.
    reached = sa.select(
        summed,
        *[
            over(
                summed,
                sa.func.max(
                    sa.case(
                        (
                            sa.and_(
                                *anchored,
                                reaches(i),
                                *[sa.not_(reaches(j)) for j in everything if j > i],
                            ),
                            summed.c.ms,
                        )
                    )
                ),
                _frame(None, window),
            ).label(f"reach_{i}")
            for i in everything
        ],
    ).subquery("reached")
    return (
        sa.select(
            reached.c.department_id,
            reached.c.kind,
            reached.c.key,
            reached.c.request_id,
            reached.c.ms,
            reached.c.cents,  # the Money column's units, raw (``money.from_units``)
            reached.c.created_at,
            *[reached.c[f"reach_{i}"] for i in everything],
        )
        .where(
            sa.or_(
                *[
                    sa.and_(reached.c.cents < u, reached.c[f"reach_{i}"] >= reached.c.ms - window)
                    for i, u in enumerate(units)
                ]
            )
        )
        .order_by(
            reached.c.department_id,
            reached.c.kind,
            reached.c.key,
            reached.c.ms,
            reached.c.created_at,
            reached.c.request_id,
        )
    )
