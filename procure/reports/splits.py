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

The members of splits are found in the database with window functions, in one pass
over the requests whatever their number (``split_windows``); a sweep in creation order
joins them into splits, keeping each split's figures and only its first members when
a page shows no more (a big category's split holds thousands of requests); only those
shown are named. The queries: the policy, the members, their groups' labels, and the
names of the members returned (one per 5,000).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa

from .. import access, reference
from ..extensions import db
from ..models import (
    Department,
    PolicyRule,
    PurchaseOrder,
    PurchaseRequest,
    User,
    Vendor,
)
from ..money import from_units, to_units
from . import dialect
from .common import Filters
from .split_windows import CATEGORY, COUNTED_STATUSES, VENDOR, Query, statement


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
    members: tuple[Member, ...]  # oldest first: all of them, or the first so many asked
    count: int  # how many requests the split holds
    combined: Decimal  # their totals together
    first: dt.datetime  # when the first of them was created
    last: dt.datetime  # and the last

    @property
    def days(self) -> float:
        return (self.last - self.first).total_seconds() / 86400

    @property
    def report_args(self) -> dict[str, str]:
        """The split-purchases report's filters that show this split."""
        group = {"vendor" if self.kind == VENDOR else "category": self.key}
        dates = {"start": self.first.date().isoformat(), "end": self.last.date().isoformat()}
        return {**dates, "department": self.department, **group}


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

# How many requests are named in one query (each is a bound parameter).
NAMED_AT_ONCE = 5_000
# How many of a split's requests a request page's warning names, the request among them
# (a busy department's split can hold hundreds; the report lists them all).
FLAG_NAMED = 8


@dataclasses.dataclass
class _Swept:
    """A split as the sweep finds it: its first members as (id, total, created), before
    they are named, and its figures over all of them (amounts in Money units)."""

    department_id: int
    kind: str
    key: str
    place: int  # its limit's place among all the limits
    members: list[tuple[int, int, dt.datetime]]
    first: dt.datetime
    last: dt.datetime
    reach: int  # when the last flagged request whose window holds the last member was
    count: int = 0
    combined: int = 0
    department: str = ""
    label: str = ""
    limit: Limit | None = None


def _sweep(rows, limits: list[int], window_ms: int, shown: int | None) -> list[_Swept]:  # type: ignore[no-untyped-def]
    """The members of splits (``statement``'s rows, a group's in creation order) joined
    into splits: under each limit, a member joins the split of the one before it when
    the window of one flagged request holds both — when the earlier one's reach (the
    last flagged request reaching back to it, ascending) reaches forward to it."""
    done: list[_Swept] = []
    going: dict[int, _Swept] = {}
    group = None
    places = list(enumerate(limits))
    for row in rows:
        department_id, kind, key, request_id, ms, total, created = row[:7]
        if (department_id, kind, key) != group:
            done.extend(going.values())
            going, group = {}, (department_id, kind, key)
        since = ms - window_ms  # a flagged request's window reaching back here began then
        for place, limit in places:
            reach = row[7 + place]
            if total >= limit or reach is None or reach < since:
                continue  # no member under this limit
            split = going.get(place)
            if split is None or split.reach < since:
                if split is not None:
                    done.append(split)
                split = going[place] = _Swept(
                    department_id, kind, str(key), place, [], created, created, reach
                )
            split.count += 1
            split.combined += total
            split.last, split.reach = created, reach
            if shown is None or len(split.members) < shown:
                split.members.append((request_id, total, created))
    done.extend(going.values())
    return done


def _detect(query: Query) -> list[_Swept]:
    """The splits ``query`` asks for, the earliest first, their members not yet named."""
    rules = _rules()
    if not rules:
        return []
    every_limit = sorted({rule.min_total for rule in rules if rule.min_total is not None})
    # Core rows, read from the connection: the members are many, and plain columns.
    rows = db.session.connection().execute(statement(query, rules, every_limit)).all()
    found = _sweep(rows, [to_units(x) for x in every_limit], query.window_ms, query.shown)
    labels = _labels({_GroupKey(s.department_id, s.kind, s.key) for s in found})
    limits: dict[tuple[int, str, str], dict[Decimal, Limit]] = {}
    for split in found:
        group = (split.department_id, split.kind, split.key)
        split.department, split.label = labels[group]
        if group not in limits:
            limits[group] = {x.amount: x for x in _limits(rules, *group)}
        split.limit = limits[group][every_limit[split.place]]
    found.sort(key=lambda s: (s.first, s.department, s.kind, s.label, -s.limit.amount))  # type: ignore[union-attr]
    return found


def _named(found: list[_Swept]) -> list[Split]:
    """The splits with their members' numbers and titles, read by their keys."""
    ids = [member[0] for split in found for member in split.members]
    names: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), NAMED_AT_ONCE):
        names.update(
            (id_, (number, title))
            for id_, number, title in db.session.execute(
                sa.select(PurchaseRequest.id, PurchaseRequest.number, PurchaseRequest.title).where(
                    PurchaseRequest.id.in_(ids[start : start + NAMED_AT_ONCE])
                )
            )
        )
    return [
        Split(
            s.department,
            s.kind,
            s.key,
            s.label,
            s.limit,  # type: ignore[arg-type]
            tuple(
                Member(i, *names[i], from_units(total), created) for i, total, created in s.members
            ),
            s.count,
            from_units(s.combined),
            s.first,
            s.last,
        )
        for s in found
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
    only), with all their members."""
    return _named(_detect(_query(filters)))


def first(filters: Filters, count: int, shown: int) -> tuple[list[Split], int]:
    """The first ``count`` of the splits ``find`` gives, each with its first ``shown``
    members (its figures count all of them), and how many splits there are."""
    found = _detect(_query(filters, shown))
    return _named(found[:count]), len(found)


def _query(filters: Filters, shown: int | None = None) -> Query:
    """Requests up to a window beyond the filters' range are read: the sums of those in
    it are whole, and a split's members lie within the window of one of them."""
    window = dt.timedelta(days=reference.split_window_days())
    since = dt.datetime.combine(filters.date_from, dt.time()) if filters.date_from else None
    until = (
        dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time())
        if filters.date_to
        else None
    )
    scope = []
    if filters.department_id is not None:
        scope.append(PurchaseRequest.department_id == filters.department_id)
    if since:
        scope.append(PurchaseRequest.created_at >= since - window)
    if until:
        scope.append(PurchaseRequest.created_at < until + window)
    groups = []
    if filters.vendor_id is not None:
        groups.append(_group_is(VENDOR, str(filters.vendor_id)))
    if filters.category:
        groups.append(_group_is(CATEGORY, filters.category))
    return Query(scope, groups, since, until, shown)


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
    query = Query(scope, [_groups_of(pr)])
    found = [s for s in _detect(query) if any(m[0] == pr.id for m in s.members)]
    for split in found:
        split.members = _around(split.members, pr.id, FLAG_NAMED)
    return _named(found)


def _around(members: list, request_id: int, count: int) -> list:
    """``count`` of ``members`` (creation order) around ``request_id``'s, it among them."""
    place = next(i for i, member in enumerate(members) if member[0] == request_id)
    start = max(0, min(place - count // 2, len(members) - count))
    return members[start : start + count]


def _groups_of(pr: PurchaseRequest):  # type: ignore[no-untyped-def]
    """Only ``pr``'s own groups: its category's, and each vendor's it has an order with.
    A split lies within one group, so no other can hold ``pr``; a busy department's
    other groups would be most of the rows read and summed. Which of its orders make it
    a member is ``split_windows``' rule alone: a group it is not in finds no split
    holding it."""
    vendors = sa.select(sa.cast(PurchaseOrder.vendor_id, sa.String)).where(
        PurchaseOrder.request_id == pr.id
    )
    return lambda kind, key: sa.or_(
        sa.and_(kind == CATEGORY, key == pr.main_category) if pr.main_category else sa.false(),
        sa.and_(kind == VENDOR, key.in_(vendors)),
    )


def flag_for(pr: PurchaseRequest, user: User) -> list[Split]:
    """What the request page warns about, for those who decide or watch spend."""
    if not access.may(user, "see_split_flags"):
        return []
    dialect.without_jit()
    return for_request(pr)
