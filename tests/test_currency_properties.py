"""Properties of amounts in many currencies and of conversion to the base currency.

The rule (docs/currencies.md): an amount is parsed with at most its currency's minor
units (never rounded silently); a computed amount is rounded half-up, once, to its
currency's minor units; a conversion multiplies by the rate and rounds half-up, once,
to the base currency's minor units. So no conversion or rounding ever creates or loses
more than half a minor unit, and ties go up.

The checks below compare Procure's Decimal code with an oracle in integer minor units
and exact fractions, for currencies of 0 (JPY), 2 (USD, EUR, GBP) and 3 (BHD, KWD)
decimals, as the base and as the foreign currency."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from procure import currencies, money, rates
from procure.exchange import import_csv

CURRENCIES = ["USD", "EUR", "GBP", "JPY", "BHD", "KWD"]
RATE_SCALE = 10**rates.RATE_PLACES

codes = st.sampled_from(CURRENCIES)
# Rates as stored: nine decimals, from a thousandth of a millionth up to the 1e9 limit.
stored_rates = st.integers(min_value=1, max_value=10**9 * RATE_SCALE).map(
    lambda units: Decimal(units).scaleb(-rates.RATE_PLACES)
)
plausible_rates = st.integers(min_value=1_000, max_value=200_000 * RATE_SCALE).map(
    lambda units: Decimal(units).scaleb(-rates.RATE_PLACES)
)
days = st.dates(min_value=dt.date(1999, 1, 4), max_value=dt.date(2099, 12, 31))


@st.composite
def amounts_in(draw, currency: str, max_units: int = 10**12) -> Decimal:
    """An amount of ``currency`` as Procure holds it: at most its minor units."""
    places = money.minor_units(currency)
    units = draw(st.integers(min_value=0, max_value=max_units))
    return Decimal(units).scaleb(-places)


@contextlib.contextmanager
def base_currency(app, code: str):
    """Run with ``code`` as the installation's base (``PROCURE_CURRENCY``)."""
    before = app.config["PROCURE_CURRENCY"]
    app.config["PROCURE_CURRENCY"] = code
    try:
        yield
    finally:
        app.config["PROCURE_CURRENCY"] = before


def minor(value: Decimal, currency: str) -> int:
    """``value`` in integer minor units of ``currency`` (it must have no more decimals)."""
    scaled = value.scaleb(money.minor_units(currency))
    assert scaled == scaled.to_integral_value(), f"{value} has more decimals than {currency}"
    return int(scaled)


def half_up(exact: Fraction) -> int:
    """The oracle's rounding: to the nearest integer, halves away from zero (amounts
    here are never negative)."""
    return int((exact + Fraction(1, 2)) // 1)


# Conversion ------------------------------------------------------------------------------


@given(data=st.data(), foreign=codes, base=codes, rate=stored_rates)
def test_conversion_is_the_exact_product_rounded_half_up_once(app, data, foreign, base, rate):
    assume(foreign != base)
    amount = data.draw(amounts_in(foreign, max_units=10**9))
    with base_currency(app, base):
        converted = rates.to_base(amount, rates.Rate(foreign, dt.date(2026, 12, 1), rate))
        # Exactly the base's minor units: a conversion never invents a fraction of a cent.
        assert -converted.as_tuple().exponent == money.minor_units(base)
        exact = (
            Fraction(minor(amount, foreign), 10 ** money.minor_units(foreign))
            * Fraction(int(rate * RATE_SCALE), RATE_SCALE)
            * 10 ** money.minor_units(base)
        )
        assert minor(converted, base) == half_up(exact)
        # So at most half a minor unit of the base away from the exact product.
        assert abs(Fraction(minor(converted, base)) - exact) <= Fraction(1, 2)


@given(data=st.data(), base=codes)
def test_a_document_in_the_base_currency_converts_to_itself(app, data, base):
    amount = data.draw(amounts_in(base))
    with base_currency(app, base):
        rate = rates.on(base, dt.date(2026, 12, 1))
        assert rate is not None and rate.rate == 1
        assert rates.to_base(amount, rate) == amount


@given(data=st.data(), foreign=codes, base=codes, rate=plausible_rates)
def test_conversion_keeps_the_order_of_amounts(app, data, foreign, base, rate):
    assume(foreign != base)
    first = data.draw(amounts_in(foreign, max_units=10**9))
    second = data.draw(amounts_in(foreign, max_units=10**9))
    with base_currency(app, base):
        price = rates.Rate(foreign, dt.date(2026, 12, 1), rate)
        low, high = sorted([first, second])
        assert rates.to_base(low, price) <= rates.to_base(high, price)


@given(data=st.data(), foreign=codes, base=codes, rate=plausible_rates)
def test_a_total_converted_once_is_within_half_a_unit_and_its_lines_within_half_each(
    app, data, foreign, base, rate
):
    """Why a document's base total is its total converted, not the sum of its lines
    converted: each conversion may move half a minor unit; the total moves at most one."""
    assume(foreign != base)
    lines = data.draw(st.lists(amounts_in(foreign, max_units=10**8), min_size=1, max_size=20))
    with base_currency(app, base):
        price = rates.Rate(foreign, dt.date(2026, 12, 1), rate)
        unit = Fraction(1, 10 ** money.minor_units(base))
        exact = sum(Fraction(line) for line in lines) * Fraction(rate)
        total = Fraction(rates.to_base(sum(lines, Decimal(0)), price))
        assert abs(total - exact) <= unit / 2
        by_lines = sum(Fraction(rates.to_base(line, price)) for line in lines)
        assert abs(by_lines - exact) <= len(lines) * unit / 2


@pytest.mark.parametrize(
    ("amount", "currency", "base", "rate", "converted"),
    [
        ("1234.50", "EUR", "USD", "1.0825", "1336.35"),  # 1336.34625
        ("1000", "JPY", "USD", "0.006641815", "6.64"),  # 6.641815
        ("12.345", "BHD", "USD", "2.659574468", "32.83"),  # 32.832446...
        ("100.00", "USD", "JPY", "150.455", "15046"),  # 15045.5: the tie goes up
        ("10.00", "EUR", "KWD", "0.32845", "3.285"),  # 3.2845: the tie goes up
    ],
)
def test_conversion_examples(app, amount, currency, base, rate, converted):
    with base_currency(app, base):
        price = rates.Rate(currency, dt.date(2026, 12, 1), Decimal(rate))
        assert str(rates.to_base(Decimal(amount), price)) == converted


# Rounding and parsing per currency --------------------------------------------------------


@given(
    currency=codes,
    value=st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False),
)
def test_rounding_moves_at_most_half_a_minor_unit_ties_up(currency, value):
    rounded = money.round_money(value, currency)
    unit = Fraction(1, 10 ** money.minor_units(currency))
    assert -rounded.as_tuple().exponent == money.minor_units(currency)
    assert abs(Fraction(rounded) - Fraction(value)) <= unit / 2
    if abs(Fraction(rounded) - Fraction(value)) == unit / 2:
        assert rounded > value  # a tie goes up
    assert money.round_money(rounded, currency) == rounded


@pytest.mark.parametrize(
    ("currency", "value", "rounded"),
    [
        ("USD", "2.345", "2.35"),
        ("USD", "2.344999", "2.34"),
        ("JPY", "1234.5", "1235"),
        ("JPY", "1234.4999", "1234"),
        ("BHD", "12.3455", "12.346"),
        ("KWD", "0.0005", "0.001"),
    ],
)
def test_rounding_per_currency_examples(currency, value, rounded):
    assert str(money.round_money(Decimal(value), currency)) == rounded


@given(data=st.data(), currency=codes)
def test_an_amount_survives_the_api_round_trip_in_its_own_currency(data, currency):
    amount = data.draw(amounts_in(currency, max_units=10**11))
    text = money.to_api(amount, currency)
    places = money.minor_units(currency)
    assert ("." in text) == (places > 0)
    assert len(text.partition(".")[2]) == places
    assert money.parse_money(text, currency=currency) == amount


@given(
    currency=codes,
    units=st.integers(min_value=0, max_value=10**9),
    extra=st.integers(min_value=1, max_value=9),
)
def test_an_amount_with_more_decimals_than_its_currency_is_refused_never_rounded(
    currency, units, extra
):
    places = money.minor_units(currency)
    value = Decimal(units * 10 + extra).scaleb(-(places + 1))
    with pytest.raises(money.MoneyError):
        money.parse_money(f"{value:f}", currency=currency)


# Rates from the ECB file ------------------------------------------------------------------


@given(
    base_per_euro=st.decimals(min_value="0.0001", max_value=100_000, places=4),
    per_euro=st.decimals(min_value="0.0001", max_value=100_000, places=4),
)
def test_a_rate_converted_from_the_ecbs_is_the_exact_ratio_within_half_its_last_decimal(
    app, base_per_euro, per_euro
):
    assume(base_per_euro > 0 and per_euro > 0)
    exact = Fraction(base_per_euro) / Fraction(per_euro)
    assume(exact * RATE_SCALE >= 1)  # a smaller rate cannot be kept (refused, with its line)
    with base_currency(app, "USD"):
        currencies.set_enabled(["GBP"], actor=None)
        content = f"Date,USD,GBP,\n2026-12-04,{base_per_euro},{per_euro},\n"
        (row,) = import_csv.parse(content)
    assert row.currency == "GBP"
    assert abs(Fraction(row.rate) - exact) <= Fraction(1, 2 * RATE_SCALE)
    assert int(row.rate * RATE_SCALE) == half_up(exact * RATE_SCALE)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(rate=stored_rates, day=days)
def test_a_recorded_rate_reads_back_exactly_on_its_day_and_after(db, rate, day):
    currencies.set_enabled(["EUR"], actor=None)
    rates.record("EUR", day, rate, actor=None)
    db.session.flush()
    db.session.expire_all()
    assert rates.on("EUR", day) == rates.Rate("EUR", day, rate)
    later = rates.on("EUR", day + dt.timedelta(days=3))
    assert later is not None and later.date >= day
