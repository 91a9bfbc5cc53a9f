"""Split purchases: one purchase cut into several requests, each under an approval
limit, so that together they escape the step the whole would need.

Requests are looked at in groups of one department and either one vendor (the
vendor of the request's order — an award creates one — unless it was cancelled) or
one category (the request's *main* category: the category of the largest share of
its total, ties to the alphabetically first, kept with its lines). Two requests of a group are
*siblings* when they were created within the window of each other (the setting
``reports.split_window_days``, 14 days by default; exactly 14 days apart is within).

The limits are the policy's ``min_total`` rules that apply to the group: active,
of the group's department or any, of its category or any (vendor groups: of any
category), and not conditional on the budget. A request under a limit is flagged
when it and its siblings under the same limit together reach it — the total at
which a single request would have needed the step. A request already at or over a
limit is no part of a split under that limit; it was decided by that step anyway.

Only requests that spend or may still spend count: pending approval, approved,
ordered and closed (not drafts, not cancelled or rejected ones).

Found in the database with window functions, in one pass over the requests whatever
their number: per group, in the order of creation, the sum of the totals under each
limit within the window around every request (a ``RANGE`` frame of the window's
width), then whether a flagged request lies within the window of each one. Only the
members of splits leave the database; Python groups them into splits. Three queries
in all (the policy, the members, their labels).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa

from .. import access, reference
from ..extensions import db
from ..models import (
    Department,
    OrderStatus,
    PolicyRule,
    PurchaseOrder,
    PurchaseRequest,
    RequestStatus,
    User,
    Vendor,
)
from ..money import Money
from . import dialect
from .common import Filters

COUNTED_STATUSES = (
    RequestStatus.PENDING_APPROVAL,
    RequestStatus.APPROVED,
    RequestStatus.ORDERED,
    RequestStatus.CLOSED,
)
# Who sees the flag on a request's page: its department's approvers, who see the
# siblings (same department) too, and those who watch spend and see every request.

VENDOR, CATEGORY = "vendor", "category"


@dataclasses.dataclass(frozen=True)
class Limit:
    amount: Decimal
    steps: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Member:
    id: int
    number: str
    title: str
    total: Decimal
    created_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Split:
    """Requests of one group that together reach a limit each of them is under."""

    department: str
    kind: str  # VENDOR or CATEGORY
    key: str  # the vendor's id or the category's name
    label: str  # the vendor's name or the category
    limit: Limit
    members: tuple[Member, ...]  # oldest first

    @property
    def combined(self) -> Decimal:
        return sum((m.total for m in self.members), Decimal("0.00"))

    @property
    def first(self) -> dt.datetime:
        return self.members[0].created_at

    @property
    def last(self) -> dt.datetime:
        return self.members[-1].created_at

    @property
    def days(self) -> float:
        return (self.last - self.first).total_seconds() / 86400


# The groups --------------------------------------------------------------------------------


def _base_total() -> sa.ColumnElement:
    """A request's total in the base currency, frozen at its submission (the policy's
    limits are in the base currency and see the same amount)."""
    return sa.func.coalesce(PurchaseRequest.total_base, PurchaseRequest.total)


def _memberships(scope: list[sa.ColumnElement[bool]], groups: list) -> sa.CTE:
    """(request, department, created, its millisecond, total in money units, kind, key) of
    every counted request in ``scope``: a row per vendor group and one per category
    group it belongs to; ``groups`` narrows them (functions of the row's kind and key)."""
    counted = [PurchaseRequest.status.in_(COUNTED_STATUSES), *scope]
    common = (
        PurchaseRequest.id.label("request_id"),
        PurchaseRequest.department_id.label("department_id"),
        PurchaseRequest.created_at.label("created_at"),
        dialect.epoch_ms(PurchaseRequest.created_at).label("ms"),
        sa.type_coerce(_base_total(), sa.BigInteger).label("cents"),
        # What a member shows, carried along: joining the requests back at the end read
        # the whole table's primary key (every request ever) to label a few thousand.
        PurchaseRequest.number.label("number"),
        PurchaseRequest.title.label("title"),
    )
    # Kept with the request's lines (``totals.main_category``): computing it from every
    # line of the range took most of the report's time at a million requests.
    category = PurchaseRequest.main_category
    by_category = sa.select(
        *common, sa.literal(CATEGORY).label("kind"), category.label("key")
    ).where(*counted, category.is_not(None), *[g(sa.literal(CATEGORY), category) for g in groups])
    vendor = sa.cast(PurchaseOrder.vendor_id, sa.String)
    by_vendor = (
        sa.select(*common, sa.literal(VENDOR), vendor)
        .join(PurchaseOrder, PurchaseOrder.request_id == PurchaseRequest.id)
        .where(
            *counted,
            PurchaseOrder.status != OrderStatus.CANCELLED,
            *[g(sa.literal(VENDOR), vendor) for g in groups],
        )
        .distinct()
    )
    return sa.union_all(by_category, by_vendor).cte("memberships")


def _members(scope: list, groups: list, limits: list[Decimal], window_ms: int) -> sa.Select:
    """The requests that belong to a split under some limit: each limit's sum within
    the window, whether the request is flagged (under the limit, the sum reaching it),
    and whether a flagged one lies within its window (a member, when under the limit)."""
    memberships = _memberships(scope, groups)
    group = (memberships.c.department_id, memberships.c.kind, memberships.c.key)

    def framed(value):  # type: ignore[no-untyped-def]
        return value.over(
            partition_by=group, order_by=memberships.c.ms, range_=(-window_ms, window_ms)
        )

    # The Money column's own units (thousandths), as the totals are compared raw.
    cents = [int(limit.scaleb(Money.scale)) for limit in limits]
    summed = sa.select(
        memberships,
        *[
            framed(sa.func.sum(sa.case((memberships.c.cents < c, memberships.c.cents)))).label(
                f"sum_{i}"
            )
            for i, c in enumerate(cents)
        ],
    ).subquery("summed")
    flagged = sa.select(
        summed,
        *[
            sa.case((sa.and_(summed.c.cents < c, summed.c[f"sum_{i}"] >= c), 1), else_=0).label(
                f"flag_{i}"
            )
            for i, c in enumerate(cents)
        ],
    ).subquery("flagged")
    near = sa.select(
        flagged,
        *[
            # How many flagged requests are near: a sum slides along the frame, where a
            # max() would be recomputed over the whole frame at every row.
            sa.func.sum(flagged.c[f"flag_{i}"])
            .over(
                partition_by=(flagged.c.department_id, flagged.c.kind, flagged.c.key),
                order_by=flagged.c.ms,
                range_=(-window_ms, window_ms),
            )
            .label(f"near_{i}")
            for i in range(len(cents))
        ],
    ).subquery("near")
    member_of_some = sa.or_(
        *[sa.and_(near.c[f"near_{i}"] > 0, near.c.cents < c) for i, c in enumerate(cents)]
    )
    return (
        sa.select(
            near.c.department_id,
            near.c.kind,
            near.c.key,
            near.c.request_id,
            near.c.ms,
            near.c.number,
            near.c.title,
            # The money units as stored: ``cents`` is the base total, raw.
            sa.type_coerce(near.c.cents, Money),
            near.c.created_at,
            *[near.c[f"flag_{i}"] for i in range(len(cents))],
        )
        .where(member_of_some)
        .order_by(near.c.department_id, near.c.kind, near.c.key, near.c.ms, near.c.request_id)
    )


# Limits ------------------------------------------------------------------------------------


def _rules() -> list[PolicyRule]:
    return list(
        db.session.scalars(
            sa.select(PolicyRule).where(
                PolicyRule.active.is_(True),
                PolicyRule.min_total.is_not(None),
                PolicyRule.when_over_budget.is_(False),
            )
        )
    )


def _limits(rules: list[PolicyRule], department_id: int, kind: str, key: str) -> list[Limit]:
    """The limits of a group, highest first."""
    steps: dict[Decimal, set[str]] = defaultdict(set)
    for rule in rules:
        if rule.department_id not in (None, department_id):
            continue
        if rule.category is not None and (kind != CATEGORY or rule.category != key):
            continue
        steps[rule.min_total].add(rule.step)  # type: ignore[index]
    return [Limit(amount, tuple(sorted(steps[amount]))) for amount in sorted(steps, reverse=True)]


# Detection ---------------------------------------------------------------------------------


@dataclasses.dataclass
class _Row:
    member: Member
    ms: int
    flags: dict[Decimal, bool]


def _detect(scope: list, groups: list, anchored=None) -> list[Split]:  # type: ignore[no-untyped-def]
    """The splits among the counted requests of ``scope`` (and ``groups``) whose
    flagged requests satisfy ``anchored`` (a test of a row's creation; None: any)."""
    rules = _rules()
    if not rules:
        return []
    every_limit = sorted({rule.min_total for rule in rules if rule.min_total is not None})
    window_ms = reference.split_window_days() * dialect.SECONDS_PER_DAY * 1000
    rows: dict[tuple[int, str, str], list[_Row]] = defaultdict(list)
    for row in db.session.execute(_members(scope, groups, every_limit, window_ms)):
        department_id, kind, key, request_id, ms, number, title, total, created = row[:9]
        rows[(department_id, kind, str(key))].append(
            _Row(
                Member(request_id, number, title, total, created),
                int(ms),
                {limit: bool(flag) for limit, flag in zip(every_limit, row[9:], strict=True)},
            )
        )
    labels = _labels([_GroupKey(*key) for key in rows])
    splits: list[Split] = []
    for (department_id, kind, key), members in rows.items():
        department, label = labels[(department_id, kind, key)]
        limits = _limits(rules, department_id, kind, key)
        # Each flagged request counts under the highest limit it reaches.
        reached: dict[Decimal, list[_Row]] = defaultdict(list)
        for row in members:
            if anchored is None or anchored(row.member.created_at):
                limit = next((x for x in limits if row.flags.get(x.amount)), None)
                if limit is not None:
                    reached[limit.amount].append(row)
        group = _Group(members)
        for limit in limits:
            anchors = reached.get(limit.amount)
            if not anchors:
                continue  # no request reaches it here: no split (most groups, most limits)
            for cluster in group.clusters(anchors, limit, window_ms):
                splits.append(Split(department, kind, key, label, limit, cluster))
    splits.sort(key=lambda s: (s.first, s.department, s.kind, s.label))
    return splits


class _Group:
    """One group's requests in creation order, their times and totals read once: a
    big group (a category over the window) holds thousands, and each of its limits
    looks at them again."""

    def __init__(self, members: list[_Row]) -> None:
        self.members = members
        self.times = [row.ms for row in members]
        self.totals = [row.member.total for row in members]

    def clusters(
        self, anchors: list[_Row], limit: Limit, window_ms: int
    ) -> list[tuple[Member, ...]]:
        """The splits of the group under one limit: each flagged request with the
        requests under the limit within its window, those that share a request joined
        into one. In creation order these are runs of the group's requests under the
        limit, so the joining is a sweep over ranges of them (a request belongs to one
        split per limit). ``under`` holds their places among all the group's requests;
        a window's bounds among all of them count, by bisection, as bounds among those
        under the limit."""
        under = [place for place, total in enumerate(self.totals) if total < limit.amount]
        ranges = sorted(
            (
                bisect_left(under, bisect_left(self.times, a.ms - window_ms)),
                bisect_left(under, bisect_right(self.times, a.ms + window_ms)),
            )
            for a in anchors
        )
        joined: list[list[int]] = []
        for low, high in ranges:
            if joined and low < joined[-1][1]:
                joined[-1][1] = max(joined[-1][1], high)
            else:
                joined.append([low, high])
        return [
            tuple(
                sorted(
                    (self.members[place].member for place in under[low:high]),
                    key=lambda m: (m.created_at, m.id),
                )
            )
            for low, high in joined
        ]


@dataclasses.dataclass(frozen=True)
class _GroupKey:
    department_id: int
    kind: str
    key: str


def _labels(groups) -> dict[tuple[int, str, str], tuple[str, str]]:
    """The department's code and the vendor's name or category's label of each group."""
    groups = list(groups)
    if not groups:
        return {}
    departments = dict(
        db.session.execute(
            sa.select(Department.id, Department.code).where(
                Department.id.in_({g.department_id for g in groups})
            )
        ).all()
    )
    vendor_ids = {int(g.key) for g in groups if g.kind == VENDOR}
    vendors = (
        dict(
            db.session.execute(
                sa.select(Vendor.id, Vendor.name).where(Vendor.id.in_(vendor_ids))
            ).all()
        )
        if vendor_ids
        else {}
    )
    categories = {c.name: c.label for c in reference.list_categories()}
    result = {}
    for g in groups:
        label = (
            vendors.get(int(g.key), g.key) if g.kind == VENDOR else categories.get(g.key, g.key)
        )
        result[(g.department_id, g.kind, g.key)] = (departments.get(g.department_id, ""), label)
    return result


def find(filters: Filters) -> list[Split]:
    """The splits with a flagged request created in the filters' range, of their
    department, and of the vendor (vendor groups only) or the category (category groups
    only). Requests up to two windows beyond the range are read, so that the sums of
    those in it are whole."""
    window = dt.timedelta(days=reference.split_window_days())
    scope = []
    if filters.department_id is not None:
        scope.append(PurchaseRequest.department_id == filters.department_id)
    if filters.date_from:
        scope.append(
            PurchaseRequest.created_at
            >= dt.datetime.combine(filters.date_from, dt.time()) - 2 * window
        )
    if filters.date_to:
        end = dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time())
        scope.append(PurchaseRequest.created_at < end + 2 * window)
    groups = []
    if filters.vendor_id is not None:
        groups.append(_group_is(VENDOR, str(filters.vendor_id)))
    if filters.category:
        groups.append(_group_is(CATEGORY, filters.category))

    def in_range(created: dt.datetime) -> bool:
        if filters.date_from and created.date() < filters.date_from:
            return False
        return not (filters.date_to and created.date() > filters.date_to)

    return _detect(scope, groups, in_range if filters.date_from or filters.date_to else None)


def _group_is(kind: str, key: str):  # type: ignore[no-untyped-def]
    return lambda row_kind, row_key: sa.and_(row_kind == kind, row_key == key)


def for_request(pr: PurchaseRequest) -> list[Split]:
    """The splits ``pr`` is part of, flagged in it or in a neighbour it contributes to:
    its department's requests within two windows of it are read (a neighbour's sum
    reaches one window further)."""
    if pr.status not in COUNTED_STATUSES:
        return []
    window = dt.timedelta(days=reference.split_window_days())
    scope = [
        PurchaseRequest.department_id == pr.department_id,
        PurchaseRequest.created_at >= pr.created_at - 2 * window,
        PurchaseRequest.created_at <= pr.created_at + 2 * window,
    ]
    return [s for s in _detect(scope, []) if any(m.id == pr.id for m in s.members)]


def flag_for(pr: PurchaseRequest, user: User) -> list[Split]:
    """What the request page warns about, for those who decide or watch spend."""
    if not access.may(user, "see_split_flags"):
        return []
    dialect.without_jit()
    return for_request(pr)
