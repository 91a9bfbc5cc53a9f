"""``flask --app wsgi import-rates FILE``: the plain file and the ECB's historical file as
published, converted to the installation's base whatever it is; all or nothing, every
wrong line named by its number."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import currencies, rates
from procure.errors import ValidationError
from procure.exchange import import_csv
from procure.exchange.commands import import_rates_command
from procure.models import AuditEvent, ExchangeRate

# The first lines of eurofxref-hist.csv as the ECB publishes it
# (https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip): units of each currency
# per euro, newest day first, N/A for currencies no longer quoted, a comma at every end.
ECB = """\
Date,USD,JPY,BGN,CYP,CZK,DKK,EEK,GBP,HUF,LTL,LVL,MTL,PLN,ROL,RON,SEK,SIT,SKK,CHF,ISK,NOK,\
HRK,RUB,TRL,TRY,AUD,BRL,CAD,CNY,HKD,IDR,ILS,INR,KRW,MXN,MYR,NZD,PHP,SGD,THB,ZAR,
2026-12-04,1.0512,158.27,1.9558,N/A,25.282,7.4582,N/A,0.82845,413.75,N/A,N/A,N/A,4.2923,\
N/A,4.9753,11.5035,N/A,N/A,0.9311,145.5,11.6545,N/A,N/A,N/A,36.5424,1.6345,6.3584,1.4757,\
7.6461,8.1806,16733.84,3.8076,89.0415,1493.8,21.5014,4.6742,1.7945,61.583,1.4127,36.169,\
19.0395,
2026-12-03,1.0479,157.66,1.9558,N/A,25.305,7.4578,N/A,0.82783,414.33,N/A,N/A,N/A,4.2983,\
N/A,4.9751,11.5455,N/A,N/A,0.9296,145.1,11.6415,N/A,N/A,N/A,36.3944,1.6285,6.3417,1.4719,\
7.6253,8.1547,16702.21,3.8155,88.8005,1486.46,21.4478,4.6682,1.7910,61.493,1.4084,35.971,\
18.9814,
2026-12-02,1.0497,157.61,1.9558,N/A,25.216,7.4576,N/A,0.82860,412.28,N/A,N/A,N/A,4.2883,\
N/A,4.9753,11.5325,N/A,N/A,0.9316,145.7,11.6605,N/A,N/A,N/A,36.4521,1.6291,6.3049,1.4742,\
7.6197,8.1687,16723.34,3.8197,88.9695,1474.69,21.3788,4.6711,1.7954,61.625,1.4113,36.078,\
18.9956,
"""
NINE = Decimal("0.000000001")


def _per(numerator: str, denominator: str) -> Decimal:
    return (Decimal(numerator) / Decimal(denominator)).quantize(NINE, rounding="ROUND_HALF_UP")


@pytest.fixture
def enabled(db):
    def enable(*codes: str) -> None:
        currencies.set_enabled(list(codes), actor=None)
        db.session.commit()

    return enable


@pytest.fixture
def run(runner, tmp_path):
    """``run(content)`` runs import-rates on a file holding ``content``."""

    def invoke(content: str | bytes, name: str = "rates.csv"):
        path = tmp_path / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return runner.invoke(import_rates_command, [str(path)])

    return invoke


def _stored(db) -> dict[tuple[str, str], Decimal]:
    rows = db.session.execute(
        sa.select(ExchangeRate.currency, ExchangeRate.day, ExchangeRate.rate)
    )
    return {(currency, day.isoformat()): rate for currency, day, rate in rows}


def test_the_excerpt_is_the_ecb_layout():
    lines = ECB.splitlines()
    assert all(line.endswith(",") for line in lines)
    assert {len(line.split(",")) for line in lines} == {43}


# The plain file ---------------------------------------------------------------------------


def test_a_plain_file_imports_with_a_summary(run, enabled, db):
    enabled("EUR", "GBP", "JPY")
    result = run(
        "date,currency,rate\n"
        "2026-12-01,EUR,1.0825\n"
        "2026-12-01,GBP,1.2712\n"
        "2026-12-03,JPY,0.006641815\n"
        "2026-12-02,EUR,1.083\n"
    )
    assert result.exit_code == 0, result.output
    assert "Importing rates" in result.output
    assert result.output.splitlines()[-1] == (
        "imported 4 rates (3 currencies, 2026-12-01 to 2026-12-03)"
    )
    assert _stored(db) == {
        ("EUR", "2026-12-01"): Decimal("1.0825"),
        ("EUR", "2026-12-02"): Decimal("1.083"),
        ("GBP", "2026-12-01"): Decimal("1.2712"),
        ("JPY", "2026-12-03"): Decimal("0.006641815"),
    }
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "rate")).all()
    assert len(events) == 4 and {event.actor_id for event in events} == {None}


def test_one_rate_is_said_in_the_singular(run, enabled):
    enabled("EUR")
    result = run("Date,Currency,Rate\r\n2026-12-01,eur,1.08\r\n")
    assert result.output.splitlines()[-1] == (
        "imported 1 rate (1 currency, 2026-12-01 to 2026-12-01)"
    )


def test_importing_again_replaces_the_days_rates(run, enabled, db):
    enabled("EUR")
    run("date,currency,rate\n2026-12-01,EUR,1.08\n")
    result = run("date,currency,rate\n2026-12-01,EUR,1.09\n2026-12-02,EUR,1.1\n")
    assert result.exit_code == 0
    assert _stored(db) == {
        ("EUR", "2026-12-01"): Decimal("1.09"),
        ("EUR", "2026-12-02"): Decimal("1.1"),
    }


def test_a_plain_file_with_bad_lines_stores_nothing_and_names_every_line(run, enabled, db):
    enabled("EUR", "GBP")
    result = run(
        "date,currency,rate\n"
        "2026-12-01,EUR,1.0825\n"
        "2026-12-01,XYZ,1.5\n"
        "\n"
        "01/12/2026,GBP,1.27\n"
        "2026-12-02,GBP,0\n"
        "2026-12-02,EUR,-1\n"
        "2026-12-03,EUR,2000000000\n"
        "2026-12-03,JPY,0.0066\n"
        "2026-12-03,USD,1\n"
        "2026-12-04,GBP\n"
        "2026-12-01,EUR,1.09\n"
    )
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "line 3: currency: XYZ is not an ISO 4217 currency.",
        "line 5: date: '01/12/2026' is not a date (YYYY-MM-DD)",
        "line 6: rate: A rate must be greater than zero.",
        "line 7: rate: A rate must be greater than zero.",
        "line 8: rate: A rate above 1,000,000,000 cannot be right.",
        "line 9: currency: JPY is not enabled here; an administrator enables currencies on "
        "/admin/currencies.",
        "line 10: currency: USD is the base currency: its rate is 1.",
        "line 11: expected 3 values (date, currency, rate), found 2",
        "line 12: a second EUR rate for 2026-12-01 (first on line 2)",
        "Error: Nothing was imported: 9 lines need correcting first.",
    ]
    assert _stored(db) == {}


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("2026-02-30", "date: '2026-02-30' is not a date (YYYY-MM-DD)"),
        ("2026-1-5", "date: '2026-1-5' is not a date (YYYY-MM-DD)"),
        ("20261205", "date: '20261205' is not a date (YYYY-MM-DD)"),
        ("", "date: '' is not a date (YYYY-MM-DD)"),
    ],
)
def test_a_malformed_date_is_named_with_its_line(run, enabled, db, day, message):
    enabled("EUR")
    result = run(f"date,currency,rate\n2026-12-01,EUR,1.08\n{day},EUR,1.08\n")
    assert result.exit_code == 1
    assert f"line 3: {message}" in result.stderr
    assert "Nothing was imported: 1 line needs correcting first." in result.stderr
    assert _stored(db) == {}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "Error: The file is empty."),
        ("\n\n", "Error: The file is empty."),
        ("date,currency,rate\n", "Error: The file holds no rate of a currency enabled here"),
        ("day;currency;rate\n2026-12-01;EUR;1.08\n", "line 1: the first line must be the header"),
        ("EUR,1.08\n", "line 1: the first line must be the header"),
    ],
)
def test_an_empty_or_unrecognised_file_is_refused(run, enabled, db, content, message):
    enabled("EUR")
    result = run(content)
    assert result.exit_code == 1
    assert message in result.stderr
    assert _stored(db) == {}


def test_a_file_that_is_not_utf8_is_refused(run, enabled, db):
    enabled("EUR")
    result = run("date,currency,rate\n2026-12-01,EUR,1.08 €\n".encode("cp1252"))
    assert result.exit_code == 1
    assert "not UTF-8" in result.stderr
    assert _stored(db) == {}


def test_a_failure_while_storing_leaves_nothing_stored(run, enabled, db, monkeypatch):
    enabled("EUR")
    record = rates.record
    calls = []

    def fail_on_the_second(currency, day, rate, *, actor):
        calls.append(day)
        if len(calls) == 2:
            raise ValidationError.field("rate", "The database refused it.")
        return record(currency, day, rate, actor=actor)

    monkeypatch.setattr(rates, "record", fail_on_the_second)
    result = run("date,currency,rate\n2026-12-01,EUR,1.08\n2026-12-02,EUR,1.09\n")
    assert result.exit_code == 1
    assert "The database refused it." in result.stderr
    assert len(calls) == 2
    assert _stored(db) == {}
    assert db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "rate")).all() == []


# The ECB's file ---------------------------------------------------------------------------


def test_the_ecb_file_imports_into_a_dollar_installation(run, enabled, db):
    enabled("EUR", "GBP", "JPY", "RUB")
    result = run(ECB, "eurofxref-hist.csv")
    assert result.exit_code == 0, result.output
    # RUB is enabled but N/A on every day; the ECB's other currencies are not enabled.
    assert result.output.splitlines()[-1] == (
        "imported 9 rates (3 currencies, 2026-12-02 to 2026-12-04)"
    )
    stored = _stored(db)
    assert len(stored) == 9
    # A euro is worth ecb[USD] dollars; a pound ecb[USD] / ecb[GBP]; a yen ecb[USD] / ecb[JPY].
    assert stored["EUR", "2026-12-04"] == Decimal("1.0512")
    assert stored["GBP", "2026-12-04"] == Decimal("1.268875611")
    assert stored["JPY", "2026-12-04"] == Decimal("0.006641815")
    assert stored["EUR", "2026-12-02"] == Decimal("1.0497")
    assert stored["GBP", "2026-12-03"] == _per("1.0479", "0.82783")
    assert stored["JPY", "2026-12-02"] == _per("1.0497", "157.61")
    assert rates.on("GBP", dt.date(2026, 12, 5)).rate == Decimal("1.268875611")


def test_the_ecb_file_imports_into_a_euro_installation(run, enabled, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "PROCURE_CURRENCY", "EUR")
    enabled("USD", "GBP")
    result = run(ECB, "eurofxref-hist.csv")
    assert result.exit_code == 0, result.output
    stored = _stored(db)
    assert len(stored) == 6
    # A dollar is worth 1 / ecb[USD] euros.
    assert stored["USD", "2026-12-04"] == Decimal("0.951293760")
    assert stored["GBP", "2026-12-04"] == Decimal("1.207073450")
    assert stored["USD", "2026-12-03"] == _per("1", "1.0479")


def test_the_ecb_file_imports_into_a_pound_installation(run, enabled, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "PROCURE_CURRENCY", "GBP")
    enabled("EUR", "USD", "CHF")
    result = run(ECB, "eurofxref-hist.csv")
    assert result.exit_code == 0, result.output
    stored = _stored(db)
    assert len(stored) == 9
    assert stored["EUR", "2026-12-04"] == Decimal("0.82845")
    assert stored["USD", "2026-12-04"] == Decimal("0.788099315")
    assert stored["CHF", "2026-12-02"] == _per("0.82860", "0.9316")


def test_a_base_the_ecb_does_not_quote_cannot_be_converted(run, enabled, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "PROCURE_CURRENCY", "AED")
    enabled("EUR", "USD")
    result = run(ECB, "eurofxref-hist.csv")
    assert result.exit_code == 1
    assert "line 1: the file has no AED column: its rates per euro cannot be converted to AED" in (
        result.stderr
    )
    assert _stored(db) == {}


def test_a_day_without_the_base_is_skipped(run, enabled, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "PROCURE_CURRENCY", "ISK")
    enabled("EUR")
    content = ECB.replace(",145.1,", ",N/A,")
    result = run(content, "eurofxref-hist.csv")
    assert result.exit_code == 0, result.output
    assert sorted(_stored(db)) == [("EUR", "2026-12-02"), ("EUR", "2026-12-04")]
    assert _stored(db)["EUR", "2026-12-04"] == Decimal("145.5")


def test_bad_cells_of_enabled_columns_are_named_and_nothing_is_stored(run, enabled, db):
    enabled("EUR", "GBP", "JPY")
    content = (
        ECB.replace("2026-12-03,1.0479,157.66", "2026-12-03,1.0479,abc")
        .replace(",0.82860,", ",0,")
        .replace("2026-12-04,", "2026-12-4x,")
    )
    result = run(content, "eurofxref-hist.csv")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:3] == [
        "line 2: Date: '2026-12-4x' is not a date (YYYY-MM-DD)",
        "line 3: JPY: 'abc' is not a number",
        "line 4: GBP: a rate must be greater than zero",
    ]
    assert _stored(db) == {}


def test_bad_cells_of_columns_not_enabled_are_not_read(run, enabled, db):
    enabled("EUR")
    content = ECB.replace(",16733.84,", ",garbage,").replace(",36.169,", ",-1,")
    result = run(content, "eurofxref-hist.csv")
    assert result.exit_code == 0, result.output
    assert len(_stored(db)) == 3


def test_a_day_twice_in_the_ecb_file_is_refused(run, enabled, db):
    enabled("EUR")
    lines = ECB.splitlines()
    result = run("\n".join([*lines, lines[1]]) + "\n", "eurofxref-hist.csv")
    assert result.exit_code == 1
    assert "line 5: 2026-12-04 again (first on line 2)" in result.stderr
    assert _stored(db) == {}


def test_an_ecb_file_with_nothing_enabled_has_nothing_to_import(run, db):
    result = run(ECB, "eurofxref-hist.csv")
    assert result.exit_code == 1
    assert "holds no rate of a currency enabled here" in result.stderr


def test_the_parser_keeps_each_rows_line(enabled):
    enabled("EUR", "GBP")
    rows = import_csv.parse(ECB)
    assert [(row.line, row.currency) for row in rows[:4]] == [
        (2, "EUR"),
        (2, "GBP"),
        (3, "EUR"),
        (3, "GBP"),
    ]
