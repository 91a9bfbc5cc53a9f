"""Contracts in the vendor's currency: any enabled one, amounts held to its decimals,
and base equivalents at today's rate shown (and answered) as estimates, never frozen."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from decimal import Decimal

import icalendar
import pypdf
import pytest

from procure import currencies, errors, rates
from procure.contracts import calendar, document, estimates, services
from procure.models import BillingPeriod, Contract

TODAY = dt.date.today()
BASE = "/api/v1/contracts"


@pytest.fixture
def people(make):
    return {
        "buyer": make.user(["procurement"], department="PROC"),
        "owner": make.user(["requester"], department="IT"),
        "admin": make.user(["admin"], department="IT"),
    }


@pytest.fixture
def euros(db, people):
    """EUR, GBP, JPY and BHD enabled; a euro worth 1.10 dollars since a week ago."""
    currencies.set_enabled(["EUR", "GBP", "JPY", "BHD"], actor=people["admin"])
    rates.record("EUR", TODAY - dt.timedelta(days=7), "1.10", actor=None)
    db.session.commit()


def text(response) -> str:
    """A page's text without its tags, spaces collapsed: what a reader sees."""
    plain = html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    return re.sub(r"\s+", " ", plain)


def data(vendor, owner, **extra) -> services.ContractData:
    values = {
        "vendor_id": vendor.id,
        "title": "Server support, Frankfurt",
        "kind": "support",
        "start_date": TODAY - dt.timedelta(days=30),
        "end_date": TODAY + dt.timedelta(days=334),
        "value": Decimal("12000.00"),
        "currency": "EUR",
        "billing_period": "quarterly",
        "auto_renew": True,
        "notice_days": 60,
        "owner_id": owner.id,
    }
    values.update(extra)
    return services.ContractData(**values)


def file(make, db, people, *, activate=True, **extra) -> Contract:
    made = services.create(data(make.vendor(), people["owner"], **extra), actor=people["buyer"])
    if activate:
        services.activate(made, actor=people["buyer"])
    db.session.commit()
    return made


# The rules ----------------------------------------------------------------------------------


def test_a_contract_keeps_an_enabled_currency_and_audits_it(make, db, people, euros):
    made = file(make, db, people, currency="eur")
    assert made.currency == "EUR" and made.value == Decimal("12000.00")
    pounds = file(make, db, people, currency="GBP", value=Decimal("5000"))
    assert pounds.currency == "GBP"
    base = file(make, db, people, currency=None)
    assert base.currency == currencies.base()


@pytest.mark.parametrize(
    ("currency", "message"),
    [
        (
            "CHF",
            "CHF is not enabled here; an administrator enables currencies on /admin/currencies.",
        ),
        ("XYZ", "XYZ is not an ISO 4217 currency."),
    ],
)
def test_a_currency_not_enabled_or_not_iso_is_refused(make, db, people, euros, currency, message):
    vendor = make.vendor()
    with pytest.raises(errors.ValidationError) as caught:
        services.create(data(vendor, people["owner"], currency=currency), actor=people["buyer"])
    assert caught.value.fields["currency"] == [message]
    assert db.session.query(Contract).count() == 0


@pytest.mark.parametrize(
    ("currency", "value", "message"),
    [
        ("JPY", Decimal("150000.5"), "JPY amounts have no decimals."),
        ("EUR", Decimal("10.005"), "EUR amounts have at most 2 decimals."),
        ("BHD", Decimal("1.2345"), "BHD amounts have at most 3 decimals."),
    ],
)
def test_the_value_keeps_to_its_currency_decimals(make, people, euros, currency, value, message):
    with pytest.raises(errors.ValidationError) as caught:
        services.create(
            data(make.vendor(), people["owner"], currency=currency, value=value),
            actor=people["buyer"],
        )
    assert caught.value.fields["value"] == [message]


def test_three_decimal_and_whole_unit_currencies_are_stored_exactly(make, db, people, euros):
    dinars = file(make, db, people, currency="BHD", value=Decimal("1000.125"))
    yen = file(make, db, people, currency="JPY", value=Decimal("1500000"))
    db.session.expire_all()
    assert db.session.get(Contract, dinars.id).value == Decimal("1000.125")
    assert db.session.get(Contract, yen.id).value == Decimal("1500000")


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("100001", "JPY", ["25000", "25000", "25000", "25001"]),
        ("1000.001", "BHD", ["250.000", "250.000", "250.000", "250.001"]),
        ("1000.01", "USD", ["250.00", "250.00", "250.00", "250.01"]),
    ],
)
def test_the_fee_schedule_splits_to_the_currency_minor_unit(app, value, currency, expected):
    with app.app_context():
        schedule = document.fees_schedule(
            Decimal(value),
            BillingPeriod.QUARTERLY,
            dt.date(2027, 1, 1),
            dt.date(2027, 12, 31),
            currency,
        )
    assert [str(item.amount) for item in schedule] == expected
    assert sum(item.amount for item in schedule) == Decimal(value)


def test_estimates_convert_each_instalment_at_todays_rate(make, db, people, euros):
    made = file(make, db, people)
    fees = estimates.fee_schedule(made)
    assert [fee.instalment.amount for fee in fees] == [Decimal("3000.00")] * 4
    assert [fee.estimate.amount_base for fee in fees] == [Decimal("3300.00")] * 4
    assert fees[0].estimate.rate.date == TODAY - dt.timedelta(days=7)
    base = file(make, db, people, currency=None)
    assert all(fee.estimate is None for fee in estimates.fee_schedule(base))


# The pages ----------------------------------------------------------------------------------


def test_the_page_shows_the_value_and_fees_with_estimates(client, auth, make, db, people, euros):
    made = file(make, db, people)
    auth.login(people["owner"].email)
    page = text(client.get(f"/contracts/{made.id}"))
    assert "€12,000.00 , billed quarterly" in page
    assert "≈ $13,200.00 at today's rate (1.1 on" in page
    assert "Amount (EUR)" in page and "Estimate (USD, today's rate)" in page
    assert page.count("≈ $3,300.00 at today's rate") == 4
    # Today's rate moves: so does the estimate, and nothing else.
    rates.record("EUR", TODAY, "1.20", actor=None)
    db.session.commit()
    page = text(client.get(f"/contracts/{made.id}"))
    assert "≈ $14,400.00" in page and "€12,000.00" in page
    assert db.session.get(Contract, made.id).value == Decimal("12000.00")


def test_a_currency_without_a_rate_says_so(client, auth, make, db, people, euros):
    made = file(make, db, people, currency="GBP")
    auth.login(people["owner"].email)
    page = client.get(f"/contracts/{made.id}").get_data(as_text=True)
    assert "No GBP rate yet" in page and 'href="/rates"' in page and "≈" not in page


def test_a_base_currency_contract_shows_no_estimate(client, auth, make, db, people, euros):
    made = file(make, db, people, currency=None)
    auth.login(people["owner"].email)
    page = text(client.get(f"/contracts/{made.id}"))
    assert "$12,000.00" in page and "≈" not in page and "Estimate (" not in page


def test_the_calendar_shows_estimates(client, auth, make, db, people, euros):
    euro = file(make, db, people, title="Euro support", end_date=TODAY + dt.timedelta(days=90))
    dollar = file(make, db, people, title="Dollar support", currency=None, value=Decimal("500"))
    auth.login(people["owner"].email)
    page = text(client.get("/contracts/calendar"))
    assert euro.number in page and dollar.number in page
    assert "€12,000.00 for the term ≈ $13,200.00 at today's rate" in page
    assert "$500.00 for the term" in page and page.count("≈ $") == 2  # notice and end


def test_the_calendar_feed_gives_the_value_and_its_estimate(client, make, db, people, euros):
    file(make, db, people, end_date=TODAY + dt.timedelta(days=90))
    token = calendar.issue_feed_token(people["owner"])
    db.session.commit()
    feed = icalendar.Calendar.from_ical(client.get(f"/contracts/calendar.ics?token={token}").data)
    descriptions = {str(event["description"]) for event in feed.walk("VEVENT")}
    assert descriptions and all(
        "Value for the term: €12,000.00 (≈ $13,200.00 at today's rate, an estimate)." in text
        for text in descriptions
    ), descriptions


def test_the_form_offers_the_enabled_currencies(client, auth, make, db, people, euros):
    vendor = make.vendor("Contoso")
    auth.login(people["buyer"].email)
    form_page = client.get("/contracts/new").get_data(as_text=True)
    for code in ("USD", "EUR", "GBP", "JPY", "BHD"):
        assert f'value="{code}"' in form_page
    form = {
        "vendor_id": vendor.id,
        "title": "Licence care",
        "kind": "licence",
        "start_date": TODAY.isoformat(),
        "end_date": (TODAY + dt.timedelta(days=364)).isoformat(),
        "billing_period": "yearly",
        "value": "2500.50",
        "currency": "CHF",
        "notice_days": "30",
        "renewal_term_months": "12",
    }
    refused = client.post("/contracts/new", data=form)
    assert refused.status_code == 422
    assert "CHF is not enabled here" in refused.get_data(as_text=True)
    assert db.session.query(Contract).count() == 0
    form["currency"] = "JPY"
    refused = client.post("/contracts/new", data=form)
    assert refused.status_code == 422 and "JPY amounts have no decimals." in refused.get_data(
        as_text=True
    )
    form["currency"] = "EUR"
    made = client.post("/contracts/new", data=form)
    assert made.status_code == 302
    contract = db.session.query(Contract).one()
    assert (contract.currency, contract.value) == ("EUR", Decimal("2500.50"))
    edit = client.get(f"/contracts/{contract.id}/edit").get_data(as_text=True)
    assert re.search(r'<option selected value="EUR">', edit)


def test_the_pdf_names_the_currency(make, db, people, euros):
    made = file(make, db, people)
    data, _filename = document.render(made)
    text = " ".join(
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages
    ).replace("\n", " ")
    assert "€12,000.00 (EUR) for the term" in text
    assert "AMOUNT (EUR)" in text.upper() and "€3,000.00" in text
    assert "$" not in text  # an agreement states its own amounts, not estimates


# The API ------------------------------------------------------------------------------------


def body(vendor, **extra):
    values = {
        "vendor_id": vendor.id,
        "title": "Server support, Frankfurt",
        "kind": "support",
        "start_date": (TODAY - dt.timedelta(days=30)).isoformat(),
        "end_date": (TODAY + dt.timedelta(days=334)).isoformat(),
        "value": "12000",
        "currency": "EUR",
    }
    values.update(extra)
    return values


def test_the_api_answers_the_estimate_and_it_moves_with_the_rate(api, make, db, people, euros):
    buyer = api(people["buyer"])
    made = buyer.post(BASE, json=body(make.vendor()))
    assert made.status_code == 201, made.get_json()
    answer = made.get_json()
    assert answer["currency"] == "EUR" and answer["value"] == "12000.00"
    assert answer["value_base"] == "13200.00"
    assert answer["rate"] == "1.100000"
    assert answer["rate_date"] == (TODAY - dt.timedelta(days=7)).isoformat()
    rates.record("EUR", TODAY, "1.0825", actor=None)
    db.session.commit()
    again = buyer.get(f"{BASE}/{answer['id']}").get_json()
    assert (again["value"], again["value_base"]) == ("12000.00", "12990.00")
    assert (again["rate"], again["rate_date"]) == ("1.082500", TODAY.isoformat())


def test_the_api_answers_each_currency_in_its_decimals(api, make, people, euros):
    buyer = api(people["buyer"])
    yen = buyer.post(BASE, json=body(make.vendor(), currency="JPY", value="150000")).get_json()
    assert yen["value"] == "150000"
    assert (yen["value_base"], yen["rate"], yen["rate_date"]) == (None, None, None)
    dinars = buyer.post(BASE, json=body(make.vendor(), currency="BHD", value="12.345"))
    assert dinars.status_code == 201 and dinars.get_json()["value"] == "12.345"
    dollars = buyer.post(BASE, json=body(make.vendor(), currency=None, value=1200)).get_json()
    assert (dollars["currency"], dollars["value"], dollars["value_base"]) == (
        "USD",
        "1200.00",
        "1200.00",
    )
    assert dollars["rate"] == "1.000000"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "CHF"}, "currency"),
        ({"currency": "ABC"}, "currency"),
        ({"currency": "JPY", "value": "10.5"}, "value"),
        ({"value": "12.345"}, "value"),
        ({"value": True}, "value"),
        ({"value": "NaN"}, "value"),
        ({"value": "1e999"}, "value"),
    ],
)
def test_the_api_refuses_bad_currencies_and_amounts(api, make, db, people, euros, change, field):
    answer = api(people["buyer"]).post(BASE, json=body(make.vendor(), **change))
    assert answer.status_code == 422, answer.get_json()
    assert field in str(answer.get_json())
    assert db.session.query(Contract).count() == 0


def test_a_patch_changes_the_currency_of_a_draft(api, make, people, euros):
    buyer = api(people["buyer"])
    made = buyer.post(BASE, json=body(make.vendor())).get_json()
    patched = buyer.patch(
        f"{BASE}/{made['id']}", json={"currency": "GBP", "version": made["version"]}
    )
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["currency"] == "GBP" and patched.get_json()["value_base"] is None
    refused = buyer.patch(
        f"{BASE}/{made['id']}",
        json={"currency": "JPY", "value": "99.5", "version": patched.get_json()["version"]},
    )
    assert refused.status_code == 422
