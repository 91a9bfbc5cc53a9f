"""Sourcing through the pages: create and send an RFQ, enter quotes, compare, award;
and the vendor's private link."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from procure.models import PurchaseOrder, Quote
from procure.money import format_money

LATER = (dt.date.today() + dt.timedelta(days=10)).isoformat()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def setup(app, make):
    requester = make.user(["requester"], department="IT")
    approver = make.user(["approver"], department="IT")
    buyer = make.user(["procurement"], department="PROC")
    pr = make.approved_request(
        requester, approver, lines=(("Laptop", "2", "1000.00"), ("Dock", "2", "200.00"))
    )
    vendors = [
        make.vendor("Acme Systems", rating=4, email="sales@acme.example"),
        make.vendor("Brick Computers", rating=3),
        make.vendor("Cobalt IT", rating=5),
    ]
    client = app.test_client()
    client.post("/login", data={"email": buyer.email, "password": "correct horse battery"})
    return {"pr": pr, "vendors": vendors, "client": client, "requester": requester}


def text(response):
    return response.get_data(as_text=True)


def create_and_send(setup):
    client, pr, vendors = setup["client"], setup["pr"], setup["vendors"]
    page = text(client.get(f"/rfqs/new?request_id={pr.id}"))
    assert "Acme Systems" in page and "Invite vendors to quote" in page
    response = client.post(
        f"/rfqs/new?request_id={pr.id}",
        data={
            "vendors": [str(v.id) for v in vendors],
            "due_date": LATER,
            "weight_price": "0.6",
            "weight_lead_time": "0.2",
            "weight_rating": "0.2",
            "weight_warranty": "0",
        },
    )
    assert response.status_code == 302, text(response)
    rfq_id = int(response.location.rsplit("/", 1)[1])
    sent = client.post(f"/rfqs/{rfq_id}/send", data={})
    # Redirected to the RFQ's page, where procurement sees each vendor's link.
    assert sent.status_code == 303
    assert sent.location == f"/rfqs/{rfq_id}#invitations"
    links = re.findall(r"http://procure\.test/quote/[\w-]+", text(client.get(f"/rfqs/{rfq_id}")))
    assert len(links) == 3
    return rfq_id, links


def quote(client, rfq_id, vendor, prices, lead="10", **extra):
    data = {
        "vendor_id": str(vendor.id),
        "lines-0-request_line_id": "",
        "shipping": "0",
        "tax": "0",
        "lead_time_days": lead,
        "warranty_months": "12",
        "payment_terms": "30 days",
        "valid_until": LATER,
        "notes": "",
        **extra,
    }
    return client, data, prices


def post_quote(setup, rfq_id, vendor, laptop, dock, lead="10", attachment=None):
    pr = setup["pr"]
    data = {
        "vendor_id": str(vendor.id),
        "shipping": "0",
        "tax": "0",
        "lead_time_days": lead,
        "warranty_months": "12",
        "payment_terms": "30 days",
        "valid_until": LATER,
        "lines-0-request_line_id": str(pr.lines[0].id),
        "lines-0-unit_price": laptop,
        "lines-1-request_line_id": str(pr.lines[1].id),
        "lines-1-unit_price": dock,
    }
    if attachment is not None:
        data["attachment"] = attachment
    return setup["client"].post(
        f"/rfqs/{rfq_id}/quotes", data=data, content_type="multipart/form-data"
    )


def test_the_whole_sourcing_journey(setup, db):
    rfq_id, _links = create_and_send(setup)
    acme, brick, cobalt = setup["vendors"]
    assert (
        post_quote(
            setup,
            rfq_id,
            acme,
            "990.00",
            "190.00",
            lead="5",
            attachment=(io.BytesIO(PDF), "acme-quote.pdf"),
        ).status_code
        == 302
    )
    assert post_quote(setup, rfq_id, brick, "950.00", "180.00", lead="30").status_code == 302
    assert post_quote(setup, rfq_id, cobalt, "1100.00", "210.00", lead="3").status_code == 302
    page = text(setup["client"].get(f"/rfqs/{rfq_id}"))
    assert "Ranking" in page and "Lowest total" in page and "★" in page
    assert "acme-quote.pdf" in page
    acme_quote = db.session.scalars(db.select(Quote).where(Quote.vendor_id == acme.id)).one()
    # Acme is not the cheapest: the award needs a reason, said beside the field.
    refused = setup["client"].post(
        f"/rfqs/{rfq_id}/award", data={"quote_id": str(acme_quote.id), "justification": ""}
    )
    assert refused.status_code == 422
    assert f'id="justification-{acme_quote.id}-errors"' in text(refused)
    assert "not the lowest total" in text(refused)
    awarded = setup["client"].post(
        f"/rfqs/{rfq_id}/award",
        data={"quote_id": str(acme_quote.id), "justification": "Delivers in 5 days, not 30."},
    )
    assert awarded.status_code == 302
    order = db.session.scalars(db.select(PurchaseOrder)).one()
    assert order.vendor_id == acme.id and str(order.total) == "2360.00"
    download = setup["client"].get(f"/rfqs/{rfq_id}/quotes/{acme_quote.id}/attachment")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    download.close()


def test_uploads_are_checked(setup, app, monkeypatch):
    # A small limit keeps the test's body in memory (werkzeug spools big ones to disk).
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 64 * 1024)
    rfq_id, _ = create_and_send(setup)
    acme = setup["vendors"][0]
    fake = post_quote(
        setup,
        rfq_id,
        acme,
        "1",
        "1",
        attachment=(io.BytesIO(b"MZ\x90\x00 not a pdf"), "quote.pdf"),
    )
    assert fake.status_code == 422
    assert 'id="attachment-errors"' in text(fake)
    lying = post_quote(
        setup,
        rfq_id,
        acme,
        "1",
        "1",
        attachment=(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 20), "quote.pdf"),
    )
    assert lying.status_code == 422
    big = post_quote(
        setup,
        rfq_id,
        acme,
        "1",
        "1",
        attachment=(io.BytesIO(PDF + b"0" * (100 * 1024)), "big.pdf"),
    )
    assert big.status_code == 422
    assert "larger than" in text(big)
    assert setup["client"].get(f"/rfqs/{rfq_id}").status_code == 200


def test_bad_prices_stand_beside_their_field(setup, db):
    rfq_id, _ = create_and_send(setup)
    response = post_quote(setup, rfq_id, setup["vendors"][0], "-5", "abc")
    assert response.status_code == 422
    page = text(response)
    assert 'id="lines-0-unit_price-errors"' in page and 'id="lines-1-unit_price-errors"' in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Quote)) == 0


def test_the_vendor_link(setup, app, db):
    rfq_id, links = create_and_send(setup)
    pr = setup["pr"]
    visitor = app.test_client()
    link = links[1].replace("http://procure.test", "")
    page = visitor.get(link)
    assert page.status_code == 200
    body = text(page)
    assert "Laptop" in body and "Your quote for" in body
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body)
    data = {
        "vendor_id": "999999",
        "shipping": "15",
        "tax": "0",
        "lead_time_days": "7",
        "warranty_months": "24",
        "payment_terms": "45 days",
        "valid_until": LATER,
        "lines-0-request_line_id": str(pr.lines[0].id),
        "lines-0-unit_price": "970",
        "lines-1-request_line_id": str(pr.lines[1].id),
        "lines-1-unit_price": "185",
        "attachment": (io.BytesIO(PDF), "our-quote.pdf"),
    }
    if csrf:
        data["csrf_token"] = csrf.group(1)
    thanks = visitor.post(link, data=data, content_type="multipart/form-data")
    assert thanks.status_code == 200, text(thanks)
    assert "your quote is received" in text(thanks)
    quote = db.session.scalars(db.select(Quote)).one()
    # The link decides the vendor, whatever the form says.
    assert quote.vendor_id == setup["vendors"][1].id
    assert str(quote.total) == "2325.00" and quote.entered_by_id is None
    used = visitor.get(link)
    assert used.status_code == 410 and "already sent" in text(used)
    unknown = visitor.get("/quote/not-a-real-token")
    assert unknown.status_code == 410 and "not valid" in text(unknown)


def test_an_expired_link_is_refused(setup, db):
    from procure.models import RfqInvitation

    rfq_id, links = create_and_send(setup)
    for invitation in db.session.scalars(db.select(RfqInvitation)):
        invitation.token_expires_on = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    page = setup["client"].get(links[0].replace("http://procure.test", ""))
    assert page.status_code == 410 and "expired" in text(page)


def test_requesters_see_but_cannot_act(setup, app):
    rfq_id, _ = create_and_send(setup)
    requester = app.test_client()
    requester.post(
        "/login", data={"email": setup["requester"].email, "password": "correct horse battery"}
    )
    page = text(requester.get(f"/rfqs/{rfq_id}"))
    assert "Enter a quote" not in page and "Cancel RFQ" not in page
    assert requester.post(f"/rfqs/{rfq_id}/cancel", data={}).status_code == 403


def test_only_procurement_opens_the_rfq_form(setup, app):
    pr = setup["pr"]
    requester = app.test_client()
    requester.post(
        "/login", data={"email": setup["requester"].email, "password": "correct horse battery"}
    )
    # The requester sees the request, but inviting vendors is procurement's.
    assert requester.get(f"/requests/{pr.id}").status_code == 200
    assert requester.get(f"/rfqs/new?request_id={pr.id}").status_code == 403


def test_admin_sets_the_quote_count_rule(app, make, db):
    from procure import settings

    admin = make.user(["admin"], department="IT")
    client = app.test_client()
    client.post("/login", data={"email": admin.email, "password": "correct horse battery"})
    page = client.get("/admin/policy").get_data(as_text=True)
    assert "Quote-count rule" in page and 'value="5000.00"' in page
    bad = client.post("/admin/policy/quotes", data={"threshold": "-1", "min_quotes": "2"})
    assert bad.status_code == 422 and 'id="threshold-errors"' in bad.get_data(as_text=True)
    good = client.post("/admin/policy/quotes", data={"threshold": "10000", "min_quotes": "2"})
    assert good.status_code == 302
    db.session.expire_all()
    assert settings.get("sourcing.quote_threshold") == "10000.00"
    assert settings.get("sourcing.min_quotes") == 2
    assert settings.get("sourcing.two_to_open") is False
    # Sealed bids opened by two: the same form's box.
    four_eyes = client.post(
        "/admin/policy/quotes",
        data={"threshold": "10000", "min_quotes": "2", "two_to_open": "y"},
    )
    assert four_eyes.status_code == 302
    db.session.expire_all()
    settings.forget()
    assert settings.get("sourcing.two_to_open") is True
    box = re.search(r'<input[^>]*name="two_to_open"[^>]*>', text(client.get("/admin/policy")))
    assert box and "checked" in box.group(0)


def test_a_new_rfq_without_a_request_offers_those_waiting_to_be_sourced(setup, app, make):
    client, pr = setup["client"], setup["pr"]
    assert 'href="/rfqs/new">New RFQ</a>' in text(client.get("/rfqs"))
    picker = client.get("/rfqs/new")
    assert picker.status_code == 200
    page = text(picker)
    assert "Which request do you source?" in page
    assert pr.number in page and f'href="/rfqs/new?request_id={pr.id}"' in page
    # Once an RFQ sources it, the request is no longer offered.
    create_and_send(setup)
    after = client.get("/rfqs/new")
    assert after.status_code == 200
    assert pr.number not in text(after)
    assert "No approved request is waiting to be sourced." in text(after)
    # Choosing the request is procurement's, like the form it leads to.
    requester = app.test_client()
    requester.post(
        "/login", data={"email": setup["requester"].email, "password": "correct horse battery"}
    )
    assert requester.get("/rfqs/new").status_code == 403
    assert 'href="/rfqs/new"' not in text(requester.get("/rfqs"))
    assert client.get("/rfqs/new?request_id=abc").status_code == 404


def test_recording_a_quote_says_its_total_with_the_currency(setup, db):
    rfq_id, _links = create_and_send(setup)
    acme = setup["vendors"][0]
    response = post_quote(setup, rfq_id, acme, "1234.50", "190.00")
    assert response.status_code == 302
    quote = db.session.scalars(db.select(Quote).where(Quote.vendor_id == acme.id)).one()
    page = text(setup["client"].get(response.location))
    said = f"The quote of {acme.name} is recorded ({format_money(quote.total, 'USD')})."
    assert said in page
    assert said.startswith(f"The quote of {acme.name} is recorded ($")
