"""Framework agreements through their services: drafts, activation, the catalogue,
catalogue lines on requests, call-offs that consume and give back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import audit, currencies, settings
from procure.agreements import calloff, catalogue, reminders, services
from procure.errors import Forbidden, InvalidTransition, ValidationError
from procure.extensions import db
from procure.models import (
    AgreementStatus,
    Notification,
    OrderStatus,
    PolicyRule,
    RequestStatus,
)
from procure.orders import services as orders
from procure.purchasing import services as purchasing
from tests.agreement_support import TODAY, agreement, catalogue_request
from tests.test_notifications import Inbox, free_port, start_smtp


def _history(agreement_id):
    return db.session.scalars(audit.events_for("agreement", agreement_id)).all()


@pytest.fixture
def people(make):
    return {
        "buyer": make.user(["procurement"], department="PROC"),
        "requester": make.user(["requester"], department="IT"),
        "approver": make.user(["approver"], department="IT"),
        "finance": make.user(["finance"], department="FIN"),
    }


def test_a_draft_is_numbered_audited_and_activated(make, people):
    ag = agreement(make, people["buyer"], activate=False)
    assert ag.status == AgreementStatus.DRAFT
    assert ag.number.startswith(f"AG-{dt.date.today().year}-")
    services.activate(ag, people["buyer"])
    assert ag.status == AgreementStatus.ACTIVE and ag.activated_at is not None
    actions = [e.action for e in _history(ag.id)]
    assert actions[:2] == ["create", "activate"]


def test_bad_agreements_are_refused_by_field(make, people):
    draft = make.vendor()
    data = services.AgreementData(
        vendor_id=None,
        title="",
        start_date=TODAY,
        end_date=TODAY - dt.timedelta(days=1),
        currency="XXX",
        ceiling=Decimal("0"),
        rfq_id=999_999,
        items=[
            services.ItemData(
                description="", unit_price=Decimal("-1"), category="nope", max_quantity=Decimal(0)
            )
        ],
    )
    with pytest.raises(ValidationError) as caught:
        services.create(data, people["buyer"])
    assert set(caught.value.fields) >= {
        "vendor_id",
        "title",
        "end_date",
        "currency",
        "ceiling",
        "rfq_id",
        "items.0.description",
        "items.0.unit_price",
        "items.0.category",
        "items.0.max_quantity",
    }
    data.items = []
    data.vendor_id = draft.id
    with pytest.raises(ValidationError) as caught:
        services.create(data, people["buyer"])
    assert "items" in caught.value.fields
    with pytest.raises(Forbidden):
        services.create(data, people["requester"])


def test_an_agreement_past_its_end_is_not_activated_and_expires(make, people):
    ag = agreement(make, people["buyer"], activate=False, end=TODAY + dt.timedelta(days=2))
    services.activate(ag, people["buyer"])
    assert services.expire_due(TODAY) == []
    assert services.expire_due(TODAY + dt.timedelta(days=3)) == [ag]
    assert ag.status == AgreementStatus.EXPIRED
    late = agreement(
        make,
        people["buyer"],
        activate=False,
        start=TODAY - dt.timedelta(days=9),
        end=TODAY - dt.timedelta(days=1),
    )
    with pytest.raises(InvalidTransition):
        services.activate(late, people["buyer"])


def test_the_catalogue_holds_active_items_by_text_and_category(make, people):
    ag = agreement(make, people["buyer"], items=(("ThinkPad T14", "1000.00", "10"),))
    agreement(make, people["buyer"], items=(("Dock", "100.00", None),), activate=False)
    found = catalogue.search(people["requester"], "thinkpad", "hardware")
    assert [e["item_id"] for e in found] == [ag.items[0].id]
    assert found[0]["unit_price"] == "1000.00" and found[0]["remaining"] == "10"
    assert catalogue.search(people["requester"], ag.vendor.name, "") != []
    assert catalogue.search(people["requester"], "dock", "") == []
    assert catalogue.search(people["requester"], "thinkpad", "software") == []
    assert catalogue.search(people["requester"], "100%_", "") == []


def test_five_laptops_from_the_catalogue_are_called_off_and_issued(make, people):
    buyer = people["buyer"]
    ag = agreement(make, buyer)
    item = ag.items[0]
    pr = catalogue_request(make, people["requester"], people["approver"], [(item, "5")])
    line = pr.lines[0]
    assert (line.description, line.unit_price, line.catalogue_item_id) == (
        "ThinkPad T14",
        Decimal("1000.00"),
        item.id,
    )
    assert pr.status == RequestStatus.APPROVED
    order = calloff.call_off(ag, pr, buyer)
    assert order.status == OrderStatus.DRAFT and order.agreement_id == ag.id
    assert order.total == Decimal("5000.00") and order.lines[0].unit_price == Decimal("1000.00")
    assert item.ordered == Decimal("5") and item.remaining == Decimal("5")
    assert ag.consumed == Decimal("5000.00")
    assert [e.action for e in _history(ag.id)][-1] == "call_off"
    orders.issue(order, actor=buyer)
    assert order.status == OrderStatus.ISSUED and pr.status == RequestStatus.ORDERED
    with pytest.raises(InvalidTransition):
        calloff.call_off(ag, pr, buyer)


def test_beyond_what_remains_or_the_ceiling_is_refused_naming_it(make, people):
    buyer = people["buyer"]
    ag = agreement(make, buyer, items=(("ThinkPad T14", "1000.00", "2"),))
    pr = catalogue_request(make, people["requester"], people["approver"], [(ag.items[0], "3")])
    with pytest.raises(InvalidTransition, match="Only 2 of ThinkPad T14 remain on AG-"):
        calloff.call_off(ag, pr, buyer)
    capped = agreement(make, buyer, items=(("Dock", "100.00", None),), ceiling="1200.00")
    pr = catalogue_request(
        make, people["requester"], people["approver"], [(capped.items[0], "13")]
    )
    with pytest.raises(InvalidTransition, match="1,200.00 .*remain under the ceiling"):
        calloff.call_off(capped, pr, buyer)
    assert capped.consumed == 0 and capped.items[0].ordered == 0


def test_rate_only_items_take_any_quantity_within_the_ceiling(make, people):
    buyer = people["buyer"]
    ag = agreement(make, buyer, items=(("Support hour", "80.00", None),))
    pr = catalogue_request(make, people["requester"], people["approver"], [(ag.items[0], "40")])
    calloff.call_off(ag, pr, buyer)
    assert ag.items[0].remaining is None and ag.consumed == Decimal("3200.00")


def test_a_draft_closed_or_expired_agreement_takes_no_call_off(make, people):
    buyer = people["buyer"]
    ag = agreement(make, buyer)
    pr = catalogue_request(make, people["requester"], people["approver"], [(ag.items[0], "1")])
    services.close(ag, buyer)
    with pytest.raises(InvalidTransition, match="closed"):
        calloff.call_off(ag, pr, buyer)
    ag = agreement(make, buyer, end=TODAY + dt.timedelta(days=1))
    pr = catalogue_request(make, people["requester"], people["approver"], [(ag.items[0], "1")])
    services.expire_due(TODAY + dt.timedelta(days=2))
    with pytest.raises(InvalidTransition, match="expired"):
        calloff.call_off(ag, pr, buyer)


def test_catalogue_lines_keep_the_agreed_price(make, people):
    buyer = people["buyer"]
    ag = agreement(make, buyer)
    item = ag.items[0]

    def data(price, item_id=item.id, currency=None):
        return purchasing.RequestData(
            title="Laptops",
            currency=currency or currencies.base(),
            lines=[
                purchasing.LineData(
                    description="x",
                    quantity=Decimal("1"),
                    unit_price=price,
                    catalogue_item_id=item_id,
                )
            ],
        )

    with pytest.raises(ValidationError) as caught:
        purchasing.create_request(data(Decimal("900.00")), actor=people["requester"])
    assert "lines.0.unit_price" in caught.value.fields
    pr = purchasing.create_request(data(Decimal("1000.00")), actor=people["requester"])
    with pytest.raises(ValidationError) as caught:
        purchasing.update_request(pr, data(Decimal("1.00")), actor=people["requester"])
    assert "lines.0.unit_price" in caught.value.fields
    assert pr.lines[0].unit_price == Decimal("1000.00")
    draft = agreement(make, buyer, activate=False)
    with pytest.raises(ValidationError) as caught:
        purchasing.create_request(data(None, item_id=draft.items[0].id), actor=people["requester"])
    assert "lines.0.catalogue_item_id" in caught.value.fields


def test_cancelling_a_call_off_gives_it_back(make, people):
    buyer = people["buyer"]
    ag = agreement(make, buyer, items=(("ThinkPad T14", "1000.00", "5"),), ceiling="9000.00")
    pr = catalogue_request(make, people["requester"], people["approver"], [(ag.items[0], "5")])
    order = calloff.call_off(ag, pr, buyer)
    assert ag.items[0].remaining == 0
    orders.cancel(order, actor=buyer, comment="Wrong model")
    assert ag.items[0].ordered == 0 and ag.consumed == 0
    again = calloff.call_off(ag, pr, buyer)
    assert again.id != order.id and ag.consumed == Decimal("5000.00")


def test_an_approved_catalogue_request_is_called_off_at_once_with_the_setting(make, people):
    buyer = people["buyer"]
    ag = agreement(make, buyer, items=(("ThinkPad T14", "1000.00", "2"),))
    settings.put("agreements.auto_call_off", True, actor=None)
    pr = catalogue_request(make, people["requester"], people["approver"], [(ag.items[0], "2")])
    assert ag.consumed == Decimal("2000.00")
    assert calloff._live_call_off(pr).created_by_id == buyer.id
    too_many = catalogue_request(
        make, people["requester"], people["approver"], [(ag.items[0], "1")]
    )
    assert too_many.status == RequestStatus.APPROVED
    assert calloff._live_call_off(too_many) is None


# Reminders (send-reminders) --------------------------------------------------------------


def _mails(kind):
    return db.session.scalars(
        sa.select(Notification).where(Notification.kind == kind).order_by(Notification.id)
    ).all()


def test_reminders_expire_and_remind_once_each(make, people):
    buyer = people["buyer"]
    ending = agreement(make, buyer, end=TODAY + dt.timedelta(days=20))
    later = agreement(make, buyer, items=(("Dock", "100.00", "10"),))
    pr = catalogue_request(make, people["requester"], people["approver"], [(later.items[0], "8")])
    calloff.call_off(later, pr, buyer)
    rate_only = agreement(make, buyer, items=(("Support hour", "80.00", None),))
    ended = agreement(make, buyer, end=TODAY + dt.timedelta(days=1))
    db.session.commit()
    report = reminders.run(TODAY + dt.timedelta(days=2))
    assert report.expired == 1 and ended.status == AgreementStatus.EXPIRED
    expiring = _mails("agreement_expiring")
    consumed = _mails("agreement_consumed")
    assert [m.entity_id for m in expiring] == [ending.id]
    assert [m.entity_id for m in consumed] == [later.id]
    assert expiring[0].email == buyer.email and ending.number in expiring[0].subject
    assert "80 %" in consumed[0].subject and rate_only.id not in {m.entity_id for m in consumed}
    again = reminders.run(TODAY + dt.timedelta(days=3))
    assert (again.expired, again.reminded) == (0, 0)
    assert len(_mails("agreement_expiring")) == 1 and len(_mails("agreement_consumed")) == 1


def test_the_agreement_reminder_reaches_an_smtp_server(app, make, people, runner, monkeypatch):
    ag = agreement(make, people["buyer"], ceiling="1000.00", end=TODAY + dt.timedelta(days=10))
    db.session.commit()
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "agreements expired 0, agreement reminders 1" in result.output
    inbox = Inbox()
    controller = start_smtp(inbox, free_port())
    monkeypatch.setitem(app.config, "PROCURE_SMTP_URL", inbox.url)
    try:
        sent = runner.invoke(args=["send-notifications"])
        assert sent.exit_code == 0, sent.output
    finally:
        controller.stop()
    received = {rcpt[0]: message for _sender, rcpt, message in inbox.messages}
    message = received[people["buyer"].email]
    assert ag.number in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "in 10 days" in text and f"/agreements/{ag.id}" in text
    again = runner.invoke(args=["send-reminders"])
    assert "agreement reminders 0" in again.output


def test_only_a_draft_is_edited(make, people):
    buyer = people["buyer"]
    ag = agreement(make, buyer, activate=False)
    data = services.AgreementData(
        vendor_id=ag.vendor_id,
        title="Laptops and docks",
        start_date=ag.start_date,
        end_date=ag.end_date,
        currency=ag.currency,
        ceiling=Decimal("50000.00"),
        items=[
            services.ItemData(description="ThinkPad T14", unit_price=Decimal("990.00")),
            services.ItemData(description="Dock", unit_price=Decimal("120.00")),
        ],
    )
    services.update(ag, data, buyer, expected_version=ag.version)
    assert [i.description for i in ag.items] == ["ThinkPad T14", "Dock"]
    assert ag.ceiling == Decimal("50000.00")
    assert [e.action for e in _history(ag.id)][-1] == "update"
    services.activate(ag, buyer)
    with pytest.raises(InvalidTransition):
        services.update(ag, data, buyer)


def test_pre_approved_laptops_over_the_finance_threshold_need_the_department_only(
    make, people, db
):
    """Issue 23's "Done when": the finance review of requests over 5,000.00 is marked
    not needed for catalogue items; five laptops at 1,100.00 are the department's alone,
    while the same request typed by hand still goes to finance."""
    rule = db.session.scalar(
        sa.select(PolicyRule).where(PolicyRule.step == "finance", PolicyRule.min_total > 0)
    )
    rule.skip_for_catalogue = True
    db.session.flush()
    ag = agreement(make, people["buyer"], items=(("ThinkPad T14", "1100.00", "50"),))
    pr = catalogue_request(make, people["requester"], people["approver"], [(ag.items[0], "5")])
    assert pr.status == RequestStatus.APPROVED
    assert [step.name for step in pr.steps] == ["department"]
    by_hand = purchasing.create_request(
        purchasing.RequestData(
            title="Laptops typed by hand",
            lines=[
                purchasing.LineData(
                    description="ThinkPad T14",
                    quantity=Decimal("5"),
                    unit_price=Decimal("1100.00"),
                    category="hardware",
                )
            ],
        ),
        actor=people["requester"],
    )
    purchasing.submit(by_hand, actor=people["requester"])
    assert [step.name for step in by_hand.steps] == ["department", "finance"]
    order = calloff.call_off(ag, pr, people["buyer"])
    assert ag.items[0].ordered == Decimal("5") and order.total == Decimal("5500.00")
