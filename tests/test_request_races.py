"""Purchase requests under concurrency: real threads, real commits, one database.

Each thread has its own app context, hence its own session and connection, and
declares write intent as a POST would (on SQLite that is BEGIN IMMEDIATE, which
queues writers; on PostgreSQL the row locks and the version column decide).
A ``threading.Barrier`` releases the threads together. What was committed is
read back through a second engine on the same database.

On SQLite the writers are serialised from the start of their transactions, so
the "both read, then both write" race can only happen on PostgreSQL; the
release-at-start race and the numbering race run on both databases.
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


def in_thread(app, work: Callable[[], Any]) -> Any:
    """Run ``work`` as one request would: own session, write intent, commit or roll back.

    Returns what ``work`` returned, or the exception it raised (for the test to judge).
    """
    from procure.extensions import db

    with app.app_context(), write_intent():
        try:
            result = work()
            db.session.commit()
            return result
        except Exception as exc:  # noqa: BLE001 - the test asserts on what came back
            db.session.rollback()
            return exc
        finally:
            db.session.remove()


def line(price: str) -> services.LineData:
    return services.LineData(
        description="Docking station", quantity=Decimal(1), unit_price=Decimal(price)
    )


def file_request(requester: User, price: str, *, submit: bool) -> int:
    from procure.extensions import db

    with write_intent():
        pr = services.create_request(
            services.RequestData(title="Docks for the new team", lines=[line(price)]),
            actor=requester,
        )
        if submit:
            services.submit(pr, actor=requester)
        db.session.commit()
        return pr.id


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
    db = committed_db
    requester = make.user(["requester"], department="IT")
    approvers = [make.user(["approver"], department="IT") for _ in range(2)]
    make.user(["finance"], department="FIN")
    make.user(["executive"], department="EXEC")
    approver_ids = [approver.id for approver in approvers]

    def approve(pr_id: int, user_id: int, barrier: threading.Barrier) -> Callable[[], str]:
        def work() -> str:
            if release == "at_start":
                barrier.wait(BARRIER_TIMEOUT)
            pr = db.session.get(PurchaseRequest, pr_id)
            actor = db.session.get(User, user_id)
            assert pr.pending_step is not None or release == "at_start"
            if release == "after_reading":
                barrier.wait(BARRIER_TIMEOUT)
            services.approve(pr, actor=actor, comment=f"fine by {actor.name}")
            return "approved"

        return work

    with ThreadPoolExecutor(max_workers=2) as pool:
        for round_ in range(ROUNDS):
            # Under 5,000 the department step is the last; above it finance follows,
            # so the request stays pending and only the version can stop the loser.
            price = "900.00" if round_ % 2 else "9000.00"
            pr_id = file_request(requester, price, submit=True)
            db.session.remove()
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
                    sa.select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.comment)
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
            assert [(action, actor) for action, actor, _ in events] == [
                ("create", requester.id),
                ("submit", requester.id),
                ("approve", winner_id),
            ]
            assert all(actor != loser_id for _, actor, _ in events)

    db.session.remove()
    result = audit.verify()
    assert result.ok, result
    assert result.count == checker_count(checker)


def checker_count(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(AuditEvent.__table__))


# (b) many people file requests at once -----------------------------------------------


def test_concurrent_filing_numbers_are_unique_and_gap_free(app, committed_db, make, checker):
    db = committed_db
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
