"""Who may act on a document: predicates on the models, no Flask.

Each returns ``None`` when the user may act, or the reason they may not, so that
a refusal always says why (and the same check serves buttons, pages and API).
:func:`eligible_deciders` is the same rule as a query: who may decide a step, for
the submission that needs somebody and the notification that tells them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .delegation import CACHE_KEY, delegators_of
from .extensions import db
from .models import ApprovalStep, PurchaseRequest, Role, User, UserRole

Reason = str | None


def owner_of(actor: User, pr: PurchaseRequest) -> Reason:
    if pr.requester_id != actor.id:
        return "Only the requester may do this."
    return None


def holds_step_role(person: User, pr: PurchaseRequest, step: ApprovalStep) -> bool:
    if step.role not in person.roles:
        return False
    # The department step belongs to the approvers of the request's department.
    return step.role != Role.APPROVER or person.department_id == pr.department_id


def _decided_another(person: User, pr: PurchaseRequest, step: ApprovalStep) -> bool:
    return any(
        person.id in (other.decided_by_id, other.on_behalf_of_id)
        for other in pr.current_steps
        if other.id != step.id
    )


def _own_reason(person: User, pr: PurchaseRequest, step: ApprovalStep) -> Reason:
    """Why ``person`` may not decide ``step`` in their own right (None: they may)."""
    if pr.requester_id == person.id:
        return "You filed this request, so you cannot decide on it."
    if _decided_another(person, pr, step):
        return "You already decided another step of this request."
    if not holds_step_role(person, pr, step):
        if step.role == Role.APPROVER:
            return f"The {step.name} step is decided by an approver of {pr.department.code}."
        return f"The {step.name} step is decided by {step.role.value}."
    return None


def eligible_deciders(pr: PurchaseRequest, role: Role) -> sa.Select[Any]:
    """The ids of the active people who may decide a step of ``role`` on ``pr`` in their
    own right: holders of the role (approvers of the request's department for the
    department step), the requester excepted."""
    query = (
        sa.select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == role, User.active.is_(True), User.id != pr.requester_id)
    )
    if role == Role.APPROVER:
        query = query.where(User.department_id == pr.department_id)
    return query


def standing_in_for(actor: User) -> list[User]:
    """Whom ``actor`` may decide for today, by delegation."""
    # Asked once per user and database session (a request, a command); creating or
    # ending a delegation clears it.
    cache = db.session.info.setdefault(CACHE_KEY, {})
    if actor.id not in cache:
        cache[actor.id] = delegators_of(actor)
    return cache[actor.id]


def decision_capacity(actor: User, pr: PurchaseRequest) -> tuple[User | None, Reason]:
    """May ``actor`` decide the pending step, and for whom?

    Returns ``(None, None)`` to decide in their own right, ``(principal, None)`` to
    decide on behalf of a delegator, or ``(None, reason)``. Separation of duties holds
    for both people: neither filed the request, neither decided another of its steps.
    Delegation does not chain, and an admin does not bypass any of this."""
    step = pr.pending_step
    if step is None:
        return None, "No approval step is waiting for a decision."
    reason = _own_reason(actor, pr, step)
    if reason is None:
        return None, None
    if pr.requester_id == actor.id or _decided_another(actor, pr, step):
        return None, reason
    for principal in standing_in_for(actor):
        if step.role in actor.roles and _own_reason(principal, pr, step) is None:
            return principal, None
    return None, reason


def may_decide(actor: User, pr: PurchaseRequest) -> Reason:
    return decision_capacity(actor, pr)[1]


def procurement(actor: User, _doc: object) -> Reason:
    if Role.PROCUREMENT not in actor.roles:
        return "Only procurement may do this."
    return None


def system(actor: User | None, _doc: object) -> Reason:
    """Transitions Procure takes itself (a contract expiring), never a person."""
    if actor is not None:
        return "Procure does this by itself when the date comes."
    return None
