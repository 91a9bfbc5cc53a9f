"""Random people taking random actions on purchase requests (a hypothesis
``RuleBasedStateMachine``), with the workflow's invariants checked after every step.

A small organisation — two departments, requesters, approvers, finance, an
executive, one person who is both approver and finance, one requester who is
also an approver, an admin — files requests with totals around the 5,000 and
50,000 thresholds, then submits, approves, rejects, returns, cancels, edits and
delegates at random through the service layer. A refused action raises a
``DomainError`` and is rolled back to a savepoint, as a request would be.

A model of the expected state predicts every outcome: which status a request
lands in, which steps it gets, who may decide them. After every step: the
database matches the model; nobody decided a request they filed or two steps of
one round (as decider or as the one decided for); steps were decided in order
and by a holder of the step's role; finance is a step iff the total was at least
5,000 and executive iff at least 50,000 (no budgets here); every successful
transition wrote exactly one audit event, and the chain verifies; the total is
the sum of the lines.

The organisation lives in the test's transaction; each example runs in a
savepoint that is rolled back at its teardown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
from decimal import ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from procure import audit, delegation, reference
from procure.admin import services as admin_services
from procure.errors import DomainError, Forbidden, InvalidTransition, ValidationError
from procure.models import (
    ApprovalStep,
    AuditEvent,
    Delegation,
    PurchaseRequest,
    RequestLine,
    Role,
    User,
)
from procure.purchasing import services

from .factories import PASSWORD

FINANCE_FROM = Decimal("5000.00")
EXECUTIVE_FROM = Decimal("50000.00")

# name: (roles, department)
ORGANISATION = {
    "ruth": ({"requester"}, "IT"),
    "rick": ({"requester"}, "IT"),
    "olga": ({"requester"}, "OPS"),
    "rita": ({"requester", "approver"}, "IT"),  # files requests and approves IT's
    "anna": ({"approver"}, "IT"),
    "abel": ({"approver"}, "IT"),
    "otto": ({"approver"}, "OPS"),
    "fay": ({"approver", "finance"}, "IT"),  # IT's approver and finance
    "fred": ({"finance"}, "FIN"),
    "eve": ({"executive"}, "EXEC"),
    "adam": ({"admin"}, "IT"),
}
PEOPLE = sorted(ORGANISATION)
DECIDERS = sorted(
    name for name, (roles, _) in ORGANISATION.items() if roles - {"requester", "admin"}
)

REQUESTERS = sorted(name for name, (roles, _) in ORGANISATION.items() if "requester" in roles)
DELEGABLE = {"approver", "finance", "executive"}
# Pairs that share a deciding role: the delegations that can exist.
STAND_INS = [
    (delegator, delegate)
    for delegator, delegate in itertools.permutations(DECIDERS, 2)
    if ORGANISATION[delegator][0] & ORGANISATION[delegate][0] & DELEGABLE
]
# ``None`` is the natural person for the action (the requester for submit, someone
# the model says may decide for a decision); half the time it is anyone at all.
ACTOR = st.one_of(st.none(), st.sampled_from(PEOPLE))

DECISION = st.sampled_from(["approve", "approve", "approve", "reject", "return"])
COMMENT = st.sampled_from(["Looks right.", "Looks right.", "", "  "])
MAX_OPEN_REQUESTS = 3
# Those who may decide mostly give a reason; now and then they forget.
REASON = st.sampled_from(["Looks right.", "Which model?", "Not this year.", ""])

PENDING, DRAFT = "pending_approval", "draft"

# Step statuses (of the model and of the database alike).
WAITING, OPEN, APPROVED, REJECTED, RETURNED, CANCELLED = (
    "waiting",
    "pending",
    "approved",
    "rejected",
    "returned",
    "cancelled",
)
DECIDED = {"approve": APPROVED, "reject": REJECTED, "return": RETURNED}


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# Strategies ------------------------------------------------------------------------


@st.composite
def request_lines(draw) -> list[services.LineData]:
    """Lines whose total lands near a threshold, or anywhere with odd quantities."""
    count = draw(st.integers(1, 3))
    if draw(st.booleans()):
        threshold = draw(st.sampled_from([FINANCE_FROM, EXECUTIVE_FROM]))
        total = threshold + draw(st.integers(-2, 2)) * Decimal("0.01")
        # Split the total into ``count`` positive parts, at cent boundaries.
        whole = int(total * 100)
        cuts = sorted(
            draw(
                st.lists(
                    st.integers(1, whole - 1), min_size=count - 1, max_size=count - 1, unique=True
                )
            )
        )
        parts = [b - a for a, b in itertools.pairwise([0, *cuts, whole])]
        return [
            services.LineData(f"Item {i + 1}", Decimal(1), Decimal(part) / 100, "hardware")
            for i, part in enumerate(parts)
        ]
    return [
        services.LineData(
            f"Item {i + 1}",
            draw(st.sampled_from(["1", "2", "3", "0.5", "2.5", "0.333", "12"]).map(Decimal)),
            draw(
                st.sampled_from(
                    ["19.99", "1666.67", "2500.00", "4999.99", "16666.67", "25000.01"]
                ).map(Decimal)
            ),
            draw(st.sampled_from(["hardware", "software", "other"])),
        )
        for i in range(count)
    ]


# The model ---------------------------------------------------------------------------


@dataclasses.dataclass
class StepModel:
    name: str
    role: str
    status: str
    decided_by: str | None = None
    on_behalf_of: str | None = None


@dataclasses.dataclass
class RequestModel:
    id: int
    requester: str
    department: str
    total: Decimal
    status: str = DRAFT
    # One list of steps per submission (approval round), oldest first, and the
    # total each submission had.
    rounds: list[list[StepModel]] = dataclasses.field(default_factory=list)
    submitted_totals: list[Decimal] = dataclasses.field(default_factory=list)
    # The audit events expected for the request: (action, actor, on behalf of, step).
    events: list[tuple[str, str, str | None, str | None]] = dataclasses.field(default_factory=list)

    @property
    def steps(self) -> list[StepModel]:
        return self.rounds[-1] if self.rounds else []

    @property
    def pending(self) -> StepModel | None:
        return next((step for step in self.steps if step.status == OPEN), None)


def planned_steps(total: Decimal) -> list[StepModel]:
    steps = [StepModel("department", "approver", OPEN)]
    if total >= FINANCE_FROM:
        steps.append(StepModel("finance", "finance", WAITING))
    if total >= EXECUTIVE_FROM:
        steps.append(StepModel("executive", "executive", WAITING))
    return steps


def holds(person: str, step: StepModel, request: RequestModel) -> bool:
    roles, department = ORGANISATION[person]
    if step.role not in roles:
        return False
    return step.role != "approver" or department == request.department


def deciders_of_other_steps(request: RequestModel, step: StepModel) -> set[str]:
    return {
        person
        for other in request.steps
        if other is not step
        for person in (other.decided_by, other.on_behalf_of)
        if person is not None
    }


def may_decide_in_own_right(person: str, request: RequestModel, step: StepModel) -> bool:
    return (
        person != request.requester
        and person not in deciders_of_other_steps(request, step)
        and holds(person, step, request)
    )


# The machine -------------------------------------------------------------------------


class RequestWorkflow(RuleBasedStateMachine):
    def __init__(self, db, people: dict[str, User]) -> None:
        super().__init__()
        self.db = db
        self.people = people
        self.names = {user.id: name for name, user in people.items()}
        self.requests: list[RequestModel] = []
        self.delegations: dict[int, tuple[str, str]] = {}  # id: (delegator, delegate)
        self.titles = itertools.count(1)
        # Everything this example does is undone at its teardown.
        self.example = db.session.begin_nested()
        db.session.info.pop(delegation.CACHE_KEY, None)

    def teardown(self) -> None:
        self.example.rollback()
        self.db.session.info.pop(delegation.CACHE_KEY, None)
        self.db.session.expire_all()

    # Helpers

    def attempt(self, action, *args, **kwargs) -> DomainError | None:
        """Run a service call in a savepoint: kept on success, rolled back on refusal."""
        savepoint = self.db.session.begin_nested()
        try:
            action(*args, **kwargs)
        except DomainError as exc:
            savepoint.rollback()
            return exc
        savepoint.commit()
        return None

    def event_count(self) -> int:
        return self.db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))

    def load(self, request: RequestModel) -> PurchaseRequest:
        return self.db.session.get(PurchaseRequest, request.id)

    def pick(self, index: int) -> RequestModel:
        return self.requests[index % len(self.requests)]

    def delegators_of(self, person: str) -> list[str]:
        return [
            delegator for delegator, delegate in self.delegations.values() if delegate == person
        ]

    def capacity(self, who: str, request: RequestModel, step: StepModel) -> set[str | None]:
        """For whom ``who`` may decide ``step``: ``{None}`` in their own right, the
        colleagues they stand in for, or nobody (an empty set)."""
        if may_decide_in_own_right(who, request, step):
            return {None}
        if who == request.requester or who in deciders_of_other_steps(request, step):
            return set()
        # Standing in for an absent colleague: the delegate holds the step's role,
        # the colleague could decide the step in their own right.
        return {
            delegator
            for delegator in self.delegators_of(who)
            if step.role in ORGANISATION[who][0]
            and may_decide_in_own_right(delegator, request, step)
        }

    def check_outcome(self, refused, expected: set[type[DomainError]] | None, what: str) -> None:
        if expected is None:
            assert refused is None, f"{what} was refused: {refused!r}"
        else:
            assert refused is not None, f"{what} succeeded; expected {expected}"
            assert type(refused) in expected, f"{what}: {refused!r}, expected {expected}"
            assert refused.message

    # Rules

    # A few requests in play at a time, so that the actions go deep into each of them.
    @precondition(
        lambda self: (
            sum(request.status in (DRAFT, PENDING) for request in self.requests)
            < MAX_OPEN_REQUESTS
        )
    )
    @rule(
        who=st.one_of(st.sampled_from(REQUESTERS), st.sampled_from(PEOPLE)), lines=request_lines()
    )
    def create(self, who, lines):
        self.file(who, lines)

    @precondition(
        lambda self: (
            sum(request.status in (DRAFT, PENDING) for request in self.requests)
            < MAX_OPEN_REQUESTS
        )
    )
    @rule(who=st.sampled_from(REQUESTERS), lines=request_lines())
    def file_and_submit(self, who, lines):
        """What most requesters do: file a request and submit it at once."""
        request = self.file(who, lines)
        self.submit(None, len(self.requests) - 1)
        assert request.status == PENDING

    def file(self, who: str, lines: list[services.LineData]) -> RequestModel | None:
        user = self.people[who]
        roles, department = ORGANISATION[who]
        created: list[PurchaseRequest] = []
        data = services.RequestData(title=f"Request {next(self.titles)}", lines=lines)
        events = self.event_count()
        refused = self.attempt(lambda: created.append(services.create_request(data, actor=user)))
        self.check_outcome(refused, None if "requester" in roles else {Forbidden}, f"{who} files")
        assert self.event_count() == events + (0 if refused else 1)
        if not refused:
            total = sum((cents(line.quantity * line.unit_price) for line in lines), Decimal(0))
            request = RequestModel(created[0].id, who, department, total)
            request.events.append(("create", who, None, None))
            self.requests.append(request)
            return request
        return None

    @precondition(lambda self: self.requests)
    @rule(who=ACTOR, index=st.integers(0, 1000), lines=request_lines())
    def edit(self, who, index, lines):
        request = self.pick(index)
        who = who or request.requester
        pr = self.load(request)
        data = services.RequestData(title=f"Edited {next(self.titles)}", lines=lines)
        expected = set()
        if who != request.requester:
            expected.add(Forbidden)
        if request.status != DRAFT:
            expected.add(InvalidTransition)
        events = self.event_count()
        refused = self.attempt(services.update_request, pr, data, actor=self.people[who])
        self.check_outcome(refused, expected or None, f"{who} edits a {request.status} request")
        assert self.event_count() == events + (0 if refused else 1)
        if not refused:
            request.total = sum((cents(q.quantity * q.unit_price) for q in lines), Decimal(0))
            request.events.append(("update", who, None, None))

    @precondition(lambda self: self.requests)
    @rule(who=ACTOR, index=st.integers(0, 1000))
    def submit(self, who, index):
        request = self.pick(index)
        who = who or request.requester
        expected = None
        if request.status != DRAFT:
            expected = {InvalidTransition}
        elif who != request.requester:
            expected = {Forbidden}
        self.transition(request, "submit", who, "", expected)
        if expected is None:
            request.status = PENDING
            request.rounds.append(planned_steps(request.total))
            request.submitted_totals.append(request.total)

    @precondition(lambda self: self.requests)
    @rule(who=ACTOR, index=st.integers(0, 1000))
    def cancel(self, who, index):
        request = self.pick(index)
        who = who or request.requester
        expected = None
        if request.status not in (DRAFT, PENDING, APPROVED):
            expected = {InvalidTransition}
        elif who != request.requester:
            expected = {Forbidden}
        self.transition(request, "cancel", who, "", expected)
        if expected is None:
            request.status = CANCELLED
            for step in request.steps:
                if step.status in (WAITING, OPEN):
                    step.status = CANCELLED

    @precondition(lambda self: self.requests)
    @rule(
        who=st.sampled_from(PEOPLE), index=st.integers(0, 1000), action=DECISION, comment=COMMENT
    )
    def decide(self, who, index, action, comment):
        self.take_decision(self.pick(index), who, action, comment)

    @precondition(lambda self: any(request.status == PENDING for request in self.requests))
    @rule(
        index=st.integers(0, 1000),
        person=st.integers(0, 1000),
        action=DECISION,
        comment=REASON,
    )
    def decide_as_a_role_holder(self, index, person, action, comment):
        """Someone holding the pending step's role, or standing in for someone who does:
        often allowed, but also the requester who approves, the approver-and-finance
        who already decided the department step, the delegate of someone barred."""
        request, step = self.pick_pending(index)
        candidates = sorted(
            name
            for name in PEOPLE
            if holds(name, step, request)
            or (step.role in ORGANISATION[name][0] and self.delegators_of(name))
        )
        self.take_decision(request, candidates[person % len(candidates)], action, comment)

    @precondition(lambda self: any(request.status == PENDING for request in self.requests))
    @rule(index=st.integers(0, 1000), person=st.integers(0, 1000))
    def approve_when_able(self, index, person):
        """Requests move on: someone the model says may decide approves the pending step."""
        request, step = self.pick_pending(index)
        able = sorted(name for name in PEOPLE if self.capacity(name, request, step))
        who = able[person % len(able)] if able else DECIDERS[person % len(DECIDERS)]
        self.take_decision(request, who, "approve", "")

    def pick_pending(self, index: int) -> tuple[RequestModel, StepModel]:
        pending = [request for request in self.requests if request.status == PENDING]
        request = pending[index % len(pending)]
        assert request.pending is not None
        return request, request.pending

    def take_decision(self, request: RequestModel, who: str, action: str, comment: str) -> None:
        step = request.pending
        principals: set[str | None] = set()
        if request.status != PENDING:
            expected = {InvalidTransition}
        else:
            assert step is not None
            principals = self.capacity(who, request, step)
            expected = None if principals else {Forbidden}
        if action != "approve" and not comment.strip():
            # A reject or return needs a reason, whoever asks and whatever the state.
            expected = {ValidationError} | (expected or set())
        self.transition(request, action, who, comment, expected)
        if expected is not None:
            return
        assert step is not None
        on_behalf_of = self.names.get(
            self.db.session.scalar(
                sa.select(ApprovalStep.on_behalf_of_id)
                .where(ApprovalStep.request_id == request.id)
                .order_by(ApprovalStep.round.desc(), ApprovalStep.position)
                .offset(request.steps.index(step))
                .limit(1)
            )
        )
        assert on_behalf_of in principals, f"{who} decided for {on_behalf_of}, not {principals}"
        request.events[-1] = (action, who, on_behalf_of, step.name)
        step.status, step.decided_by, step.on_behalf_of = DECIDED[action], who, on_behalf_of
        later = [other for other in request.steps if other.status == WAITING]
        if action == "approve" and later:
            later[0].status = OPEN
        elif action == "approve":
            request.status = APPROVED
        else:
            for other in later:
                other.status = CANCELLED
            request.status = REJECTED if action == "reject" else DRAFT

    def transition(self, request: RequestModel, action: str, who: str, comment: str, expected):
        pr = self.load(request)
        events = self.event_count()
        refused = self.attempt(services.act, pr, action, actor=self.people[who], comment=comment)
        self.check_outcome(refused, expected, f"{who} does {action} on a {request.status} request")
        # Exactly one audit event per successful transition, none for a refusal.
        assert self.event_count() == events + (0 if refused else 1)
        if not refused:
            request.events.append((action, who, None, None))

    @precondition(lambda self: any(request.status == PENDING for request in self.requests))
    @rule(
        pair=st.one_of(st.sampled_from(STAND_INS), st.tuples(*[st.sampled_from(DECIDERS)] * 2)),
        days=st.integers(0, 14),
    )
    def delegate_or_come_back(self, pair, days):
        """The delegator names a stand-in from today, or ends the delegation they have."""
        delegator, delegate = pair
        current = [key for key, (who, _) in self.delegations.items() if who == delegator]
        if current:
            row = self.db.session.get(Delegation, current[0])
            refused = self.attempt(delegation.end, row, actor=self.people[delegator])
            assert refused is None, refused
            del self.delegations[current[0]]
            return
        today = delegation.today()
        created: list[Delegation] = []
        refused = self.attempt(
            lambda: created.append(
                delegation.create(
                    self.people[delegator],
                    self.people[delegate],
                    today,
                    today + dt.timedelta(days=days),
                    actor=self.people[delegator],
                )
            )
        )
        if refused is None:
            self.delegations[created[0].id] = (delegator, delegate)

    # Invariants

    @invariant()
    def audit_chain_verifies(self):
        result = audit.verify()
        assert result.ok, result

    @invariant()
    def requests_match_the_model(self):
        if not self.requests:
            return
        ids = [request.id for request in self.requests]
        self.db.session.flush()
        stored = {
            row.id: row
            for row in self.db.session.execute(
                sa.select(
                    PurchaseRequest.id,
                    PurchaseRequest.status,
                    PurchaseRequest.total,
                    PurchaseRequest.over_budget,
                    PurchaseRequest.approval_round,
                ).where(PurchaseRequest.id.in_(ids))
            )
        }
        steps: dict[int, dict[int, list]] = {}
        for row in self.db.session.execute(
            sa.select(
                ApprovalStep.request_id,
                ApprovalStep.round,
                ApprovalStep.position,
                ApprovalStep.name,
                ApprovalStep.role,
                ApprovalStep.status,
                ApprovalStep.decided_by_id,
                ApprovalStep.on_behalf_of_id,
                ApprovalStep.decided_at,
            )
            .where(ApprovalStep.request_id.in_(ids))
            .order_by(ApprovalStep.request_id, ApprovalStep.round, ApprovalStep.position)
        ):
            steps.setdefault(row.request_id, {}).setdefault(row.round, []).append(row)
        lines: dict[int, list] = {}
        for row in self.db.session.execute(
            sa.select(
                RequestLine.request_id,
                RequestLine.quantity,
                RequestLine.unit_price,
                RequestLine.total,
            ).where(RequestLine.request_id.in_(ids))
        ):
            lines.setdefault(row.request_id, []).append(row)
        events: dict[int, list] = {}
        for row in self.db.session.execute(
            sa.select(
                AuditEvent.entity_id,
                AuditEvent.action,
                AuditEvent.actor_id,
                AuditEvent.on_behalf_of_id,
                AuditEvent.changes,
            )
            .where(AuditEvent.entity == "request", AuditEvent.entity_id.in_(ids))
            .order_by(AuditEvent.id)
        ):
            events.setdefault(row.entity_id, []).append(row)

        for request in self.requests:
            row = stored[request.id]
            # Every status change followed the table.
            assert row.status == request.status, (request, row)
            assert row.approval_round == len(request.rounds)
            # No budgets here: never over budget.
            assert row.over_budget is False
            # The total is the sum of the lines, each line quantity × price in cents.
            assert all(
                line.total == cents(line.quantity * line.unit_price) for line in lines[request.id]
            )
            assert row.total == sum(line.total for line in lines[request.id]) == request.total
            if request.status in (PENDING, APPROVED, REJECTED):
                # Only a draft changes: what is in flight is what was submitted.
                assert row.total == request.submitted_totals[-1]
            self.check_rounds(request, steps.get(request.id, {}))
            self.check_events(request, events[request.id])

    def check_rounds(self, request: RequestModel, stored: dict[int, list[sa.Row]]):
        assert sorted(stored) == list(range(1, len(request.rounds) + 1))
        requester = self.people[request.requester].id
        for number, model_steps in enumerate(request.rounds, start=1):
            rows = stored[number]
            got = [
                (
                    row.name,
                    row.role.value,
                    row.status.value,
                    self.names.get(row.decided_by_id),
                    self.names.get(row.on_behalf_of_id),
                )
                for row in rows
            ]
            want = [(s.name, s.role, s.status, s.decided_by, s.on_behalf_of) for s in model_steps]
            assert got == want, (request, number)

            # The same properties, stated on the stored rows alone. The department step
            # first, finance iff the total was at least 5,000 when submitted (there are
            # no budgets here), executive iff at least 50,000.
            total = request.submitted_totals[number - 1]
            assert [row.position for row in rows] == list(range(1, len(rows) + 1))
            assert [row.name for row in rows] == ["department"] + ["finance"] * (
                total >= FINANCE_FROM
            ) + ["executive"] * (total >= EXECUTIVE_FROM)
            # Nobody decided a request they filed; nobody decided two steps of a round.
            people = [p for row in rows for p in (row.decided_by_id, row.on_behalf_of_id) if p]
            assert requester not in people
            assert len(people) == len(set(people)), got
            # In order: approved steps, then at most one open or ending step, then the rest.
            statuses = [row.status.value for row in rows]
            first_open = next((i for i, s in enumerate(statuses) if s != APPROVED), len(statuses))
            assert all(s == APPROVED for s in statuses[:first_open])
            rest = statuses[first_open + 1 :]
            if first_open < len(statuses):
                head = statuses[first_open]
                assert head in (OPEN, REJECTED, RETURNED, CANCELLED), statuses
                assert all(s == (WAITING if head == OPEN else CANCELLED) for s in rest), statuses
            decided_at = [row.decided_at for row in rows if row.decided_at is not None]
            assert decided_at == sorted(decided_at)
            # Decided by a holder of the step's role; the department step by an
            # approver of the request's department (or someone standing in for one).
            for row in rows:
                if row.decided_by_id is None:
                    continue
                model = StepModel(row.name, row.role.value, row.status.value)
                decider = self.names[row.decided_by_id]
                assert row.role.value in ORGANISATION[decider][0]
                accountable = self.names.get(row.on_behalf_of_id) or decider
                assert holds(accountable, model, request), (row.name, accountable)

    def check_events(self, request: RequestModel, rows):
        """One event per change, in order, naming who, for whom, and the step decided."""
        got = []
        for row in rows:
            changes = json.loads(row.changes)
            if row.action not in ("create", "update"):
                assert len(changes["status"]) == 2
            step = changes["step"] if row.action in DECIDED else None
            got.append(
                (row.action, self.names[row.actor_id], self.names.get(row.on_behalf_of_id), step)
            )
        assert got == request.events


# The test ----------------------------------------------------------------------------


@pytest.fixture
def organisation(db) -> dict[str, User]:
    departments = {
        code: reference.create_department(code, code, actor=None)
        for code in sorted({dept for _, dept in ORGANISATION.values()})
    }
    return {
        name: admin_services.create_user(
            f"{name}@example.org",
            name=name.capitalize(),
            password=PASSWORD,
            department=departments[department],
            roles={Role(role) for role in roles},
            actor=None,
        )
        for name, (roles, department) in ORGANISATION.items()
    }


def test_random_people_taking_random_actions_keep_the_invariants(db, organisation):
    run_state_machine_as_test(
        lambda: RequestWorkflow(db, organisation),
        settings=settings(
            max_examples=25,
            stateful_step_count=35,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
