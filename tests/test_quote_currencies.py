"""Quotes in the vendors' currencies: the comparison ranks them in the base currency at
one rate date, shows both amounts, leaves a quote without a rate unranked, and the award
freezes the rate it compared at (issue 19)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procure import rates
from procure import settings as procure_settings
from procure.models import Rfq
from procure.sourcing import scoring, services

from .pages import text

TODAY = dt.date.today()
YESTERDAY = TODAY - dt.timedelta(days=1)
LATER = (TODAY + dt.timedelta(days=14)).isoformat()
# Base units (USD) one unit is worth.
RATES = {"EUR": "1.0825", "GBP": "1.27", "JPY": "0.0067", "BHD": "2.65"}


def enable(*codes: str) -> None:
    procure_settings.put("currencies.enabled", list(codes), actor=None)


def record_rates(day: dt.date = YESTERDAY, **values: str) -> None:
    for code, value in (values or RATES).items():
        rates.record(code, day, value, actor=None)


@pytest.fixture
def currencies_on(app, db):
    """EUR, GBP, JPY, BHD and CHF enabled; rates of yesterday for all but CHF."""
    enable("EUR", "GBP", "JPY", "BHD", "CHF")
    record_rates()
    db.session.flush()


@pytest.fixture
def team(make):
    return {
        "requester": make.user(["requester"], department="IT"),
        "approver": make.user(["approver"], department="IT"),
        "buyer": make.user(["procurement"], department="PROC"),
    }


@pytest.fixture
def vendors(make):
    return {
        "usd": make.vendor("Dollar Depot", rating=4, email="sales@dollar.example"),
        "eur": make.vendor("Euro Server GmbH", rating=4, email="vertrieb@euro.example"),
        "gbp": make.vendor("Pound Partners Ltd", rating=4, email="sales@pound.example"),
    }


@pytest.fixture
def open_rfq(api, make, team, vendors, currencies_on):
    pr = make.approved_request(team["requester"], team["approver"])
    client = api(team["buyer"])
    created = client.post(
        "/api/v1/rfqs",
        json={
            "request_id": pr.id,
            "due_date": LATER,
            "vendor_ids": [v.id for v in vendors.values()],
        },
    )
    assert created.status_code == 201, created.get_json()
    sent = client.post(f"/api/v1/rfqs/{created.get_json()['id']}/send")
    assert sent.status_code == 200, sent.get_json()
    return sent.get_json(), client, pr


def quote_body(vendor, price, currency=None, quantity="2", **extra):
    body = {
        "vendor_id": vendor.id,
        "valid_until": LATER,
        "lead_time_days": 10,
        "warranty_months": 12,
        "lines": [{"description": "Server", "quantity": quantity, "unit_price": price}],
        **extra,
    }
    if currency:
        body["currency"] = currency
    return body


def post_quote(client, rfq, body):
    return client.post(f"/api/v1/rfqs/{rfq['id']}/quotes", json=body)


@pytest.fixture
def three_quotes(open_rfq, vendors):
    """USD 2,000.00; EUR 1,880.00 ≈ $2,035.10; GBP 1,600.00 ≈ $2,032.00. By the numbers
    the pound quote looks cheapest; in dollars the dollar quote is."""
    rfq, client, pr = open_rfq
    ids = {}
    for key, price, currency in (
        ("usd", "1000", None),
        ("eur", "940", "EUR"),
        ("gbp", "800", "gbp"),
    ):
        response = post_quote(client, rfq, quote_body(vendors[key], price, currency))
        assert response.status_code == 201, response.get_json()
        ids[key] = response.get_json()["id"]
    return rfq, client, ids


def test_three_currencies_rank_in_base_and_show_both_amounts(three_quotes, auth, team):
    rfq, client, ids = three_quotes
    quotes = client.get(f"/api/v1/rfqs/{rfq['id']}/quotes").get_json()["items"]
    assert {q["currency"]: q["total"] for q in quotes} == {
        "USD": "2000.00",
        "EUR": "1880.00",
        "GBP": "1600.00",
    }
    comparison = client.get(f"/api/v1/rfqs/{rfq['id']}/comparison").get_json()
    assert comparison["rate_date"] == TODAY.isoformat()
    assert comparison["base_currency"] == "USD" and comparison["not_ranked"] == []
    by_quote = {r["quote_id"]: r for r in comparison["ranking"]}
    assert by_quote[ids["usd"]]["total_base"] == "2000.00"
    assert by_quote[ids["eur"]]["total_base"] == "2035.10"  # 1,880 × 1.0825
    assert by_quote[ids["gbp"]]["total_base"] == "2032.00"  # 1,600 × 1.27
    assert by_quote[ids["gbp"]]["currency"] == "GBP" and by_quote[ids["gbp"]]["total"] == "1600.00"
    assert by_quote[ids["eur"]]["rate"] == "1.082500"
    assert by_quote[ids["eur"]]["rate_date"] == YESTERDAY.isoformat()
    assert by_quote[ids["usd"]]["rate"] == "1.000000"
    assert comparison["lowest_total_quote_id"] == ids["usd"]
    # Equal ratings, lead times and warranties: the ranking is the base amounts' order.
    assert [r["quote_id"] for r in comparison["ranking"]] == [ids["usd"], ids["gbp"], ids["eur"]]
    assert by_quote[ids["usd"]]["normalised"]["price"] == "1.0000"

    auth.login(team["buyer"].email)
    page = text(auth.client.get(f"/rfqs/{rfq['id']}"))
    assert "€1,880.00 ≈ $2,035.10" in page
    assert "£1,600.00 ≈ $2,032.00" in page
    assert "$2,000.00" in page and "$2,000.00 ≈" not in page


def test_the_justification_rule_compares_base_amounts(three_quotes):
    rfq, client, ids = three_quotes
    refused = client.post(f"/api/v1/rfqs/{rfq['id']}/award", json={"quote_id": ids["gbp"]})
    assert refused.status_code == 422
    message = refused.get_json()["error"]["fields"]["justification"][0]
    assert "Dollar Depot quotes $2,000.00" in message
    cheapest = client.post(f"/api/v1/rfqs/{rfq['id']}/award", json={"quote_id": ids["usd"]})
    assert cheapest.status_code == 200, cheapest.get_json()
    body = cheapest.get_json()
    assert body["award_rate"] == "1.000000" and body["award_total_base"] == "2000.00"


def test_the_award_freezes_the_rate_and_the_order_takes_the_quote_currency(three_quotes, db):
    rfq, client, ids = three_quotes
    awarded = client.post(
        f"/api/v1/rfqs/{rfq['id']}/award",
        json={"quote_id": ids["gbp"], "justification": "Our UK partner supports it on site."},
    )
    assert awarded.status_code == 200, awarded.get_json()
    body = awarded.get_json()
    assert body["award_rate"] == "1.270000"
    assert body["award_rate_date"] == YESTERDAY.isoformat()
    assert body["award_total_base"] == "2032.00"
    order = client.get(f"/api/v1/orders/{body['order_id']}").get_json()
    assert order["currency"] == "GBP" and order["total"] == "1600.00"
    assert order["rate"] is None and order["total_base"] is None  # frozen at issue
    event = client.get(f"/api/v1/audit?entity=rfq&entity_id={rfq['id']}").get_json()["items"][-1]
    assert event["action"] == "award"
    assert event["changes"]["rate"] == "1.27" or Decimal(event["changes"]["rate"]) == Decimal(
        "1.27"
    )
    assert event["changes"]["total_base"] == "2032.00" and event["changes"]["currency"] == "GBP"
    snapshot = {entry["quote"]: entry for entry in event["changes"]["comparison"]}
    assert snapshot[ids["eur"]]["total_base"] == "2035.10"

    # A rate entered afterwards, for the same day and a later one, moves nothing frozen.
    rates.record("GBP", YESTERDAY, "1.50", actor=None)
    rates.record("GBP", TODAY, "1.60", actor=None)
    db.session.flush()
    again = client.get(f"/api/v1/rfqs/{rfq['id']}").get_json()
    assert again["award_rate"] == "1.270000" and again["award_total_base"] == "2032.00"
    stored = db.session.get(Rfq, rfq["id"])
    db.session.refresh(stored)
    assert stored.award_total_base == Decimal("2032.00")


def test_a_quote_without_a_rate_is_shown_not_ranked_and_cannot_be_awarded(
    open_rfq, make, vendors, auth, team
):
    rfq, client, _ = open_rfq
    usd = post_quote(client, rfq, quote_body(vendors["usd"], "1000"))
    chf = post_quote(client, rfq, quote_body(vendors["eur"], "500", "CHF"))
    assert chf.status_code == 201, chf.get_json()  # recording needs no rate
    comparison = client.get(f"/api/v1/rfqs/{rfq['id']}/comparison").get_json()
    assert [r["quote_id"] for r in comparison["ranking"]] == [usd.get_json()["id"]]
    [unranked] = comparison["not_ranked"]
    assert unranked["quote_id"] == chf.get_json()["id"] and unranked["total"] == "1000.00"
    assert "There is no CHF rate on or before" in unranked["why_not"]
    assert "/rates" in unranked["why_not"]
    refused = client.post(
        f"/api/v1/rfqs/{rfq['id']}/award",
        json={"quote_id": chf.get_json()["id"], "justification": "Swiss precision."},
    )
    assert refused.status_code == 422
    [message] = refused.get_json()["error"]["fields"]["quote_id"]
    assert "CHF" in message and str(TODAY.year) in message
    assert client.get(f"/api/v1/rfqs/{rfq['id']}").get_json()["status"] == "open"

    auth.login(team["buyer"].email)
    response = auth.client.get(f"/rfqs/{rfq['id']}")
    assert "Not ranked: no exchange rate" in text(response)
    assert 'href="/rates"' in response.get_data(as_text=True)
    assert "There is no CHF rate on or before" in text(response)


def test_the_comparison_converts_at_the_due_date_once_it_has_passed(open_rfq, vendors, db):
    rfq, client, _ = open_rfq
    post_quote(client, rfq, quote_body(vendors["eur"], "1000", "EUR"))
    stored = db.session.get(Rfq, rfq["id"])
    due = TODAY - dt.timedelta(days=3)
    stored.due_date = due
    rates.record("EUR", due - dt.timedelta(days=1), "1.10", actor=None)
    db.session.flush()
    comparison = client.get(f"/api/v1/rfqs/{rfq['id']}/comparison").get_json()
    assert comparison["rate_date"] == due.isoformat()
    assert comparison["ranking"][0]["total_base"] == "2200.00"  # not yesterday's 1.0825
    assert comparison["ranking"][0]["rate"] == "1.100000"


@pytest.mark.parametrize(
    ("currency", "price", "quantity", "total", "total_base"),
    [
        # 2.5 × ¥12,345 = ¥30,862.5 → ¥30,863 (half up); × 0.0067 = $206.7821 → $206.78
        ("JPY", "12345", "2.5", "30863", "206.78"),
        # 2.5 × 12.345 BD = 30.8625 → 30.863 BD; × 2.65 = $81.78695 → $81.79
        ("BHD", "12.345", "2.5", "30.863", "81.79"),
        ("USD", "12.34", "2.5", "30.85", "30.85"),
    ],
)
def test_each_currency_rounds_to_its_minor_unit(
    open_rfq, vendors, currency, price, quantity, total, total_base
):
    rfq, client, _ = open_rfq
    response = post_quote(
        client, rfq, quote_body(vendors["eur"], price, currency, quantity=quantity)
    )
    assert response.status_code == 201, response.get_json()
    quote = response.get_json()
    assert quote["currency"] == currency
    assert quote["total"] == total and quote["lines"][0]["total"] == total
    assert quote["lines"][0]["unit_price"] == price
    [ranked] = client.get(f"/api/v1/rfqs/{rfq['id']}/comparison").get_json()["ranking"]
    assert ranked["total"] == total and ranked["total_base"] == total_base


@pytest.mark.parametrize(
    ("currency", "change", "field"),
    [
        ("JPY", {"unit_price": "12345.5"}, "lines.0.unit_price"),
        ("BHD", {"unit_price": "1.2345"}, "lines.0.unit_price"),
        ("USD", {"unit_price": "1.234"}, "lines.0.unit_price"),
        ("JPY", {"shipping": "10.5"}, "shipping"),
        ("SEK", {}, "currency"),  # ISO 4217, not enabled
        ("XYZ", {}, "currency"),  # not ISO 4217
    ],
)
def test_amounts_finer_than_the_currency_and_currencies_not_enabled_are_422(
    open_rfq, vendors, currency, change, field
):
    rfq, client, _ = open_rfq
    body = quote_body(vendors["eur"], change.pop("unit_price", "100"), currency)
    response = post_quote(client, rfq, {**body, **change})
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert client.get(f"/api/v1/rfqs/{rfq['id']}/quotes").get_json()["total"] == 0


def test_the_quote_form_offers_the_enabled_currencies(open_rfq, vendors, auth, team, db):
    rfq, client, pr = open_rfq
    auth.login(team["buyer"].email)
    page = auth.client.get(f"/rfqs/{rfq['id']}").data.decode()
    options = re.findall(r'<option[^>]*value="([A-Z]{3})"', page)
    assert options == ["USD", "BHD", "CHF", "EUR", "GBP", "JPY"]
    form = {
        "vendor_id": str(vendors["eur"].id),
        "currency": "EUR",
        "lines-0-request_line_id": str(pr.lines[0].id),
        "lines-0-unit_price": "1,234.56",
        "shipping": "0",
        "tax": "0",
        "lead_time_days": "5",
        "warranty_months": "0",
        "payment_terms": "30 days",
        "valid_until": LATER,
    }
    saved = auth.client.post(f"/rfqs/{rfq['id']}/quotes", data=form)
    assert saved.status_code == 302, text(saved)
    [quote] = client.get(f"/api/v1/rfqs/{rfq['id']}/quotes").get_json()["items"]
    assert quote["currency"] == "EUR" and quote["lines"][0]["unit_price"] == "1234.56"
    refused = auth.client.post(
        f"/rfqs/{rfq['id']}/quotes",
        data={**form, "currency": "JPY", "lines-0-unit_price": "1234.5"},
    )
    assert refused.status_code == 422
    assert "at most 0 decimal places" in text(refused)
    tampered = auth.client.post(f"/rfqs/{rfq['id']}/quotes", data={**form, "currency": "SEK"})
    assert tampered.status_code == 422


def test_the_vendor_quotes_in_its_own_currency_through_its_link(open_rfq, vendors, new_client):
    rfq, client, pr = open_rfq
    path = "/quote/" + rfq["links"][str(vendors["eur"].id)].rsplit("/", 1)[1]
    browser = new_client()
    page = browser.get(path)
    assert page.status_code == 200
    assert 'value="BHD"' in page.get_data(as_text=True)
    form = {
        "currency": "BHD",
        "lines-0-request_line_id": str(pr.lines[0].id),
        "lines-0-unit_price": "12.3456",
        "shipping": "0.500",
        "tax": "0",
        "lead_time_days": "7",
        "warranty_months": "12",
        "payment_terms": "30 days",
        "valid_until": LATER,
    }
    refused = browser.post(path, data=form)
    assert refused.status_code == 422
    assert "at most 3 decimal places" in text(refused)
    # The running total is computed in dinars, to the fils, after a refused attempt too.
    assert "Total (BHD)" in text(refused)
    sent = browser.post(path, data={**form, "lines-0-unit_price": "12.345"})
    assert sent.status_code == 200, text(sent)
    [quote] = client.get(f"/api/v1/rfqs/{rfq['id']}/quotes").get_json()["items"]
    assert quote["currency"] == "BHD" and quote["shipping"] == "0.500"
    quantity = Decimal(pr.lines[0].quantity)
    assert Decimal(quote["total"]) == (quantity * Decimal("12.345")).quantize(
        Decimal("0.001")
    ) + Decimal("0.5")


# The rounding rule, for any quantity and price: each line is quantity × unit price
# rounded half-up to the currency's minor unit, once; the quote adds rounded lines.
MINOR_UNITS = {"JPY": 0, "USD": 2, "BHD": 3}


def _amounts(places: int):
    return st.decimals(min_value=0, max_value=Decimal("9999999"), places=places, allow_nan=False)


@given(
    currency=st.sampled_from(sorted(MINOR_UNITS)),
    data=st.data(),
    quantities=st.lists(
        st.decimals(min_value=Decimal("0.001"), max_value=Decimal(99999), places=3),
        min_size=1,
        max_size=5,
    ),
)
@settings(max_examples=200, deadline=None)
def test_quote_totals_never_gain_or_lose_a_minor_unit(currency, data, quantities):
    places = MINOR_UNITS[currency]
    unit = Decimal(1).scaleb(-places)
    prices = [data.draw(_amounts(places)) for _ in quantities]
    shipping, tax = data.draw(_amounts(places)), data.draw(_amounts(places))
    lines = list(zip(quantities, prices, strict=True))
    totals = [services.line_total(q, p, currency) for q, p in lines]
    for (quantity, price), total in zip(lines, totals, strict=True):
        exact = quantity * price
        # Within half a minor unit of the exact product; an exact half goes up.
        assert abs(total - exact) <= unit / 2
        assert total == total.quantize(unit)
        if abs(total - exact) == unit / 2:
            assert total > exact
    quoted = services.quote_total(lines, shipping, tax, currency)
    assert quoted == sum(totals, Decimal(0)) + shipping + tax
    assert quoted == quoted.quantize(unit)


@given(
    totals=st.lists(
        st.tuples(
            st.sampled_from(["USD", "EUR", "GBP"]),
            st.decimals(min_value=1, max_value=Decimal(100000), places=2),
        ),
        min_size=1,
        max_size=6,
    )
)
@settings(max_examples=100, deadline=None)
def test_price_ranks_on_base_amounts_whatever_the_currencies(app, totals):
    """Alone on price, the ranking is the order of the base totals (ties: earlier quote)."""
    day = TODAY
    table = {"USD": Decimal(1), "EUR": Decimal("1.0825"), "GBP": Decimal("1.27")}
    with app.app_context():
        bases = [
            rates.to_base(total, rates.Rate(code, day, table[code])) for code, total in totals
        ]
    candidates = [
        scoring.Candidate(
            quote_id=index + 1,
            vendor_id=index + 1,
            total=base,
            lead_time_days=10,
            warranty_months=0,
            rating=3,
        )
        for index, base in enumerate(bases)
    ]
    ranking = scoring.rank(candidates, {"price": Decimal(1)})
    expected = sorted(range(len(bases)), key=lambda i: (bases[i], i))
    assert [r.candidate.quote_id - 1 for r in ranking] == expected
    assert scoring.lowest_total_quote_id(candidates) == expected[0] + 1
