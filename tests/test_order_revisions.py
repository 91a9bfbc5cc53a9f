"""Orders after issue, through the services: revisions (down at once, up beyond the
tolerance through the request's approvers), returns and receipt reversals."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import stored_files
from procure.errors import Forbidden, InvalidTransition, ValidationError
from procure.models import (
    AuditEvent,
    Notification,
    OrderStatus,
    RequestStatus,
    RevisionStatus,
    StepStatus,
)
from procure.orders import returns, revisions
from procure.orders import services as orders
from procure.purchasing import services as requests

from .documents import issued_order

D = Decimal


@pytest.fixture
def setup(make, db):
    buyer = make.user(["procurement"], department="PROC")
    order = issued_order(make, buyer=buyer)  # 2 × 1,000 + 3 × 150 = 2,450.00
    approver = db.session.scalar(
        sa.select(AuditEvent.actor_id).where(
            AuditEvent.entity == "request",
            AuditEvent.entity_id == order.request_id,
            AuditEvent.action == "approve",
        )
    )
    return {"order": order, "buyer": buyer, "approver_id": approver, "db": db}


def _line(order, position):
    return next(line for line in order.lines if line.position == position)


def test_a_revision_down_is_issued_at_once_with_its_own_pdf(setup, db):
    order, buyer = setup["order"], setup["buyer"]
    first_pdf = order.pdf_sha256
    revision = revisions.revise(
        order,
        revisions.RevisionData(
            reason="The vendor cannot deliver the third dock.",
            lines=[revisions.LineChange(line_id=_line(order, 2).id, quantity=D("2"))],
        ),
        actor=buyer,
    )
    db.session.commit()
    assert revision.status == RevisionStatus.ISSUED
    assert (order.revision, revision.revision) == (1, 1)
    assert order.total == D("2300.00")
    assert order.pdf_sha256 == revision.pdf_sha256 != first_pdf
    assert revision.changes == ["Line 2 quantity 3 → 2"]
    data, name = revisions.get_document(order, 0)
    assert hashlib.sha256(data).hexdigest() == first_pdf
    assert name == f"{order.number}.pdf"
    data, name = revisions.get_document(order, 1)
    assert hashlib.sha256(data).hexdigest() == revision.pdf_sha256
    assert name == f"{order.number}-rev1.pdf"
    mail = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "change_order")
    ).one()
    assert "Line 2 quantity 3 → 2" in mail.body_text
    assert mail.attachment_id == revision.pdf_attachment_id
    assert stored_files.check().problems == []


def test_an_increase_beyond_the_tolerance_waits_for_the_approvers(setup, db, make):
    order, buyer = setup["order"], setup["buyer"]
    pr = order.request
    revision = revisions.revise(
        order,
        revisions.RevisionData(
            reason="Two more laptops for the new starters.",
            lines=[revisions.LineChange(line_id=_line(order, 1).id, quantity=D("4"))],
        ),
        actor=buyer,
    )
    db.session.commit()
    assert revision.status == RevisionStatus.PENDING_APPROVAL
    assert revision.increase_base == D("2000.00")
    assert order.total == D("2450.00") and order.revision == 0  # budgets see no change yet
    assert pr.status == RequestStatus.ORDERED
    step = pr.pending_step
    assert step is not None and step.status == StepStatus.PENDING
    assert "increase" in step.reason
    # Receiving stays within what the order says now; another revision waits.
    with pytest.raises(InvalidTransition):
        revisions.revise(
            order,
            revisions.RevisionData(reason="Again", shipping=D("10.00")),
            actor=buyer,
        )
    approver = db.session.get(type(buyer), setup["approver_id"])
    assert "approve" in requests.allowed_actions(pr, approver)
    requests.act(pr, "approve", actor=approver)
    db.session.commit()
    assert revision.status == RevisionStatus.ISSUED and revision.revision == 1
    assert order.total == D("4450.00") and order.revision == 1
    told = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "increase_decided")
    ).one()
    assert told.user_id == buyer.id
    assert stored_files.check().problems == []


def test_an_increase_is_decided_from_the_email_without_a_return_button(setup, db, client):
    order, buyer = setup["order"], setup["buyer"]
    revision = revisions.revise(
        order,
        revisions.RevisionData(
            reason="Two more laptops for the new starters.",
            lines=[revisions.LineChange(line_id=_line(order, 1).id, quantity=D("4"))],
        ),
        actor=buyer,
    )
    db.session.commit()
    mail = db.session.scalars(
        sa.select(Notification)
        .where(Notification.kind == "step_pending", Notification.user_id == setup["approver_id"])
        .order_by(Notification.id.desc())
    ).first()
    links = dict(
        re.findall(r"^(Approve|Reject|Return for changes): \S+?(/act/\S+)$", mail.body_text, re.M)
    )
    assert set(links) == {"Approve", "Reject"}  # an ordered request is not returned
    answer = client.post(links["Approve"], data={"decision": "approve", "comment": ""})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    db.session.expire_all()
    assert revision.status == RevisionStatus.ISSUED and order.total == D("4450.00")
    event = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.entity == "request", AuditEvent.action == "approve")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert json.loads(event.changes)["via"] == "email"


def test_a_rejected_increase_withdraws_the_revision(setup, db):
    order, buyer = setup["order"], setup["buyer"]
    revision = revisions.revise(
        order,
        revisions.RevisionData(
            reason="A bigger screen.",
            lines=[revisions.LineChange(line_id=_line(order, 1).id, unit_price=D("2000.00"))],
        ),
        actor=buyer,
    )
    approver = db.session.get(type(buyer), setup["approver_id"])
    requests.act(order.request, "reject", actor=approver, comment="Not this quarter.")
    db.session.commit()
    assert revision.status == RevisionStatus.WITHDRAWN
    assert order.total == D("2450.00") and order.revision == 0


def test_whoever_proposed_an_increase_may_not_approve_it(setup, db, make):
    order = setup["order"]
    both = make.user(["procurement", "approver"], department="IT")
    revisions.revise(
        order,
        revisions.RevisionData(reason="More", shipping=D("900.00")),
        actor=both,
    )
    assert "approve" not in requests.allowed_actions(order.request, both)
    with pytest.raises(Forbidden, match="proposed"):
        requests.act(order.request, "approve", actor=both)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"reason": ""}, "reason"),
        ({"lines": [("line", {"quantity": D("-1")})]}, "lines.0.quantity"),
        ({"lines": [("line", {"unit_price": D("1.001")})]}, "lines.0.unit_price"),
        ({"lines": [(None, {"description": "", "quantity": D("1")})]}, "lines.0.description"),
        ({"lines": [(999999, {"quantity": D("1")})]}, "lines.0.line_id"),
        ({"shipping": D("-1")}, "shipping"),
        ({}, "lines"),  # nothing changes
    ],
)
def test_bad_revisions_are_refused_and_store_nothing(setup, db, change, field):
    order, buyer = setup["order"], setup["buyer"]
    lines = [
        revisions.LineChange(line_id=_line(order, 1).id if key == "line" else key, **values)
        for key, values in change.get("lines", [])
    ]
    data = revisions.RevisionData(
        reason=change.get("reason", "Because."), lines=lines, shipping=change.get("shipping")
    )
    events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    with pytest.raises(ValidationError) as refused:
        revisions.revise(order, data, actor=buyer)
    assert field in refused.value.fields
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events
    assert len(order.revisions) == 1


def test_a_revision_never_goes_below_what_was_received(setup, db):
    order, buyer = setup["order"], setup["buyer"]
    laptops = _line(order, 1)
    orders.receive(
        order, [orders.ReceiptLineData(laptops.id, D("2"))], received_on=None, actor=buyer
    )
    with pytest.raises(ValidationError, match="received already"):
        revisions.revise(
            order,
            revisions.RevisionData(
                reason="Fewer", lines=[revisions.LineChange(line_id=laptops.id, quantity=D("1"))]
            ),
            actor=buyer,
        )


def test_a_return_lowers_what_is_received_and_the_status_follows(setup, db):
    order, buyer = setup["order"], setup["buyer"]
    laptops = _line(order, 1)
    docks = _line(order, 2)
    orders.receive(
        order,
        [orders.ReceiptLineData(laptops.id, D("2")), orders.ReceiptLineData(docks.id, D("3"))],
        received_on=None,
        actor=buyer,
    )
    assert order.status == OrderStatus.RECEIVED
    with pytest.raises(ValidationError) as refused:
        returns.record_return(
            order,
            [returns.ReturnLineData(laptops.id, D("3"))],
            returned_on=None,
            reason="Broken",
            actor=buyer,
        )
    assert "lines.0.quantity" in refused.value.fields
    sent = returns.record_return(
        order,
        [returns.ReturnLineData(laptops.id, D("2"))],
        returned_on=None,
        reason="Both screens cracked on arrival.",
        rma="RMA-7781",
        actor=buyer,
    )
    db.session.commit()
    assert order.status == OrderStatus.PARTIALLY_RECEIVED
    assert (laptops.received_quantity, laptops.returned_quantity) == (D("0"), D("2"))
    assert orders.received_value(order) == D("450.00")
    assert sent.rma == "RMA-7781"
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity == "order", AuditEvent.action == "return")
    ).one()
    assert json.loads(event.changes)["status"] == ["received", "partially_received"]


def test_a_wrong_receipt_is_reversed_once_and_recorded_again(setup, db):
    order, buyer = setup["order"], setup["buyer"]
    laptops, docks = _line(order, 1), _line(order, 2)
    wrong = orders.receive(
        order, [orders.ReceiptLineData(laptops.id, D("2"))], received_on=None, actor=buyer
    )
    with pytest.raises(ValidationError):
        returns.reverse_receipt(order, wrong, reason=" ", actor=buyer)
    returns.reverse_receipt(order, wrong, reason="Booked against the laptops.", actor=buyer)
    db.session.commit()
    assert order.status == OrderStatus.ISSUED
    assert laptops.received_quantity == 0
    with pytest.raises(InvalidTransition, match="reversed already"):
        returns.reverse_receipt(order, wrong, reason="Again", actor=buyer)
    orders.receive(
        order, [orders.ReceiptLineData(docks.id, D("2"))], received_on=None, actor=buyer
    )
    db.session.commit()
    assert order.status == OrderStatus.PARTIALLY_RECEIVED
    assert orders.received_value(order) == D("300.00")
    assert db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.entity == "receipt", AuditEvent.action == "reverse")
    )


def test_a_return_blocks_reversing_the_receipt_it_came_from(setup, db):
    order, buyer = setup["order"], setup["buyer"]
    laptops = _line(order, 1)
    receipt = orders.receive(
        order, [orders.ReceiptLineData(laptops.id, D("2"))], received_on=None, actor=buyer
    )
    returns.record_return(
        order,
        [returns.ReturnLineData(laptops.id, D("1"))],
        returned_on=dt.date.today(),
        reason="Broken",
        actor=buyer,
    )
    with pytest.raises(InvalidTransition, match="returned"):
        returns.reverse_receipt(order, receipt, reason="Wrong", actor=buyer)


def test_verify_audit_catches_an_earlier_revision_rewritten(setup, db):
    order, buyer = setup["order"], setup["buyer"]
    revisions.revise(
        order,
        revisions.RevisionData(reason="Cheaper docks.", shipping=D("0.00"), tax=D("1.00")),
        actor=buyer,
    )
    db.session.commit()
    first = revisions.of_number(order, 0)
    first.pdf_sha256 = order.pdf_sha256  # pretend rev 0 was what rev 1 is
    db.session.commit()
    problems = [str(problem) for problem in stored_files.check().problems]
    assert any(order.number in p and "issue event recorded" in p for p in problems), problems


def test_small_rises_one_after_another_reach_the_approvers(setup, db):
    """Each rise within the tolerance alone; together beyond it: the third waits."""
    order, buyer = setup["order"], setup["buyer"]  # approved at 2,450.00: tolerance 122.50
    statuses = []
    for shipping in ("50.00", "100.00", "150.00"):
        revision = revisions.revise(
            order, revisions.RevisionData(reason="Freight", shipping=D(shipping)), actor=buyer
        )
        statuses.append(revision.status)
    assert statuses == [
        RevisionStatus.ISSUED,
        RevisionStatus.ISSUED,
        RevisionStatus.PENDING_APPROVAL,
    ]


def test_a_revision_that_does_not_raise_the_total_needs_nobody(setup, db):
    order, buyer = setup["order"], setup["buyer"]
    approver = db.session.get(type(buyer), setup["approver_id"])
    revisions.revise(
        order, revisions.RevisionData(reason="Freight", shipping=D("1000.00")), actor=buyer
    )
    requests.act(order.request, "approve", actor=approver)
    assert order.revision == 1
    renamed = revisions.revise(
        order,
        revisions.RevisionData(
            reason="The vendor's model name.",
            lines=[revisions.LineChange(line_id=_line(order, 1).id, description="Laptop 14")],
        ),
        actor=buyer,
    )
    assert renamed.status == RevisionStatus.ISSUED and order.revision == 2
