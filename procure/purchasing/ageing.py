"""Approval ageing: a step waiting longer than its service level (a policy setting,
2 working days by default) is overdue. Pages flag it, the requester sees it waiting,
and ``send-reminders`` reminds its deciders once a day.

Working days are Monday to Friday, counted in UTC, to the minute: a step that became
pending on Tuesday at 10:00 with a 2-day service level is overdue from Thursday 10:00;
one that became pending at the weekend starts counting on Monday at 00:00.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from .. import action_links, reference
from ..db import insert_unless_present, write_intent
from ..extensions import db
from ..models import (
    ApprovalReminder,
    ApprovalStep,
    PurchaseRequest,
    RequestStatus,
    StepStatus,
    utcnow,
)
from ..notifications import services as notifications

MAX_SLA_DAYS = 30


# The working clock: time that passes only from Monday to Friday. A weekend is a pause,
# so Friday 24:00 and Monday 00:00 are the same working moment.
_EPOCH = dt.datetime(2001, 1, 1)  # a Monday
_DAY = dt.timedelta(days=1)
_WEEK = dt.timedelta(days=7)
_WORKING_WEEK = 5 * _DAY


def working_time(moment: dt.datetime) -> dt.timedelta:
    """Working time from a fixed Monday to ``moment``."""
    weeks, rest = divmod(moment - _EPOCH, _WEEK)
    return weeks * _WORKING_WEEK + min(rest, _WORKING_WEEK)


def _first_moment_at(working: dt.timedelta) -> dt.datetime:
    """The earliest moment whose working time is ``working``."""
    weeks, rest = divmod(working, _WORKING_WEEK)
    if rest == dt.timedelta(0) and weeks:
        return _EPOCH + weeks * _WEEK - 2 * _DAY  # the end of the Friday before
    return _EPOCH + weeks * _WEEK + rest


def deadline(since: dt.datetime, days: int) -> dt.datetime:
    """When a step pending since ``since`` has waited ``days`` working days; it is
    overdue once working time passes this moment."""
    return _first_moment_at(working_time(since) + days * _DAY)


def cutoff(now: dt.datetime, days: int) -> dt.datetime:
    """A step pending since before this moment is overdue at ``now``."""
    return _first_moment_at(working_time(now) - days * _DAY)


def waited_too_long(since: dt.datetime, now: dt.datetime, days: int) -> bool:
    return working_time(now) - working_time(since) > days * _DAY


def is_overdue(step: ApprovalStep | None, now: dt.datetime | None = None) -> bool:
    if step is None or step.status != StepStatus.PENDING or step.pending_since is None:
        return False
    return waited_too_long(step.pending_since, now or utcnow(), reference.sla_days())


def overdue_condition(now: dt.datetime | None = None) -> sa.ColumnElement[bool]:
    """:func:`is_overdue` as SQL, for ``ApprovalStep``."""
    return sa.and_(
        ApprovalStep.status == StepStatus.PENDING,
        ApprovalStep.pending_since < cutoff(now or utcnow(), reference.sla_days()),
    )


# The daily reminder ---------------------------------------------------------------------


@dataclasses.dataclass
class Report:
    steps: int = 0
    reminded: int = 0


def remind(now: dt.datetime | None = None) -> Report:
    """Queue one reminder a day to each person who may decide an overdue step. Each
    step in its own transaction; the unique index keeps concurrent runs from telling
    anyone twice the same day."""
    now = now or utcnow()
    report = Report()
    db.session.commit()
    overdue = db.session.execute(
        sa.select(ApprovalStep.id, ApprovalStep.request_id)
        .join(PurchaseRequest, PurchaseRequest.id == ApprovalStep.request_id)
        .where(
            # Ordered: the steps of an increase of its order wait too.
            PurchaseRequest.status.in_((RequestStatus.PENDING_APPROVAL, RequestStatus.ORDERED)),
            ApprovalStep.round == PurchaseRequest.approval_round,
            overdue_condition(now),
        )
        .order_by(ApprovalStep.pending_since, ApprovalStep.id)
    ).all()
    for step_id, request_id in overdue:
        db.session.commit()
        with write_intent():
            pr = db.session.get(PurchaseRequest, request_id, populate_existing=True)
            step = pr.pending_step if pr is not None else None
            if step is None or step.id != step_id or not is_overdue(step, now):
                db.session.rollback()
                continue
            report.steps += 1
            for recipient in notifications.step_recipients(pr, step):
                if not _claim(step, recipient.user.id, now.date()):
                    continue
                # Fresh decision links: those of the first e-mail may have run out.
                decide = action_links.mint([recipient.user], pr, step, now=now)
                notifications.queue(
                    recipient.user,
                    notifications.APPROVAL_OVERDUE,
                    path=f"/requests/{pr.id}",
                    entity="request",
                    entity_id=pr.id,
                    pr=pr,
                    step=step,
                    sla_days=reference.sla_days(),
                    stands_in_for=recipient.stands_in_for,
                    decide=decide[recipient.user.id],
                )
                report.reminded += 1
            db.session.commit()
    return report


def _claim(step: ApprovalStep, user_id: int, day: dt.date) -> bool:
    table = ApprovalReminder.__table__
    row = db.session.execute(
        insert_unless_present(
            table, step_id=step.id, user_id=user_id, day=day, queued_at=utcnow()
        ).returning(table.c.id)
    ).first()
    return row is not None
