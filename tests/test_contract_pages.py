"""Contract pages, the renewal calendar and the iCalendar feed."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import icalendar
import pytest

from procure import audit
from procure.contracts import services

TODAY = dt.date.today()


@pytest.fixture
def people(make):
    return {
        "buyer": make.user(["procurement"], department="PROC"),
        "owner": make.user(["requester"], department="IT"),
        "other": make.user(["requester"], department="OPS"),
    }


def contract(make, db, buyer, owner, *, activate=True, **extra):
    values = {
        "vendor_id": make.vendor().id,
        "title": "Core switch support",
        "kind": "support",
        "start_date": TODAY - dt.timedelta(days=300),
        "end_date": TODAY + dt.timedelta(days=65),
        "value": Decimal("12000"),
        "auto_renew": True,
        "notice_days": 30,
        "owner_id": owner.id,
    }
    values.update(extra)
    made = services.create(services.ContractData(**values), actor=buyer)
    if activate:
        services.activate(made, actor=buyer)
    db.session.commit()
    return made


def test_index_filters_and_cancel_by(client, auth, make, db, people):
    made = contract(make, db, people["buyer"], people["owner"])
    auth.login(people["buyer"].email)
    page = client.get("/contracts/?notice_within=60").get_data(as_text=True)
    assert made.number in page
    deadline = TODAY + dt.timedelta(days=35)
    assert deadline.isoformat() in page
    assert made.number not in client.get("/contracts/?notice_within=10").get_data(as_text=True)
    assert made.number not in client.get("/contracts/?status=draft").get_data(as_text=True)


def test_file_edit_and_errors_beside_fields(client, auth, make, db, people):
    vendor = make.vendor("Contoso")
    auth.login(people["buyer"].email)
    form = {
        "vendor_id": vendor.id,
        "title": "Printer care",
        "kind": "maintenance",
        "start_date": TODAY.isoformat(),
        "end_date": (TODAY - dt.timedelta(days=1)).isoformat(),
        "billing_period": "monthly",
        "value": "1200",
        "notice_days": "30",
        "renewal_term_months": "12",
    }
    bad = client.post("/contracts/new", data=form)
    assert bad.status_code == 422
    assert "The end date is before the start date." in bad.get_data(as_text=True)
    form["end_date"] = (TODAY + dt.timedelta(days=365)).isoformat()
    good = client.post("/contracts/new", data=form)
    assert good.status_code == 302, good.get_data(as_text=True)
    detail = client.get(good.location).get_data(as_text=True)
    assert "Printer care" in detail and "Activate" in detail
    contract_id = int(good.location.rstrip("/").rsplit("/", 1)[1])
    edit = client.get(f"/contracts/{contract_id}/edit")
    assert edit.status_code == 200 and "Printer care" in edit.get_data(as_text=True)
    assert client.post(f"/contracts/{contract_id}/activate", data={}).status_code == 302
    assert client.get(f"/contracts/{contract_id}/pdf").data.startswith(b"%PDF")
    refused = client.post(f"/contracts/{contract_id}/terminate", data={"comment": ""})
    assert refused.status_code == 422
    assert "Give the reason for terminating." in refused.get_data(as_text=True)


def test_requester_who_is_not_the_owner_gets_404(client, auth, make, db, people):
    made = contract(make, db, people["buyer"], people["owner"])
    auth.login(people["other"].email)
    assert client.get(f"/contracts/{made.id}").status_code == 404
    assert client.get("/contracts/new").status_code == 403


def test_calendar_and_feed(client, auth, make, db, people, new_client):
    made = contract(make, db, people["buyer"], people["owner"])
    hidden = contract(make, db, people["buyer"], people["buyer"], title="Not yours")
    auth.login(people["owner"].email)
    page = client.get("/contracts/calendar").get_data(as_text=True)
    assert made.number in page and hidden.number not in page
    created = client.post("/contracts/calendar/feed", follow_redirects=True)
    url = re.search(r"(http://[^\s<]+calendar\.ics\?token=[\w-]+)", created.get_data(as_text=True))
    assert url is not None
    path = url.group(1).replace("http://localhost", "")
    feed = new_client().get(path)
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(feed.data)
    events = {(str(e["summary"]), e.decoded("dtstart")) for e in cal.walk("VEVENT")}
    assert (
        f"Notice deadline: {made.number} Core switch support",
        made.end_date - dt.timedelta(days=30),
    ) in events
    assert (f"Contract ends: {made.number} Core switch support", made.end_date) in events
    assert not any(hidden.number in summary for summary, _ in events)
    client.post("/contracts/calendar/feed/revoke")
    assert new_client().get(path).status_code == 404
    assert new_client().get("/contracts/calendar.ics?token=nonsense").status_code == 404


def test_issuing_replacing_and_revoking_the_feed_token_is_audited(client, auth, db, people):
    owner = people["owner"]
    auth.login(owner.email)

    def calendar_events():
        return [
            (event.action, event.actor_id, json.loads(event.changes))
            for event in db.session.scalars(audit.events_for("user", owner.id))
            if "calendar_token" in event.action
        ]

    assert client.post("/contracts/calendar/feed").status_code == 302
    [(action, actor, changes)] = calendar_events()
    assert action == "create_calendar_token" and actor == owner.id
    assert changes["replaces"] == []
    first = changes["feed"]
    client.post("/contracts/calendar/feed")
    replaced = calendar_events()[-1]
    assert replaced[0] == "create_calendar_token" and replaced[2]["replaces"] == [first]
    client.post("/contracts/calendar/feed/revoke")
    revoked = calendar_events()[-1]
    assert revoked[0] == "revoke_calendar_token"
    assert revoked[2] == {"feeds": [replaced[2]["feed"]]}
    # Revoking nothing changes nothing, and records nothing.
    client.post("/contracts/calendar/feed/revoke")
    assert len(calendar_events()) == 3
    # The events hold the feeds' ids, never a token, and the chain still verifies.
    assert audit.verify().ok
