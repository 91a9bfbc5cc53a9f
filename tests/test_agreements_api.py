"""Framework agreements, the catalogue, catalogue lines and call-offs through the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from procure import currencies
from procure.extensions import db
from procure.models import PurchaseRequest
from procure.purchasing import services as purchasing

TODAY = dt.date.today()


@pytest.fixture
def people(make):
    return {
        "buyer": make.user(["procurement"], department="PROC"),
        "requester": make.user(["requester"], department="IT"),
        "approver": make.user(["approver"], department="IT"),
        "finance": make.user(["finance"], department="FIN"),
    }


def _agreement(api, buyer, vendor, *, max_quantity="10", ceiling=None, activate=True):
    body = {
        "vendor_id": vendor.id,
        "title": "Laptops 2026",
        "start_date": (TODAY - dt.timedelta(days=1)).isoformat(),
        "end_date": (TODAY + dt.timedelta(days=365)).isoformat(),
        "currency": currencies.base(),
        "ceiling": ceiling,
        "items": [
            {
                "description": "ThinkPad T14",
                "category": "hardware",
                "unit": "each",
                "unit_price": "1000.00",
                "max_quantity": max_quantity,
            },
            {"description": "Setup hour", "category": "services", "unit_price": "80"},
        ],
    }
    response = api(buyer).post("/api/v1/agreements", json=body)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    assert answer["status"] == "draft" and answer["consumed"] == "0.00"
    if activate:
        response = api(buyer).post(f"/api/v1/agreements/{answer['id']}/activate", json={})
        assert response.status_code == 200, response.get_json()
        answer = response.get_json()
    return answer


def _approved_request(api, people, item_id, quantity, **extra):
    response = api(people["requester"]).post(
        "/api/v1/requests",
        json={
            "title": "Laptops for new joiners",
            "lines": [{"catalogue_item_id": item_id, "quantity": quantity, **extra}],
        },
    )
    assert response.status_code == 201, response.get_json()
    pr = db.session.get(PurchaseRequest, response.get_json()["id"])
    purchasing.submit(pr, actor=people["requester"])
    while pr.pending_step is not None:
        decider = people["approver"] if pr.pending_step.name == "department" else people["finance"]
        purchasing.approve(pr, actor=decider)
    return response.get_json()


def test_five_laptops_from_the_catalogue_end_to_end(api, make, people):
    buyer = people["buyer"]
    agreement = _agreement(api, buyer, make.vendor())
    item = agreement["items"][0]
    assert (item["ordered"], item["remaining"]) == ("0", "10")
    assert agreement["items"][1]["remaining"] is None

    found = api(people["requester"]).get("/api/v1/catalogue?q=thinkpad&category=hardware")
    assert found.status_code == 200
    (entry,) = found.get_json()["items"]
    assert entry["item_id"] == item["id"] and entry["unit_price"] == "1000.00"
    assert set(entry) >= {
        "item_id",
        "agreement_id",
        "vendor_id",
        "description",
        "unit",
        "unit_price",
        "currency",
        "remaining",
    }

    request = _approved_request(api, people, item["id"], "5")
    line = request["lines"][0]
    assert (line["description"], line["unit_price"], line["catalogue_item_id"]) == (
        "ThinkPad T14",
        "1000.00",
        item["id"],
    )
    response = api(buyer).post(
        f"/api/v1/agreements/{agreement['id']}/call-off", json={"request_id": request["id"]}
    )
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert order["status"] == "draft" and order["total"] == "5000.00"
    assert (order["agreement_id"], order["rfq_id"]) == (agreement["id"], None)
    assert order == api(buyer).get(f"/api/v1/orders/{order['id']}").get_json()

    shown = api(buyer).get(f"/api/v1/agreements/{agreement['id']}").get_json()
    assert shown["consumed"] == "5000.00"
    assert (shown["items"][0]["ordered"], shown["items"][0]["remaining"]) == ("5", "5")

    again = api(buyer).post(
        f"/api/v1/agreements/{agreement['id']}/call-off", json={"request_id": request["id"]}
    )
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "invalid_transition"

    issued = api(buyer).post(f"/api/v1/orders/{order['id']}/issue", json={})
    assert issued.status_code == 200, issued.get_json()
    assert issued.get_json()["status"] == "issued"


def test_call_offs_beyond_what_remains_or_on_a_draft_are_409(api, make, people):
    buyer = people["buyer"]
    agreement = _agreement(api, buyer, make.vendor(), max_quantity="2")
    request = _approved_request(api, people, agreement["items"][0]["id"], "3")
    response = api(buyer).post(
        f"/api/v1/agreements/{agreement['id']}/call-off", json={"request_id": request["id"]}
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "invalid_transition"
    assert error["message"] == f"Only 2 of ThinkPad T14 remain on {agreement['number']}."

    draft = _agreement(api, buyer, make.vendor(), activate=False)
    response = api(buyer).post(
        f"/api/v1/agreements/{draft['id']}/call-off", json={"request_id": request["id"]}
    )
    assert response.status_code == 409
    closed = api(buyer).post(f"/api/v1/agreements/{agreement['id']}/close", json={})
    assert closed.get_json()["status"] == "closed"
    response = api(buyer).post(
        f"/api/v1/agreements/{agreement['id']}/call-off", json={"request_id": request["id"]}
    )
    assert response.status_code == 409


def test_a_catalogue_line_at_another_price_is_422(api, make, people):
    agreement = _agreement(api, people["buyer"], make.vendor())
    item_id = agreement["items"][0]["id"]
    response = api(people["requester"]).post(
        "/api/v1/requests",
        json={
            "title": "Cheaper laptops",
            "lines": [{"catalogue_item_id": item_id, "quantity": "1", "unit_price": "900.00"}],
        },
    )
    assert response.status_code == 422
    assert "lines.0.unit_price" in response.get_json()["error"]["fields"]
    created = (
        api(people["requester"])
        .post(
            "/api/v1/requests",
            json={"title": "Laptops", "lines": [{"catalogue_item_id": item_id, "quantity": "1"}]},
        )
        .get_json()
    )
    edited = api(people["requester"]).patch(
        f"/api/v1/requests/{created['id']}",
        json={
            "lines": [{"catalogue_item_id": item_id, "quantity": "1", "unit_price": "1.00"}],
            "version": created["version"],
        },
    )
    assert edited.status_code == 422
    assert "lines.0.unit_price" in edited.get_json()["error"]["fields"]
    draft = _agreement(api, people["buyer"], make.vendor(), activate=False)
    refused = api(people["requester"]).post(
        "/api/v1/requests",
        json={
            "title": "Laptops",
            "lines": [{"catalogue_item_id": draft["items"][0]["id"], "quantity": "1"}],
        },
    )
    assert refused.status_code == 422
    assert "lines.0.catalogue_item_id" in refused.get_json()["error"]["fields"]


def test_bad_agreements_and_who_may(api, make, people):
    vendor = make.vendor()
    refused = api(people["buyer"]).post(
        "/api/v1/agreements",
        json={
            "vendor_id": vendor.id,
            "title": "Bad",
            "start_date": TODAY.isoformat(),
            "end_date": TODAY.isoformat(),
            "items": [{"description": "X", "category": "nope", "unit_price": "1"}],
        },
    )
    assert refused.status_code == 422
    assert "items.0.category" in refused.get_json()["error"]["fields"]
    forbidden = api(people["requester"]).post(
        "/api/v1/agreements",
        json={
            "vendor_id": vendor.id,
            "title": "Mine",
            "start_date": TODAY.isoformat(),
            "end_date": TODAY.isoformat(),
            "items": [{"description": "X", "unit_price": "1"}],
        },
    )
    assert forbidden.status_code == 403
    agreement = _agreement(api, people["buyer"], vendor)
    assert api(people["requester"]).get(f"/api/v1/agreements/{agreement['id']}").status_code == 404
    assert api(people["requester"]).get("/api/v1/agreements").status_code == 403
    listed = api(people["finance"]).get("/api/v1/agreements").get_json()
    assert [a["id"] for a in listed["items"]] == [agreement["id"]]
    assert listed["items"][0]["allowed_actions"] == []
    assert api(people["buyer"]).get("/api/v1/agreements/999999").status_code == 404
    assert Decimal(agreement["items"][0]["unit_price"]) == Decimal("1000")
