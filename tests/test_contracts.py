"""Contracts: the life cycle, roll-forward and expiry, reminders sent once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from procure import access, errors
from procure.contracts import jobs, services
from procure.models import ContractReminder, ContractStatus, Notification

TODAY = dt.date.today()


@pytest.fixture
def people(make):
    return {
        "buyer": make.user(["procurement"], department="PROC"),
        "owner": make.user(["requester"], department="IT"),
        "finance": make.user(["finance"], department="FIN"),
        "other": make.user(["requester"], department="OPS"),
    }


def data(vendor, **extra):
    values = {
        "vendor_id": vendor.id,
        "title": "Core switch support",
        "kind": "support",
        "start_date": TODAY - dt.timedelta(days=300),
        "end_date": TODAY + dt.timedelta(days=65),
        "value": Decimal("12000.00"),
        "auto_renew": True,
        "notice_days": 30,
        "renewal_term_months": 12,
    }
    values.update(extra)
    return services.ContractData(**values)


def test_life_cycle_and_history(make, people, db):
    vendor = make.vendor("Fabrikam")
    contract = services.create(data(vendor, owner_id=people["owner"].id), actor=people["buyer"])
    assert contract.number.startswith("CT-") and contract.status == ContractStatus.DRAFT
    assert services.notice_deadline(contract) == contract.end_date - dt.timedelta(days=30)
    services.activate(contract, actor=people["buyer"])
    first_end = contract.end_date
    services.renew(contract, actor=people["buyer"])
    assert contract.start_date == first_end + dt.timedelta(days=1)
    assert [t.how for t in contract.term_history] == ["initial", "renewed"]
    with pytest.raises(errors.ValidationError):
        services.terminate(contract, actor=people["buyer"], comment="")
    services.terminate(contract, actor=people["buyer"], comment="Replaced by a new vendor")
    assert contract.status == ContractStatus.TERMINATED
    with pytest.raises(errors.InvalidTransition):
        services.renew(contract, actor=people["buyer"])
    assert access.can_see(people["owner"], contract)
    assert not access.can_see(people["other"], contract)
    assert access.can_see(people["finance"], contract)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end_date": TODAY - dt.timedelta(days=400)}, "end_date"),
        ({"value": Decimal("-1")}, "value"),
        ({"notice_days": -1}, "notice_days"),
        ({"renewal_term_months": 0}, "renewal_term_months"),
        ({"vendor_id": 999999}, "vendor_id"),
        ({"kind": "lease"}, "kind"),
        ({"currency": "EUR"}, "currency"),
    ],
)
def test_bad_contracts_are_refused(make, people, change, field):
    vendor = make.vendor("Fabrikam")
    with pytest.raises(errors.ValidationError) as caught:
        services.create(data(vendor, **change), actor=people["buyer"])
    assert field in caught.value.fields


def test_only_procurement_files_contracts(make, people):
    with pytest.raises(errors.Forbidden):
        services.create(data(make.vendor("Fabrikam")), actor=people["owner"])


def test_the_daily_job_rolls_forward_and_expires(make, people, db):
    vendor = make.vendor("Fabrikam")
    rolling = services.create(
        data(
            vendor,
            start_date=TODAY - dt.timedelta(days=500),
            end_date=TODAY - dt.timedelta(days=10),
        ),
        actor=people["buyer"],
    )
    ending = services.create(
        data(
            vendor,
            auto_renew=False,
            start_date=TODAY - dt.timedelta(days=500),
            end_date=TODAY - dt.timedelta(days=10),
        ),
        actor=people["buyer"],
    )
    for contract in (rolling, ending):
        contract.status = ContractStatus.ACTIVE  # activated in the past, by then valid
        contract.term_history.clear()
    db.session.commit()
    report = jobs.run()
    assert (report.renewed, report.expired) == (1, 1)
    db.session.expire_all()
    assert rolling.status == ContractStatus.ACTIVE and rolling.end_date > TODAY
    assert rolling.term_history[-1].how == "auto_renewed"
    assert ending.status == ContractStatus.EXPIRED
    again = jobs.run()
    assert (again.renewed, again.expired) == (0, 0)


def test_reminders_are_sent_once(make, people, db):
    vendor = make.vendor("Fabrikam")
    contract = services.create(
        data(vendor, end_date=TODAY + dt.timedelta(days=50), owner_id=people["owner"].id),
        actor=people["buyer"],
    )
    services.activate(contract, actor=people["buyer"])
    db.session.commit()
    # deadline = end - 30 = 20 days away: the 60- and 30-day reminders are due
    first = jobs.run()
    assert first.reminded == 1
    assert jobs.run().reminded == 0
    db.session.expire_all()
    leads = sorted(r.days_before for r in db.session.scalars(db.select(ContractReminder)))
    assert leads == [30, 60]
    mails = db.session.scalars(
        db.select(Notification).where(Notification.kind == "contract_reminder")
    ).all()
    assert {m.email for m in mails} == {people["owner"].email, people["buyer"].email}
    assert all("20 days" in m.body_text for m in mails)


def test_expiring_within(make, people, db):
    vendor = make.vendor("Fabrikam")
    soon = services.create(
        data(vendor, end_date=TODAY + dt.timedelta(days=40)), actor=people["buyer"]
    )
    later = services.create(
        data(vendor, end_date=TODAY + dt.timedelta(days=400)), actor=people["buyer"]
    )
    for contract in (soon, later):
        services.activate(contract, actor=people["buyer"])
    db.session.commit()
    found = db.session.scalars(services.list_query(people["buyer"], expiring_within=30)).all()
    assert [c.id for c in found] == [soon.id]


def test_the_dashboard_shows_notice_deadlines_near(app, make, people, db):
    vendor = make.vendor("Fabrikam")
    near = services.create(
        data(
            vendor,
            title="Near one",
            end_date=TODAY + dt.timedelta(days=50),
            owner_id=people["owner"].id,
        ),
        actor=people["buyer"],
    )
    services.create(
        data(vendor, title="Far one", end_date=TODAY + dt.timedelta(days=400)),
        actor=people["buyer"],
    )
    services.activate(near, actor=people["buyer"])
    db.session.commit()
    for user, sees in ((people["owner"], True), (people["buyer"], True), (people["other"], False)):
        client = app.test_client()
        client.post("/login", data={"email": user.email, "password": "correct horse battery"})
        page = client.get("/").get_data(as_text=True)
        assert ("Contract notice deadlines" in page) is sees
        assert ("Near one" in page) is sees
        assert "Far one" not in page
