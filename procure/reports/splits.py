"""Split purchases: one purchase cut into several requests, each under an approval
limit, so that together they escape the step the whole would need.

Requests are looked at in groups of one department and either one vendor (the
vendor of the request's order — an award creates one — unless it was cancelled) or
one category (the request's *main* category: the category of the largest share of
its total, ties to the alphabetically first). Two requests of a group are
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

Everything is found with a window self-join in two queries, whatever the volume.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm

from .. import settings
from ..extensions import db
from ..models import (
    Department,
    OrderStatus,
    PolicyRule,
    PurchaseOrder,
    PurchaseRequest,
    RequestLine,
    RequestStatus,
    Role,
    User,
    Vendor,
)
from . import dialect
from .services import Filters

COUNTED_STATUSES = (
    RequestStatus.PENDING_APPROVAL,
    RequestStatus.APPROVED,
    RequestStatus.ORDERED,
    RequestStatus.CLOSED,
)
# Who sees the flag on a request's page: its department's approvers, who see the
# siblings (same department) too, and those who watch spend and see every request.
FLAG_READERS = (Role.APPROVER, Role.FINANCE, Role.PROCUREMENT, Role.ADMIN)

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


SETTING = "reports.split_window_days"


def window_days() -> int:
    return int(settings.get(SETTING))


# The groups --------------------------------------------------------------------------------


def _main_category() -> sa.Subquery:
    """Each request's main category: the largest share of its total."""
    per_category = (
        sa.select(
            RequestLine.request_id.label("request_id"),
            RequestLine.category.label("category"),
            sa.func.sum(RequestLine.total).label("amount"),
        )
        .group_by(RequestLine.request_id, RequestLine.category)
        .subquery()
    )
    ranked = sa.select(
        per_category.c.request_id,
        per_category.c.category,
        sa.func.row_number()
        .over(
            partition_by=per_category.c.request_id,
            order_by=(per_category.c.amount.desc(), per_category.c.category),
        )
        .label("rank"),
    ).subquery()
    return (
        sa.select(ranked.c.request_id, ranked.c.category)
        .where(ranked.c.rank == 1)
        .subquery("main_category")
    )


def _memberships(scope: list[sa.ColumnElement[bool]]) -> sa.CTE:
    """(request, department, created, total, kind, key) of every counted request in
    ``scope``: one row per vendor group and one per category group it belongs to."""
    counted = [PurchaseRequest.status.in_(COUNTED_STATUSES), *scope]
    main = _main_category()
    by_category = (
        sa.select(
            PurchaseRequest.id.label("request_id"),
            PurchaseRequest.department_id.label("department_id"),
            PurchaseRequest.created_at.label("created_at"),
            PurchaseRequest.total.label("total"),
            sa.literal(CATEGORY).label("kind"),
            main.c.category.label("key"),
        )
        .join(main, main.c.request_id == PurchaseRequest.id)
        .where(*counted)
    )
    vendor_key = sa.cast(PurchaseOrder.vendor_id, sa.String)
    by_vendor = (
        sa.select(
            PurchaseRequest.id,
            PurchaseRequest.department_id,
            PurchaseRequest.created_at,
            PurchaseRequest.total,
            sa.literal(VENDOR),
            vendor_key,
        )
        .join(PurchaseOrder, PurchaseOrder.request_id == PurchaseRequest.id)
        .where(*counted, PurchaseOrder.status != OrderStatus.CANCELLED)
        .distinct()
    )
    return sa.union_all(by_category, by_vendor).cte("memberships")


def _pairs(anchors: list, window: int, ceiling: Decimal) -> sa.Select:
    """Every (request, sibling) pair whose request matches ``anchors`` (functions of
    the memberships' alias), with both requests' details; both under ``ceiling`` (the
    highest limit: nothing at or over it can be part of a split)."""
    memberships = _memberships([PurchaseRequest.total < ceiling])
    a = memberships.alias("a")
    b = memberships.alias("b")
    one = orm.aliased(PurchaseRequest)
    other = orm.aliased(PurchaseRequest)
    return (
        sa.select(
            a.c.department_id,
            a.c.kind,
            a.c.key,
            *(
                column
                for request in (one, other)
                for column in (request.id, request.number, request.title, request.total)
            ),
            one.created_at,
            other.created_at,
        )
        .select_from(a)
        .join(
            b,
            sa.and_(
                b.c.department_id == a.c.department_id,
                b.c.kind == a.c.kind,
                b.c.key == a.c.key,
                b.c.request_id != a.c.request_id,
                sa.func.abs(dialect.seconds_between(a.c.created_at, b.c.created_at))
                <= window * dialect.SECONDS_PER_DAY,
            ),
        )
        .join(one, one.id == a.c.request_id)
        .join(other, other.id == b.c.request_id)
        .where(*[condition(a) for condition in anchors])
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
class _Group:
    department_id: int
    kind: str
    key: str
    # request id -> (its siblings' ids); and every member's details
    siblings: dict[int, set[int]] = dataclasses.field(default_factory=lambda: defaultdict(set))
    members: dict[int, Member] = dataclasses.field(default_factory=dict)


def _detect(anchors: list) -> list[Split]:
    rules = _rules()
    if not rules:
        return []
    ceiling = max(rule.min_total for rule in rules if rule.min_total is not None)
    groups: dict[tuple[int, str, str], _Group] = {}
    for row in db.session.execute(_pairs(anchors, window_days(), ceiling)):
        department_id, kind, key = row[0], row[1], str(row[2])
        a_id, a_number, a_title, a_total, b_id, b_number, b_title, b_total = row[3:11]
        a_created, b_created = row[11], row[12]
        group = groups.setdefault((department_id, kind, key), _Group(department_id, kind, key))
        group.siblings[a_id].add(b_id)
        group.members[a_id] = Member(a_id, a_number, a_title, a_total, a_created)
        group.members[b_id] = Member(b_id, b_number, b_title, b_total, b_created)
    labels = _labels(groups.values())
    splits: list[Split] = []
    for (department_id, kind, key), group in groups.items():
        limits = _limits(rules, department_id, kind, key)
        found: dict[Decimal, list[set[int]]] = defaultdict(list)
        for request_id, sibling_ids in group.siblings.items():
            own = group.members[request_id]
            for limit in limits:
                if own.total >= limit.amount:
                    continue
                under = {s for s in sibling_ids if group.members[s].total < limit.amount}
                together = own.total + sum(group.members[s].total for s in under)
                if together >= limit.amount:
                    found[limit.amount].append({request_id, *under})
                    break  # the highest limit reached is the one that matters
        department, label = labels[(department_id, kind, key)]
        for limit in limits:
            for cluster in _merge(found.get(limit.amount, [])):
                members = sorted(
                    (group.members[i] for i in cluster), key=lambda m: (m.created_at, m.id)
                )
                splits.append(Split(department, kind, key, label, limit, tuple(members)))
    splits.sort(key=lambda s: (s.first, s.department, s.kind, s.label))
    return splits


def _merge(clusters: list[set[int]]) -> list[set[int]]:
    """Overlapping clusters joined into one (a request belongs to one split per limit)."""
    merged: list[set[int]] = []
    for cluster in clusters:
        touching = [m for m in merged if m & cluster]
        for m in touching:
            merged.remove(m)
            cluster = cluster | m
        merged.append(cluster)
    return merged


def _labels(groups) -> dict[tuple[int, str, str], tuple[str, str]]:
    """The department's code and the vendor's name or category's label of each group."""
    from ..admin.services import list_categories

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
    categories = {c.name: c.label for c in list_categories()}
    result = {}
    for g in groups:
        label = (
            vendors.get(int(g.key), g.key) if g.kind == VENDOR else categories.get(g.key, g.key)
        )
        result[(g.department_id, g.kind, g.key)] = (departments.get(g.department_id, ""), label)
    return result


def find(filters: Filters) -> list[Split]:
    """The splits among requests created in the filters' range, of their department,
    and of the vendor (vendor groups only) or the category (category groups only)."""
    anchors = [lambda a: sa.and_(sa.true(), *filters.period(a.c.created_at))]
    if filters.department_id is not None:
        anchors.append(lambda a: a.c.department_id == filters.department_id)
    if filters.vendor_id is not None:
        anchors.append(_group_is(VENDOR, str(filters.vendor_id)))
    if filters.category:
        anchors.append(_group_is(CATEGORY, filters.category))
    return _detect(anchors)


def _group_is(kind: str, key: str):
    return lambda a: sa.and_(a.c.kind == kind, a.c.key == key)


def for_request(pr: PurchaseRequest) -> list[Split]:
    """The splits ``pr`` is part of. The pairs are those of its siblings-to-be (its
    department, created within the window of it) and of itself, so that a split it
    only contributes to is found as well as one it is flagged in."""
    if pr.status not in COUNTED_STATUSES:
        return []
    window = dt.timedelta(days=window_days())
    low, high = pr.created_at - window, pr.created_at + window

    def near(a):
        return sa.and_(
            a.c.department_id == pr.department_id, a.c.created_at >= low, a.c.created_at <= high
        )

    return [s for s in _detect([near]) if any(m.id == pr.id for m in s.members)]


def flag_for(pr: PurchaseRequest, user: User) -> list[Split]:
    """What the request page warns about, for those who decide or watch spend."""
    if not user.has_role(*FLAG_READERS):
        return []
    return for_request(pr)
