"""Reading purchase requests: one, the lists, the approval inbox and the dashboard's
figures. Each is a few queries whatever the volume."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from ... import access, audit, permissions
from ...extensions import db
from ...models import ApprovalStep, PurchaseRequest, RequestStatus, Role, StepStatus, User
from ...pagination import PageOf, bounded_count, paginate_page

# How far the inbox counts (the inbox page, the dashboard's tile): "1,000+" beyond. The
# count is read on every view of either, and an approver's backlog of thousands was
# counted step by step (a probe of each step's request: 6.4 ms for 2,812 steps at a
# million requests); a thousand tells the approver as much, at a bounded cost.
INBOX_COUNT_LIMIT = 1_000


def get(pr_id: int, user: User, *, change: bool = False) -> PurchaseRequest:
    return access.load(PurchaseRequest, pr_id, user, change=change)


def list_query(
    user: User, *, status: str | None = None, mine: bool = False, awaiting_me: bool = False
) -> sa.Select[Any]:
    query = access.scoped(PurchaseRequest, user, sa.select(PurchaseRequest))
    if status:
        query = query.where(PurchaseRequest.status == RequestStatus(status))
    if mine:
        query = query.where(PurchaseRequest.requester_id == user.id)
    if awaiting_me:
        return awaiting(user).where(
            PurchaseRequest.id.in_(query.with_only_columns(PurchaseRequest.id))
        )
    return query.order_by(PurchaseRequest.id.desc())


def awaiting(user: User) -> sa.Select[Any]:
    """Requests whose pending step this user may decide now, in their own right or on
    behalf of someone they stand in for; oldest wait first."""
    step = aliased(ApprovalStep)

    def decided_another(person: User) -> sa.ColumnElement[bool]:
        """Whether ``person`` decided another step of the round. A round's steps are
        decided in order, so only a step after its first can follow one decided: the
        first steps, most of an inbox, are not looked up (a backlog of 2,812 at a
        million requests: its count 12.2 → 7.7 ms)."""
        other = aliased(ApprovalStep)
        return sa.and_(
            step.position > 1,
            sa.exists().where(
                other.request_id == PurchaseRequest.id,
                other.round == PurchaseRequest.approval_round,
                other.id != step.id,
                sa.or_(other.decided_by_id == person.id, other.on_behalf_of_id == person.id),
            ),
        )

    def holds(person: User, roles: set[Role]) -> list[sa.ColumnElement[bool]]:
        held = []
        if Role.APPROVER in roles:
            held.append(
                sa.and_(step.role == Role.APPROVER, step.department_id == person.department_id)
            )
        others = [role for role in roles if role != Role.APPROVER]
        if others:
            held.append(step.role.in_(others))
        return held

    capacities = []
    own = holds(user, set(user.roles))
    if own:
        capacities.append(sa.and_(sa.or_(*own), PurchaseRequest.requester_id != user.id))
    for principal in permissions.standing_in_for(user):
        theirs = holds(principal, set(principal.roles & user.roles))
        if theirs:
            capacities.append(
                sa.and_(
                    sa.or_(*theirs),
                    PurchaseRequest.requester_id != principal.id,
                    ~decided_another(principal),
                )
            )
    if not capacities:
        return sa.select(PurchaseRequest).where(sa.false())
    return (
        sa.select(PurchaseRequest)
        .join(step, step.request_id == PurchaseRequest.id)
        .where(
            # Ordered: the steps of an increase of its order.
            PurchaseRequest.status.in_((RequestStatus.PENDING_APPROVAL, RequestStatus.ORDERED)),
            step.status == StepStatus.PENDING,
            PurchaseRequest.requester_id != user.id,
            ~decided_another(user),
            sa.or_(*capacities),
        )
        # The step's request id (the same as the request's) so that the database can
        # walk ``ix_approval_steps_waiting`` in this order and stop at a page.
        .order_by(step.pending_since, step.request_id)
        # The requester (and their department) in a second query: joined here, the
        # planner misjudges how many requests wait and joins every candidate to every
        # department before it sorts (a backlog of thousands: 100 ms at a million).
        .options(selectinload(PurchaseRequest.steps), selectinload(PurchaseRequest.requester))
    )


def inbox_page(user: User) -> PageOf:
    """The page of the inbox asked for, counted no further than ``INBOX_COUNT_LIMIT``."""
    return paginate_page(awaiting(user), count_limit=INBOX_COUNT_LIMIT)


def waiting_since(pr: PurchaseRequest) -> dt.datetime | None:
    step = pr.pending_step
    return step.pending_since if step else None


def history(pr: PurchaseRequest) -> list[Any]:
    return list(db.session.scalars(audit.events_for("request", pr.id)))


# The dashboard ----------------------------------------------------------------------


@dataclasses.dataclass
class Dashboard:
    inbox: list[PurchaseRequest]
    inbox_total: int
    inbox_capped: bool
    came_back: list[PurchaseRequest]
    mine_by_status: dict[str, int]


def dashboard(user: User, *, limit: int = 5) -> Dashboard:
    """What waits for ``user``: a few queries, whatever the volume."""
    inbox_query = awaiting(user)
    inbox_total, inbox_capped = bounded_count(inbox_query, INBOX_COUNT_LIMIT)
    inbox = list(db.session.scalars(inbox_query.limit(limit)).unique()) if inbox_total else []
    counts = dict(
        db.session.execute(
            sa.select(PurchaseRequest.status, sa.func.count())
            .where(PurchaseRequest.requester_id == user.id)
            .group_by(PurchaseRequest.status)
        ).all()
    )
    came_back = list(
        db.session.scalars(
            sa.select(PurchaseRequest)
            .where(
                PurchaseRequest.requester_id == user.id,
                sa.or_(
                    sa.and_(
                        PurchaseRequest.status == RequestStatus.DRAFT,
                        PurchaseRequest.approval_round > 0,
                    ),
                    PurchaseRequest.status == RequestStatus.REJECTED,
                ),
            )
            .order_by(PurchaseRequest.updated_at.desc())
            .limit(limit)
            .options(selectinload(PurchaseRequest.steps).selectinload(ApprovalStep.decided_by))
        )
    )
    return Dashboard(
        inbox=inbox,
        inbox_total=inbox_total or 0,
        inbox_capped=inbox_capped,
        came_back=came_back,
        mine_by_status={status.value: counts.get(status, 0) for status in RequestStatus},
    )
