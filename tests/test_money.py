"""Money and quantities: exact parsing, formatting and storage (property-based)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from procure.extensions import db
from procure.money import (
    MAX_AMOUNT,
    MAX_QUANTITY,
    Money,
    MoneyError,
    Quantity,
    format_date,
    format_money,
    format_quantity,
    minor_units,
    parse_money,
    parse_quantity,
    quantity_to_api,
    round_money,
    rounder,
    to_api,
)

amounts = st.decimals(
    min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, places=2, allow_nan=False, allow_infinity=False
)
non_negative_amounts = st.decimals(
    min_value=0, max_value=MAX_AMOUNT, places=2, allow_nan=False, allow_infinity=False
)
quantities = st.decimals(
    min_value=Decimal("0.001"),
    max_value=MAX_QUANTITY,
    places=3,
    allow_nan=False,
    allow_infinity=False,
)
cents = st.integers(min_value=-(10**6), max_value=10**6).map(lambda n: Decimal(n).scaleb(-2))

# A database round trip per example: no deadline (the rule is no timed assertions),
# and the per-test transaction fixture is meant to be shared by the examples.
db_settings = settings(
    deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def same(a: Decimal, b: Decimal) -> bool:
    """Equal in value *and* written the same way (two decimals stay two decimals)."""
    return a == b and str(a) == str(b)


# Parsing and formatting -------------------------------------------------------------------


@given(amounts)
@example(Decimal("0.00"))
@example(MAX_AMOUNT)
@example(-MAX_AMOUNT)
@example(Decimal("0.10"))
def test_money_survives_the_api_round_trip(amount):
    text = to_api(amount)

    assert re.fullmatch(r"-?\d+\.\d{2}", text)
    assert same(parse_money(text, allow_negative=True), amount)


@given(amounts)
def test_money_parses_from_its_own_str(amount):
    assert same(parse_money(str(amount), allow_negative=True), amount)


@given(amounts)
def test_money_parses_from_a_json_number(amount):
    """A JSON number arrives as a float or an int: it must mean what it says."""
    number = int(amount) if amount == amount.to_integral_value() else float(amount)

    assert same(parse_money(number, allow_negative=True), amount)


@given(non_negative_amounts)
@example(Decimal("1234567.50"))
def test_display_and_parse_round_trip(amount):
    shown = format_money(amount, "USD")

    assert shown == "$" + f"{amount:,.2f}"
    assert same(parse_money(shown.removeprefix("$")), amount)


@given(amounts.filter(lambda amount: amount < 0))
def test_negative_amounts_are_displayed_with_a_sign(amount):
    shown = format_money(amount, "USD")

    assert shown == "-$" + f"{-amount:,.2f}"
    assert same(parse_money(shown.replace("$", ""), allow_negative=True), amount)


def test_dates_and_amounts_follow_the_installations_locale(app):
    day = dt.date(2026, 11, 15)
    assert format_date(day) == "Nov 15, 2026"
    assert format_date(dt.datetime(2026, 11, 15, 23, 30)) == "Nov 15, 2026"
    assert format_date(None) == ""
    app.config["PROCURE_LOCALE"] = "de_DE"
    try:
        assert format_date(day) == "15.11.2026"
        assert format_money(Decimal("1234.50"), "EUR") == "1.234,50\xa0€"
        # Jinja's filters are the same functions: a page says what a message says.
        render = app.jinja_env.from_string("{{ day|date }} {{ amount|money('EUR') }}").render
        assert render(day=day, amount=Decimal("1234.50")) == "15.11.2026 1.234,50\xa0€"
    finally:
        app.config["PROCURE_LOCALE"] = "en_US"


@given(amounts)
def test_parsing_is_idempotent(amount):
    once = parse_money(amount, allow_negative=True)

    assert same(parse_money(once, allow_negative=True), once)


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_fewer_decimals_are_padded_to_cents(amount):
    assert str(parse_money(f"{amount.normalize():f}")) == f"{amount:.2f}"


@given(quantities)
@example(Decimal("1"))
@example(Decimal("2.5"))
@example(MAX_QUANTITY)
def test_quantities_survive_the_api_round_trip(quantity):
    text = quantity_to_api(quantity)

    assert re.fullmatch(r"\d+(\.\d{1,3})?", text)
    assert parse_quantity(text) == quantity
    assert format_quantity(parse_quantity(text)) == f"{quantity.normalize():,f}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.01", "0.01"),
        ("1234.5", "1234.50"),
        (" 1,234.56 ", "1234.56"),
        ("1,000,000", "1000000.00"),
        (".5", "0.50"),
        ("7", "7.00"),
        (7, "7.00"),
        (0.1, "0.10"),
        (19.99, "19.99"),
        ("1.50000", "1.50"),
        ("-0", "0.00"),
        ("-0.00", "0.00"),
        (Decimal("-0.00"), "0.00"),
    ],
)
def test_money_accepts_what_people_type(value, expected):
    assert str(parse_money(value)) == expected


def test_negative_money_only_where_allowed():
    with pytest.raises(MoneyError, match="negative"):
        parse_money("-1.00")
    assert parse_money("-1.00", allow_negative=True) == Decimal("-1.00")


def test_rounding_is_half_up():
    assert round_money(Decimal("0.005")) == Decimal("0.01")
    assert round_money(Decimal("0.015")) == Decimal("0.02")
    assert round_money(Decimal("2.675")) == Decimal("2.68")
    assert round_money(Decimal("-0.005")) == Decimal("-0.01")
    assert to_api(Decimal("0.125")) == "0.13"


# What is refused ---------------------------------------------------------------------------

NOT_FINITE = [
    Decimal("NaN"),
    Decimal("-NaN"),
    Decimal("sNaN"),
    Decimal("Infinity"),
    Decimal("-Infinity"),
    float("nan"),
    float("inf"),
    float("-inf"),
    "NaN",
    "nan",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
]


@pytest.mark.parametrize("value", NOT_FINITE, ids=repr)
def test_money_refuses_what_is_not_finite(value):
    with pytest.raises(MoneyError):
        parse_money(value, allow_negative=True)
    with pytest.raises(MoneyError):
        parse_quantity(value)


@given(
    st.decimals(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, allow_nan=False, places=8).filter(
        lambda amount: amount != amount.quantize(Decimal("0.01"))
    )
)
@example(Decimal("0.001"))
@example(Decimal("1.005"))
@example(Decimal("-0.001"))
def test_money_refuses_three_or_more_decimals(amount):
    for value in (amount, f"{amount:f}"):
        with pytest.raises(MoneyError, match="decimal places"):
            parse_money(value, allow_negative=True)


@given(
    st.decimals(min_value=MAX_AMOUNT + Decimal("0.01"), allow_nan=False, allow_infinity=False),
    st.booleans(),
)
@example(MAX_AMOUNT + Decimal("0.01"), False)
@example(Decimal("1e999999999"), False)
@example(Decimal("1e999999999"), True)
@example(Decimal("9" * 100), True)
def test_money_refuses_absurd_magnitudes(amount, negative):
    value = amount.copy_negate() if negative else amount
    # Written out in full where that stays short; 1E+999999999 has a billion digits.
    for given_as in [value] + ([f"{value:f}"] if value.adjusted() < 40 else []):
        with pytest.raises(MoneyError, match="exceed"):
            parse_money(given_as, allow_negative=True)


@pytest.mark.parametrize(
    "value", ["1e999999999", "-1E+1000000", 10**30, 1e300, "1" + "0" * 5000], ids=repr
)
def test_huge_numbers_are_refused_cleanly(value):
    with pytest.raises(MoneyError):
        parse_money(value, allow_negative=True)
    with pytest.raises(MoneyError):
        parse_quantity(value)


@pytest.mark.parametrize("value", [Decimal("1e-999999999"), Decimal("1E-30"), "0.0001"], ids=repr)
def test_tiny_quantities_are_refused(value):
    with pytest.raises(MoneyError, match="decimal places"):
        parse_quantity(value)


@pytest.mark.parametrize("value", [True, False])
def test_booleans_are_not_numbers(value):
    with pytest.raises(MoneyError):
        parse_money(value)
    with pytest.raises(MoneyError):
        parse_quantity(value)


GARBAGE = [
    "",
    "   ",
    "abc",
    "12abc",
    "$12",
    "12 EUR",
    "1.2.3",
    "--1",
    "+-1",
    "1 000",
    "0x10",
    "1_000",
    "12,34",
    "1,23,4",
    ",123",
    "1e5",
    "١٢٣",
    "１２３",
    "½",
    ".",
    "-",
    "None",
    "[1]",
]


@pytest.mark.parametrize("value", GARBAGE, ids=repr)
def test_money_refuses_garbage_strings(value):
    with pytest.raises(MoneyError):
        parse_money(value, allow_negative=True)
    with pytest.raises(MoneyError):
        parse_quantity(value)


@given(st.text().filter(lambda text: not re.search(r"[0-9]", text)))
def test_a_string_without_digits_is_never_money(text):
    with pytest.raises(MoneyError):
        parse_money(text, allow_negative=True)


@given(st.text())
def test_any_string_is_money_or_a_clear_refusal(text):
    """No string makes the parser fail with anything but a MoneyError."""
    try:
        amount = parse_money(text, allow_negative=True)
    except MoneyError:
        return
    assert abs(amount) <= MAX_AMOUNT
    assert amount == amount.quantize(Decimal("0.01"))


@pytest.mark.parametrize(
    "value",
    [None, [], {}, object(), b"12", 1j],
    ids=["None", "list", "dict", "object", "bytes", "complex"],
)
def test_other_types_are_refused(value):
    with pytest.raises(MoneyError):
        parse_money(value)


# The database column ------------------------------------------------------------------------

probe = sa.Table(
    "money_probe",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("amount", Money()),
    sa.Column("quantity", Quantity()),
)


@pytest.fixture
def table(app):
    """A small table of our own, created inside the test's transaction (rolled back)."""
    probe.create(db.session.connection())
    return probe


def _store(**values) -> int:
    return db.session.execute(sa.insert(probe).values(**values).returning(probe.c.id)).scalar_one()


def _load(row_id: int) -> sa.Row:
    return db.session.execute(sa.select(probe).where(probe.c.id == row_id)).one()


@db_settings
@given(amount=amounts)
@example(amount=MAX_AMOUNT)
@example(amount=-MAX_AMOUNT)
@example(amount=Decimal("0.01"))
@example(amount=Decimal("0.00"))
def test_the_money_column_round_trips_exactly(table, amount):
    row_id = _store(amount=amount)

    stored = _load(row_id).amount

    assert isinstance(stored, Decimal)
    assert same(stored, amount)


@db_settings
@given(quantity=quantities)
def test_the_quantity_column_round_trips_exactly(table, quantity):
    row_id = _store(quantity=quantity)

    assert _load(row_id).quantity == quantity


def test_the_money_column_stores_null(table):
    row_id = _store(amount=None, quantity=None)

    row = _load(row_id)
    assert row.amount is None and row.quantity is None


def test_the_money_column_hands_back_cents(table):
    row_id = _store(amount=Decimal("12.5"))

    assert str(_load(row_id).amount) == "12.50"


def test_the_money_column_keeps_a_third_decimal_for_the_currencies_that_have_one(table):
    # Bahraini dinars: three decimals, kept exactly; whole yen read as x.00.
    dinars, yen = _store(amount=Decimal("12.345")), _store(amount=Decimal("1235"))

    assert str(_load(dinars).amount) == "12.345"
    assert str(_load(yen).amount) == "1235.00"


@pytest.mark.parametrize(
    "value",
    [
        *NOT_FINITE[:5],
        Decimal("0.0001"),
        Decimal("12.3456"),
        True,
        False,
        "garbage",
        "12,34",
        Decimal("1e999999999"),
        10**30,
    ],
    ids=repr,
)
def test_the_money_column_refuses_what_it_cannot_store_exactly(table, value):
    with pytest.raises(sa.exc.StatementError) as raised:
        _store(amount=value)

    assert isinstance(raised.value.orig, MoneyError)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(probe)) == 0


@pytest.mark.parametrize("value", [Decimal("0.0001"), True, Decimal("NaN")], ids=repr)
def test_the_quantity_column_refuses_what_it_cannot_store_exactly(table, value):
    with pytest.raises(sa.exc.StatementError) as raised:
        _store(quantity=value)

    assert isinstance(raised.value.orig, MoneyError)


@db_settings
@given(values=st.lists(cents, min_size=1, max_size=200))
@example(values=[Decimal("0.10")] * 3 + [Decimal("0.20")])
@example(values=[Decimal("0.01")] * 200)
def test_sql_sums_of_money_are_exact(table, values):
    db.session.execute(sa.delete(probe))
    db.session.execute(sa.insert(probe), [{"amount": value} for value in values])

    total = db.session.scalar(sa.select(sa.func.sum(probe.c.amount)))

    assert isinstance(total, Decimal)
    assert same(total, sum(values, Decimal("0.00")))


def test_a_sum_of_ten_thousand_cents_is_one_hundred(table):
    db.session.execute(sa.insert(probe), [{"amount": Decimal("0.01")}] * 10_000)

    total = db.session.scalar(sa.select(sa.func.sum(probe.c.amount)))

    assert str(total) == "100.00"


def test_a_sum_of_large_amounts_is_exact(table):
    values = [MAX_AMOUNT, MAX_AMOUNT, Decimal("0.01"), -MAX_AMOUNT]
    db.session.execute(sa.insert(probe), [{"amount": value} for value in values])

    total = db.session.scalar(sa.select(sa.func.sum(probe.c.amount)))

    assert total == MAX_AMOUNT + Decimal("0.01")


def test_comparing_in_sql_compares_amounts(table):
    db.session.execute(
        sa.insert(probe),
        [{"amount": Decimal(value)} for value in ("4999.99", "5000.00", "5000.01", "50000.00")],
    )

    at_least = db.session.scalars(
        sa.select(probe.c.amount).where(probe.c.amount >= Decimal("5000")).order_by(probe.c.amount)
    ).all()

    assert [str(value) for value in at_least] == ["5000.00", "5000.01", "50000.00"]


# Each currency with its own minor units ----------------------------------------------


@pytest.mark.parametrize(
    ("currency", "places"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("BHD", 3), ("KWD", 3)]
)
def test_minor_units_come_from_babel(currency, places):
    assert minor_units(currency) == places


@pytest.mark.parametrize(
    ("currency", "typed", "parsed", "api"),
    [
        ("USD", "1,234.5", Decimal("1234.50"), "1234.50"),
        ("JPY", "1235", Decimal("1235"), "1235"),
        ("BHD", "12.345", Decimal("12.345"), "12.345"),
        ("BHD", "12", Decimal("12.000"), "12.000"),
    ],
)
def test_an_amount_is_parsed_and_written_with_its_currencys_decimals(currency, typed, parsed, api):
    assert parse_money(typed, currency=currency) == parsed
    assert str(parse_money(typed, currency=currency)) == str(parsed)
    assert to_api(parsed, currency) == api


@pytest.mark.parametrize(
    ("currency", "typed"), [("JPY", "1235.5"), ("USD", "1.005"), ("BHD", "1.0005")]
)
def test_more_decimals_than_the_currency_has_are_refused(currency, typed):
    with pytest.raises(MoneyError, match="decimal places"):
        parse_money(typed, currency=currency)


@given(st.decimals(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, places=6, allow_nan=False))
def test_a_rounder_rounds_as_round_money_does(value):
    for currency in (None, "USD", "JPY", "BHD"):
        assert rounder(currency)(value) == round_money(value, currency)
    assert str(rounder("JPY")(Decimal("1234.5"))) == "1235"


def test_rounding_is_half_up_to_the_currencys_minor_units():
    assert round_money(Decimal("1234.5"), "JPY") == Decimal("1235")
    assert round_money(Decimal("0.0125"), "USD") == Decimal("0.01")
    assert round_money(Decimal("0.0125"), "BHD") == Decimal("0.013")
    assert to_api(Decimal("1234.5"), "JPY") == "1235"
