"""Sourcing through the API: RFQ, quotes, comparison, the award rules, the draft order."""

from __future__ import annotations

import datetime as dt

import pytest

from procure.models import Setting

TODAY = dt.date.today()
LATER = (TODAY + dt.timedelta(days=14)).isoformat()


@pytest.fixture
def team(make):
    return {
        "requester": make.user(["requester"], department="IT"),
        "approver": make.user(["approver"], department="IT"),
        "buyer": make.user(["procurement"], department="PROC"),
        "finance": make.user(["finance"], department="FIN"),
        "outsider": make.user(["requester"], department="OPS"),
    }


@pytest.fixture
def vendors(make):
    return [
        make.vendor("Acme Systems", rating=4, email="sales@acme.example"),
        make.vendor("Brick Computers", rating=3),
        make.vendor("Cobalt IT", rating=5, email="bids@cobalt.example"),
    ]


def quote_body(vendor, price, lead=10, valid=LATER, **extra):
    return {
        "vendor_id": vendor.id,
        "valid_until": valid,
        "lead_time_days": lead,
        "warranty_months": 12,
        "payment_terms": "30 days net",
        "lines": [{"description": "Laptop", "quantity": "2", "unit_price": price}],
        **extra,
    }


@pytest.fixture
def open_rfq(api, make, team, vendors):
    pr = make.approved_request(team["requester"], team["approver"])
    client = api(team["buyer"])
    rfq = client.post(
        "/api/v1/rfqs",
        json={"request_id": pr.id, "due_date": LATER, "vendor_ids": [v.id for v in vendors]},
    )
    assert rfq.status_code == 201, rfq.get_json()
    sent = client.post(f"/api/v1/rfqs/{rfq.get_json()['id']}/send")
    assert sent.status_code == 200, sent.get_json()
    return sent.get_json(), client, pr


def test_create_send_and_invitations(open_rfq, vendors, db):
    rfq, client, pr = open_rfq
    assert rfq["status"] == "open" and rfq["number"].startswith("RFQ-")
    assert rfq["weights"] == {
        "price": "0.600",
        "lead_time": "0.200",
        "rating": "0.200",
        "warranty": "0.000",
    }
    assert {i["vendor"] for i in rfq["invitations"]} == {v.name for v in vendors}
    assert set(rfq["links"]) == {str(v.id) for v in vendors}
    # vendors with an address get the invitation through the outbox
    from procure.models import Notification

    invited = {
        n.email
        for n in db.session.scalars(
            db.select(Notification).where(Notification.kind == "rfq_invitation")
        )
    }
    assert invited == {"sales@acme.example", "bids@cobalt.example"}
    body = (
        db.session.scalars(
            db.select(Notification).where(Notification.email == "sales@acme.example")
        )
        .one()
        .body_text
    )
    assert rfq["links"][str(vendors[0].id)] in body


def test_rfq_needs_an_approved_request_and_approved_vendors(api, make, team, vendors):
    from decimal import Decimal

    from procure.purchasing import services as purchasing

    draft = purchasing.create_request(
        purchasing.RequestData(
            title="x",
            lines=[
                purchasing.LineData(description="y", quantity=Decimal(1), unit_price=Decimal(1))
            ],
        ),
        actor=team["requester"],
    )
    client = api(team["buyer"])
    refused = client.post(
        "/api/v1/rfqs",
        json={"request_id": draft.id, "due_date": LATER, "vendor_ids": [vendors[0].id]},
    )
    assert refused.status_code == 422 and "request_id" in refused.get_json()["error"]["fields"]
    pr = make.approved_request(team["requester"], team["approver"])
    prospect = make.vendor("Maybe Ltd", status="prospect")
    wrong_trade = make.vendor("Cloudy", categories=("cloud",))
    for vendor in (prospect, wrong_trade):
        response = client.post(
            "/api/v1/rfqs",
            json={"request_id": pr.id, "due_date": LATER, "vendor_ids": [vendor.id]},
        )
        assert response.status_code == 422, response.get_json()
        assert "vendor_ids" in response.get_json()["error"]["fields"]
    past = client.post(
        "/api/v1/rfqs",
        json={"request_id": pr.id, "due_date": "2001-01-01", "vendor_ids": [vendors[0].id]},
    )
    assert past.status_code == 422
    bad_weight = client.post(
        "/api/v1/rfqs",
        json={
            "request_id": pr.id,
            "due_date": LATER,
            "vendor_ids": [vendors[0].id],
            "weights": {"price": 2},
        },
    )
    assert bad_weight.status_code == 422
    requester = api(team["requester"]).post(
        "/api/v1/rfqs",
        json={"request_id": pr.id, "due_date": LATER, "vendor_ids": [vendors[0].id]},
    )
    assert requester.status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"lines": [{"description": "Laptop", "quantity": "2", "unit_price": "-1"}]},
            "lines.0.unit_price",
        ),
        (
            {"lines": [{"description": "Laptop", "quantity": "2", "unit_price": "NaN"}]},
            "lines.0.unit_price",
        ),
        ({"valid_until": "2001-01-01"}, "valid_until"),
        ({"lead_time_days": -3}, "lead_time_days"),
        ({"shipping": "-5"}, "shipping"),
        ({"currency": "EUR"}, "currency"),
    ],
)
def test_bad_quotes_are_422(open_rfq, vendors, change, field):
    rfq, client, _ = open_rfq
    response = client.post(
        f"/api/v1/rfqs/{rfq['id']}/quotes", json={**quote_body(vendors[0], "900.00"), **change}
    )
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert client.get(f"/api/v1/rfqs/{rfq['id']}/quotes").get_json()["total"] == 0


def test_quote_for_a_vendor_not_invited(open_rfq, make):
    rfq, client, _ = open_rfq
    stranger = make.vendor("Stranger Inc")
    response = client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json=quote_body(stranger, "1"))
    assert response.status_code == 422
    assert "vendor_id" in response.get_json()["error"]["fields"]


def test_corrected_quote_replaces_the_earlier_and_history_keeps_both(open_rfq, vendors):
    rfq, client, _ = open_rfq
    first = client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json=quote_body(vendors[0], "900"))
    second = client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json=quote_body(vendors[0], "850"))
    assert second.status_code == 201 and second.get_json()["revision"] == 2
    current = client.get(f"/api/v1/rfqs/{rfq['id']}/quotes").get_json()
    assert [q["id"] for q in current["items"]] == [second.get_json()["id"]]
    history = client.get(f"/api/v1/rfqs/{rfq['id']}/quotes?history=1").get_json()
    assert {q["id"] for q in history["items"]} == {first.get_json()["id"], second.get_json()["id"]}
    assert [q["current"] for q in history["items"]] == [False, True]


def test_comparison_and_award_rules(open_rfq, vendors, db):
    rfq, client, pr = open_rfq
    ids = {}
    for vendor, price, lead in (
        (vendors[0], "1000.00", 10),
        (vendors[1], "950.00", 30),
        (vendors[2], "1100.00", 5),
    ):
        response = client.post(
            f"/api/v1/rfqs/{rfq['id']}/quotes", json=quote_body(vendor, price, lead)
        )
        assert response.status_code == 201, response.get_json()
        ids[vendor.name] = response.get_json()["id"]
    comparison = client.get(f"/api/v1/rfqs/{rfq['id']}/comparison").get_json()
    assert comparison["lowest_total_quote_id"] == ids["Brick Computers"]
    first = comparison["ranking"][0]
    assert set(first["criteria"]) == {"price", "lead_time", "rating", "warranty"}
    total = sum(float(v) for v in first["criteria"].values())
    assert abs(total - float(first["score"])) < 1e-9
    scores = [float(r["score"]) for r in comparison["ranking"]]
    assert scores == sorted(scores, reverse=True)
    # not the cheapest: a justification is required
    refused = client.post(f"/api/v1/rfqs/{rfq['id']}/award", json={"quote_id": ids["Cobalt IT"]})
    assert refused.status_code == 422
    assert "justification" in refused.get_json()["error"]["fields"]
    awarded = client.post(
        f"/api/v1/rfqs/{rfq['id']}/award",
        json={
            "quote_id": ids["Cobalt IT"],
            "justification": "Delivers in five days; we need them now.",
        },
    )
    assert awarded.status_code == 200, awarded.get_json()
    body = awarded.get_json()
    assert body["status"] == "awarded" and body["order_id"]
    order = client.get(f"/api/v1/orders/{body['order_id']}").get_json()
    assert order["status"] == "draft" and order["number"] is None
    assert order["vendor"]["name"] == "Cobalt IT"
    assert order["total"] == "2200.00" and order["lines"][0]["unit_price"] == "1100.00"
    history = client.get(f"/api/v1/audit?entity=rfq&entity_id={rfq['id']}").get_json()
    award_event = history["items"][-1]
    assert award_event["action"] == "award"
    assert len(award_event["changes"]["comparison"]) == 3
    again = client.post(f"/api/v1/rfqs/{rfq['id']}/award", json={"quote_id": ids["Acme Systems"]})
    assert again.status_code == 409


def test_cheapest_needs_no_justification(open_rfq, vendors):
    rfq, client, _ = open_rfq
    cheap = client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json=quote_body(vendors[1], "10"))
    for vendor in (vendors[0], vendors[2]):
        client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json=quote_body(vendor, "20"))
    response = client.post(
        f"/api/v1/rfqs/{rfq['id']}/award", json={"quote_id": cheap.get_json()["id"]}
    )
    assert response.status_code == 200, response.get_json()


def test_vendor_no_longer_approved_cannot_win(open_rfq, vendors, db):
    from procure.models import VendorStatus

    rfq, client, _ = open_rfq
    cheap = client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json=quote_body(vendors[1], "10"))
    vendors[1].status = VendorStatus.SUSPENDED
    db.session.commit()
    comparison = client.get(f"/api/v1/rfqs/{rfq['id']}/comparison").get_json()
    assert comparison["ranking"][0]["eligible"] is False
    assert "suspended" in comparison["ranking"][0]["why_not"]
    refused = client.post(
        f"/api/v1/rfqs/{rfq['id']}/award",
        json={"quote_id": cheap.get_json()["id"], "justification": "x"},
    )
    assert refused.status_code == 422


def test_quote_count_rule_over_the_threshold(api, make, team, vendors, db):
    pr = make.approved_request(
        team["requester"], team["approver"], lines=(("Server", "1", "6000.00"),)
    )
    client = api(team["buyer"])
    rfq = client.post(
        "/api/v1/rfqs",
        json={"request_id": pr.id, "due_date": LATER, "vendor_ids": [vendors[0].id]},
    ).get_json()
    client.post(f"/api/v1/rfqs/{rfq['id']}/send")
    only = client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json=quote_body(vendors[0], "5900"))
    refused = client.post(
        f"/api/v1/rfqs/{rfq['id']}/award", json={"quote_id": only.get_json()["id"]}
    )
    assert refused.status_code == 422
    assert "3 quotes" in refused.get_json()["error"]["message"]
    # the rule is a policy setting admin may change
    db.session.add(Setting(key="sourcing.min_quotes", value=1))
    db.session.commit()
    allowed = client.post(
        f"/api/v1/rfqs/{rfq['id']}/award", json={"quote_id": only.get_json()["id"]}
    )
    assert allowed.status_code == 200, allowed.get_json()


def test_who_sees_rfqs(open_rfq, api, team):
    rfq, _client, _ = open_rfq
    assert api(team["requester"]).get(f"/api/v1/rfqs/{rfq['id']}").status_code == 200
    assert api(team["outsider"]).get(f"/api/v1/rfqs/{rfq['id']}").status_code == 404
    assert api(team["finance"]).get(f"/api/v1/rfqs/{rfq['id']}/comparison").status_code == 200
    assert api(team["requester"]).post(f"/api/v1/rfqs/{rfq['id']}/cancel").status_code == 403


def test_cancel(open_rfq):
    rfq, client, _ = open_rfq
    cancelled = client.post(f"/api/v1/rfqs/{rfq['id']}/cancel", json={"comment": "Postponed"})
    assert cancelled.get_json()["status"] == "cancelled"
    assert client.post(f"/api/v1/rfqs/{rfq['id']}/send").status_code == 409
