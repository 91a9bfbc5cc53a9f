"""Contracts through the API (API.md, "Contracts")."""

from __future__ import annotations

import datetime as dt

import pytest

BASE = "/api/v1/contracts"
TODAY = dt.date.today()


@pytest.fixture
def people(make):
    return {
        "buyer": make.user(["procurement"], department="PROC"),
        "owner": make.user(["requester"], department="IT"),
        "finance": make.user(["finance"], department="FIN"),
        "other": make.user(["requester"], department="OPS"),
    }


def body(vendor, **extra):
    values = {
        "vendor_id": vendor.id,
        "title": "Core switch support",
        "kind": "support",
        "start_date": (TODAY - dt.timedelta(days=300)).isoformat(),
        "end_date": (TODAY + dt.timedelta(days=65)).isoformat(),
        "value": "12000",
        "billing_period": "quarterly",
        "auto_renew": True,
        "notice_days": 30,
        "renewal_term_months": 12,
        "sla_response_hours": 4,
        "covered_items": ["Core switch SW-01", "Core switch SW-02"],
        "terms": "Next business day parts.",
    }
    values.update(extra)
    return values


def create(api, user, vendor, **extra):
    return api(user).post(BASE, json=body(vendor, **extra))


def test_create_read_patch_activate_renew_terminate(api, make, people):
    vendor = make.vendor("Fabrikam")
    buyer = api(people["buyer"])
    response = create(api, people["buyer"], vendor, owner=people["owner"].email)
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert made["status"] == "draft" and made["number"].startswith("CT-")
    assert made["owner"]["id"] == people["owner"].id
    assert made["value"] == "12000.00" and made["currency"] == "USD"
    assert made["notice_deadline"] == (TODAY + dt.timedelta(days=35)).isoformat()
    assert made["allowed_actions"] == ["activate"]
    assert made["term_history"] == []

    patched = buyer.patch(f"{BASE}/{made['id']}", json={"title": "Core switch care"})
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["title"] == "Core switch care"
    assert patched.get_json()["covered_items"] == ["Core switch SW-01", "Core switch SW-02"]

    active = buyer.post(f"{BASE}/{made['id']}/activate").get_json()
    assert active["status"] == "active"
    assert set(active["allowed_actions"]) == {"renew", "terminate"}
    assert buyer.patch(f"{BASE}/{made['id']}", json={"title": "x"}).status_code == 409

    new_end = (TODAY + dt.timedelta(days=500)).isoformat()
    renewed = buyer.post(f"{BASE}/{made['id']}/renew", json={"end_date": new_end}).get_json()
    assert renewed["end_date"] == new_end
    assert [t["how"] for t in renewed["term_history"]] == ["initial", "renewed"]

    refused = buyer.post(f"{BASE}/{made['id']}/terminate", json={})
    assert refused.status_code == 422 and "comment" in refused.get_json()["error"]["fields"]
    ended = buyer.post(f"{BASE}/{made['id']}/terminate", json={"comment": "Replaced"})
    assert ended.get_json()["status"] == "terminated"
    again = buyer.post(f"{BASE}/{made['id']}/renew", json={})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "invalid_transition"

    history = buyer.get(f"/api/v1/audit?entity=contract&entity_id={made['id']}").get_json()
    assert [e["action"] for e in history["items"]] == [
        "create",
        "update",
        "activate",
        "renew",
        "terminate",
    ]


def test_owner_by_id_and_default(api, make, people):
    vendor = make.vendor()
    mine = create(api, people["buyer"], vendor).get_json()
    assert mine["owner"]["id"] == people["buyer"].id
    theirs = create(api, people["buyer"], vendor, owner=people["owner"].id).get_json()
    assert theirs["owner"]["id"] == people["owner"].id
    unknown = create(api, people["buyer"], vendor, owner="nobody@example.org")
    assert unknown.status_code == 422 and "owner" in unknown.get_json()["error"]["fields"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end_date": (TODAY - dt.timedelta(days=400)).isoformat()}, "end_date"),
        ({"value": "-1"}, "value"),
        ({"value": -5}, "value"),
        ({"notice_days": -1}, "notice_days"),
        ({"renewal_term_months": 0}, "renewal_term_months"),
        ({"vendor_id": 999999}, "vendor_id"),
        ({"kind": "lease"}, "kind"),
        ({"billing_period": "weekly"}, "billing_period"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"start_date": "tomorrow"}, "start_date"),
    ],
)
def test_bad_input_is_422_with_fields(api, make, people, change, field):
    vendor = make.vendor()
    response = create(api, people["buyer"], vendor, **change)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error


def test_missing_required_fields(api, people):
    response = api(people["buyer"]).post(BASE, json={})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert {"vendor_id", "title", "kind", "start_date", "end_date"} <= set(fields)


def test_expiring_within_and_filters(api, make, people):
    vendor, other_vendor = make.vendor(), make.vendor()
    buyer = api(people["buyer"])
    soon = create(api, people["buyer"], vendor).get_json()  # deadline in 35 days
    later = create(
        api,
        people["buyer"],
        other_vendor,
        kind="licence",
        end_date=(TODAY + dt.timedelta(days=200)).isoformat(),
    ).get_json()
    draft = create(api, people["buyer"], vendor).get_json()
    for made in (soon, later):
        assert buyer.post(f"{BASE}/{made['id']}/activate").status_code == 200

    def ids(query):
        response = buyer.get(f"{BASE}?{query}")
        assert response.status_code == 200, response.get_json()
        return {item["id"] for item in response.get_json()["items"]}

    assert ids("expiring_within=60") == {soon["id"]}
    assert ids("expiring_within=365") == {soon["id"], later["id"]}
    assert ids("status=draft") == {draft["id"]}
    assert ids("kind=licence") == {later["id"]}
    assert ids(f"vendor_id={vendor.id}") == {soon["id"], draft["id"]}
    page = buyer.get(f"{BASE}?per_page=2").get_json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["per_page"] == 2

    bad = buyer.get(f"{BASE}?expiring_within=abc")
    assert bad.status_code == 422
    assert "expiring_within" in bad.get_json()["error"]["fields"]


def test_who_sees_what(api, make, people):
    vendor = make.vendor()
    made = create(api, people["buyer"], vendor, owner=people["owner"].id).get_json()
    url = f"{BASE}/{made['id']}"
    assert api(people["owner"]).get(url).status_code == 200
    assert api(people["finance"]).get(url).status_code == 200
    hidden = api(people["other"]).get(url)
    assert hidden.status_code == 404 and hidden.get_json()["error"]["code"] == "not_found"
    assert api(people["other"]).get(f"{url}/pdf").status_code == 404
    assert api(people["other"]).get(BASE).get_json()["total"] == 0
    assert api(people["owner"]).get(BASE).get_json()["total"] == 1
    assert api(people["owner"]).get(url).get_json()["allowed_actions"] == []
    # Only procurement files and acts on contracts.
    assert create(api, people["finance"], vendor).status_code == 403
    assert api(people["owner"]).post(f"{url}/activate").status_code == 403
    audit = api(people["other"]).get(f"/api/v1/audit?entity=contract&entity_id={made['id']}")
    assert audit.status_code == 404


def test_pdf(api, make, people):
    vendor = make.vendor()
    made = create(api, people["buyer"], vendor).get_json()
    response = api(people["buyer"]).get(f"{BASE}/{made['id']}/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert made["number"] in response.headers["Content-Disposition"]


def test_openapi_lists_the_contract_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/contracts", "/api/v1/contracts/{contract_id}/renew"} <= set(paths)
