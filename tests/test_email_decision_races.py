"""Decisions from the e-mail racing each other: one decision, the other a 409 page.

Two approvers press Approve in their own e-mails at the same instant, or one presses
the same button twice (two tabs): the request's version guard lets one transaction
decide and the other lose, whatever it had read. Real threads and commits (see
``tests/committing.py``); the races need PostgreSQL (``--db postgres``).
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import audit
from procure.errors import Conflict
from procure.extensions import db
from procure.models import ActionLink, AuditEvent, Notification, PurchaseRequest, User
from procure.purchasing import email_decisions, services
from tests.committing import together

pytestmark = [pytest.mark.committing, pytest.mark.postgres_only]

BARRIER_TIMEOUT = 60  # a barrier never met means a thread died: fail, do not hang
ROUNDS = 5
APPROVE = re.compile(r"^Approve: http://procure\.test(/act/\S+)$", re.M)


@pytest.fixture(autouse=True)
def _postgres(request):
    if request.config.getoption("--db") != "postgres":
        pytest.skip("needs PostgreSQL (run with --db postgres)")


@pytest.fixture
def people(committed_db, make) -> dict[str, int]:
    ids = {
        "requester": make.user(["requester"], department="IT", name="Rita Requester").id,
        "ian": make.user(["approver"], department="IT", name="Ian Approver").id,
        "alan": make.user(["approver"], department="IT", name="Alan Approver").id,
    }
    make.user(["finance"], department="FIN")
    db.session.remove()
    return ids


def filed(requester_id: int) -> int:
    """A request submitted and committed: its approvers' e-mails are in the outbox."""
    requester = db.session.get(User, requester_id)
    pr = services.create_request(
        services.RequestData(
            title="Docking stations",
            lines=[
                services.LineData(description="Dock", quantity=Decimal(1), unit_price=Decimal(900))
            ],
        ),
        actor=requester,
    )
    services.submit(pr, actor=requester)
    db.session.commit()
    pr_id = pr.id
    db.session.remove()
    return pr_id


def approve_link(pr_id: int, user_id: int) -> str:
    email = db.session.get(User, user_id).email
    note = db.session.scalars(
        sa.select(Notification).where(
            Notification.email == email,
            Notification.entity_id == pr_id,
            Notification.kind == "step_pending",
        )
    ).one()
    (path,) = APPROVE.findall(note.body_text)
    return path


def decisions(pr_id: int) -> int:
    db.session.remove()
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.entity == "request",
            AuditEvent.entity_id == pr_id,
            AuditEvent.action == "approve",
        )
    )


def post_together(app, paths: list[str]) -> list[tuple[int, str]]:
    """Confirm each link at the same instant, each from a browser of its own."""
    barrier = threading.Barrier(len(paths))

    def send(path: str) -> tuple[int, str]:
        client = app.test_client()
        barrier.wait(BARRIER_TIMEOUT)
        response = client.post(path, data={"decision": "approve"})
        return response.status_code, response.get_data(as_text=True)

    with ThreadPoolExecutor(max_workers=len(paths)) as pool:
        return list(pool.map(send, paths))


def one_won(answers: list[tuple[int, str]]) -> None:
    assert sorted(status for status, _ in answers) == [200, 409], [s for s, _ in answers]
    lost = next(page for status, page in answers if status == 409)
    assert "This link can no longer decide" in lost and 'href="/login"' in lost


def test_two_approvers_confirming_at_once_record_one_decision(app, people):
    for _ in range(ROUNDS):
        pr_id = filed(people["requester"])
        paths = [approve_link(pr_id, people[name]) for name in ("ian", "alan")]
        one_won(post_together(app, paths))
        assert decisions(pr_id) == 1
        pr = db.session.get(PurchaseRequest, pr_id)
        assert pr.status.value == "approved"
    assert audit.verify().ok


def test_the_same_link_confirmed_twice_at_once_decides_once(app, people):
    for _ in range(ROUNDS):
        pr_id = filed(people["requester"])
        path = approve_link(pr_id, people["ian"])
        one_won(post_together(app, [path, path]))
        assert decisions(pr_id) == 1
        used = db.session.scalars(
            sa.select(ActionLink).where(
                ActionLink.request_id == pr_id, ActionLink.used_at.is_not(None)
            )
        ).all()
        assert [link.action for link in used] == ["approve"]
    assert audit.verify().ok


def test_both_having_read_the_link_the_later_decision_loses_with_conflict(app, people):
    """Each side has opened its link (both saw it usable) before either decides."""
    pr_id = filed(people["requester"])
    paths = [approve_link(pr_id, people[name]) for name in ("ian", "alan")]
    db.session.remove()
    barrier = threading.Barrier(2)

    def confirm(path: str):
        def work() -> str:
            token = path.removeprefix("/act/")
            email_decisions.open_link(token, viewer=None)
            barrier.wait(BARRIER_TIMEOUT)  # both have found their link usable
            email_decisions.decide(token, "approve", "", viewer=None)
            db.session.commit()
            return "decided"

        return work

    outcomes = together(app, [confirm(path) for path in paths])
    assert outcomes.count("decided") == 1, outcomes
    (lost,) = [outcome for outcome in outcomes if outcome != "decided"]
    assert isinstance(lost, Conflict | email_decisions.LinkRefused), repr(lost)
    assert lost.status == 409
    assert decisions(pr_id) == 1
    assert audit.verify().ok
