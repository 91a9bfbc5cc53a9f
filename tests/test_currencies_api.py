"""Currencies and exchange rates through the API (API.md, "Additions — Currencies"):
who may read and change them, the answers' shape, and bad input refused with nothing
stored."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from procure import currencies
from procure.models import AuditEvent, ExchangeRate, utcnow


@pytest.fixture
def euro_and_pound(db):
    currencies.set_enabled(["EUR", "GBP"], actor=None)
    db.session.commit()


def _stored(db) -> list[tuple[str, str, str]]:
    rows = db.session.execute(
        sa.select(ExchangeRate.currency, ExchangeRate.day, ExchangeRate.rate).order_by(
            ExchangeRate.currency, ExchangeRate.day
        )
    )
    return [(currency, day.isoformat(), str(rate)) for currency, day, rate in rows]


def _events(db, entity: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.entity == entity).order_by(AuditEvent.id)
        )
    )


# Currencies -------------------------------------------------------------------------------


def test_any_signed_in_user_reads_the_base_and_the_enabled_currencies(api, make, euro_and_pound):
    response = api(make.user(["requester"])).get("/api/v1/currencies")
    assert response.status_code == 200
    assert response.get_json() == {"base": "USD", "enabled": ["USD", "EUR", "GBP"]}


def test_without_a_token_the_currencies_are_not_answered(client):
    assert client.get("/api/v1/currencies").status_code == 401


def test_a_fresh_installation_has_only_its_base(api, make):
    body = api(make.user(["requester"])).get("/api/v1/currencies").get_json()
    assert body == {"base": "USD", "enabled": ["USD"]}


def test_admin_enables_currencies_and_the_change_is_audited(api, make, db):
    admin = make.user(["admin"])
    response = api(admin).put("/api/v1/currencies", json={"enabled": ["gbp", "EUR", "JPY"]})
    assert response.status_code == 200
    assert response.get_json() == {"base": "USD", "enabled": ["USD", "EUR", "GBP", "JPY"]}
    assert currencies.enabled() == ["USD", "EUR", "GBP", "JPY"]
    event = _events(db, "settings")[-1]
    assert event.actor_id == admin.id
    assert "currencies.enabled" in event.changes


def test_the_base_stays_enabled_whatever_the_list_says(api, make):
    response = api(make.user(["admin"])).put("/api/v1/currencies", json={"enabled": ["EUR"]})
    assert response.get_json()["enabled"] == ["USD", "EUR"]
    response = api(make.user(["admin"])).put("/api/v1/currencies", json={"enabled": []})
    assert response.get_json()["enabled"] == ["USD"]


@pytest.mark.parametrize("role", ["requester", "finance", "procurement", "approver"])
def test_only_admin_changes_the_currencies(api, make, role, euro_and_pound):
    response = api(make.user([role])).put("/api/v1/currencies", json={"enabled": ["JPY"]})
    assert response.status_code == 403
    assert currencies.enabled() == ["USD", "EUR", "GBP"]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("XYZ", "XYZ is not an ISO 4217 currency."),
        ("EURO", "EURO is not an ISO 4217 currency."),
        ("CLF", "CLF has 4 decimals; Procure keeps at most 3."),
    ],
)
def test_a_code_that_cannot_be_enabled_is_refused_and_nothing_changes(
    api, make, euro_and_pound, code, message
):
    response = api(make.user(["admin"])).put("/api/v1/currencies", json={"enabled": ["JPY", code]})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["enabled"] == [message]
    assert currencies.enabled() == ["USD", "EUR", "GBP"]


def test_currencies_with_three_and_no_decimals_can_be_enabled(api, make):
    response = api(make.user(["admin"])).put(
        "/api/v1/currencies", json={"enabled": ["BHD", "KWD", "JPY"]}
    )
    assert response.get_json()["enabled"] == ["USD", "BHD", "JPY", "KWD"]


def test_enabled_must_be_a_list(api, make):
    response = api(make.user(["admin"])).put("/api/v1/currencies", json={"enabled": "EUR"})
    assert response.status_code == 422
    assert "enabled" in response.get_json()["error"]["fields"]


# Rates ------------------------------------------------------------------------------------


def test_finance_records_a_rate_and_gets_it_back_with_six_decimals(api, make, db, euro_and_pound):
    finance = make.user(["finance"])
    response = api(finance).post(
        "/api/v1/rates", json={"currency": "eur", "date": "2026-12-01", "rate": "1.0825"}
    )
    assert response.status_code == 201
    assert response.get_json() == {"currency": "EUR", "date": "2026-12-01", "rate": "1.082500"}
    assert _stored(db) == [("EUR", "2026-12-01", "1.082500000")]
    event = _events(db, "rate")[-1]
    assert (event.action, event.actor_id) == ("create", finance.id)
    assert json.loads(event.changes)["rate"] == [None, "1.082500000"]


def test_admin_records_rates_too(api, make, euro_and_pound):
    response = api(make.user(["admin"])).post(
        "/api/v1/rates", json={"currency": "GBP", "date": "2026-12-01", "rate": 1.27}
    )
    assert response.status_code == 201
    assert response.get_json()["rate"] == "1.270000"


@pytest.mark.parametrize("role", ["requester", "procurement", "approver", "executive"])
def test_other_roles_may_not_record_a_rate(api, make, db, role, euro_and_pound):
    response = api(make.user([role])).post(
        "/api/v1/rates", json={"currency": "EUR", "date": "2026-12-01", "rate": "1.08"}
    )
    assert response.status_code == 403
    assert _stored(db) == []


def test_a_rate_keeps_nine_decimals_and_shows_them_all(api, make, euro_and_pound):
    currencies.set_enabled(["EUR", "JPY"], actor=None)
    finance = api(make.user(["finance"]))
    response = finance.post(
        "/api/v1/rates", json={"currency": "JPY", "date": "2026-12-01", "rate": "0.006667721"}
    )
    assert response.get_json()["rate"] == "0.006667721"
    response = finance.post(
        "/api/v1/rates", json={"currency": "EUR", "date": "2026-12-01", "rate": "158.12"}
    )
    assert response.get_json()["rate"] == "158.120000"


def test_a_second_rate_for_the_same_day_replaces_the_first_audited(api, make, db, euro_and_pound):
    finance = api(make.user(["finance"]))
    finance.post("/api/v1/rates", json={"currency": "EUR", "date": "2026-12-01", "rate": "1.08"})
    finance.post("/api/v1/rates", json={"currency": "EUR", "date": "2026-12-01", "rate": "1.09"})
    assert _stored(db) == [("EUR", "2026-12-01", "1.090000000")]
    events = _events(db, "rate")
    assert [event.action for event in events] == ["create", "update"]
    assert json.loads(events[-1].changes)["rate"] == ["1.080000000", "1.090000000"]


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ("0", "A rate must be greater than zero."),
        ("-1.08", "A rate must be greater than zero."),
        (0, "A rate must be greater than zero."),
        ("1000000001", "A rate above 1,000,000,000 cannot be right."),
        ("1e12", "Give the rate as a number, e.g. 1.0825."),
        ("NaN", "Give the rate as a number, e.g. 1.0825."),
        ("one", "Give the rate as a number, e.g. 1.0825."),
        ("", "Give the rate as a number, e.g. 1.0825."),
    ],
)
def test_a_zero_negative_absurd_or_malformed_rate_is_refused_on_rate(
    api, make, db, euro_and_pound, rate, message
):
    response = api(make.user(["finance"])).post(
        "/api/v1/rates", json={"currency": "EUR", "date": "2026-12-01", "rate": rate}
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"rate": [message]}
    assert _stored(db) == []
    assert _events(db, "rate") == []


def test_a_rate_of_a_billion_exactly_is_kept(api, make, euro_and_pound):
    response = api(make.user(["finance"])).post(
        "/api/v1/rates", json={"currency": "GBP", "date": "2026-12-01", "rate": "1000000000"}
    )
    assert response.status_code == 201
    assert response.get_json()["rate"] == "1000000000.000000"


@pytest.mark.parametrize(
    ("currency", "message"),
    [
        ("XYZ", "XYZ is not an ISO 4217 currency."),
        (
            "JPY",
            "JPY is not enabled here; an administrator enables currencies on /admin/currencies.",
        ),
        ("USD", "USD is the base currency: its rate is always 1."),
    ],
)
def test_a_currency_not_iso_not_enabled_or_the_base_is_refused_on_currency(
    api, make, db, euro_and_pound, currency, message
):
    response = api(make.user(["finance"])).post(
        "/api/v1/rates", json={"currency": currency, "date": "2026-12-01", "rate": "1.5"}
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"currency": [message]}
    assert _stored(db) == []


@pytest.mark.parametrize("day", ["2026-13-01", "01/12/2026", "", None])
def test_a_malformed_date_is_refused_on_date(api, make, db, euro_and_pound, day):
    response = api(make.user(["finance"])).post(
        "/api/v1/rates", json={"currency": "EUR", "date": day, "rate": "1.08"}
    )
    assert response.status_code == 422
    assert "date" in response.get_json()["error"]["fields"]
    assert _stored(db) == []


@pytest.fixture
def euro_rates(api, make, euro_and_pound):
    finance = api(make.user(["finance"]))
    for day, rate in [("2026-11-20", "1.07"), ("2026-12-01", "1.0825"), ("2026-12-10", "1.1")]:
        response = finance.post(
            "/api/v1/rates", json={"currency": "EUR", "date": day, "rate": rate}
        )
        assert response.status_code == 201
    return api(make.user(["requester"]))


@pytest.mark.parametrize(
    ("on", "day", "rate"),
    [
        ("2026-12-05", "2026-12-01", "1.082500"),
        ("2026-12-01", "2026-12-01", "1.082500"),
        ("2026-11-30", "2026-11-20", "1.070000"),
        ("2027-06-01", "2026-12-10", "1.100000"),
    ],
)
def test_any_signed_in_user_reads_the_latest_rate_on_or_before_a_day(euro_rates, on, day, rate):
    response = euro_rates.get(f"/api/v1/rates?currency=EUR&on={on}")
    assert response.status_code == 200
    assert response.get_json() == {"currency": "EUR", "date": day, "rate": rate}


def test_before_the_first_rate_there_is_none_404_naming_currency_and_date(euro_rates):
    response = euro_rates.get("/api/v1/rates?currency=EUR&on=2026-11-19")
    assert response.status_code == 404
    message = response.get_json()["error"]["message"]
    assert message == (
        "There is no EUR rate on or before Nov 19, 2026; finance enters rates on /rates."
    )


def test_a_currency_without_any_rate_answers_404(euro_rates):
    assert euro_rates.get("/api/v1/rates?currency=GBP&on=2026-12-05").status_code == 404


def test_the_base_currency_is_worth_one(euro_rates):
    response = euro_rates.get("/api/v1/rates?currency=USD&on=2026-12-05")
    assert response.get_json() == {"currency": "USD", "date": "2026-12-05", "rate": "1.000000"}


def test_without_a_day_the_rate_is_todays(api, make, euro_and_pound):
    today = utcnow().date()
    finance = api(make.user(["finance"]))
    for day, rate in [(today - dt.timedelta(days=1), "1.08"), (today + dt.timedelta(1), "1.2")]:
        finance.post(
            "/api/v1/rates", json={"currency": "EUR", "date": day.isoformat(), "rate": rate}
        )
    response = finance.get("/api/v1/rates?currency=EUR")
    assert response.status_code == 200
    assert response.get_json()["date"] == (today - dt.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("currency=XYZ&on=2026-12-05", "currency"),
        ("currency=JPY&on=2026-12-05", "currency"),
        ("currency=EUR&on=2026-02-30", "on"),
        ("currency=EUR&on=yesterday", "on"),
        ("on=2026-12-05", "currency"),
    ],
)
def test_an_unknown_currency_or_a_bad_date_answers_422(euro_rates, query, field):
    response = euro_rates.get(f"/api/v1/rates?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_the_openapi_document_lists_the_currency_operations(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "put"} <= set(paths["/api/v1/currencies"])
    assert {"get", "post"} <= set(paths["/api/v1/rates"])
