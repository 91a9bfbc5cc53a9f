"""Webhook events: each of the eleven types is queued by a real transition (or the
contract reminder job), in the transaction of the change, for the endpoints that want
it; its ``data`` is the document as its ``GET`` answers it (but ``allowed_actions``,
empty: the event goes to systems, not to a person) and ``summary`` what a chat says."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import workflow
from procure.contracts import jobs
from procure.errors import Forbidden
from procure.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from procure.purchasing import services as purchasing
from procure.webhooks import endpoints, events

from .invoice_support import People, approved, issued_order, pay, receive, submitted
from .report_support import fast_pdf  # noqa: F401 -- a fixture
from .test_contract_reminders import active_contract
from .webhook_support import approved_request, filed_request

# Issuing an order renders its PDF, not under test here.
pytestmark = pytest.mark.usefixtures("fast_pdf")

BASE_URL = "http://procure.test"
GET = {
    "request": "/api/v1/requests/{}",
    "rfq": "/api/v1/rfqs/{}",
    "order": "/api/v1/orders/{}",
    "invoice": "/api/v1/invoices/{}",
    "contract": "/api/v1/contracts/{}",
}


@pytest.fixture
def admin(make):
    return make.user(["admin"], department="ADM", name="Ada Admin")


@pytest.fixture
def people(make):
    return People(make)


@pytest.fixture
def vendor(make):
    return make.vendor("Acme Supplies", categories=("hardware",))


@pytest.fixture
def hook(admin, db):
    """``hook(*types)``: an endpoint that wants those event types."""

    def register(*types: str, url: str = "https://93.184.216.34/hook") -> WebhookEndpoint:
        endpoint = endpoints.create(
            url=url, secret="a-secret-of-enough-length", events=list(types), actor=admin
        )
        db.session.commit()
        return endpoint

    return register


def queued(db, type_: str | None = None) -> list[WebhookEvent]:
    query = sa.select(WebhookEvent).order_by(WebhookEvent.id)
    if type_ is not None:
        query = query.where(WebhookEvent.type == type_)
    return list(db.session.scalars(query))


def the_event(db, type_: str) -> WebhookEvent:
    (event,) = queued(db, type_)
    return event


def assert_is_the_get_answer(api, admin, event: WebhookEvent) -> None:
    """``data`` is what ``GET`` answers for the document now, but ``allowed_actions``."""
    db_answer = api(admin).get(GET[event.entity].format(event.entity_id))
    assert db_answer.status_code == 200
    answer = db_answer.get_json()
    assert event.data["allowed_actions"] == []
    assert {**event.data, "allowed_actions": None} == {**answer, "allowed_actions": None}


# The request's events -------------------------------------------------------------------


def test_submitted_approved_and_their_data(api, admin, db, make, hook):
    hook("request.submitted", "request.approved")
    pr, _requester, approver = filed_request(make)
    db.session.commit()
    submitted_event = the_event(db, "request.submitted")
    assert submitted_event.data["status"] == "pending_approval"
    assert_is_the_get_answer(api, admin, submitted_event)
    purchasing.approve(pr, actor=approver)
    db.session.commit()
    approved_event = the_event(db, "request.approved")
    assert (approved_event.entity, approved_event.entity_id) == ("request", pr.id)
    assert_is_the_get_answer(api, admin, approved_event)
    assert "900.00" in approved_event.summary["amount"]
    assert approved_event.summary == {
        "title": f"{pr.number} was approved: Docking stations",
        "amount": approved_event.summary["amount"],
        "requester": "Rita Requester",
        "link": f"{BASE_URL}/requests/{pr.id}",
    }


def test_approved_only_when_the_last_step_approves(api, db, make, hook, people):
    hook("request.approved")
    # Over the finance threshold: department, then finance (and maybe executive).
    pr = purchasing.create_request(
        purchasing.RequestData(
            title="Servers",
            lines=[
                purchasing.LineData(
                    description="Server", quantity=Decimal(3), unit_price=Decimal("9000.00")
                )
            ],
        ),
        actor=people.requester,
    )
    purchasing.submit(pr, actor=people.requester)
    assert len(pr.steps) >= 2
    purchasing.approve(pr, actor=people.decider(pr.pending_step.name))
    assert pr.pending_step is not None
    assert queued(db) == []
    while pr.pending_step is not None:
        purchasing.approve(pr, actor=people.decider(pr.pending_step.name))
    assert [event.type for event in queued(db)] == ["request.approved"]


@pytest.mark.parametrize(
    ("decision", "type_"),
    [("reject", "request.rejected"), ("return_for_changes", "request.returned")],
)
def test_rejected_and_returned(api, admin, db, hook, people, decision, type_):
    hook(type_)
    pr = purchasing.create_request(
        purchasing.RequestData(
            title="Monitors",
            lines=[
                purchasing.LineData(
                    description="Monitor", quantity=Decimal(1), unit_price=Decimal("300.00")
                )
            ],
        ),
        actor=people.requester,
    )
    purchasing.submit(pr, actor=people.requester)
    getattr(purchasing, decision)(pr, actor=people.approver, comment="Not this quarter.")
    db.session.commit()
    event = the_event(db, type_)
    assert_is_the_get_answer(api, admin, event)
    said = {"reject": "was rejected", "return_for_changes": "was returned for changes"}[decision]
    assert event.summary["title"] == f"{pr.number} {said}: Monitors"


# Sourcing, orders, invoices -------------------------------------------------------------


def test_rfq_awarded(api, admin, db, hook, people, vendor):
    hook("rfq.awarded")
    order = issued_order(people, vendor)
    db.session.commit()
    event = the_event(db, "rfq.awarded")
    assert (event.entity, event.entity_id) == ("rfq", order.rfq_id)
    assert_is_the_get_answer(api, admin, event)
    assert event.data["status"] == "awarded"
    assert event.summary["title"].startswith(f"{event.data['number']} awarded to Acme Supplies")
    assert event.summary["link"] == f"{BASE_URL}/rfqs/{order.rfq_id}"
    # No vendor's private link goes out, whoever caused the event.
    assert all(invitation["link"] is None for invitation in event.data["invitations"])


def test_order_issued(api, admin, db, hook, people, vendor):
    hook("order.issued")
    order = issued_order(people, vendor)
    db.session.commit()
    event = the_event(db, "order.issued")
    assert (event.entity, event.entity_id, event.data["status"]) == ("order", order.id, "issued")
    assert_is_the_get_answer(api, admin, event)
    assert "2,450.00" in event.summary["amount"]
    assert event.summary == {
        "title": f"{order.number} issued to Acme Supplies: Invoice test",
        "amount": event.summary["amount"],
        "requester": people.requester.name,
        "link": f"{BASE_URL}/orders/{order.id}",
    }


def test_order_received_in_part_then_in_full(api, admin, db, hook, people, vendor):
    order = issued_order(people, vendor)
    hook("order.received")
    receive(order, people, "1", "0")
    db.session.commit()
    first = the_event(db, "order.received")
    assert first.data["status"] == "partially_received"
    assert_is_the_get_answer(api, admin, first)
    receive(order, people, "1", "3")
    db.session.commit()
    events_ = queued(db, "order.received")
    assert [event.data["status"] for event in events_] == ["partially_received", "received"]
    assert_is_the_get_answer(api, admin, events_[-1])


@pytest.fixture
def received(people, vendor):
    order = issued_order(people, vendor)
    receive(order, people)
    return order


def test_invoice_on_hold(api, admin, db, hook, people, received):
    hook("invoice.on_hold")
    prices = [line.unit_price + Decimal("50.00") for line in received.lines]
    invoice = submitted(received, people, "INV-HOLD", prices=prices)
    db.session.commit()
    event = the_event(db, "invoice.on_hold")
    assert (event.entity_id, event.data["status"]) == (invoice.id, "on_hold")
    assert_is_the_get_answer(api, admin, event)
    assert event.summary["title"].endswith(f"is on hold ({received.number})")


def test_invoice_approved_then_paid(api, admin, db, hook, people, received):
    hook("invoice.approved", "invoice.paid")
    invoice = approved(received, people, "INV-1")
    db.session.commit()
    approved_event = the_event(db, "invoice.approved")
    assert approved_event.data["status"] == "approved"
    assert_is_the_get_answer(api, admin, approved_event)
    pay(invoice, people)
    db.session.commit()
    paid = the_event(db, "invoice.paid")
    assert (paid.entity_id, paid.data["status"]) == (invoice.id, "paid")
    assert_is_the_get_answer(api, admin, paid)
    assert (
        paid.summary["title"] == f"{invoice.number} from Acme Supplies is paid ({received.number})"
    )


# Contracts: the reminder job -----------------------------------------------------------


def test_contract_notice_due_once_per_reminder_sent(api, admin, db, make, hook, runner):
    hook("contract.notice_due")
    owner = make.user(["requester"], department="IT", name="Olive Owner")
    contract, _buyer = active_contract(make, days_left=37, owner=owner)
    db.session.commit()
    result = runner.invoke(args=["send-reminders"])
    assert "reminded 1" in result.output, result.output
    event = the_event(db, "contract.notice_due")
    assert (event.entity, event.entity_id) == ("contract", contract.id)
    assert_is_the_get_answer(api, admin, event)
    assert event.summary["requester"] == "Olive Owner"
    assert event.summary["link"] == f"{BASE_URL}/contracts/{contract.id}"
    again = runner.invoke(args=["send-reminders"])
    assert "reminded 0" in again.output
    assert len(queued(db, "contract.notice_due")) == 1


def test_no_reminder_no_event(db, make, hook):
    hook("contract.notice_due")
    active_contract(make, days_left=300)
    db.session.commit()
    assert jobs.run().reminded == 0
    assert queued(db) == []


# Who gets what --------------------------------------------------------------------------


def test_nothing_is_written_when_no_endpoint_wants_it(db, make, hook):
    hook("order.issued")
    approved_request(make)
    assert queued(db) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 0


def test_only_endpoints_that_want_the_type_get_a_delivery(db, make, hook):
    both = hook("request.submitted", "request.approved")
    approvals = hook("request.approved", url="https://93.184.216.35/hook")
    hook("order.issued", url="https://93.184.216.36/hook")
    approved_request(make)
    wanted = {
        (row.endpoint_id, row.event.type) for row in db.session.scalars(sa.select(WebhookDelivery))
    }
    assert wanted == {
        (both.id, "request.submitted"),
        (both.id, "request.approved"),
        (approvals.id, "request.approved"),
    }
    # One event, delivered to each endpoint that wants it: the same id everywhere.
    assert len(queued(db, "request.approved")) == 1


def test_a_deleted_endpoint_gets_nothing(admin, db, make, hook):
    gone = hook("request.submitted")
    endpoints.delete(gone, actor=admin)
    approved_request(make)
    assert queued(db) == []


def test_a_rolled_back_change_queues_nothing(db, make, hook):
    hook("request.submitted")
    pr, requester, _approver = filed_request(make, submit=False)
    db.session.commit()
    purchasing.submit(pr, actor=requester)
    assert len(queued(db)) == 1
    db.session.rollback()
    assert queued(db) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 0


def test_a_refused_transition_queues_nothing(db, make, hook):
    hook("request.approved", "request.rejected")
    pr, _requester, _approver = filed_request(make)
    outsider = make.user(["approver"], department="OPS")
    with pytest.raises((Forbidden, workflow.InvalidTransition)):
        purchasing.approve(pr, actor=outsider)
    assert queued(db) == []


def test_an_event_in_a_page_request_leaves_the_signed_in_user_alone(db, make, hook, auth, client):
    """The neutral reader stands in for the event only: the page goes on as its user."""
    hook("request.submitted")
    pr, requester, _approver = filed_request(make, submit=False)
    db.session.commit()
    auth.login(requester.email)
    answer = client.post(f"/requests/{pr.id}/submit", data={"version": pr.version})
    assert answer.status_code in (302, 303), answer.status_code
    event = the_event(db, "request.submitted")
    assert event.data["allowed_actions"] == []
    assert event.data["requester"]["id"] == requester.id
    assert "Cancel" in client.get(f"/requests/{pr.id}").get_data(as_text=True)


def test_an_event_in_an_api_request_leaves_the_caller_alone(api, admin, db, make, hook):
    hook("request.submitted")
    pr, requester, _approver = filed_request(make, submit=False)
    db.session.commit()
    answer = api(requester).post(f"/api/v1/requests/{pr.id}/submit", json={})
    assert answer.status_code == 200, answer.get_json()
    # The answer is the caller's: the requester may still cancel it.
    assert "cancel" in answer.get_json()["allowed_actions"]
    event = the_event(db, "request.submitted")
    assert event.data["allowed_actions"] == []
    assert_is_the_get_answer(api, admin, event)


def test_an_unknown_type_is_a_programming_error(db, make):
    requester = make.user(["requester"], department="IT")
    with pytest.raises(ValueError):
        events.emit("request.exploded", "request", requester)
