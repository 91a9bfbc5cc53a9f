"""Purchase orders in their quote's currency: issuing freezes the rate that commits the
budget; the PDF and the vendor's e-mail name the currency; the page shows the base
equivalent with its rate; a rate entered later moves nothing (issue 19)."""

from __future__ import annotations

import io
from decimal import Decimal

import pypdf
import pytest
import sqlalchemy as sa

from procure import rates
from procure.models import ExchangeRate, Notification, PurchaseOrder

from . import test_quote_currencies as quotes
from .pages import text

TODAY, YESTERDAY = quotes.TODAY, quotes.YESTERDAY
post_quote, quote_body = quotes.post_quote, quotes.quote_body
# The quote tests' fixtures: USD, EUR, GBP, JPY, BHD and CHF enabled, rates of yesterday
# for all but CHF, an open RFQ to three vendors, and their quotes in three currencies.
currencies_on = quotes.currencies_on
team, vendors, open_rfq, three_quotes = (
    quotes.team,
    quotes.vendors,
    quotes.open_rfq,
    quotes.three_quotes,
)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def award(client, rfq, quote_id, justification="") -> int:
    response = client.post(
        f"/api/v1/rfqs/{rfq['id']}/award",
        json={"quote_id": quote_id, "justification": justification},
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["order_id"]


@pytest.fixture
def pound_order(three_quotes):
    """The pound quote (£1,600.00 ≈ $2,032.00 at 1.27) awarded: a draft order in GBP."""
    rfq, client, ids = three_quotes
    order_id = award(client, rfq, ids["gbp"], "Our UK partner supports it on site.")
    return client, order_id


def test_the_order_issued_from_a_pound_quote_is_in_pounds(pound_order, db, auth, team):
    client, order_id = pound_order
    draft = client.get(f"/api/v1/orders/{order_id}").get_json()
    assert draft["currency"] == "GBP" and draft["total"] == "1600.00"
    assert draft["rate"] is None and draft["rate_date"] is None and draft["total_base"] is None

    issued = client.post(f"/api/v1/orders/{order_id}/issue")
    assert issued.status_code == 200, issued.get_json()
    body = issued.get_json()
    assert body["currency"] == "GBP" and body["total"] == "1600.00"
    assert body["rate"] == "1.270000" and body["rate_date"] == YESTERDAY.isoformat()
    assert body["total_base"] == "2032.00"

    document = pdf_text(client.get(f"/api/v1/orders/{order_id}/pdf").data)
    assert "Total (GBP)" in document and "£1,600.00" in document
    assert "$" not in document  # the vendor's document knows nothing of our dollars

    mail = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "purchase_order")
    ).one()
    assert mail.email == "sales@pound.example"
    for body_text in (mail.body_text, mail.body_html):
        assert "£1,600.00 (GBP)" in body_text

    event = client.get(f"/api/v1/audit?entity=order&entity_id={order_id}").get_json()["items"]
    issue = next(e for e in event if e["action"] == "issue")
    assert issue["changes"]["currency"] == "GBP" and issue["changes"]["total_base"] == "2032.00"
    assert Decimal(issue["changes"]["rate"]) == Decimal("1.27")

    auth.login(team["buyer"].email)
    page = text(auth.client.get(f"/orders/{order_id}"))
    assert "£1,600.00" in page
    assert "≈ $2,032.00 at 1 GBP = 1.2700 USD" in page and "frozen at issue" in page


def test_a_rate_entered_after_issue_moves_nothing(pound_order, db):
    client, order_id = pound_order
    client.post(f"/api/v1/orders/{order_id}/issue")
    pdf_before = client.get(f"/api/v1/orders/{order_id}/pdf").data
    rates.record("GBP", YESTERDAY, "1.45", actor=None)  # replaces the rate issue used
    rates.record("GBP", TODAY, "1.60", actor=None)
    db.session.flush()
    body = client.get(f"/api/v1/orders/{order_id}").get_json()
    assert body["rate"] == "1.270000" and body["total_base"] == "2032.00"
    assert client.get(f"/api/v1/orders/{order_id}/pdf").data == pdf_before
    order = db.session.get(PurchaseOrder, order_id)
    db.session.refresh(order)
    assert order.total_base == Decimal("2032.00") and order.rate == Decimal("1.27")


def test_the_draft_page_shows_the_awards_rate_until_issue(pound_order, auth, team):
    _, order_id = pound_order
    auth.login(team["buyer"].email)
    page = text(auth.client.get(f"/orders/{order_id}"))
    assert "≈ $2,032.00 at 1 GBP = 1.2700 USD" in page
    assert "the award's rate; frozen at issue" in page


def test_an_order_without_a_rate_on_its_issue_date_is_not_issued(pound_order, db):
    client, order_id = pound_order
    db.session.execute(sa.delete(ExchangeRate).where(ExchangeRate.currency == "GBP"))
    db.session.flush()
    refused = client.post(f"/api/v1/orders/{order_id}/issue")
    assert refused.status_code == 422, refused.get_json()
    [message] = refused.get_json()["error"]["fields"]["currency"]
    assert "There is no GBP rate on or before" in message and "/rates" in message
    body = client.get(f"/api/v1/orders/{order_id}").get_json()
    assert body["status"] == "draft" and body["number"] is None and body["rate"] is None


def test_a_base_currency_order_freezes_a_rate_of_one(three_quotes):
    rfq, client, ids = three_quotes
    order_id = award(client, rfq, ids["usd"])
    body = client.post(f"/api/v1/orders/{order_id}/issue").get_json()
    assert body["currency"] == "USD" and body["total"] == "2000.00"
    assert body["rate"] == "1.000000" and body["rate_date"] == TODAY.isoformat()
    assert body["total_base"] == "2000.00"


@pytest.mark.parametrize(
    ("currency", "price", "total", "total_base", "shown", "received"),
    [
        # 2.5 × ¥12,345 → ¥30,863; × 0.0067 → $206.78; 1 of 2.5 received: ¥12,345
        ("JPY", "12345", "30863", "206.78", "¥30,863", "12345"),
        # 2.5 × 12.345 BD → 30.863 BD; × 2.65 → $81.79; 1 received: 12.345 BD
        ("BHD", "12.345", "30.863", "81.79", "30.863", "12.345"),
    ],
)
def test_yen_and_dinar_orders_round_to_their_minor_units(
    open_rfq, vendors, db, currency, price, total, total_base, shown, received
):
    rfq, client, _ = open_rfq
    quote = post_quote(
        client, rfq, quote_body(vendors["eur"], price, currency, quantity="2.5")
    ).get_json()
    order_id = award(client, rfq, quote["id"])
    body = client.post(f"/api/v1/orders/{order_id}/issue").get_json()
    assert body["total"] == total and body["lines"][0]["total"] == total
    assert body["lines"][0]["unit_price"] == price and body["total_base"] == total_base
    document = pdf_text(client.get(f"/api/v1/orders/{order_id}/pdf").data)
    assert f"Total ({currency})" in document and shown in document
    receipt = client.post(
        f"/api/v1/orders/{order_id}/receive",
        json={"lines": [{"line_id": body["lines"][0]["id"], "quantity": "1"}]},
    )
    assert receipt.status_code in (200, 201), receipt.get_json()
    order = db.session.get(PurchaseOrder, order_id)
    [line] = [rl for r in order.receipts for rl in r.lines]
    assert line.value == Decimal(received)


def test_the_rfq_page_says_at_what_rate_it_was_awarded(pound_order, auth, team):
    client, order_id = pound_order
    rfq_id = client.get(f"/api/v1/orders/{order_id}").get_json()["rfq_id"]
    auth.login(team["buyer"].email)
    page = text(auth.client.get(f"/rfqs/{rfq_id}"))
    assert "Awarded at 1 GBP = 1.2700 USD" in page and "$2,032.00" in page
