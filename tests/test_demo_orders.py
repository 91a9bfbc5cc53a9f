"""The demo's orders after issue (``demo_orders``): a revision down, an increase approved
and one waiting, laptops returned with an RMA number, a receipt reversed and recorded
again — made through the services, so the audit chain and the stored PDFs verify."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import audit, create_app, demo, demo_orders, stored_files
from procure.extensions import db as _db
from procure.invoices import matching
from procure.models import (
    AuditEvent,
    Invoice,
    InvoiceStatus,
    Notification,
    OrderRevision,
    OrderStatus,
    PurchaseOrder,
    PurchaseRequest,
    RequestStatus,
    RevisionStatus,
    StepStatus,
    User,
)
from procure.orders import revisions, tolerances
from procure.purchasing import services as purchasing

D = Decimal


@pytest.fixture
def seeded(db):
    demo.seed_all()
    db.session.commit()
    return db


def order_of(db, title: str) -> PurchaseOrder:
    return db.session.scalars(
        sa.select(PurchaseOrder)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
        .where(PurchaseRequest.title == title)
    ).one()


def person(db, email: str) -> User:
    return db.session.scalars(sa.select(User).where(User.email == email)).one()


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def an_order_revised_down_is_issued_at_once_as_rev_1(db):
    order = order_of(db, demo_orders.CABLING)
    assert order.status == OrderStatus.ISSUED and order.revision == 1
    first, second = revisions.issued(order)
    assert second.increase_base is None and second.total < first.total
    assert second.changes == ["Line 1 quantity 200 → 150"]
    assert revisions.label(order) == f"{order.number} rev 1"
    for number, revision in ((0, first), (1, second)):
        data, _name = revisions.get_document(order, number)
        assert hashlib.sha256(data).hexdigest() == revision.pdf_sha256
    told = db.session.scalars(
        sa.select(Notification).where(
            Notification.kind == "change_order", Notification.entity_id == order.id
        )
    ).all()
    assert [n.attachment_id for n in told] == [second.pdf_attachment_id]


def an_increase_beyond_the_tolerance_was_approved_and_issued_as_rev_2(db):
    order = order_of(db, demo_orders.ACCESS_POINTS)
    assert order.revision == 2 and revisions.pending(order) is None
    _first, moved, grown = revisions.issued(order)
    assert moved.changes == ["Delivery address changed"] and moved.increase_base is None
    # Beyond both limits of the tolerance: over its amount, and over its percent.
    assert grown.increase_base > tolerances.current().amount
    assert order.total == grown.total and order.delivery_address == demo_orders.ANNEX_DOCK
    pr = order.request
    assert pr.status == RequestStatus.ORDERED and pr.approval_round == 2
    [step] = [s for s in pr.steps if s.round == 2]
    assert step.status == StepStatus.APPROVED
    assert step.decided_by.email == "olivia@example.org"
    told = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "increase_decided")
    ).one()
    assert told.user_id == person(db, "paul@example.org").id


def an_increase_waits_in_the_approvers_inbox(db):
    order = order_of(db, demo_orders.UPS)
    waiting = revisions.pending(order)
    assert waiting is not None and waiting.status == RevisionStatus.PENDING_APPROVAL
    assert order.revision == 0 and order.total < waiting.total
    pr = order.request
    assert pr.status == RequestStatus.ORDERED and pr.pending_step.name == "department"
    olivia = person(db, "olivia@example.org")
    assert "approve" in purchasing.allowed_actions(pr, olivia)
    # Whoever proposed the increase may not approve it.
    assert "approve" not in purchasing.allowed_actions(pr, person(db, "paul@example.org"))
    unread = db.session.scalars(
        sa.select(Notification).where(
            Notification.user_id == olivia.id,
            Notification.entity == "request",
            Notification.entity_id == pr.id,
            Notification.kind == "step_pending",
            Notification.read_at.is_(None),
        )
    ).all()
    assert len(unread) == 1


def two_laptops_went_back_with_an_rma_number(db):
    order = order_of(db, demo_orders.LAPTOPS)
    [laptops] = order.lines
    assert (laptops.quantity, laptops.received_quantity, laptops.returned_quantity) == (
        D("6"),
        D("4"),
        D("2"),
    )
    [sent_back] = order.returns
    assert sent_back.rma == demo_orders.RMA and sent_back.reason
    assert [line.quantity for line in sent_back.lines] == [D("2")]
    # Not settled: the replacements and their invoice are still to come.
    assert order.status == OrderStatus.PARTIALLY_RECEIVED
    [invoice] = db.session.scalars(sa.select(Invoice).where(Invoice.order_id == order.id))
    assert invoice.status == InvoiceStatus.APPROVED
    assert matching.invoiced_on(order.id, matching.COUNTED)[laptops.id] == D("4")


def a_wrong_receipt_was_reversed_and_recorded_again(db):
    order = order_of(db, demo_orders.MONITORS)
    monitors, arms = order.lines
    wrong, right = sorted(order.receipts, key=lambda r: r.id)
    assert wrong.reversed_at is not None and wrong.reversal_reason
    assert right.reversed_at is None and right.lines[0].order_line_id == arms.id
    assert (monitors.received_quantity, arms.received_quantity) == (D("0"), arms.quantity)
    assert order.status == OrderStatus.PARTIALLY_RECEIVED
    [event] = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity == "receipt",
            AuditEvent.entity_id == wrong.id,
            AuditEvent.action == "reverse",
        )
    )
    assert event.comment == wrong.reversal_reason


def test_the_demo_tells_each_story_and_verifies(seeded):
    """One seed for every story (seeding takes a while): each checked in turn."""
    db = seeded
    an_order_revised_down_is_issued_at_once_as_rev_1(db)
    an_increase_beyond_the_tolerance_was_approved_and_issued_as_rev_2(db)
    an_increase_waits_in_the_approvers_inbox(db)
    two_laptops_went_back_with_an_rma_number(db)
    a_wrong_receipt_was_reversed_and_recorded_again(db)
    assert stored_files.check().problems == []
    before = {m: count(db, m) for m in (OrderRevision, AuditEvent, PurchaseOrder, Notification)}
    demo.seed_all()
    db.session.commit()
    assert {m: count(db, m) for m in before} == before
    assert audit.verify().ok


def test_seed_demo_then_verify_audit_on_a_new_database(empty_database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "SECRET_KEY": "test",
            "ATTACHMENTS_DIR": str(tmp_path / "attachments"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    runner = app.test_cli_runner()
    try:
        assert runner.invoke(args=["init-db"]).exit_code == 0
        results = []
        for _ in range(2):
            seeded = runner.invoke(args=["seed-demo"])
            assert seeded.exit_code == 0, seeded.output
            verified = runner.invoke(args=["verify-audit"])
            assert verified.exit_code == 0, verified.output
            results.append(verified.output)
        assert results[0] == results[1]
        chain, files = results[0].splitlines()
        assert re.fullmatch(r"ok \d+ events", chain)
        stored = re.fullmatch(r"ok (\d+) stored files?, (\d+) order PDFs?", files)
        with app.app_context():
            issued = _db.session.scalar(
                sa.select(sa.func.count())
                .select_from(OrderRevision)
                .where(OrderRevision.issued_at.is_not(None))
            )
        assert stored and int(stored.group(2)) > 0 and issued > int(stored.group(2))
    finally:
        with app.app_context():
            _db.engine.dispose()
