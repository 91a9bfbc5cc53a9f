"""Purchase requests under concurrency: real threads, real commits, one database.

Each thread has its own app context, hence its own session and connection, and
declares write intent as a POST would (on SQLite that is BEGIN IMMEDIATE, which
queues writers; on PostgreSQL the row locks and the version column decide).
A ``threading.Barrier`` releases the threads together. What was committed is
read back through a second engine on the same database.

On SQLite the writers are serialised from the start of their transactions, so
the "both read, then both write" race can only happen on PostgreSQL; the other
races run on both databases: deciders released together, 8 threads filing
requests, and two clients calling the API at the same instant.

These tests commit: the ``committed_db`` fixture empties the database afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from procure import audit
from procure.db import write_intent
from procure.errors import Conflict, Forbidden, InvalidTransition
from procure.extensions import db
from procure.models import (
    ApprovalStep,
    AuditEvent,
    PurchaseRequest,
    RequestStatus,
    StepStatus,
    User,
    utcnow,
)
from procure.purchasing import services

pytestmark = pytest.mark.committing

ROUNDS = 30
CREATORS = 8
CREATES_EACH = 10
# A barrier that is never met means a thread died before it: fail, do not hang.
BARRIER_TIMEOUT = 60


@pytest.fixture
def postgres(request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--db") != "postgres":
        pytest.skip("needs PostgreSQL (run with --db postgres)")


@pytest.fixture
def checker(committed_db) -> Iterator[sa.Engine]:
    """A second engine on the same database: it sees only what was committed."""
    engine = sa.create_engine(committed_db.engine.url)
    yield engine
    engine.dispose()


def checker_count(engine: sa.Engine) -> int:
    """Audit events committed, as another connection sees them."""
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(AuditEvent.__table__))


def in_thread(app, work: Callable[[], Any]) -> Any:
    """Run ``work`` as one request would: own session, write intent, commit or roll back.

    Returns what ``work`` returned, or the exception it raised (for the test to judge).
    """
    with app.app_context(), write_intent():
        try:
            result = work()
            db.session.commit()
            return result
        except Exception as exc:  # any kind: the test asserts on what came back
            db.session.rollback()
            return exc
        finally:
            db.session.remove()


def line(price: str) -> services.LineData:
    return services.LineData(
        description="Docking station", quantity=Decimal(1), unit_price=Decimal(price)
    )


def file_request(requester_id: int, price: str, *, submit: bool) -> int:
    """File (and submit) a request in the main thread, committed; the session is closed."""
    with write_intent():
        requester = db.session.get(User, requester_id)
        pr = services.create_request(
            services.RequestData(title="Docks for the new team", lines=[line(price)]),
            actor=requester,
        )
        if submit:
            services.submit(pr, actor=requester)
        db.session.commit()
        pr_id = pr.id
    db.session.remove()
    return pr_id


# (a) two approvers decide the same step at the same instant -------------------------


@pytest.mark.parametrize(
    "release",
    [
        # The threads start together and race for the database.
        "at_start",
        # Both have read the request with the step pending before either writes:
        # the version column alone has to stop the second decision.
        pytest.param("after_reading", marks=pytest.mark.postgres_only),
    ],
)
def test_two_approvers_approving_the_same_step_record_one_decision(
    request, app, committed_db, make, checker, release
):
    if release == "after_reading":
        request.getfixturevalue("postgres")
    requester_id = make.user(["requester"], department="IT").id
    approver_ids = [make.user(["approver"], department="IT").id for _ in range(2)]
    make.user(["finance"], department="FIN")
    db.session.remove()

    def approve(pr_id: int, user_id: int, barrier: threading.Barrier) -> Callable[[], str]:
        def work() -> str:
            if release == "at_start":
                barrier.wait(BARRIER_TIMEOUT)
            pr = db.session.get(PurchaseRequest, pr_id)
            actor = db.session.get(User, user_id)
            if release == "after_reading":
                # Both have seen the step pending before either decides.
                assert pr.pending_step is not None
                barrier.wait(BARRIER_TIMEOUT)
            services.approve(pr, actor=actor, comment=f"fine by {actor.name}")
            return "approved"

        return work

    with ThreadPoolExecutor(max_workers=2) as pool:
        for round_ in range(ROUNDS):
            # Under 5,000 the department step is the last; above it finance follows,
            # so the request stays pending and only the version can stop the loser.
            price = "900.00" if round_ % 2 else "9000.00"
            pr_id = file_request(requester_id, price, submit=True)
            barrier = threading.Barrier(2)
            futures = [
                pool.submit(in_thread, app, approve(pr_id, user_id, barrier))
                for user_id in approver_ids
            ]
            outcomes = [future.result() for future in futures]

            winners = [i for i, outcome in enumerate(outcomes) if outcome == "approved"]
            assert len(winners) == 1, outcomes
            winner_id = approver_ids[winners[0]]
            loser_id = approver_ids[1 - winners[0]]
            lost = outcomes[1 - winners[0]]
            assert isinstance(lost, Conflict | Forbidden | InvalidTransition), repr(lost)
            if release == "after_reading":
                assert isinstance(lost, Conflict), repr(lost)

            with checker.connect() as connection:
                status = connection.scalar(
                    sa.select(PurchaseRequest.status).where(PurchaseRequest.id == pr_id)
                )
                steps = connection.execute(
                    sa.select(ApprovalStep.name, ApprovalStep.status, ApprovalStep.decided_by_id)
                    .where(ApprovalStep.request_id == pr_id)
                    .order_by(ApprovalStep.position)
                ).all()
                events = connection.execute(
                    sa.select(AuditEvent.action, AuditEvent.actor_id)
                    .where(AuditEvent.entity == "request", AuditEvent.entity_id == pr_id)
                    .order_by(AuditEvent.id)
                ).all()
            if price == "900.00":
                assert status == RequestStatus.APPROVED
                assert [tuple(step) for step in steps] == [
                    ("department", StepStatus.APPROVED, winner_id)
                ]
            else:
                assert status == RequestStatus.PENDING_APPROVAL
                assert [tuple(step) for step in steps] == [
                    ("department", StepStatus.APPROVED, winner_id),
                    ("finance", StepStatus.PENDING, None),
                ]
            assert [tuple(event) for event in events] == [
                ("create", requester_id),
                ("submit", requester_id),
                ("approve", winner_id),
            ]
            assert all(actor != loser_id for _, actor in events)

    db.session.remove()
    result = audit.verify()
    assert result.ok, result
    assert result.count == checker_count(checker)


# The owner against a decider, or against themselves in two tabs: both have read the
# request before either writes (PostgreSQL); one wins, the other gets Conflict.

OWNER_RACES = {
    "edit_and_edit": ("edit", "edit"),
    "edit_and_submit": ("edit", "submit"),
    "submit_and_submit": ("submit", "submit"),
    "cancel_and_approve": ("cancel", "approve"),
}


@pytest.mark.postgres_only
@pytest.mark.parametrize("race", list(OWNER_RACES))
def test_racing_changes_to_one_request_lose_with_conflict(
    app, committed_db, make, checker, postgres, race
):
    requester_id = make.user(["requester"], department="IT").id
    approver_id = make.user(["approver"], department="IT").id
    db.session.remove()
    actions = OWNER_RACES[race]

    def take(action: str, pr_id: int, barrier: threading.Barrier) -> Callable[[], str]:
        def work() -> str:
            pr = db.session.get(PurchaseRequest, pr_id)
            requester = db.session.get(User, requester_id)
            approver = db.session.get(User, approver_id)
            assert pr.lines and pr.department and requester.roles and approver.roles
            barrier.wait(BARRIER_TIMEOUT)
            if action == "edit":
                data = services.RequestData(title="Docks, revised", lines=[line("120.00")])
                services.update_request(pr, data, actor=requester)
            elif action == "approve":
                services.approve(pr, actor=approver)
            else:
                services.act(pr, action, actor=requester)
            return action

        return work

    with ThreadPoolExecutor(max_workers=2) as pool:
        for _ in range(ROUNDS // 3):
            pr_id = file_request(requester_id, "100.00", submit="approve" in actions)
            barrier = threading.Barrier(2)
            futures = [pool.submit(in_thread, app, take(a, pr_id, barrier)) for a in actions]
            outcomes = [future.result() for future in futures]
            won = [outcome for outcome in outcomes if isinstance(outcome, str)]
            lost = [outcome for outcome in outcomes if not isinstance(outcome, str)]
            assert len(won) == 1 and len(lost) == 1, outcomes
            assert isinstance(lost[0], Conflict), repr(lost[0])
            with checker.connect() as connection:
                actions_recorded = connection.scalars(
                    sa.select(AuditEvent.action)
                    .where(AuditEvent.entity == "request", AuditEvent.entity_id == pr_id)
                    .order_by(AuditEvent.id)
                ).all()
            before = ["create", "submit"] if "approve" in actions else ["create"]
            assert actions_recorded == [*before, {"edit": "update"}.get(won[0], won[0])]
    result = audit.verify()
    assert result.ok, result


# (b) many people file requests at once -----------------------------------------------


def test_concurrent_filing_numbers_are_unique_and_gap_free(app, committed_db, make, checker):
    requester_ids = [make.user(["requester"], department="IT").id for _ in range(CREATORS)]
    year = utcnow().year
    db.session.remove()
    barrier = threading.Barrier(CREATORS)

    def creator(user_id: int) -> list[Any]:
        barrier.wait(BARRIER_TIMEOUT)
        outcomes = []
        for _ in range(CREATES_EACH):

            def work() -> str:
                requester = db.session.get(User, user_id)
                pr = services.create_request(
                    services.RequestData(title="Headsets", lines=[line("45.00")]),
                    actor=requester,
                )
                return pr.number

            outcomes.append(in_thread(app, work))
        return outcomes

    with ThreadPoolExecutor(max_workers=CREATORS) as pool:
        results = list(pool.map(creator, requester_ids))

    outcomes = [outcome for result in results for outcome in result]
    failures = [outcome for outcome in outcomes if not isinstance(outcome, str)]
    assert failures == []
    expected = [f"PR-{year}-{n:05d}" for n in range(1, CREATORS * CREATES_EACH + 1)]
    assert sorted(outcomes) == expected
    with checker.connect() as connection:
        stored = connection.scalars(
            sa.select(PurchaseRequest.number).order_by(PurchaseRequest.number)
        ).all()
        creates = connection.execute(
            sa.select(AuditEvent.entity_id, sa.func.count())
            .where(AuditEvent.entity == "request", AuditEvent.action == "create")
            .group_by(AuditEvent.entity_id)
        ).all()
    assert stored == expected
    assert len(creates) == len(expected) and all(count == 1 for _, count in creates)

    result = audit.verify()
    assert result.ok, result
    assert result.count == checker_count(checker)


# (c) the same races through the API: the answers a client sees -----------------------


def post_together(app, calls: list[tuple[str, str, str, dict]]) -> list[tuple[int, dict]]:
    """Send ``(method, path, token, body)`` requests at the same instant, one thread each."""
    barrier = threading.Barrier(len(calls))

    def send(call: tuple[str, str, str, dict]) -> tuple[int, dict]:
        method, path, token, body = call
        client = app.test_client()
        barrier.wait(BARRIER_TIMEOUT)
        response = client.open(
            path, method=method, json=body, headers={"Authorization": f"Bearer {token}"}
        )
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(send, calls))


def test_two_approvers_through_the_api_get_one_200_and_one_refusal(
    app, committed_db, make, checker
):
    requester_id = make.user(["requester"], department="IT").id
    tokens = [make.token(make.user(["approver"], department="IT")) for _ in range(2)]
    make.user(["finance"], department="FIN")
    db.session.remove()
    for round_ in range(ROUNDS // 3):
        price = "900.00" if round_ % 2 else "9000.00"
        pr_id = file_request(requester_id, price, submit=True)
        path = f"/api/v1/requests/{pr_id}/approve"
        answers = post_together(app, [("POST", path, token, {}) for token in tokens])
        statuses = sorted(status for status, _ in answers)
        assert statuses[0] == 200, answers
        assert statuses[1] in (403, 409), answers
        refusal = next(body for status, body in answers if status != 200)
        assert refusal["error"]["code"] in ("conflict", "invalid_transition", "forbidden")
        with checker.connect() as connection:
            approvals = connection.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(
                    AuditEvent.entity == "request",
                    AuditEvent.entity_id == pr_id,
                    AuditEvent.action == "approve",
                )
            )
        assert approvals == 1
    result = audit.verify()
    assert result.ok, result


def test_two_edits_of_one_version_through_the_api_get_one_200_and_one_409(
    app, committed_db, make, checker
):
    requester = make.user(["requester"], department="IT")
    requester_id, token = requester.id, make.token(requester)
    db.session.remove()
    for _ in range(ROUNDS // 3):
        pr_id = file_request(requester_id, "100.00", submit=False)
        path = f"/api/v1/requests/{pr_id}"
        bodies = [
            {
                "version": 1,
                "title": title,
                "lines": [{"description": title, "quantity": 1, "unit_price": price}],
            }
            for title, price in (("Mice", "25.00"), ("Keyboards", "60.00"))
        ]
        answers = post_together(app, [("PATCH", path, token, body) for body in bodies])
        assert sorted(status for status, _ in answers) == [200, 409], answers
        (winner,) = [body for status, body in answers if status == 200]
        (loser,) = [body for status, body in answers if status == 409]
        assert loser["error"]["code"] == "conflict"
        with checker.connect() as connection:
            stored = connection.execute(
                sa.select(PurchaseRequest.title, PurchaseRequest.total).where(
                    PurchaseRequest.id == pr_id
                )
            ).one()
        # What is stored is the winner's edit, whole: its title with its lines' total.
        assert (stored.title, str(stored.total)) == (winner["title"], winner["total"])
    result = audit.verify()
    assert result.ok, result
