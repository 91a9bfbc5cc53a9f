"""Purchase requests: filing, editing and deciding them. Services check, change,
audit and flush; the caller commits once."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased, selectinload
from sqlalchemy.orm.exc import StaleDataError

from .. import access, audit, numbering, permissions, policy, reference, workflow
from ..budgets import services as budgets
from ..errors import Conflict, Forbidden, InvalidTransition, ValidationError
from ..extensions import db
from ..models import (
    ApprovalStep,
    PurchaseRequest,
    RequestLine,
    RequestStatus,
    Role,
    StepStatus,
    User,
    utcnow,
)
from ..money import round_money
from ..reference import category_names, department_by_code
from ..workflow import REQUEST, RequestAction

MAX_LINES = 1000
TITLE_MAX = 200
TEXT_MAX = 10_000


@dataclasses.dataclass
class LineData:
    description: str
    quantity: Decimal
    unit_price: Decimal
    category: str = "other"
    unit: str = "each"


@dataclasses.dataclass
class RequestData:
    title: str
    lines: list[LineData]
    justification: str = ""
    department: str | None = None
    needed_by: dt.date | None = None
    currency: str | None = None


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
        other = aliased(ApprovalStep)
        return sa.exists().where(
            other.request_id == PurchaseRequest.id,
            other.round == PurchaseRequest.approval_round,
            other.id != step.id,
            sa.or_(other.decided_by_id == person.id, other.on_behalf_of_id == person.id),
        )

    def holds(person: User, roles: set[Role]) -> list[sa.ColumnElement[bool]]:
        held = []
        if Role.APPROVER in roles:
            held.append(
                sa.and_(
                    step.role == Role.APPROVER,
                    PurchaseRequest.department_id == person.department_id,
                )
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
            PurchaseRequest.status == RequestStatus.PENDING_APPROVAL,
            step.status == StepStatus.PENDING,
            PurchaseRequest.requester_id != user.id,
            ~decided_another(user),
            sa.or_(*capacities),
        )
        .order_by(step.pending_since, PurchaseRequest.id)
        .options(selectinload(PurchaseRequest.steps))
    )


def waiting_since(pr: PurchaseRequest) -> dt.datetime | None:
    step = pr.pending_step
    return step.pending_since if step else None


def allowed_actions(pr: PurchaseRequest, user: User) -> list[str]:
    actions = workflow.allowed_actions(REQUEST, pr, user)
    user_actions = {action.value for action in workflow.REQUEST_USER_ACTIONS}
    result = [action for action in actions if action in user_actions]
    if access.can_change(user, pr):
        result.insert(0, "edit")
    return result


# Filing and editing -------------------------------------------------------------------


def validate(data: RequestData, actor: User) -> dict[str, Any]:
    """Domain checks of a request's content; every problem at once, by field."""
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    title = (data.title or "").strip()
    if not title:
        fail("title", "Give the request a title.")
    elif len(title) > TITLE_MAX:
        fail("title", f"Use at most {TITLE_MAX} characters.")
    justification = (data.justification or "").strip()
    if len(justification) > TEXT_MAX:
        fail("justification", f"Use at most {TEXT_MAX:,} characters.")

    department = actor.department
    if data.department:
        department = department_by_code(data.department)
        if department is None:
            fail("department", f"There is no department {data.department!r}.")
        elif department.id != actor.department_id:
            fail("department", "You can file requests for your own department only.")

    currency = current_app.config["PROCURE_CURRENCY"]
    if data.currency and data.currency.strip().upper() != currency:
        fail("currency", f"This installation works in {currency} only.")

    if data.needed_by is not None and data.needed_by < dt.date.today():
        fail("needed_by", "The needed-by date is in the past.")

    if not data.lines:
        fail("lines", "Add at least one line.")
    elif len(data.lines) > MAX_LINES:
        fail("lines", f"A request has at most {MAX_LINES} lines.")
    categories = set(category_names())
    for index, line in enumerate(data.lines):
        prefix = f"lines.{index}"
        description = (line.description or "").strip()
        if not description:
            fail(f"{prefix}.description", "Describe what to buy.")
        elif len(description) > TEXT_MAX:
            fail(f"{prefix}.description", f"Use at most {TEXT_MAX:,} characters.")
        if (line.category or "other") not in categories:
            fail(f"{prefix}.category", f"There is no category {line.category!r}.")
        if not (line.unit or "each").strip() or len(line.unit or "") > TITLE_MAX:
            fail(f"{prefix}.unit", f"Give a unit of at most {TITLE_MAX} characters.")
        if line.quantity is None or line.quantity <= 0:
            fail(f"{prefix}.quantity", "The quantity must be greater than zero.")
        if line.unit_price is None or line.unit_price < 0:
            fail(f"{prefix}.unit_price", "The unit price must not be negative.")
    if not errors:
        total = sum(
            (round_money(line.quantity * line.unit_price) for line in data.lines), Decimal("0")
        )
        from ..money import MAX_AMOUNT

        if total > MAX_AMOUNT:
            fail("lines", "The total is larger than Procure accepts.")
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationError(first, fields=errors)
    return {
        "title": title,
        "justification": justification,
        "department": department,
        "currency": currency,
    }


def _set_lines(pr: PurchaseRequest, lines: list[LineData]) -> None:
    pr.lines = [
        RequestLine(
            position=index + 1,
            description=line.description.strip(),
            category=line.category or "other",
            quantity=line.quantity,
            unit=(line.unit or "each").strip(),
            unit_price=line.unit_price,
            total=round_money(line.quantity * line.unit_price),
        )
        for index, line in enumerate(lines)
    ]
    pr.total = sum((line.total for line in pr.lines), Decimal("0.00"))


def _snapshot(pr: PurchaseRequest) -> dict[str, Any]:
    return {
        "title": pr.title,
        "justification": pr.justification,
        "department": pr.department.code if pr.department else None,
        "needed_by": pr.needed_by.isoformat() if pr.needed_by else None,
        "currency": pr.currency,
        "total": str(pr.total),
        "lines": [
            [line.description, line.category, str(line.quantity), line.unit, str(line.unit_price)]
            for line in pr.lines
        ],
    }


def require_filer(user: User) -> None:
    """Only requesters file purchase requests (the form is refused to others too)."""
    access.require_role(user, Role.REQUESTER, action="file purchase requests")


def create_request(data: RequestData, *, actor: User) -> PurchaseRequest:
    require_filer(actor)
    clean = validate(data, actor)
    pr = PurchaseRequest(
        number=numbering.next_number("PR", utcnow().year),
        title=clean["title"],
        justification=clean["justification"],
        requester=actor,
        department=clean["department"],
        needed_by=data.needed_by,
        currency=clean["currency"],
        status=RequestStatus.DRAFT,
    )
    _set_lines(pr, data.lines)
    db.session.add(pr)
    db.session.flush()
    audit.record("request", pr.id, "create", actor=actor, changes=_snapshot(pr))
    return pr


def update_request(
    pr: PurchaseRequest, data: RequestData, *, actor: User, expected_version: int | None = None
) -> None:
    if pr.requester_id != actor.id:
        raise Forbidden("Only the requester may edit a request.")
    if pr.status != RequestStatus.DRAFT:
        raise InvalidTransition("Only a draft can be edited.")
    workflow.check_version(pr, expected_version, "request")
    clean = validate(data, actor)
    before = _snapshot(pr)
    pr.title = clean["title"]
    pr.justification = clean["justification"]
    pr.department = clean["department"]
    pr.needed_by = data.needed_by
    _set_lines(pr, data.lines)
    # The lines are replaced; bump the version so concurrent editors conflict.
    pr.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError:
        # Another edit or a transition of the same version was committed first.
        raise Conflict(
            "Somebody else changed this request at the same time; reload it and try again."
        ) from None
    changes = audit.diff(before, _snapshot(pr))
    if changes:
        audit.record("request", pr.id, "update", actor=actor, changes=changes)


# Deciding -------------------------------------------------------------------------


def budget_check(pr: PurchaseRequest) -> budgets.BudgetCheck:
    """How ``pr`` stands against its budgets: as submitted, or if submitted now."""
    if pr.status == RequestStatus.DRAFT or pr.fiscal_year is None:
        return budgets.check_request(pr, reference.current_fiscal_year())
    return budgets.check_request(pr, pr.fiscal_year)


def preview_steps(pr: PurchaseRequest) -> list[policy.PlannedStep]:
    """The steps submitting ``pr`` now would need, with the reasons."""
    check = budget_check(pr)
    return policy.steps_for(pr, over_budget=check.message if check.over else None)


def eligible_deciders(pr: PurchaseRequest, role: Role) -> sa.Select[Any]:
    from ..models import UserRole

    query = (
        sa.select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == role, User.active.is_(True), User.id != pr.requester_id)
    )
    if role == Role.APPROVER:
        query = query.where(User.department_id == pr.department_id)
    return query


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
    year = reference.current_fiscal_year()
    check = budgets.check_request(pr, year)
    planned = policy.steps_for(pr, over_budget=check.message if check.over else None)
    for step in planned:
        if db.session.scalar(eligible_deciders(pr, step.role).limit(1)) is None:
            who = (
                f"an approver of {pr.department.code}"
                if step.role == Role.APPROVER
                else step.role.value
            )
            raise ValidationError(
                f"Nobody can decide the {step.name} step: the request needs {who} "
                "other than you. Ask an administrator to assign one."
            )
    now = utcnow()
    pr.fiscal_year = year
    pr.over_budget = check.over
    pr.approval_round += 1
    pr.submitted_at = now
    pr.decided_at = None
    for position, step in enumerate(planned, start=1):
        steps.append(
            ApprovalStep(
                round=pr.approval_round,
                position=position,
                name=step.name,
                role=step.role,
                reason=step.reason,
                status=StepStatus.PENDING if position == 1 else StepStatus.WAITING,
                pending_since=now if position == 1 else None,
            )
        )
    workflow.apply(
        REQUEST,
        pr,
        RequestAction.SUBMIT,
        actor=actor,
        comment=comment.strip(),
        expected_version=expected_version,
        changes={"steps": [step.name for step in planned]},
    )


def _require_comment(comment: str, action: str) -> str:
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError.field("comment", f"Say why you {action} the request.")
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
) -> None:
    step = pr.pending_step
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
        changes={"step": step.name if step else None},
        alongside=decided,
    )
    if step is None:  # apply() has refused already; this keeps type checkers honest
        raise InvalidTransition("No approval step is waiting for a decision.")
    step.status = {
        RequestAction.APPROVE: StepStatus.APPROVED,
        RequestAction.REJECT: StepStatus.REJECTED,
        RequestAction.RETURN: StepStatus.RETURNED,
    }[action]
    step.decided_by_id = actor.id
    step.on_behalf_of_id = principal.id if principal is not None else None
    step.decided_at = now
    step.comment = comment
    step.pending_since = None
    later = [s for s in pr.current_steps if s.status == StepStatus.WAITING]
    if action == RequestAction.APPROVE and later:
        later[0].status = StepStatus.PENDING
        later[0].pending_since = now
    elif action != RequestAction.APPROVE:
        for waiting in later:
            waiting.status = StepStatus.CANCELLED
    db.session.flush()


def approve(
    pr: PurchaseRequest, *, actor: User, comment: str = "", expected_version: int | None = None
) -> None:
    comment = (comment or "").strip()
    if len(comment) > TEXT_MAX:
        raise ValidationError.field("comment", f"Use at most {TEXT_MAX:,} characters.")
    _decide(
        pr, RequestAction.APPROVE, actor=actor, comment=comment, expected_version=expected_version
    )


def reject(
    pr: PurchaseRequest, *, actor: User, comment: str = "", expected_version: int | None = None
) -> None:
    _decide(
        pr,
        RequestAction.REJECT,
        actor=actor,
        comment=_require_comment(comment, "reject"),
        expected_version=expected_version,
    )


def return_for_changes(
    pr: PurchaseRequest, *, actor: User, comment: str = "", expected_version: int | None = None
) -> None:
    _decide(
        pr,
        RequestAction.RETURN,
        actor=actor,
        comment=_require_comment(comment, "return"),
        expected_version=expected_version,
    )


def cancel(
    pr: PurchaseRequest, *, actor: User, comment: str = "", expected_version: int | None = None
) -> None:
    comment = (comment or "").strip()
    if len(comment) > TEXT_MAX:
        raise ValidationError.field("comment", f"Use at most {TEXT_MAX:,} characters.")
    workflow.apply(
        REQUEST,
        pr,
        RequestAction.CANCEL,
        actor=actor,
        comment=comment,
        expected_version=expected_version,
    )
    for step in pr.current_steps:
        if step.status in (StepStatus.PENDING, StepStatus.WAITING):
            step.status = StepStatus.CANCELLED
            step.pending_since = None
    db.session.flush()


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
) -> None:
    """Take a user action by name (pages and API share this)."""
    ACTIONS[action](pr, actor=actor, comment=comment, expected_version=expected_version)


def history(pr: PurchaseRequest) -> list[Any]:
    return list(db.session.scalars(audit.events_for("request", pr.id)))


# The dashboard ----------------------------------------------------------------------


@dataclasses.dataclass
class Dashboard:
    inbox: list[PurchaseRequest]
    inbox_total: int
    came_back: list[PurchaseRequest]
    mine_by_status: dict[str, int]


def dashboard(user: User, *, limit: int = 5) -> Dashboard:
    """What waits for ``user``: a few queries, whatever the volume."""
    from ..pagination import bounded_count

    inbox_query = awaiting(user)
    inbox_total, _capped = bounded_count(inbox_query)
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
        came_back=came_back,
        mine_by_status={status.value: counts.get(status, 0) for status in RequestStatus},
    )
