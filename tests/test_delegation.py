"""Delegation: who may stand in, deciding on behalf, and what it never allows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from procure import delegation, errors
from procure.purchasing import services as purchasing

TODAY = dt.date.today()


@pytest.fixture
def org(make):
    return {
        "requester": make.user(["requester"], department="IT"),
        "approver": make.user(["approver"], department="IT", name="Ivy Away"),
        "stand_in": make.user(["approver"], department="OPS", name="Sam Standin"),
        "third": make.user(["approver"], department="OPS"),
        "finance": make.user(["finance"], department="FIN"),
        "requester_approver": make.user(["approver", "requester"], department="OPS"),
    }


def file(org, amount="500.00", requester="requester"):
    pr = purchasing.create_request(
        purchasing.RequestData(
            title="Kit",
            lines=[
                purchasing.LineData(
                    description="Thing", quantity=Decimal(1), unit_price=Decimal(amount)
                )
            ],
        ),
        actor=org[requester],
    )
    purchasing.submit(pr, actor=org[requester])
    return pr


def delegate(org, frm="approver", to="stand_in", start=TODAY, end=None):
    return delegation.create(
        org[frm], org[to], start, end or start + dt.timedelta(days=5), actor=org[frm]
    )


def test_delegate_decides_on_behalf(org, db):
    pr = file(org)
    with pytest.raises(errors.Forbidden):
        purchasing.approve(pr, actor=org["stand_in"])
    delegate(org)
    assert pr in db.session.scalars(purchasing.awaiting(org["stand_in"])).all()
    purchasing.approve(pr, actor=org["stand_in"], comment="Covering for Ivy")
    step = pr.current_steps[0]
    assert step.decided_by_id == org["stand_in"].id
    assert step.on_behalf_of_id == org["approver"].id
    event = purchasing.history(pr)[-1]
    assert event.action == "approve"
    assert (event.actor_id, event.on_behalf_of_id) == (org["stand_in"].id, org["approver"].id)


def test_timeline_says_on_behalf(app, org, db):
    pr = file(org)
    delegate(org)
    purchasing.approve(pr, actor=org["stand_in"])
    db.session.commit()
    client = app.test_client()
    client.post(
        "/login", data={"email": org["requester"].email, "password": "correct horse battery"}
    )
    page = client.get(f"/requests/{pr.id}").get_data(as_text=True)
    assert "Sam Standin on behalf of Ivy Away" in page


def test_delegate_opens_what_the_inbox_lists(app, org, db):
    pr = file(org)
    given = delegate(org)
    db.session.commit()
    client = app.test_client()
    client.post(
        "/login", data={"email": org["stand_in"].email, "password": "correct horse battery"}
    )
    assert pr.title in client.get("/approvals").get_data(as_text=True)
    page = client.get(f"/requests/{pr.id}")
    assert page.status_code == 200
    assert "You decide on behalf of <strong>Ivy Away</strong>" in page.get_data(as_text=True)
    assert pr.number in client.get("/requests").get_data(as_text=True)
    # Over: the stand-in sees the department's requests no more.
    delegation.end(given, actor=org["approver"])
    db.session.commit()
    assert client.get(f"/requests/{pr.id}").status_code == 404
    assert pr.number not in client.get("/requests").get_data(as_text=True)


def test_delegation_outside_its_dates_gives_nothing(org, db):
    pr = file(org)
    delegate(org, start=TODAY + dt.timedelta(days=3))
    assert pr not in db.session.scalars(purchasing.awaiting(org["stand_in"])).all()
    with pytest.raises(errors.Forbidden):
        purchasing.approve(pr, actor=org["stand_in"])


def test_ended_delegation_gives_nothing(org):
    pr = file(org)
    given = delegate(org)
    delegation.end(given, actor=org["approver"])
    with pytest.raises(errors.Forbidden):
        purchasing.approve(pr, actor=org["stand_in"])
    with pytest.raises(errors.ValidationError):
        delegation.end(given, actor=org["approver"])


def test_no_chain(org):
    pr = file(org)
    delegate(org, frm="approver", to="stand_in")
    delegate(org, frm="stand_in", to="third")
    with pytest.raises(errors.Forbidden):
        purchasing.approve(pr, actor=org["third"])


def test_never_on_a_request_one_filed(org):
    # The stand-in filed this request: delegation does not let them decide it.
    pr = file(org, requester="requester_approver")
    org["requester_approver"].department_id = org["approver"].department_id
    delegation.create(
        org["approver"],
        org["requester_approver"],
        TODAY,
        TODAY + dt.timedelta(days=2),
        actor=org["approver"],
    )
    with pytest.raises(errors.Forbidden, match="filed"):
        purchasing.approve(pr, actor=org["requester_approver"])


def test_never_two_steps_of_one_request(org, make):
    finance_too = make.user(["approver", "finance"], department="OPS")
    pr = file(org, amount="6000.00")
    delegation.create(
        org["approver"], finance_too, TODAY, TODAY + dt.timedelta(days=2), actor=org["approver"]
    )
    purchasing.approve(pr, actor=finance_too)  # department step, on behalf
    with pytest.raises(errors.Forbidden, match="another step"):
        purchasing.approve(pr, actor=finance_too)  # finance step, in their own right
    purchasing.approve(pr, actor=org["finance"])
    assert pr.status.value == "approved"


@pytest.mark.parametrize(
    ("case", "field"),
    [
        ("self", "delegate"),
        ("no_role", "delegate"),
        ("end_before_start", "ends_on"),
        ("overlap", "starts_on"),
        ("past", "ends_on"),
    ],
)
def test_bad_delegations_are_refused(org, case, field):
    args = {
        "frm": "approver",
        "to": "stand_in",
        "start": TODAY,
        "end": TODAY + dt.timedelta(days=3),
    }
    if case == "self":
        args["to"] = "approver"
    elif case == "no_role":
        args["to"] = "finance"
    elif case == "end_before_start":
        args["end"] = TODAY - dt.timedelta(days=1)
    elif case == "overlap":
        delegate(org, to="third", start=TODAY + dt.timedelta(days=2))
    elif case == "past":
        args["start"], args["end"] = TODAY - dt.timedelta(days=9), TODAY - dt.timedelta(days=2)
    with pytest.raises(errors.ValidationError) as caught:
        delegate(org, **args)
    assert field in caught.value.fields


def test_profile_page_delegates_and_ends(app, org, db):
    client = app.test_client()
    client.post(
        "/login", data={"email": org["approver"].email, "password": "correct horse battery"}
    )
    page = client.get("/profile").get_data(as_text=True)
    assert "Delegation" in page and "Sam Standin" in page
    response = client.post(
        "/profile/delegations",
        data={
            "delegate": str(org["stand_in"].id),
            "starts_on": TODAY.isoformat(),
            "ends_on": (TODAY + dt.timedelta(days=4)).isoformat(),
            "note": "Holiday",
        },
    )
    assert response.status_code == 302
    page = client.get("/profile").get_data(as_text=True)
    assert "End now" in page and "Holiday" in page
    bad = client.post(
        "/profile/delegations",
        data={
            "delegate": str(org["approver"].id),
            "starts_on": TODAY.isoformat(),
            "ends_on": TODAY.isoformat(),
        },
    )
    assert bad.status_code == 422
    given = delegation.of_user(org["approver"])["given"][0]
    client.post(f"/profile/delegations/{given.id}/end")
    db.session.expire_all()
    assert delegation.of_user(org["approver"])["given"][0].ended_at is not None


def test_only_the_delegator_ends_a_delegation_on_the_page(app, org, db):
    given = delegate(org)
    db.session.commit()
    client = app.test_client()
    client.post(
        "/login", data={"email": org["stand_in"].email, "password": "correct horse battery"}
    )
    # The delegate sees it on their profile, so ending it is forbidden, not unknown.
    assert "Ivy Away" in client.get("/profile").get_data(as_text=True)
    assert client.post(f"/profile/delegations/{given.id}/end").status_code == 403
    stranger = app.test_client()
    stranger.post(
        "/login", data={"email": org["third"].email, "password": "correct horse battery"}
    )
    assert stranger.post(f"/profile/delegations/{given.id}/end").status_code == 404
    db.session.expire_all()
    assert delegation.delegators_of(org["stand_in"]) == [org["approver"]]
