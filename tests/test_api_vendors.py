"""Vendors through the API (API.md, "Vendors")."""

from __future__ import annotations

import pytest

from procure.models import Vendor

from .vendor_support import (
    count,
    document,
    people_fixture,  # noqa: F401 -- the people fixture
    require,
    vendor,
)

BASE = "/api/v1/vendors"


def body(name="Northwind Hardware", **extra):
    return {
        "name": name,
        "email": "sales@northwind.example.com",
        "phone": "+1 555 0100",
        "website": "https://northwind.example.com",
        "tax_id": "US-84-1234567",
        "address": "200 Market Street",
        "categories": ["hardware", "peripherals"],
        "rating": 4,
        "contacts": [{"name": "Grace Kim", "email": "grace@northwind.example.com"}],
        **extra,
    }


def create(api, user, **extra):
    return api(user).post(BASE, json=body(**extra))


def test_create_read_and_list(api, people):
    response = create(api, people["procurement"], status="approved", unknown="ignored")
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert made["status"] == "prospect"  # status is read-only: new vendors are prospects
    assert made["version"] == 1
    assert made["allowed_actions"] == ["approve", "block"]
    assert made["categories"] == ["hardware", "peripherals"]
    assert made["rating"] == 4
    assert made["contacts"][0] | {"id": 0} == {
        "id": 0,
        "name": "Grace Kim",
        "title": "",
        "email": "grace@northwind.example.com",
        "phone": "",
        "primary": True,
    }
    assert made["flagged"] is False and made["flag_reasons"] == []
    reader = api(people["requester"])
    read = reader.get(f"{BASE}/{made['id']}").get_json()
    assert read["name"] == "Northwind Hardware" and read["allowed_actions"] == []
    listed = reader.get(BASE).get_json()
    assert listed["total"] == 1 and listed["page"] == 1 and listed["per_page"] == 50
    assert listed["items"][0]["id"] == made["id"]
    assert reader.get(f"{BASE}/999999").status_code == 404
    assert api(people["requester"]).get(f"{BASE}/99999999999").status_code == 404


def test_filters_and_pages(api, people):
    buyer = people["procurement"]
    vendor(buyer, "Northwind Hardware", status="approved")
    vendor(buyer, "Contoso Cloud", categories=["cloud"], status="suspended")
    vendor(buyer, "Fabrikam_Networks", categories=["telecom", "hardware"])
    client = api(people["finance"])

    def names(query: str) -> list[str]:
        response = client.get(f"{BASE}?{query}")
        assert response.status_code == 200, response.get_json()
        return [item["name"] for item in response.get_json()["items"]]

    assert names("") == ["Contoso Cloud", "Fabrikam_Networks", "Northwind Hardware"]
    assert names("q=NORTH") == ["Northwind Hardware"]
    assert names("q=c_n") == []  # _ is a character, not a wildcard
    assert names("q=m_n") == ["Fabrikam_Networks"]
    assert names("status=suspended") == ["Contoso Cloud"]
    assert names("category=hardware") == ["Fabrikam_Networks", "Northwind Hardware"]
    assert names("category=hardware&status=approved") == ["Northwind Hardware"]
    page = client.get(f"{BASE}?per_page=2&page=2").get_json()
    assert [i["name"] for i in page["items"]] == ["Northwind Hardware"]
    assert page["total"] == 3 and page["per_page"] == 2
    bad = client.get(f"{BASE}?status=dormant")
    assert bad.status_code == 422 and "status" in bad.get_json()["error"]["fields"]
    assert client.get(f"{BASE}?per_page=201").status_code == 422


def test_flags_in_the_api(api, people):
    buyer = people["procurement"]
    expired = vendor(buyer, "Fabrikam Networks", status="approved")
    document(buyer, expired, "insurance", days=-1)
    fine = vendor(buyer, "Northwind Hardware", status="approved")
    document(buyer, fine, "insurance", days=10)
    require("insurance")
    client = api(people["requester"])
    got = client.get(f"{BASE}/{expired.id}").get_json()
    assert got["flagged"] is True
    assert got["flag_reasons"][0].startswith("The insurance certificate expired on")
    assert got["documents"][0]["expired"] is True
    assert got["documents"][0]["content_type"] == "application/pdf"
    assert [v["name"] for v in client.get(f"{BASE}?flagged=true").get_json()["items"]] == [
        "Fabrikam Networks"
    ]
    assert client.get(f"{BASE}/{fine.id}").get_json()["flagged"] is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": "x" * 300}, "email"),
        ({"website": "northwind.example.com"}, "website"),
        ({"website": "ftp://northwind.example.com"}, "website"),
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": 4.5}, "rating"),
        ({"rating": "excellent"}, "rating"),
        ({"categories": ["furniture"]}, "categories"),
        ({"categories": "hardware"}, "categories"),
        ({"name": "x" * 201}, "name"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"contacts": [{"name": "A", "email": "nope"}]}, "contacts.0.email"),
        ({"contacts": [{"email": "a@example.com"}]}, "contacts.0.name"),
        ({"address": "x" * 10_001}, "address"),
    ],
)
def test_bad_input_is_422_and_stores_nothing(api, people, change, field):
    response = create(api, people["procurement"], **change)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert error["fields"][field][0]
    assert count(Vendor) == 0


@pytest.mark.parametrize("other", ["northwind hardware", " NORTHWIND   Hardware "])
def test_a_duplicate_name_is_422(api, people, other):
    assert create(api, people["procurement"]).status_code == 201
    response = create(api, people["procurement"], name=other)
    assert response.status_code == 422
    assert "Northwind Hardware" in response.get_json()["error"]["fields"]["name"][0]
    assert count(Vendor) == 1


@pytest.mark.parametrize("who", ["requester", "approver", "finance", "executive", "admin"])
def test_only_procurement_changes_vendors(api, people, who):
    made = create(api, people["procurement"]).get_json()
    client = api(people[who])
    assert create(api, people[who], name="Other").status_code == 403
    patched = client.patch(f"{BASE}/{made['id']}", json={"rating": 1})
    assert patched.status_code == 403
    assert patched.get_json()["error"]["code"] == "forbidden"
    for action in ("approve", "block"):
        assert client.post(f"{BASE}/{made['id']}/{action}").status_code == 403
    after = client.get(f"{BASE}/{made['id']}").get_json()
    assert after["status"] == "prospect" and after["rating"] == 4 and after["version"] == 1
    assert count(Vendor) == 1


def test_patch_changes_only_what_is_sent(api, people):
    client = api(people["procurement"])
    made = create(api, people["procurement"]).get_json()
    response = client.patch(f"{BASE}/{made['id']}", json={"phone": "+44 20 5550 0100"})
    assert response.status_code == 200, response.get_json()
    patched = response.get_json()
    assert patched["phone"] == "+44 20 5550 0100"
    assert patched["email"] == made["email"] and patched["rating"] == 4
    assert patched["contacts"] == made["contacts"]
    assert patched["version"] == made["version"] + 1
    cleared = client.patch(
        f"{BASE}/{made['id']}",
        json={"rating": None, "contacts": [], "categories": ["software"], "status": "blocked"},
    ).get_json()
    assert cleared["rating"] is None and cleared["contacts"] == []
    assert cleared["categories"] == ["software"] and cleared["status"] == "prospect"
    stale = client.patch(f"{BASE}/{made['id']}", json={"rating": 2, "version": 1})
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "conflict"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "nope"}, "email"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"rating": 7}, "rating"),
        ({"categories": ["furniture"]}, "categories"),
        ({"name": "y" * 201}, "name"),
        ({"name": "northwind HARDWARE"}, None),  # its own name: fine
    ],
)
def test_bad_patches_change_nothing(api, people, change, field):
    client = api(people["procurement"])
    create(api, people["procurement"], name="Contoso Cloud")
    made = create(api, people["procurement"]).get_json()
    response = client.patch(f"{BASE}/{made['id']}", json=change)
    if field is None:
        assert response.status_code == 200
        return
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert client.get(f"{BASE}/{made['id']}").get_json() == made


def test_a_rename_onto_another_vendor_is_422(api, people):
    client = api(people["procurement"])
    create(api, people["procurement"], name="Contoso Cloud")
    made = create(api, people["procurement"]).get_json()
    response = client.patch(f"{BASE}/{made['id']}", json={"name": "CONTOSO  cloud"})
    assert response.status_code == 422 and "name" in response.get_json()["error"]["fields"]


def test_the_life_cycle(api, people):
    made = create(api, people["procurement"]).get_json()
    other_buyer = api(people["buyer"])  # any procurement user may approve

    def act(action, **payload):
        return other_buyer.post(f"{BASE}/{made['id']}/{action}", json=payload)

    approved = act("approve", comment="References checked.")
    assert approved.status_code == 200
    assert approved.get_json()["status"] == "approved"
    assert approved.get_json()["allowed_actions"] == ["suspend", "block"]
    wrong = act("approve")
    assert wrong.status_code == 409
    assert wrong.get_json()["error"]["code"] == "invalid_transition"
    assert act("reinstate").status_code == 409
    assert act("suspend").get_json()["status"] == "suspended"
    assert act("reinstate").get_json()["status"] == "approved"
    stale = act("block", version=1)
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "conflict"
    blocked = act("block")
    assert (
        blocked.get_json()["status"] == "blocked" and blocked.get_json()["allowed_actions"] == []
    )
    for action in ("approve", "suspend", "reinstate", "block"):
        assert act(action).get_json()["error"]["code"] == "invalid_transition"
    assert other_buyer.post(f"{BASE}/{made['id']}/promote").status_code in (404, 405)


def test_the_vendors_history_is_readable_by_everyone_signed_in(api, people):
    made = create(api, people["procurement"]).get_json()
    api(people["procurement"]).patch(f"{BASE}/{made['id']}", json={"rating": 5})
    api(people["procurement"]).post(f"{BASE}/{made['id']}/approve", json={"comment": "ok"})
    response = api(people["requester"]).get(f"/api/v1/audit?entity=vendor&entity_id={made['id']}")
    assert response.status_code == 200, response.get_json()
    items = response.get_json()["items"]
    assert [e["action"] for e in items] == ["create", "update", "approve"]
    assert items[1]["changes"] == {"rating": [4, 5]}
    assert (
        items[2]["changes"] == {"status": ["prospect", "approved"]} and items[2]["comment"] == "ok"
    )
    missing = api(people["requester"]).get("/api/v1/audit?entity=vendor&entity_id=999999")
    assert missing.status_code == 404


def test_the_openapi_document_describes_vendors(client):
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    assert set(paths["/api/v1/vendors"]) == {"get", "post"}
    assert set(paths["/api/v1/vendors/{vendor_id}"]) == {"get", "patch"}
    for action in ("approve", "suspend", "reinstate", "block"):
        assert "409" in paths[f"/api/v1/vendors/{{vendor_id}}/{action}"]["post"]["responses"]
    schema = document["components"]["schemas"]["VendorOut"]["properties"]
    for field in ("name", "status", "version", "allowed_actions", "flagged", "flag_reasons"):
        assert field in schema
    query = {p["name"] for p in paths["/api/v1/vendors"]["get"]["parameters"]}
    assert {"q", "status", "category", "page", "per_page"} <= query
