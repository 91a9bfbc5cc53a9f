"""Two finance people approving the same invoice at the same instant: one wins, the
other gets 409, and the audit log holds one approval (API.md, "Invoices").

Real threads, real commits, one database, as ``test_request_races.py`` does: each
thread has its own app context (its own session and connection); a barrier releases
them together; what was committed is read back through a second engine. On SQLite
the writers queue from the start of their transactions; the "both have read the
invoice as matched, then both write" race needs PostgreSQL (``--db postgres``).

These tests commit: the ``committed_db`` fixture empties the database afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from procure import audit
from procure.db import write_intent
from procure.errors import Conflict
from procure.extensions import db
from procure.invoices import actions
from procure.invoices import services as invoices
from procure.models import AuditEvent, Invoice, InvoiceStatus, PurchaseOrder, User
from procure.orders import services as orders
from tests.documents import issued_order

pytestmark = pytest.mark.committing

ROUNDS = 4
BARRIER_TIMEOUT = 60


@pytest.fixture
def checker(committed_db) -> Iterator[sa.Engine]:
    """A second engine on the same database: it sees only what was committed."""
    engine = sa.create_engine(committed_db.engine.url)
    yield engine
    engine.dispose()


def matched_invoice(make, buyer_id: int, clerk_id: int, number: str) -> int:
    """An issued order received in full and a matching invoice, submitted: committed."""
    buyer = db.session.get(User, buyer_id)
    order = issued_order(make, buyer=buyer)
    with write_intent():
        clerk = db.session.get(User, clerk_id)
        orders.receive(
            order,
            [
                orders.ReceiptLineData(line_id=line.id, quantity=line.quantity)
                for line in order.lines
            ],
            received_on=None,
            actor=buyer,
        )
        invoice = invoices.create(
            invoices.InvoiceData(
                order_id=order.id,
                vendor_invoice_number=number,
                invoice_date=order.issued_at.date(),
                lines=[
                    invoices.LineData(line.id, line.quantity, line.unit_price)
                    for line in order.lines
                ],
            ),
            actor=clerk,
        )
        actions.submit(invoice, actor=clerk)
        assert invoice.status == InvoiceStatus.MATCHED
        db.session.commit()
        invoice_id = invoice.id
    db.session.remove()
    return invoice_id


def committed(engine: sa.Engine, invoice_id: int) -> tuple[Any, list[tuple[str, int]], Any]:
    with engine.connect() as connection:
        status, approver, order_id = connection.execute(
            sa.select(Invoice.status, Invoice.approved_by_id, Invoice.order_id).where(
                Invoice.id == invoice_id
            )
        ).one()
        events = connection.execute(
            sa.select(AuditEvent.action, AuditEvent.actor_id)
            .where(AuditEvent.entity == "invoice", AuditEvent.entity_id == invoice_id)
            .order_by(AuditEvent.id)
        ).all()
        order_status = connection.scalar(
            sa.select(PurchaseOrder.status).where(PurchaseOrder.id == order_id)
        )
    return (status, approver), [tuple(event) for event in events], order_status


@pytest.fixture
def finance(make) -> dict[str, Any]:
    buyer = make.user(["procurement"], department="PROC")
    clerk = make.user(["finance"], department="FIN")
    controllers = [make.user(["finance"], department="FIN") for _ in range(2)]
    found = {
        "buyer_id": buyer.id,
        "clerk_id": clerk.id,
        "controller_ids": [user.id for user in controllers],
        "tokens": [make.token(user) for user in controllers],
    }
    db.session.remove()
    return found


def post_together(app, calls: list[tuple[str, str, dict]]) -> list[tuple[int, dict]]:
    """Send ``(path, token, body)`` POSTs at the same instant, one thread each."""
    barrier = threading.Barrier(len(calls))

    def send(call: tuple[str, str, dict]) -> tuple[int, dict]:
        path, token, body = call
        client = app.test_client()
        barrier.wait(BARRIER_TIMEOUT)
        answer = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        return answer.status_code, answer.get_json()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(send, calls))


@pytest.mark.parametrize("with_version", [True, False], ids=["version", "no-version"])
def test_two_finance_users_approving_at_once_get_one_200_and_one_409(
    app, committed_db, make, checker, finance, with_version
):
    for round_ in range(ROUNDS):
        invoice_id = matched_invoice(
            make, finance["buyer_id"], finance["clerk_id"], f"RACE-{with_version}-{round_}"
        )
        body = {"version": 2} if with_version else {}  # created 1, submitted 2
        path = f"/api/v1/invoices/{invoice_id}/approve"
        answers = post_together(app, [(path, token, body) for token in finance["tokens"]])

        assert sorted(status for status, _ in answers) == [200, 409], answers
        (won,) = [body for status, body in answers if status == 200]
        (lost,) = [body for status, body in answers if status == 409]
        assert won["status"] == "approved"
        expected = ("conflict",) if with_version else ("conflict", "invalid_transition")
        assert lost["error"]["code"] in expected, lost
        (status, approver), events, order_status = committed(checker, invoice_id)
        assert status == InvoiceStatus.APPROVED
        assert approver == won["approved_by"]["id"]
        approvals = [actor for action, actor in events if action == "approve"]
        assert approvals == [approver]  # one audit event, by the winner
        assert order_status.value == "closed"  # settled once, by the winner
    db.session.remove()
    result = audit.verify()
    assert result.ok, result


@pytest.mark.postgres_only
def test_both_have_read_the_invoice_matched_then_the_version_stops_the_second(
    request, app, committed_db, make, checker, finance
):
    if request.config.getoption("--db") != "postgres":
        pytest.skip("needs PostgreSQL (run with --db postgres)")

    def approve(invoice_id: int, user_id: int, barrier: threading.Barrier) -> Callable[[], Any]:
        def work() -> Any:
            with app.app_context(), write_intent():
                try:
                    invoice = db.session.get(Invoice, invoice_id)
                    actor = db.session.get(User, user_id)
                    assert invoice.status == InvoiceStatus.MATCHED and actor.roles
                    assert invoice.order.lines and invoice.lines
                    barrier.wait(BARRIER_TIMEOUT)  # both have read it matched
                    actions.approve(invoice, actor=actor)
                    db.session.commit()
                    return "approved"
                except Exception as exc:  # the test judges what came back
                    db.session.rollback()
                    return exc
                finally:
                    db.session.remove()

        return work

    with ThreadPoolExecutor(max_workers=2) as pool:
        for round_ in range(ROUNDS):
            invoice_id = matched_invoice(
                make, finance["buyer_id"], finance["clerk_id"], f"READ-{round_}"
            )
            barrier = threading.Barrier(2)
            futures = [
                pool.submit(approve(invoice_id, user_id, barrier))
                for user_id in finance["controller_ids"]
            ]
            outcomes = [future.result() for future in futures]
            assert outcomes.count("approved") == 1, outcomes
            (lost,) = [outcome for outcome in outcomes if outcome != "approved"]
            assert isinstance(lost, Conflict), repr(lost)
            _, events, _ = committed(checker, invoice_id)
            assert [action for action, _ in events].count("approve") == 1
    result = audit.verify()
    assert result.ok, result


def test_the_same_vendor_number_entered_twice_at_once_is_recorded_once(
    request, app, committed_db, make, checker, finance
):
    """Two people typing in the same vendor invoice at the same instant: one 201, one
    422 on ``vendor_invoice_number``: ``services.create`` locks the vendor's row before
    it looks for the number, so the second waits for the first and then finds it."""
    buyer = db.session.get(User, finance["buyer_id"])
    order = issued_order(make, buyer=buyer)
    body = {
        "order_id": order.id,
        "invoice_date": order.issued_at.date().isoformat(),
        "lines": [
            {"order_line_id": line.id, "quantity": "1", "unit_price": str(line.unit_price)}
            for line in order.lines
        ],
    }
    db.session.remove()
    outcomes = []
    for round_ in range(ROUNDS):
        numbered = {**body, "vendor_invoice_number": f"TWICE-{round_}"}
        answers = post_together(
            app, [("/api/v1/invoices", token, numbered) for token in finance["tokens"]]
        )
        outcomes.append(sorted(status for status, _ in answers))
        refused = [answer for status, answer in answers if status == 422]
        assert all("vendor_invoice_number" in r["error"]["fields"] for r in refused)
    with checker.connect() as connection:
        stored = connection.scalar(sa.select(sa.func.count()).select_from(Invoice))
    assert outcomes == [[201, 422]] * ROUNDS
    assert stored == ROUNDS
