"""Deciding purchase requests: submitting, approving, rejecting, returning, cancelling.

Each is one transition of ``workflow.REQUEST``, which moves the approval steps with
the request; the services check what the table cannot (a comment, anybody to decide).
"""

from __future__ import annotations

from decimal import Decimal

from ... import access, currencies, permissions, policy, rates, reference, workflow
from ...budgets import services as budgets
from ...errors import Conflict, InvalidTransition, ValidationError
from ...models import ApprovalStep, PurchaseRequest, RequestStatus, Role, StepStatus, User, utcnow
from ...workflow import REQUEST, RequestAction
from .filing import TEXT_MAX


def deciders_of(pr: PurchaseRequest, role: Role) -> str:
    """Who decides a step of ``role`` on ``pr``, in words: "an approver of IT", "finance"."""
    if role == Role.APPROVER:
        return f"an approver of {pr.department.code}"
    if role == Role.EXECUTIVE:
        return "an executive"
    return role.value


def allowed_actions(pr: PurchaseRequest, user: User) -> list[str]:
    """What ``user`` may do to ``pr`` now: the buttons of its page, the API's list."""
    actions = workflow.allowed_actions(REQUEST, pr, user)
    user_actions = {action.value for action in workflow.REQUEST_USER_ACTIONS}
    result = [action for action in actions if action in user_actions]
    if access.can_change(user, pr):
        result.insert(0, "edit")
    return result


def todays_rate(pr: PurchaseRequest) -> rates.Rate | None:
    """The rate submitting ``pr`` today would freeze (None: there is none yet)."""
    return rates.on(pr.currency, utcnow().date())


def budget_check(pr: PurchaseRequest, rate: rates.Rate | None = None) -> budgets.BudgetCheck:
    """How ``pr`` stands against its budgets: as submitted (at its frozen rate), or if
    submitted now (at ``rate``, today's; a foreign draft without one is not checked)."""
    if pr.status == RequestStatus.DRAFT or pr.fiscal_year is None:
        if rate is None and pr.currency != currencies.base():
            return budgets.BudgetCheck(False)
        return budgets.check_request(
            pr, reference.current_fiscal_year(), rate=rate.rate if rate else Decimal(1)
        )
    return budgets.check_request(pr, pr.fiscal_year)


def preview_steps(
    pr: PurchaseRequest,
    check: budgets.BudgetCheck | None = None,
    rate: rates.Rate | None = None,
) -> list[policy.PlannedStep]:
    """The steps submitting ``pr`` now would need, with the reasons; ``check`` is how it
    stands against its budgets, when the caller knows already; ``rate`` converts its
    total for the thresholds (today's when not given). A foreign draft without a rate
    has no preview: its thresholds cannot be judged until finance enters one."""
    rate = rate or todays_rate(pr)
    if rate is None:
        return []
    check = check or budget_check(pr, rate)
    return policy.steps_for(
        pr,
        over_budget=check.message if check.over else None,
        total_base=rates.to_base(pr.total, rate),
    )


def submit(
    pr: PurchaseRequest, *, actor: User, comment: str = "", expected_version: int | None = None
) -> None:
    workflow.check(REQUEST, pr, RequestAction.SUBMIT, actor)
    if not pr.lines:
        raise ValidationError.field("lines", "Add at least one line before submitting.")
    # Everything is read before anything changes: a query after a change would
    # autoflush the request and move its version, and apply() would then refuse the
    # version the requester submitted as a conflict.
    # The request counts in the fiscal year in which it is submitted.
    steps = pr.steps  # loaded now, before anything changes; the new round joins it below
    now = utcnow()
    # The rate of the submit date is frozen on the request: the thresholds and the
    # budget check see the total at it, and a rate entered later moves nothing.
    rate = rates.require(pr.currency, now.date(), field="currency")
    total_base = rates.to_base(pr.total, rate)
    year = reference.current_fiscal_year()
    check = budgets.check_request(pr, year, rate=rate.rate)
    planned = preview_steps(pr, check, rate)
    decidable = permissions.roles_with_deciders(pr, {step.role for step in planned})
    for step in planned:
        if step.role not in decidable:
            raise ValidationError(
                f"Nobody can decide the {step.name} step: the request needs "
                f"{deciders_of(pr, step.role)} other than you. Ask an administrator to "
                "assign one."
            )
    pr.fiscal_year = year
    pr.over_budget = check.over
    pr.rate, pr.rate_date, pr.total_base = rate.rate, rate.date, total_base
    pr.approval_round += 1
    pr.submitted_at = now
    pr.decided_at = None
    # Every step starts waiting; the transition opens the first.
    for position, step in enumerate(planned, start=1):
        steps.append(
            ApprovalStep(
                round=pr.approval_round,
                position=position,
                name=step.name,
                role=step.role,
                reason=step.reason,
                status=StepStatus.WAITING,
            )
        )
    workflow.apply(
        REQUEST,
        pr,
        RequestAction.SUBMIT,
        actor=actor,
        comment=comment.strip(),
        expected_version=expected_version,
        changes={
            "steps": [step.name for step in planned],
            "currency": pr.currency,
            "rate": str(rate.rate),
            "rate_date": rate.date.isoformat(),
            "total_base": str(total_base),
        },
        at=now,
    )


def _comment(comment: str, *, required_to: str | None = None) -> str:
    """The decision's comment, stripped; ``required_to`` names the action that needs one."""
    comment = (comment or "").strip()
    if required_to and not comment:
        raise ValidationError.field("comment", f"Say why you {required_to} the request.")
    if len(comment) > TEXT_MAX:
        raise ValidationError.field("comment", f"Use at most {TEXT_MAX:,} characters.")
    return comment


def _decide(
    pr: PurchaseRequest,
    action: RequestAction,
    *,
    actor: User,
    comment: str,
    expected_version: int | None,
    via: str | None = None,
) -> None:
    """``via`` names a way of deciding other than the page or the API ("email"): the
    audit event records it."""
    step = pr.pending_step
    if step is None and pr.status == RequestStatus.ORDERED:
        raise InvalidTransition(
            f"{pr.number} is ordered; no increase of its order waits for a decision."
        )
    if step is None and pr.status == RequestStatus.PENDING_APPROVAL:
        # The request was read while pending, its steps after somebody else's change
        # (a cancel, the other decision) committed: that change won.
        raise Conflict(
            "Somebody else changed this request at the same time; reload it and try again."
        )
    now = utcnow()
    # Deciding for an absent approver: the record names both people.
    principal, _reason = permissions.decision_capacity(actor, pr)

    def decided(status: object) -> None:
        # Written with the transition's own UPDATE of the row, not a second one.
        if status in (RequestStatus.APPROVED, RequestStatus.REJECTED):
            pr.decided_at = now

    workflow.apply(
        REQUEST,
        pr,
        action,
        actor=actor,
        on_behalf_of=principal,
        comment=comment,
        expected_version=expected_version,
        changes={"step": step.name if step else None, **({"via": via} if via else {})},
        alongside=decided,
        at=now,
    )


def approve(
    pr: PurchaseRequest,
    *,
    actor: User,
    comment: str = "",
    expected_version: int | None = None,
    via: str | None = None,
) -> None:
    _decide(
        pr,
        RequestAction.APPROVE,
        actor=actor,
        via=via,
        comment=_comment(comment),
        expected_version=expected_version,
    )


def reject(
    pr: PurchaseRequest,
    *,
    actor: User,
    comment: str = "",
    expected_version: int | None = None,
    via: str | None = None,
) -> None:
    _decide(
        pr,
        RequestAction.REJECT,
        actor=actor,
        via=via,
        comment=_comment(comment, required_to="reject"),
        expected_version=expected_version,
    )


def return_for_changes(
    pr: PurchaseRequest,
    *,
    actor: User,
    comment: str = "",
    expected_version: int | None = None,
    via: str | None = None,
) -> None:
    _decide(
        pr,
        RequestAction.RETURN,
        actor=actor,
        via=via,
        comment=_comment(comment, required_to="return"),
        expected_version=expected_version,
    )


def cancel(
    pr: PurchaseRequest, *, actor: User, comment: str = "", expected_version: int | None = None
) -> None:
    workflow.apply(
        REQUEST,
        pr,
        RequestAction.CANCEL,
        actor=actor,
        comment=_comment(comment),
        expected_version=expected_version,
    )


ACTIONS = {
    "submit": submit,
    "approve": approve,
    "reject": reject,
    "return": return_for_changes,
    "cancel": cancel,
}


def act(
    pr: PurchaseRequest,
    action: str,
    *,
    actor: User,
    comment: str = "",
    expected_version: int | None = None,
    via: str | None = None,
) -> str:
    """Take a user action by name (pages and API share this); returns what happened,
    in words, for the page's message. ``via``: a decision taken another way (an
    e-mail's link)."""
    step = pr.pending_step  # the step a decision decides, read before it moves
    extra = {"via": via} if via else {}
    ACTIONS[action](pr, actor=actor, comment=comment, expected_version=expected_version, **extra)
    return outcome(pr, action, step)


def outcome(pr: PurchaseRequest, action: str, decided: ApprovalStep | None = None) -> str:
    """What ``action`` did to ``pr`` and what happens next (API.md: after a decision
    on a step that is not the last, the message names the step decided and the step
    now waiting). ``decided`` is the step that was pending before the action."""
    waiting = pr.pending_step
    if pr.status == RequestStatus.ORDERED and waiting is None and action in ("approve", "reject"):
        said = {
            "approve": "The increase is approved; the order's revision is issued to the vendor.",
            "reject": "The increase is rejected; the order stays as it was issued.",
        }[action]
        return f"{pr.number}: {said}"
    if action == "approve" and waiting is not None and decided is not None:
        return (
            f"{pr.number}: the {decided.name} step is approved; the {waiting.name} step "
            f"now waits for {deciders_of(pr, waiting.role)}."
        )
    if action == "approve":
        said = "Approved. Procurement can now source it."
    elif action == "submit":
        said = "Submitted for approval."
        if waiting is not None:
            said += f" The {waiting.name} step waits for {deciders_of(pr, waiting.role)}."
    else:
        said = {
            "reject": "Rejected; the requester is told why.",
            "return": "Returned to the requester for changes.",
            "cancel": "The request is cancelled.",
        }[action]
    return f"{pr.number}: {said}"
