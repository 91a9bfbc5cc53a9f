"""The purchase-request workflow, exhaustively: every state × every action × every kind
of person, against a table written out here rather than read from ``workflow.REQUEST``.

A request is brought into each state through the services (the purchase-order
states through ``workflow.apply``, as the order module will), then one person
attempts one action: allowed → it lands in the expected status with exactly one
audit event; not in the table → ``InvalidTransition``; in the table but not
theirs → ``Forbidden``; a refusal changes nothing and writes no event. What
``allowed_actions`` offers must agree.

One test per (situation, action): the request is built once and each kind of
person tries in a savepoint rolled back afterwards, so that all of them face the
same request and the 700-odd tries stay fast; a failure names every person whose
outcome was wrong.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import machines, reference, workflow
from procure.admin import services as admin_services
from procure.errors import DomainError, Forbidden, InvalidTransition, ValidationError
from procure.models import (
    ApprovalStep,
    AuditEvent,
    Department,
    PurchaseRequest,
    RequestStatus,
    Role,
    StepStatus,
    User,
)
from procure.purchasing import services
from procure.workflow import REQUEST, RequestAction, StepAction

from .factories import PASSWORD

A = RequestAction
S = RequestStatus

# The people: whose request it is decides as much as which roles they hold.
ACTORS = {
    "owner": (["requester"], "IT"),  # filed the request
    "requester": (["requester"], "IT"),  # a colleague in the same department
    "approver": (["approver"], "IT"),  # approver of the request's department
    "other_approver": (["approver"], "OPS"),  # approver of another department
    "finance": (["finance"], "FIN"),
    "executive": (["executive"], "EXEC"),
    "procurement": (["procurement"], "PROC"),
    "admin": (["admin"], "IT"),  # does not bypass the workflow
}

# Where the request is; the pending states differ by the step that waits and by
# whether it is the last one. Each maps to the status the request has there.
SITUATIONS = {
    "draft": S.DRAFT,
    "draft_returned": S.DRAFT,  # returned for changes once: approvals restart
    "pending_department": S.PENDING_APPROVAL,  # 100: the department step is the only one
    "pending_department_of_three": S.PENDING_APPROVAL,  # 60,000: finance and executive follow
    "pending_finance": S.PENDING_APPROVAL,  # 10,000: department approved, finance is last
    "pending_executive": S.PENDING_APPROVAL,  # 60,000: department and finance approved
    "approved": S.APPROVED,
    "rejected": S.REJECTED,
    "cancelled": S.CANCELLED,
    "ordered": S.ORDERED,
    "ordered_increase": S.ORDERED,  # its order's increase waits for the department step
    "closed": S.CLOSED,
}


def deciding(who: str, *, last: bool = True) -> dict[RequestAction, tuple[str, RequestStatus]]:
    return {
        A.APPROVE: (who, S.APPROVED if last else S.PENDING_APPROVAL),
        A.REJECT: (who, S.REJECTED),
        A.RETURN: (who, S.DRAFT),
        A.CANCEL: ("owner", S.CANCELLED),
    }


# (situation, action) -> (the only kind of person who may, the status it lands in).
# A pair missing here is not a transition at all: InvalidTransition for everyone.
EXPECTED: dict[str, dict[RequestAction, tuple[str, RequestStatus]]] = {
    "draft": {A.SUBMIT: ("owner", S.PENDING_APPROVAL), A.CANCEL: ("owner", S.CANCELLED)},
    "draft_returned": {A.SUBMIT: ("owner", S.PENDING_APPROVAL), A.CANCEL: ("owner", S.CANCELLED)},
    "pending_department": deciding("approver"),
    "pending_department_of_three": deciding("approver", last=False),
    "pending_finance": deciding("finance"),
    "pending_executive": deciding("executive"),
    "approved": {A.CANCEL: ("owner", S.CANCELLED), A.ORDER: ("procurement", S.ORDERED)},
    "rejected": {},
    "cancelled": {},
    "ordered": {
        A.REOPEN: ("procurement", S.APPROVED),
        A.CLOSE: ("procurement", S.CLOSED),
        A.SETTLE: ("nobody: Procure itself", S.CLOSED),  # its order received and invoiced
        A.INCREASE: ("procurement", S.ORDERED),
    },
    "ordered_increase": {
        A.APPROVE: ("approver", S.ORDERED),  # the revision service then issues it
        A.REJECT: ("approver", S.ORDERED),
        A.REOPEN: ("procurement", S.APPROVED),
        A.CLOSE: ("procurement", S.CLOSED),
        A.SETTLE: ("nobody: Procure itself", S.CLOSED),
        A.INCREASE: ("procurement", S.ORDERED),
    },
    "closed": {},
}

TOTALS = {
    "pending_department_of_three": "60000.00",
    "pending_finance": "10000.00",
    "pending_executive": "60000.00",
}


def test_the_situations_cover_every_status():
    assert set(SITUATIONS.values()) == set(RequestStatus)
    assert set(EXPECTED) == set(SITUATIONS)


@pytest.fixture
def people(db) -> dict[str, User]:
    """One person of each kind; flushed, not committed (the test's transaction is enough)."""
    departments: dict[str, Department] = {}
    people = {}
    for kind, (roles, code) in ACTORS.items():
        if code not in departments:
            departments[code] = reference.create_department(code, code, actor=None)
        people[kind] = admin_services.create_user(
            f"{kind}@example.org",
            name=kind.replace("_", " ").capitalize(),
            password=PASSWORD,
            department=departments[code],
            roles={Role(role) for role in roles},
            actor=None,
        )
    return people


def build(situation: str, people: dict[str, User]) -> PurchaseRequest:
    """A request of ``people["owner"]`` in ``situation``, reached the way users reach it."""
    owner = people["owner"]
    price = Decimal(TOTALS.get(situation, "100.00"))
    pr = services.create_request(
        services.RequestData(
            title="Monitors",
            lines=[services.LineData("27-inch monitor", Decimal("1"), price, "hardware")],
        ),
        actor=owner,
    )
    if situation == "draft":
        return pr
    if situation == "cancelled":
        services.cancel(pr, actor=owner)
        return pr
    services.submit(pr, actor=owner)
    if situation == "draft_returned":
        services.return_for_changes(pr, actor=people["approver"], comment="Which model?")
    elif situation == "rejected":
        services.reject(pr, actor=people["approver"], comment="Not this year.")
    elif situation in (
        "pending_finance",
        "pending_executive",
        "approved",
        "ordered",
        "ordered_increase",
        "closed",
    ):
        services.approve(pr, actor=people["approver"])
        if situation == "pending_executive":
            services.approve(pr, actor=people["finance"])
        if situation in ("ordered", "ordered_increase", "closed"):
            workflow.apply(REQUEST, pr, A.ORDER, actor=people["procurement"])
        if situation == "ordered_increase":
            # What orders/revisions.py does for an increase beyond the tolerance: a
            # round of steps, opened by the increase.
            pr.approval_round += 1
            pr.steps.append(
                ApprovalStep(
                    round=pr.approval_round,
                    position=1,
                    name="department",
                    role=Role.APPROVER,
                    reason="The increase.",
                    status=StepStatus.WAITING,
                )
            )
            workflow.apply(REQUEST, pr, A.INCREASE, actor=people["procurement"])
        if situation == "closed":
            workflow.apply(REQUEST, pr, A.CLOSE, actor=people["procurement"])
    assert pr.status == SITUATIONS[situation]
    return pr


def attempt(pr: PurchaseRequest, action: RequestAction, actor: User) -> None:
    if action in workflow.REQUEST_USER_ACTIONS:
        services.act(pr, action.value, actor=actor, comment="Reason given.")
    else:  # what the order module will do when a purchase order moves
        workflow.apply(REQUEST, pr, action, actor=actor)


def request_events(db, pr: PurchaseRequest) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity == "request", AuditEvent.entity_id == pr.id)
            .order_by(AuditEvent.id)
        )
    )


def event_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


@pytest.mark.parametrize("action", list(RequestAction), ids=lambda action: action.value)
@pytest.mark.parametrize("situation", list(SITUATIONS))
def test_transition(db, people, situation, action):
    """Every kind of person tries ``action`` on the same request in ``situation``;
    each try runs in a savepoint rolled back afterwards, so all see the same request."""
    pr = build(situation, people)
    version = pr.version
    failures = []
    for actor_kind in ACTORS:
        savepoint = db.session.begin_nested()
        try:
            try_once(db, pr, action, people, actor_kind, EXPECTED[situation].get(action))
        except AssertionError as exc:
            failures.append(f"{actor_kind}: {exc}")
        finally:
            savepoint.rollback()
        assert (pr.status, pr.version) == (SITUATIONS[situation], version)
    assert failures == []


@pytest.mark.parametrize("action", ["reject", "return"])
@pytest.mark.parametrize("comment", ["", "   "])
def test_reject_and_return_need_a_comment(db, people, action, comment):
    pr = build("pending_department", people)
    events = event_count(db)
    with pytest.raises(ValidationError) as refused:
        services.act(pr, action, actor=people["approver"], comment=comment)
    assert "comment" in refused.value.fields
    assert (pr.status, pr.pending_step.decided_by_id) == (S.PENDING_APPROVAL, None)
    assert event_count(db) == events


def try_once(db, pr, action, people, actor_kind, entry) -> None:
    actor = people[actor_kind]
    if entry is None:
        expected: type[DomainError] | RequestStatus = InvalidTransition
    else:
        who, target = entry
        expected = target if actor_kind == who else Forbidden

    old_status, old_version = pr.status, pr.version
    old_events = request_events(db, pr)
    total_events = event_count(db)
    pending = pr.pending_step
    offered = action.value in workflow.allowed_actions(REQUEST, pr, actor)
    offered_to_user = services.allowed_actions(pr, actor)
    may_edit = actor_kind == "owner" and pr.status == S.DRAFT
    assert ("edit" in offered_to_user) == may_edit, offered_to_user

    try:
        attempt(pr, action, actor)
    except DomainError as exc:
        # Nothing was written before the refusal (the caller would roll back anyway).
        assert event_count(db) == total_events
        assert (pr.status, pr.version) == (old_status, old_version)
        assert isinstance(expected, type), f"refused with {exc!r}, expected {expected}"
        assert type(exc) is expected, f"{exc!r}, expected {expected.__name__}"
        assert exc.message
        assert not offered, "offered by workflow.allowed_actions but refused"
        assert action.value not in offered_to_user, "offered to the user but refused"
        return

    assert expected == pr.status, f"landed in {pr.status}, expected {expected}"
    assert pr.version > old_version
    assert offered, "succeeded but not offered by workflow.allowed_actions"
    assert (action.value in offered_to_user) == (action in workflow.REQUEST_USER_ACTIONS)
    # Exactly one event, and it tells who did what.
    assert event_count(db) == total_events + 1
    new_events = request_events(db, pr)[len(old_events) :]
    assert len(new_events) == 1
    event = new_events[0]
    assert (event.action, event.actor_id) == (action.value, actor.id)
    assert json.loads(event.changes)["status"] == [old_status.value, pr.status.value]
    if action in (A.APPROVE, A.REJECT, A.RETURN):
        decided = {A.APPROVE: StepStatus.APPROVED, A.REJECT: StepStatus.REJECTED}
        assert pending is not None
        assert pending.status == decided.get(action, StepStatus.RETURNED)
        assert pending.decided_by_id == actor.id


# The approval steps' own table, written out here too: (state, action) -> state.
# Nobody acts on a step: the request's transitions move them (workflow.REQUEST_STEPS).
T = StepStatus
SA = StepAction
STEP_EXPECTED = {
    (T.WAITING, SA.OPEN): T.PENDING,
    (T.WAITING, SA.CANCEL): T.CANCELLED,
    (T.PENDING, SA.APPROVE): T.APPROVED,
    (T.PENDING, SA.REJECT): T.REJECTED,
    (T.PENDING, SA.RETURN): T.RETURNED,
    (T.PENDING, SA.CANCEL): T.CANCELLED,
}


@pytest.mark.parametrize("action", list(StepAction), ids=lambda action: action.value)
@pytest.mark.parametrize("state", list(StepStatus), ids=lambda state: state.value)
def test_step_transition(state, action):
    step = ApprovalStep(status=state)
    expected = STEP_EXPECTED.get((state, action))
    if expected is None:
        with pytest.raises(InvalidTransition):
            workflow.step_target(step, action)
    else:
        assert workflow.step_target(step, action) == expected
    assert step.status == state  # the table says where a step goes; apply() moves it


@pytest.mark.parametrize(
    "action, after",
    [
        ("approve", ["approved", "pending", "waiting"]),
        ("reject", ["rejected", "cancelled", "cancelled"]),
        ("return", ["returned", "cancelled", "cancelled"]),
        ("cancel", ["cancelled", "cancelled", "cancelled"]),
    ],
)
def test_listeners_see_the_steps_moved_with_the_request(db, people, monkeypatch, action, after):
    pr = build("pending_department_of_three", people)
    seen = []

    def listener(machine, doc, *_args, **_kwargs):
        if machine is REQUEST:
            seen.append([(step.status.value, step.decided_by_id) for step in doc.current_steps])

    monkeypatch.setattr(machines, "LISTENERS", [*machines.LISTENERS, listener])
    actor = people["owner" if action == "cancel" else "approver"]
    services.act(pr, action, actor=actor, comment="Reason given.")
    decided_by = None if action == "cancel" else actor.id
    assert seen == [list(zip(after, [decided_by, None, None], strict=True))]
