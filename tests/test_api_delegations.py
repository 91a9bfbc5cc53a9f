"""Delegations through the API: naming a stand-in, listing, ending, and the errors."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from procure import delegation
from procure.models import AuditEvent, Delegation


def day(offset: int = 0) -> str:
    return (delegation.today() + dt.timedelta(days=offset)).isoformat()


@pytest.fixture
def people(make):
    return {
        "approver": make.user(["approver"], department="IT", name="Alan Approver"),
        "colleague": make.user(["approver"], department="IT", name="Beth Approver"),
        "ops_approver": make.user(["approver"], department="OPS", name="Otto Ops"),
        "finance": make.user(["finance"], department="FIN", name="Fay Finance"),
        "requester": make.user(["requester"], department="IT", name="Rita Requester"),
        "inactive": make.user(["approver"], department="IT", active=False),
    }


def create(api, user, **body):
    return api(user).post("/api/v1/delegations", json=body)


def test_name_a_stand_in(api, db, people):
    response = create(
        api,
        people["approver"],
        delegate=people["colleague"].email.upper(),
        starts_on=day(),
        ends_on=day(7),
        note="Annual leave",
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["direction"] == "given"
    assert body["delegator"]["email"] == people["approver"].email
    assert body["delegate"] == {
        "id": people["colleague"].id,
        "name": "Beth Approver",
        "email": people["colleague"].email,
    }
    assert (body["starts_on"], body["ends_on"]) == (day(), day(7))
    assert body["note"] == "Annual leave"
    assert body["current"] is True and body["ended_at"] is None
    stored = db.session.get(Delegation, body["id"])
    assert stored.delegate_id == people["colleague"].id
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "delegate")).one()
    assert event.actor_id == people["approver"].id
    # the stand-in may now decide the delegator's steps
    assert delegation.delegators_of(people["colleague"]) == [people["approver"]]


def test_a_future_delegation_is_not_current_yet(api, people):
    body = create(
        api,
        people["approver"],
        delegate=people["ops_approver"].email,
        starts_on=day(3),
        ends_on=day(4),
    ).get_json()
    assert body["current"] is False


def test_list_given_and_received(api, people):
    given = create(
        api,
        people["approver"],
        delegate=people["colleague"].email,
        starts_on=day(),
        ends_on=day(2),
    ).get_json()
    received = create(
        api,
        people["colleague"],
        delegate=people["approver"].email,
        starts_on=day(10),
        ends_on=day(12),
    ).get_json()
    create(
        api,
        people["ops_approver"],
        delegate=people["colleague"].email,
        starts_on=day(),
        ends_on=day(1),
    )
    client = api(people["approver"])
    listing = client.get("/api/v1/delegations").get_json()
    assert listing["total"] == 2 and listing["page"] == 1
    assert [(i["id"], i["direction"]) for i in listing["items"]] == [
        (received["id"], "received"),  # latest last day first
        (given["id"], "given"),
    ]
    only_given = client.get("/api/v1/delegations?direction=given").get_json()
    assert [i["id"] for i in only_given["items"]] == [given["id"]]
    only_received = client.get("/api/v1/delegations?direction=received").get_json()
    assert [i["id"] for i in only_received["items"]] == [received["id"]]
    paged = client.get("/api/v1/delegations?per_page=1&page=2").get_json()
    assert paged["total"] == 2 and [i["id"] for i in paged["items"]] == [given["id"]]
    # others' delegations are not listed
    assert api(people["finance"]).get("/api/v1/delegations").get_json()["total"] == 0


def test_end_a_delegation(api, db, people):
    created = create(
        api,
        people["approver"],
        delegate=people["colleague"].email,
        starts_on=day(),
        ends_on=day(5),
    ).get_json()
    # the delegate may see it, but only the delegator may end it: 403, not 404
    refused = api(people["colleague"]).post(f"/api/v1/delegations/{created['id']}/end")
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "forbidden"
    assert api(people["colleague"]).get("/api/v1/delegations").get_json()["items"][0]["current"]
    response = api(people["approver"]).post(f"/api/v1/delegations/{created['id']}/end")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["current"] is False and body["ended_at"] is not None
    assert delegation.delegators_of(people["colleague"]) == []
    again = api(people["approver"]).post(f"/api/v1/delegations/{created['id']}/end")
    assert again.status_code == 422
    assert again.get_json()["error"]["code"] == "validation_error"
    # once ended, a new one for the same days is allowed
    assert (
        create(
            api,
            people["approver"],
            delegate=people["ops_approver"].email,
            starts_on=day(),
            ends_on=day(5),
        ).status_code
        == 201
    )


def test_someone_elses_delegation_is_404(api, people):
    created = create(
        api,
        people["approver"],
        delegate=people["colleague"].email,
        starts_on=day(),
        ends_on=day(5),
    ).get_json()
    response = api(people["finance"]).post(f"/api/v1/delegations/{created['id']}/end")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert api(people["finance"]).post("/api/v1/delegations/2147483647/end").status_code == 404


VALID = {"delegate": "colleague", "starts_on": 0, "ends_on": 3}


def payload(people, overrides) -> dict:
    """A body from ``VALID`` and ``overrides``: people by fixture name, days as offsets
    from today, None to leave a field out."""
    body = {}
    for key, value in {**VALID, **overrides}.items():
        if value is None:
            continue
        if key == "delegate" and value in people:
            value = people[value].email
        elif key in ("starts_on", "ends_on") and isinstance(value, int):
            value = day(value)
        body[key] = value
    return body


def test_who_decides_no_steps_may_not_delegate(api, db, people):
    response = create(api, people["requester"], **payload(people, {}))
    assert response.status_code == 403
    body = response.get_json()["error"]
    assert body["code"] == "forbidden" and "Only approvers" in body["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delegation)) == 0


@pytest.mark.parametrize(
    ("who", "overrides", "field", "message"),
    [
        ("approver", {"delegate": "approver"}, "delegate", "cannot delegate to yourself"),
        ("approver", {"delegate": "finance"}, "delegate", "does not hold your role"),
        ("approver", {"delegate": "requester"}, "delegate", "does not hold your role"),
        ("approver", {"delegate": "inactive"}, "delegate", "not an active user"),
        ("approver", {"delegate": "nobody@example.org"}, "delegate", "Nobody has"),
        ("approver", {"delegate": None}, "delegate", "Choose who stands in for you"),
        ("approver", {"starts_on": 0, "ends_on": -1}, "ends_on", "before the first"),
        ("approver", {"starts_on": -5, "ends_on": -2}, "ends_on", "in the past"),
        ("approver", {"ends_on": 400}, "ends_on", "at most 366 days"),
        ("approver", {"starts_on": None}, "starts_on", "Give the first day"),
        ("approver", {"ends_on": None}, "ends_on", "Give the last day"),
        ("approver", {"starts_on": "next monday"}, "starts_on", "date"),
        ("approver", {"ends_on": "2026-02-30"}, "ends_on", "date"),
        ("approver", {"note": "x" * 10_001}, "note", "10000"),
    ],
)
def test_bad_input_is_422_naming_the_field(api, db, people, who, overrides, field, message):
    response = create(api, people[who], **payload(people, overrides))
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert any(message in text for text in error["fields"][field]), error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delegation)) == 0


def test_overlapping_delegations_are_422(api, db, people):
    first = create(
        api,
        people["approver"],
        delegate=people["colleague"].email,
        starts_on=day(),
        ends_on=day(5),
    )
    assert first.status_code == 201
    overlapping = create(
        api,
        people["approver"],
        delegate=people["ops_approver"].email,
        starts_on=day(5),
        ends_on=day(9),
    )
    assert overlapping.status_code == 422
    fields = overlapping.get_json()["error"]["fields"]
    assert fields == {"starts_on": ["This overlaps a delegation you already have."]}
    # the day after is free
    assert (
        create(
            api,
            people["approver"],
            delegate=people["ops_approver"].email,
            starts_on=day(6),
            ends_on=day(9),
        ).status_code
        == 201
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delegation)) == 2


def test_body_and_auth_errors(api, client, people):
    assert client.get("/api/v1/delegations").status_code == 401
    assert client.post("/api/v1/delegations", json={}).status_code == 401
    raw = api(people["approver"]).post(
        "/api/v1/delegations", data="[1]", headers={"Content-Type": "application/json"}
    )
    assert raw.status_code == 400 and raw.get_json()["error"]["code"] == "bad_request"
    bad = api(people["approver"]).get("/api/v1/delegations?direction=sideways")
    assert bad.status_code == 422 and "direction" in bad.get_json()["error"]["fields"]


def test_the_openapi_document_describes_the_delegation_routes(client):
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    create_op = paths["/api/v1/delegations"]["post"]
    assert set(create_op["responses"]) >= {"201", "400", "401", "422"}
    schema_name = create_op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][schema_name.rsplit("/", 1)[1]]
    assert "e-mail address" in schema["properties"]["delegate"]["description"]
    assert {p["name"] for p in paths["/api/v1/delegations"]["get"]["parameters"]} >= {
        "direction",
        "page",
        "per_page",
    }
    end = paths["/api/v1/delegations/{delegation_id}/end"]["post"]
    assert set(end["responses"]) >= {"200", "401", "403", "404", "422"}
    assert "403" in create_op["responses"]
