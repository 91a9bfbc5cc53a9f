"""The rates page (finance and admin) and the currencies page (admin): what they show,
what they record, and bad input refused beside its field with nothing stored."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import currencies, rates
from procure.models import AuditEvent, ExchangeRate

from .pages import field_errors, flashes, text


@pytest.fixture
def euro_and_pound(db):
    currencies.set_enabled(["EUR", "GBP"], actor=None)
    db.session.commit()


@pytest.fixture
def finance(auth, make, euro_and_pound):
    user = make.user(["finance"])
    auth.login(user.email)
    return user


@pytest.fixture
def admin(auth, make, euro_and_pound):
    user = make.user(["admin"])
    auth.login(user.email)
    return user


def _stored(db) -> list[tuple[str, str, Decimal]]:
    rows = db.session.execute(
        sa.select(ExchangeRate.currency, ExchangeRate.day, ExchangeRate.rate).order_by(
            ExchangeRate.currency, ExchangeRate.day
        )
    )
    return [(currency, day.isoformat(), rate) for currency, day, rate in rows]


def _record(currency: str, day: str, rate: str) -> None:
    rates.record(currency, dt.date.fromisoformat(day), rate, actor=None)


# Who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_finance_and_admin_open_the_rates_page(client, auth, make, role, euro_and_pound):
    auth.login(make.user([role]).email)
    response = client.get("/rates")
    assert response.status_code == 200
    assert "Exchange rates" in text(response)


@pytest.mark.parametrize("role", ["requester", "procurement", "approver", "executive"])
def test_other_roles_get_403_on_the_rates_page_and_its_forms(
    client, auth, make, db, role, euro_and_pound
):
    auth.login(make.user([role]).email)
    assert client.get("/rates").status_code == 403
    assert client.get("/rates?currency=EUR").status_code == 403
    response = client.post("/rates", data={"currency": "EUR", "date": "2026-12-01", "rate": "1"})
    assert response.status_code == 403
    upload = {"file": (io.BytesIO(b"date,currency,rate\n2026-12-01,EUR,1.08\n"), "r.csv")}
    assert client.post("/rates/import", data=upload).status_code == 403
    assert _stored(db) == []


def test_signed_out_the_rates_page_asks_to_sign_in(client):
    response = client.get("/rates")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# The table of latest rates ----------------------------------------------------------------


def test_the_page_shows_each_enabled_currency_with_its_latest_rate_and_date(client, finance, db):
    _record("EUR", "2026-11-30", "1.07")
    _record("EUR", "2026-12-01", "1.0825")
    db.session.commit()
    page = text(client.get("/rates"))
    assert "USD base US Dollar 2 1 always" in page
    assert "EUR Euro 2 1.0825 USD Dec 1, 2026" in page
    assert "GBP British Pound 2 no rate yet" in page


def test_the_record_form_offers_the_enabled_currencies_but_the_base(client, finance):
    body = client.get("/rates").get_data(as_text=True)
    assert '<option value="EUR">EUR — Euro</option>' in body
    assert '<option value="GBP">' in body
    assert '<option value="USD">' not in body


def test_with_only_the_base_enabled_the_page_says_where_currencies_are_enabled(client, auth, make):
    auth.login(make.user(["finance"]).email)
    page = text(client.get("/rates"))
    assert "Only USD is enabled: there is no rate to record." in page


# Recording a rate -------------------------------------------------------------------------


def test_finance_records_a_rate_which_is_audited(client, finance, db):
    response = client.post(
        "/rates", data={"currency": "EUR", "date": "2026-12-01", "rate": "1.0825"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/rates?currency=EUR"
    assert _stored(db) == [("EUR", "2026-12-01", Decimal("1.0825"))]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "rate"))
    assert (event.action, event.actor_id) == ("create", finance.id)
    page = client.get(response.headers["Location"])
    assert flashes(page) == ["Recorded: one EUR is worth 1.0825 USD from 2026-12-01."]


def test_recording_again_for_the_same_day_replaces_the_rate(client, finance, db):
    client.post("/rates", data={"currency": "GBP", "date": "2026-12-01", "rate": "1.27"})
    client.post("/rates", data={"currency": "GBP", "date": "2026-12-01", "rate": "1.2712"})
    assert _stored(db) == [("GBP", "2026-12-01", Decimal("1.2712"))]


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ("0", "A rate must be greater than zero."),
        ("-1.2", "A rate must be greater than zero."),
        ("1000000000.01", "A rate above 1,000,000,000 cannot be right."),
        ("1,08", "Give the rate as a number, e.g. 1.0825."),
        ("", "Give the rate as a number, e.g. 1.0825."),
    ],
)
def test_a_zero_negative_absurd_or_malformed_rate_is_refused_beside_the_field(
    client, finance, db, rate, message
):
    response = client.post("/rates", data={"currency": "EUR", "date": "2026-12-01", "rate": rate})
    assert response.status_code == 422
    assert field_errors(response, "rate") == [message]
    assert _stored(db) == []


@pytest.mark.parametrize(
    ("currency", "message"),
    [
        (
            "JPY",
            "JPY is not enabled here; an administrator enables currencies on /admin/currencies.",
        ),
        ("XYZ", "XYZ is not an ISO 4217 currency."),
        ("USD", "USD is the base currency: its rate is always 1."),
        ("", "Choose a currency."),
    ],
)
def test_a_currency_not_offered_is_refused_beside_the_field(
    client, finance, db, currency, message
):
    response = client.post(
        "/rates", data={"currency": currency, "date": "2026-12-01", "rate": "1.5"}
    )
    assert response.status_code == 422
    assert field_errors(response, "currency") == [message]
    assert _stored(db) == []


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("", "Give the day the rate is for (YYYY-MM-DD)."),
        ("2026-02-30", "Not a valid date value."),
        ("yesterday", "Not a valid date value."),
    ],
)
def test_a_missing_or_malformed_date_is_refused_beside_the_field(
    client, finance, db, day, message
):
    response = client.post("/rates", data={"currency": "EUR", "date": day, "rate": "1.08"})
    assert response.status_code == 422
    assert field_errors(response, "date") == [message]
    assert _stored(db) == []


# History ----------------------------------------------------------------------------------


def test_the_history_of_a_currency_is_newest_first_and_paged(client, finance, db):
    start = dt.date(2026, 10, 1)
    for offset in range(30):
        rates.record("EUR", start + dt.timedelta(days=offset), f"1.{offset:02d}", actor=None)
    db.session.commit()
    first = client.get("/rates?currency=eur")
    body = first.get_data(as_text=True)
    days = [line.split('"')[0] for line in body.split('data-day="')[1:]]
    assert days[0] == "2026-10-30" and days[-1] == "2026-10-06" and len(days) == 25
    assert "30 in all · page 1 of 2" in text(first)
    second = client.get("/rates?currency=EUR&page=2").get_data(as_text=True)
    days = [line.split('"')[0] for line in second.split('data-day="')[1:]]
    assert days == ["2026-10-05", "2026-10-04", "2026-10-03", "2026-10-02", "2026-10-01"]


def test_the_history_names_who_recorded_each_rate(client, finance, db):
    client.post("/rates", data={"currency": "EUR", "date": "2026-12-01", "rate": "1.08"})
    _record("EUR", "2026-12-02", "1.09")
    db.session.commit()
    page = text(client.get("/rates?currency=EUR"))
    assert "Dec 2, 2026 1.0900 the command line" in page
    assert f"Dec 1, 2026 1.0800 {finance.name}" in page


def test_the_history_of_a_currency_without_rates_says_so(client, finance):
    assert "No GBP rate has been recorded." in text(client.get("/rates?currency=GBP"))


@pytest.mark.parametrize("currency", ["XYZ", "USD", "<script>"])
def test_the_history_of_something_that_is_no_foreign_currency_is_404(client, finance, currency):
    assert client.get(f"/rates?currency={currency}").status_code == 404


# Importing a file -------------------------------------------------------------------------


def _upload(client, content: bytes, name: str = "rates.csv"):
    return client.post("/rates/import", data={"file": (io.BytesIO(content), name)})


def test_finance_imports_a_plain_file(client, finance, db):
    response = _upload(
        client,
        b"date,currency,rate\n2026-12-01,EUR,1.0825\n2026-12-01,GBP,1.2712\n"
        b"2026-12-02,EUR,1.0830\n",
    )
    assert response.status_code == 302
    assert _stored(db) == [
        ("EUR", "2026-12-01", Decimal("1.0825")),
        ("EUR", "2026-12-02", Decimal("1.083")),
        ("GBP", "2026-12-01", Decimal("1.2712")),
    ]
    assert flashes(client.get("/rates")) == [
        "The file is imported: imported 3 rates (2 currencies, 2026-12-01 to 2026-12-02)."
    ]


def test_a_file_with_bad_lines_is_refused_whole_with_line_numbers_beside_the_field(
    client, finance, db
):
    response = _upload(
        client,
        b"date,currency,rate\n2026-12-01,EUR,1.0825\n2026-12-01,XYZ,1.5\n"
        b"2026-13-01,GBP,1.27\n2026-12-02,GBP,0\n",
    )
    assert response.status_code == 422
    assert field_errors(response, "file") == [
        "line 3: currency: XYZ is not an ISO 4217 currency.",
        "line 4: date: '2026-13-01' is not a date (YYYY-MM-DD)",
        "line 5: rate: A rate must be greater than zero.",
    ]
    assert 'data-line="4"' in response.get_data(as_text=True)
    assert _stored(db) == []


def test_an_upload_without_a_file_says_so(client, finance, db):
    response = client.post("/rates/import", data={})
    assert response.status_code == 422
    assert field_errors(response, "file") == ["Choose the CSV file to import."]


def test_a_file_that_is_not_utf8_is_refused(client, finance, db):
    response = _upload(client, "date,currency,rate\n2026-12-01,EUR,1,08 €\n".encode("cp1252"))
    assert response.status_code == 422
    assert field_errors(response, "file") == [
        "The file is not UTF-8 text: save it as CSV (UTF-8) and try again."
    ]


# Currencies (admin) -----------------------------------------------------------------------


def test_admin_sees_the_enabled_currencies_with_names_and_decimals(client, admin):
    response = client.get("/admin/currencies")
    assert response.status_code == 200
    page = text(response)
    assert "USD base US Dollar 2 1 EUR" in page
    assert "EUR Euro 2 no rate yet" in page
    body = response.get_data(as_text=True)
    assert '<option value="JPY">Japanese Yen (0 decimals)</option>' in body
    assert '<option value="BHD">Bahraini Dinar (3 decimals)</option>' in body
    assert '<option value="CLF">' not in body


@pytest.mark.parametrize("role", ["finance", "requester", "procurement"])
def test_only_admin_opens_or_changes_the_currencies(client, auth, make, role, euro_and_pound):
    auth.login(make.user([role]).email)
    assert client.get("/admin/currencies").status_code == 403
    assert client.post("/admin/currencies", data={"code": "JPY"}).status_code == 403
    assert client.post("/admin/currencies/EUR/disable").status_code == 403
    assert currencies.enabled() == ["USD", "EUR", "GBP"]


def test_admin_enables_a_typed_code(client, admin, db):
    response = client.post("/admin/currencies", data={"code": " jpy "})
    assert response.status_code == 302
    assert currencies.enabled() == ["USD", "EUR", "GBP", "JPY"]
    assert flashes(client.get("/admin/currencies")) == [
        "JPY (Japanese Yen) is enabled: documents may be in it, once finance has entered "
        "its rates."
    ]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("CLF", "CLF has 4 decimals; Procure keeps at most 3."),
        ("XYZ", "XYZ is not an ISO 4217 currency."),
        ("", "An empty code is not an ISO 4217 currency."),
        ("EUR", "EUR is already enabled."),
        ("USD", "USD is already enabled."),
    ],
)
def test_a_code_that_cannot_be_enabled_is_refused_beside_the_field(client, admin, code, message):
    response = client.post("/admin/currencies", data={"code": code})
    assert response.status_code == 422
    assert field_errors(response, "code") == [message]
    assert currencies.enabled() == ["USD", "EUR", "GBP"]


def test_admin_disables_a_currency(client, admin):
    response = client.post("/admin/currencies/GBP/disable")
    assert response.status_code == 302
    assert currencies.enabled() == ["USD", "EUR"]


def test_the_base_currency_cannot_be_disabled(client, admin):
    response = client.post("/admin/currencies/USD/disable")
    assert response.status_code == 303
    assert currencies.enabled() == ["USD", "EUR", "GBP"]
    assert flashes(client.get("/admin/currencies")) == [
        "USD is the base currency (PROCURE_CURRENCY): it cannot be disabled."
    ]


def test_disabling_a_currency_that_is_not_enabled_is_404(client, admin):
    assert client.post("/admin/currencies/JPY/disable").status_code == 404


# Finding the pages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("finance", True),
        ("admin", True),
        ("requester", False),
        ("procurement", False),
        ("approver", False),
    ],
)
def test_the_navigation_links_the_rates_page_for_finance_and_admin(
    client, auth, make, role, shown
):
    auth.login(make.user([role]).email)
    body = client.get("/").get_data(as_text=True)
    assert ('href="/rates"' in body) is shown


def test_the_administration_page_links_the_currencies(client, admin):
    assert 'href="/admin/currencies"' in client.get("/admin/").get_data(as_text=True)
