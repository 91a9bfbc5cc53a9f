"""Sealed bids (API.md, "Agreements, catalogue, request types, sealed bids"): a sealed
RFQ's quotes show no amount anywhere until procurement opens the bids, from the day
after the due date; with two to open, a second procurement user opens them."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from procure.models import Notification, Quote, Rfq

TODAY = dt.date.today()
LATER = (TODAY + dt.timedelta(days=14)).isoformat()
# Amounts no other part of the pages or answers would show by chance.
PRICE = "987.65"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SECRETS = ("987.65", "1975.30", "1,975.30", "987,65", "1.975,30")


@pytest.fixture
def team(make):
    return {
        "requester": make.user(["requester"], department="IT"),
        "approver": make.user(["approver"], department="IT"),
        "buyer": make.user(["procurement"], department="PROC"),
        "second_buyer": make.user(["procurement"], department="PROC"),
        "finance": make.user(["finance"], department="FIN"),
        "admin": make.user(["admin"], department="IT"),
    }


@pytest.fixture
def vendors(make):
    return [
        make.vendor("Acme Systems", rating=4, email="sales@acme.example"),
        make.vendor("Brick Computers", rating=3, email="bids@brick.example"),
    ]


def quote_body(vendor, price=PRICE, **extra):
    return {
        "vendor_id": vendor.id,
        "valid_until": LATER,
        "lead_time_days": 10,
        "warranty_months": 12,
        "payment_terms": "30 days net",
        "shipping": "12.34",
        "lines": [{"description": "Laptop", "quantity": "2", "unit_price": price}],
        **extra,
    }


def sealed_rfq(api, make, team, vendors, *, due=TODAY):
    """A sealed RFQ, sent, due ``due``; answers its JSON, the buyer's client and the
    private links by vendor id."""
    pr = make.approved_request(team["requester"], team["approver"])
    client = api(team["buyer"])
    created = client.post(
        "/api/v1/rfqs",
        json={
            "request_id": pr.id,
            "due_date": due.isoformat(),
            "vendor_ids": [v.id for v in vendors],
            "sealed": True,
        },
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["sealed"] is True
    sent = client.post(f"/api/v1/rfqs/{created.get_json()['id']}/send")
    assert sent.status_code == 200, sent.get_json()
    return sent.get_json(), client


def past_due(db, rfq_id: int, days: int = 1) -> None:
    """Move the RFQ's due date into the past, as if the days had gone by."""
    rfq = db.session.get(Rfq, rfq_id)
    rfq.due_date = TODAY - dt.timedelta(days=days)
    db.session.commit()


def shows_no_amount(text: str) -> bool:
    return not any(secret in text for secret in SECRETS)


def login(app, user):
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    return client


def test_quotes_show_no_amount_anywhere_until_the_bids_are_opened(
    app, api, make, team, vendors, db
):
    rfq, client = sealed_rfq(api, make, team, vendors)
    rfq_id = rfq["id"]
    recorded = client.post(f"/api/v1/rfqs/{rfq_id}/quotes", json=quote_body(vendors[0]))
    assert recorded.status_code == 201, recorded.get_json()
    quote = recorded.get_json()
    assert quote["sealed"] is True
    assert [quote[k] for k in ("shipping", "tax", "subtotal", "total")] == [None] * 4
    assert quote["lines"][0]["unit_price"] is None and quote["lines"][0]["total"] is None
    assert quote["lines"][0]["description"] == "Laptop"
    client.post(f"/api/v1/rfqs/{rfq_id}/quotes", json=quote_body(vendors[1], "1200.00"))
    # A corrected quote: the history is sealed too.
    client.post(f"/api/v1/rfqs/{rfq_id}/quotes", json=quote_body(vendors[0], "990.00"))

    answers = [
        client.get(f"/api/v1/rfqs/{rfq_id}/quotes"),
        client.get(f"/api/v1/rfqs/{rfq_id}/quotes?history=1"),
        client.get(f"/api/v1/rfqs/{rfq_id}"),
        client.get("/api/v1/rfqs"),
        client.get(f"/api/v1/audit?entity=rfq&entity_id={rfq_id}"),
        api(team["finance"]).get("/api/v1/audit"),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.get_json()
        assert shows_no_amount(answer.get_data(as_text=True)), answer.request.path
    assert all(q["total"] is None for q in answers[1].get_json()["items"])
    events = answers[4].get_json()["items"]
    quoted = [e["changes"] for e in events if e["action"] == "quote"]
    assert len(quoted) == 3 and all(c["sealed"] and "total" not in c for c in quoted)

    comparison = client.get(f"/api/v1/rfqs/{rfq_id}/comparison")
    assert comparison.status_code == 409
    assert comparison.get_json()["error"]["code"] == "sealed"
    award = client.post(f"/api/v1/rfqs/{rfq_id}/award", json={"quote_id": quote["id"]})
    assert award.status_code == 409 and award.get_json()["error"]["code"] == "sealed"

    page = login(app, team["buyer"]).get(f"/rfqs/{rfq_id}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Sealed bids" in body and "Acme Systems" in body and shows_no_amount(body)
    assert "Open the bids" not in body  # not before the day after the due date
    for mail in db.session.scalars(db.select(Notification)):
        assert shows_no_amount(mail.subject + mail.body_text + mail.body_html), mail.kind

    past_due(db, rfq_id)
    opened = client.post(f"/api/v1/rfqs/{rfq_id}/open-bids")
    assert opened.status_code == 200, opened.get_json()
    assert opened.get_json()["bids_opened_at"] is not None

    quotes = client.get(f"/api/v1/rfqs/{rfq_id}/quotes").get_json()["items"]
    assert {q["total"] for q in quotes} == {"1992.34", "2412.34"}
    assert quotes[0]["lines"][0]["unit_price"] is not None
    history = client.get(f"/api/v1/rfqs/{rfq_id}/quotes?history=1").get_data(as_text=True)
    assert "1975.30" in history  # the replaced quote
    ranked = client.get(f"/api/v1/rfqs/{rfq_id}/comparison")
    assert ranked.status_code == 200 and ranked.get_json()["ranking"]
    events = client.get(f"/api/v1/audit?entity=rfq&entity_id={rfq_id}").get_json()["items"]
    opening = next(e for e in events if e["action"] == "open_bids")
    assert opening["actor"]["id"] == team["buyer"].id and opening["changes"]["at"]

    body = login(app, team["buyer"]).get(f"/rfqs/{rfq_id}").get_data(as_text=True)
    assert "1,992.34" in body and "Bids opened" in body and "Comparison" in body
    cheapest = min(quotes, key=lambda q: q["total"])["id"]
    awarded = client.post(f"/api/v1/rfqs/{rfq_id}/award", json={"quote_id": cheapest})
    assert awarded.status_code == 200, awarded.get_json()


def test_the_bids_open_only_from_the_day_after_the_due_date(api, make, team, vendors, db):
    rfq, client = sealed_rfq(api, make, team, vendors)
    refused = client.post(f"/api/v1/rfqs/{rfq['id']}/open-bids")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "invalid_transition"
    assert "open_bids" not in client.get(f"/api/v1/rfqs/{rfq['id']}").get_json()["allowed_actions"]
    past_due(db, rfq["id"])
    assert "open_bids" in client.get(f"/api/v1/rfqs/{rfq['id']}").get_json()["allowed_actions"]
    others = api(team["finance"]).post(f"/api/v1/rfqs/{rfq['id']}/open-bids")
    assert others.status_code in (403, 404)
    assert client.post(f"/api/v1/rfqs/{rfq['id']}/open-bids").status_code == 200
    again = client.post(f"/api/v1/rfqs/{rfq['id']}/open-bids")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "invalid_transition"


def test_an_unsealed_rfq_has_no_bids_to_open(api, make, team, vendors):
    pr = make.approved_request(team["requester"], team["approver"])
    client = api(team["buyer"])
    created = client.post(
        "/api/v1/rfqs",
        json={"request_id": pr.id, "due_date": LATER, "vendor_ids": [vendors[0].id]},
    ).get_json()
    assert created["sealed"] is False and created["bids_opened_at"] is None
    refused = client.post(f"/api/v1/rfqs/{created['id']}/open-bids")
    assert refused.status_code == 409


def test_two_to_open_takes_two_different_procurement_users(api, make, team, vendors, db):
    admin = api(team["admin"])
    assert admin.get("/api/v1/settings/sourcing").get_json() == {"two_to_open": False}
    refused = api(team["buyer"]).put("/api/v1/settings/sourcing", json={"two_to_open": True})
    assert refused.status_code == 403
    bad = admin.put("/api/v1/settings/sourcing", json={"two_to_open": "perhaps"})
    assert bad.status_code == 422
    assert admin.put("/api/v1/settings/sourcing", json={"two_to_open": True}).get_json() == {
        "two_to_open": True
    }
    rfq, client = sealed_rfq(api, make, team, vendors)
    client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json=quote_body(vendors[0]))
    past_due(db, rfq["id"])

    asked = client.post(f"/api/v1/rfqs/{rfq['id']}/open-bids")
    assert asked.status_code == 200, asked.get_json()
    assert asked.get_json()["opening_requested_at"] is not None
    assert asked.get_json()["bids_opened_at"] is None
    assert client.get(f"/api/v1/rfqs/{rfq['id']}/quotes").get_json()["items"][0]["total"] is None

    twice = client.post(f"/api/v1/rfqs/{rfq['id']}/open-bids")
    assert twice.status_code == 409
    assert twice.get_json()["error"]["code"] == "invalid_transition"

    second = api(team["second_buyer"])
    opened = second.post(f"/api/v1/rfqs/{rfq['id']}/open-bids")
    assert opened.status_code == 200 and opened.get_json()["bids_opened_at"] is not None
    quotes = second.get(f"/api/v1/rfqs/{rfq['id']}/quotes").get_json()["items"]
    assert quotes[0]["total"] == "1987.64"
    events = client.get(f"/api/v1/audit?entity=rfq&entity_id={rfq['id']}").get_json()["items"]
    actions = {e["action"]: e["actor"]["id"] for e in events}
    assert actions["request_open_bids"] == team["buyer"].id
    assert actions["open_bids"] == team["second_buyer"].id


def test_a_quote_after_the_due_date_is_refused(api, make, team, vendors, db):
    rfq, client = sealed_rfq(api, make, team, vendors)
    past_due(db, rfq["id"])
    late = client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json=quote_body(vendors[0]))
    assert late.status_code == 422
    assert late.get_json()["error"]["code"] == "validation_error"
    assert "vendor_id" in late.get_json()["error"]["fields"]


def test_the_vendor_quotes_through_its_link_and_sees_no_amount_after(
    app, api, make, team, vendors, db
):
    rfq, _client = sealed_rfq(api, make, team, vendors)
    link = rfq["links"][str(vendors[0].id)]
    path = "/quote/" + link.rsplit("/", 1)[1]
    vendor = app.test_client()
    pr_line = db.session.get(Rfq, rfq["id"]).request.lines[0]
    thanks = vendor.post(
        path,
        data={
            "shipping": "0",
            "tax": "0",
            "lead_time_days": "7",
            "warranty_months": "12",
            "payment_terms": "30 days",
            "valid_until": LATER,
            "lines-0-request_line_id": str(pr_line.id),
            "lines-0-unit_price": PRICE,
        },
    )
    body = thanks.get_data(as_text=True)
    assert thanks.status_code == 200, body
    assert "sealed quote" in body and shows_no_amount(body)
    # The link is used: the page shows nothing more.
    assert shows_no_amount(vendor.get(path).get_data(as_text=True))
    for mail in db.session.scalars(db.select(Notification)):
        assert shows_no_amount(mail.subject + mail.body_text + mail.body_html), mail.kind
    events = api(team["buyer"]).get(f"/api/v1/audit?entity=rfq&entity_id={rfq['id']}")
    assert shows_no_amount(events.get_data(as_text=True))


def test_the_vendors_link_is_refused_after_the_due_date(app, api, make, team, vendors, db):
    rfq, _client = sealed_rfq(api, make, team, vendors)
    link = rfq["links"][str(vendors[1].id)]
    past_due(db, rfq["id"])
    refused = app.test_client().get("/quote/" + link.rsplit("/", 1)[1])
    assert refused.status_code == 410


def test_the_pages_create_a_sealed_rfq_and_open_its_bids(app, make, team, vendors, db):
    pr = make.approved_request(team["requester"], team["approver"])
    client = login(app, team["buyer"])
    form = client.get(f"/rfqs/new?request_id={pr.id}").get_data(as_text=True)
    assert "Sealed bids" in form
    created = client.post(
        f"/rfqs/new?request_id={pr.id}",
        data={
            "vendors": [str(v.id) for v in vendors],
            "due_date": TODAY.isoformat(),
            "weight_price": "0.6",
            "weight_lead_time": "0.2",
            "weight_rating": "0.2",
            "weight_warranty": "0",
            "sealed": "y",
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    rfq_id = int(created.location.rsplit("/", 1)[1])
    assert db.session.get(Rfq, rfq_id).sealed is True
    assert client.post(f"/rfqs/{rfq_id}/send", data={}).status_code == 303
    early = client.post(f"/rfqs/{rfq_id}/open-bids", data={})
    assert early.status_code == 303
    assert db.session.get(Rfq, rfq_id).bids_opened_at is None

    past_due(db, rfq_id)
    page = client.get(f"/rfqs/{rfq_id}").get_data(as_text=True)
    assert "Open the bids" in page
    assert client.post(f"/rfqs/{rfq_id}/open-bids", data={}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Rfq, rfq_id).bids_opened_by_id == team["buyer"].id
    page = client.get(f"/rfqs/{rfq_id}").get_data(as_text=True)
    assert "sealed bids, opened" in page and "Open the bids" not in page


def test_a_quote_entered_on_the_page_and_its_document_stay_sealed(app, make, team, vendors, db):
    pr = make.approved_request(team["requester"], team["approver"])
    client = login(app, team["buyer"])
    created = client.post(
        f"/rfqs/new?request_id={pr.id}",
        data={
            "vendors": [str(vendors[0].id)],
            "due_date": TODAY.isoformat(),
            "weight_price": "0.6",
            "weight_lead_time": "0.2",
            "weight_rating": "0.2",
            "weight_warranty": "0",
            "sealed": "y",
        },
    )
    rfq_id = int(created.location.rsplit("/", 1)[1])
    client.post(f"/rfqs/{rfq_id}/send", data={})
    recorded = client.post(
        f"/rfqs/{rfq_id}/quotes",
        data={
            "vendor_id": str(vendors[0].id),
            "shipping": "0",
            "tax": "0",
            "lead_time_days": "5",
            "warranty_months": "12",
            "payment_terms": "30 days",
            "valid_until": LATER,
            "lines-0-request_line_id": str(pr.lines[0].id),
            "lines-0-unit_price": PRICE,
            "attachment": (io.BytesIO(PDF), "acme-quote.pdf"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    body = recorded.get_data(as_text=True)
    assert recorded.status_code == 200, body
    assert "sealed until the bids are opened" in body and shows_no_amount(body)
    assert "acme-quote.pdf" not in body
    quote = db.session.scalars(db.select(Quote)).one()
    document = f"/rfqs/{rfq_id}/quotes/{quote.id}/attachment"
    assert client.get(document).status_code == 409

    past_due(db, rfq_id)
    assert client.post(f"/rfqs/{rfq_id}/open-bids", data={}).status_code == 303
    assert client.get(document).status_code == 200
    body = client.get(f"/rfqs/{rfq_id}").get_data(as_text=True)
    assert "1,975.30" in body and "acme-quote.pdf" in body
