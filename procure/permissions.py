"""Who may act on a document: pure predicates on the models, no Flask.

Each returns ``None`` when the user may act, or the reason they may not, so that
a refusal always says why (and the same check serves buttons, pages and API).
"""

from __future__ import annotations

from .models import ApprovalStep, PurchaseRequest, Role, User

Reason = str | None


def owner_of(actor: User, pr: PurchaseRequest) -> Reason:
    if pr.requester_id != actor.id:
        return "Only the requester may do this."
    return None


def holds_step_role(actor: User, pr: PurchaseRequest, step: ApprovalStep) -> bool:
    if step.role not in actor.roles:
        return False
    # The department step belongs to the approvers of the request's department.
    return step.role != Role.APPROVER or actor.department_id == pr.department_id


def may_decide(actor: User, pr: PurchaseRequest) -> Reason:
    """Separation of duties for the pending step; an admin does not bypass it."""
    step = pr.pending_step
    if step is None:
        return "No approval step is waiting for a decision."
    if pr.requester_id == actor.id:
        return "You filed this request, so you cannot decide on it."
    if any(
        other.decided_by_id == actor.id or other.on_behalf_of_id == actor.id
        for other in pr.current_steps
        if other.id != step.id
    ):
        return "You already decided another step of this request."
    if not holds_step_role(actor, pr, step):
        if step.role == Role.APPROVER:
            return f"The {step.name} step is decided by an approver of {pr.department.code}."
        return f"The {step.name} step is decided by {step.role.value}."
    return None


def procurement(actor: User, _doc: object) -> Reason:
    if Role.PROCUREMENT not in actor.roles:
        return "Only procurement may do this."
    return None
