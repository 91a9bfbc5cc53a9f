"""Who may act on a document: predicates on the models, no Flask.

Each returns ``None`` when the user may act, or the reason they may not, so that
a refusal always says why (and the same check serves buttons, pages and API).
:func:`eligible_deciders` is the same rule as a query: who may decide a step, for
the submission that needs somebody and the notification that tells them.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import sqlalchemy as sa

from .delegation import CACHE_KEY, delegators_of
from .extensions import db
from .models import (
    ApprovalStep,
    ExceptionKind,
    Invoice,
    OrderRevision,
    PurchaseOrder,
    PurchaseRequest,
    RequestStatus,
    Role,
    User,
    UserRole,
    VendorBankAccount,
)

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


def proposed_increase(person: User, pr: PurchaseRequest) -> bool:
    """Whether ``person`` proposed the order revision whose increase the request's
    current round decides: whoever asks for more money does not approve it."""
    if pr.status != RequestStatus.ORDERED:
        return False
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(
                    OrderRevision.created_by_id == person.id,
                    OrderRevision.approval_round == pr.approval_round,
                    OrderRevision.order_id.in_(
                        sa.select(PurchaseOrder.id).where(PurchaseOrder.request_id == pr.id)
                    ),
                )
            )
        )
    )


def _conflicted(person: User, pr: PurchaseRequest, step: ApprovalStep) -> Reason:
    """Separation of duties: why ``person`` may not decide ``step`` at all, in their own
    right or for anyone else."""
    if pr.requester_id == person.id:
        return "You filed this request, so you cannot decide on it."
    if _decided_another(person, pr, step):
        return "You already decided another step of this request."
    if proposed_increase(person, pr):
        return "You proposed the revision of its order, so you cannot approve the increase."
    return None


def _own_reason(person: User, pr: PurchaseRequest, step: ApprovalStep) -> Reason:
    """Why ``person`` may not decide ``step`` in their own right (None: they may)."""
    conflict = _conflicted(person, pr, step)
    if conflict is not None:
        return conflict
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


def roles_with_deciders(pr: PurchaseRequest, roles: Collection[Role]) -> set[Role]:
    """Which of ``roles`` have somebody who may decide a step of that role on ``pr``
    (:func:`eligible_deciders`), asked for all the roles in one query."""
    if not roles:
        return set()
    found = db.session.scalars(
        sa.select(UserRole.role)
        .distinct()
        .join(User, UserRole.user_id == User.id)
        .where(
            UserRole.role.in_(set(roles)),
            User.active.is_(True),
            User.id != pr.requester_id,
            sa.or_(UserRole.role != Role.APPROVER, User.department_id == pr.department_id),
        )
    )
    return set(found)


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
    if _conflicted(actor, pr, step) is not None:
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


def finance(actor: User, _doc: object) -> Reason:
    if Role.FINANCE not in actor.roles:
        return "Only finance may do this."
    return None


def manages_assets(actor: User, _doc: object) -> Reason:
    """Procurement and asset managers keep the asset register and the licence pools."""
    if not actor.has_role(Role.PROCUREMENT, Role.ASSET_MANAGER):
        return "Only procurement or an asset manager may do this."
    return None


def books_invoices(actor: User, _doc: object) -> Reason:
    """Finance and procurement enter, cancel and reject vendor invoices."""
    if not actor.has_role(Role.FINANCE, Role.PROCUREMENT):
        return "Only finance or procurement may do this."
    return None


def may_approve_invoice(actor: User, invoice: Invoice) -> Reason:
    """Finance approves (or releases) an invoice; never whoever entered it."""
    reason = finance(actor, invoice)
    if reason is None and invoice.entered_by_id == actor.id:
        return "You entered this invoice, so you cannot approve it."
    if reason is None and invoice.entered_by_id is None and invoice.submitted_by_id == actor.id:
        return "You checked and submitted the vendor's invoice, so someone else approves it."
    return reason


def resolvable_kinds(actor: User, invoice: Invoice) -> set[ExceptionKind]:
    """The kinds of exception ``actor`` may resolve on ``invoice``: procurement price,
    total and over-the-order ones; the order's requester or procurement quantity ones;
    finance or procurement a possible duplicate."""
    kinds: set[ExceptionKind] = set()
    if Role.PROCUREMENT in actor.roles:
        kinds |= {ExceptionKind.PRICE, ExceptionKind.TOTAL, ExceptionKind.OVER_ORDER}
        kinds |= {ExceptionKind.QUANTITY, ExceptionKind.POSSIBLE_DUPLICATE}
    if invoice.order.request.requester_id == actor.id:
        kinds.add(ExceptionKind.QUANTITY)
    if Role.FINANCE in actor.roles:
        kinds.add(ExceptionKind.POSSIBLE_DUPLICATE)
    return kinds


def _resolves_any(actor: User, invoice: Invoice, exceptions: list) -> Reason:
    if any(e.kind in resolvable_kinds(actor, invoice) for e in exceptions):
        return None
    return (
        "Procurement resolves price and total exceptions; the requester or procurement "
        "a quantity exception."
    )


def may_resolve(actor: User, invoice: Invoice) -> Reason:
    """Whether an open exception of the invoice is ``actor``'s to resolve."""
    return _resolves_any(actor, invoice, invoice.open_exceptions)


def resolves_exceptions(actor: User, invoice: Invoice) -> Reason:
    """The ``resolve`` transition's check: applied once the actor has marked their
    exceptions resolved, it counts those too (:func:`may_resolve` is the one to offer
    the action by)."""
    mine = [e for e in invoice.exceptions if e.resolved_at is None or e.resolved_by_id == actor.id]
    return _resolves_any(actor, invoice, mine)


def may_confirm_bank(actor: User, account: VendorBankAccount) -> Reason:
    """Finance confirms a vendor's new bank details; never whoever entered them."""
    reason = finance(actor, account)
    if reason is None and account.entered_by_id == actor.id:
        return "You entered these bank details, so a second person must confirm them."
    return reason


def follows(_actor: User | None, _doc: object) -> Reason:
    """A transition that follows another change (a receipt matches held invoices again,
    the last invoice approved closes the order): whoever made that change."""
    return None


def system(actor: User | None, _doc: object) -> Reason:
    """Transitions Procure takes itself (a contract expiring), never a person."""
    if actor is not None:
        return "Procure does this by itself when the date comes."
    return None
