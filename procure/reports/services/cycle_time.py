"""Approval cycle time: the median and the 90th percentile from submission to
decision, per step and per department, and the requests waiting longest.

Sums and counts are the database's; on PostgreSQL so are the percentiles. SQLite
has no percentile function, so there one query fetches the ordered durations per
group and Python interpolates them (``dialect.percentile``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from ...db import is_postgres
from ...extensions import db
from ...models import ApprovalStep, Department, PurchaseRequest, RequestStatus, StepStatus
from ...money import Money
from .. import dialect
from ..common import Filters, request_conditions

# How many of the requests waiting longest the cycle-time report lists.
WAITING_LIMIT = 20


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
            *request_conditions(filters, PurchaseRequest.submitted_at),
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
            *request_conditions(filters, PurchaseRequest.submitted_at),
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
            # In the base currency, frozen at submission, as the approvers' limits are.
            sa.type_coerce(
                sa.func.coalesce(PurchaseRequest.total_base, PurchaseRequest.total), Money
            ),
            ApprovalStep.pending_since,
        )
        .join(ApprovalStep, ApprovalStep.request_id == PurchaseRequest.id)
        .join(Department, Department.id == PurchaseRequest.department_id)
        .where(
            PurchaseRequest.status == RequestStatus.PENDING_APPROVAL,
            ApprovalStep.status == StepStatus.PENDING,
            *request_conditions(filters, PurchaseRequest.submitted_at),
        )
        .order_by(ApprovalStep.pending_since, PurchaseRequest.id)
        .limit(limit)
    )
    return [Waiting(*row) for row in rows]
