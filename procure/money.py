"""Money and quantities: ``Decimal`` in Python, integers in the database.

SQLite stores ``Numeric`` as a float and sums floats; storing integers makes SQL
sums exact on SQLite and PostgreSQL alike. Money columns hold thousandths, so that
every currency Procure enables fits exactly: 0 decimals (JPY), 2 (USD, EUR) or 3
(BHD, KWD). Each amount is parsed, rounded and written with its own currency's
minor units (``minor_units``, from Babel).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, format_decimal, get_currency_precision
from flask import current_app, has_app_context

CENT = Decimal("0.01")
THOUSANDTH = Decimal("0.001")
ZERO = Decimal("0.00")
# The most decimals an amount may have in any currency Procure enables.
MAX_MINOR_UNITS = 3
# Largest amount accepted anywhere: a trillion minus a cent. Anything larger is a
# typing error in a procurement system, and stays far inside a 64-bit integer.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_QUANTITY = Decimal("999999999.999")


class MoneyError(ValueError):
    """A value that is not an acceptable amount or quantity; the message says why."""


# What a person types: ASCII digits, thousands separated by commas in groups of
# three, an optional sign and decimal point. Not "12,34" (a decimal comma read as a
# thousands separator would multiply the amount by a hundred), not "1_000", not
# other scripts' digits, not an exponent.
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d*)(?:\.\d*)?", re.ASCII)


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise MoneyError("must be a number")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        # repr() gives the shortest string that round-trips: 0.1 stays 0.1.
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip()
        if not _NUMBER.fullmatch(text) or not any(char.isdigit() for char in text):
            raise MoneyError("must be a number")
        number = Decimal(text.replace(",", ""))
    else:
        raise MoneyError("must be a number")
    if not number.is_finite():
        raise MoneyError("must be a finite number")
    return number


def parse_number(value: Any) -> Decimal:
    """Any finite number as a person or a file writes it ("1,234.5"), as a Decimal;
    a ``MoneyError`` otherwise. Rates and weights check their own bounds."""
    return _to_decimal(value)


def _decimal_places(number: Decimal) -> int:
    """How many decimals a finite number needs (1.50 needs one), without rounding.

    Read from the digits rather than with ``normalize()``, which applies the
    context: it overflows on 1E+999999999 and rounds 1E-999999999 to zero."""
    if number.is_zero():
        return 0
    _sign, digits, exponent = number.as_tuple()
    places = -int(exponent)  # an int: the callers pass finite numbers only
    index = len(digits)
    while places > 0 and digits[index - 1] == 0:
        places -= 1
        index -= 1
    return max(places, 0)


def _check_places(number: Decimal, places: int, what: str) -> None:
    if _decimal_places(number) > places:
        raise MoneyError(f"{what} may have at most {places} decimal places")


def _check_magnitude(number: Decimal, limit: Decimal) -> None:
    # copy_abs() and the comparison are exact: no context, so no overflow.
    if number.copy_abs() > limit:
        raise MoneyError(f"must not exceed {limit:,}")


def minor_units(currency: str | None = None) -> int:
    """How many decimals amounts of ``currency`` have (Babel: USD 2, JPY 0, BHD 3);
    the installation's currency when none is given."""
    return _precision(_code(currency))


def _code(currency: str | None) -> str:
    return (currency or base_currency()).upper()


# Asked for at every amount rounded (a report rounds thousands): Babel's answer and the
# unit it gives, once per currency.
@functools.lru_cache(maxsize=256)
def _precision(code: str) -> int:
    return get_currency_precision(code)


@functools.lru_cache(maxsize=256)
def _unit_of(code: str) -> Decimal:
    return Decimal(1).scaleb(-_precision(code))


def base_currency() -> str:
    """``PROCURE_CURRENCY``; USD outside an app."""
    if has_app_context():
        return str(current_app.config.get("PROCURE_CURRENCY") or "USD")
    return "USD"


def _unit(currency: str | None) -> Decimal:
    return _unit_of(_code(currency))


def parse_money(
    value: Any, *, allow_negative: bool = False, currency: str | None = None
) -> Decimal:
    """Parse an amount of ``currency`` (default: the installation's): at most its minor
    units of decimals, finite, within ``MAX_AMOUNT``."""
    number = _to_decimal(value)
    _check_magnitude(number, MAX_AMOUNT)
    places = minor_units(currency)
    _check_places(number, places, "an amount" if places else "an amount in this currency")
    if number < 0 and not allow_negative:
        raise MoneyError("must not be negative")
    # Adding zero turns -0.00 into 0.00, which is how nothing is written.
    return number.quantize(_unit(currency)) + _zero(currency)


def _zero(currency: str | None) -> Decimal:
    return Decimal(0).quantize(_unit(currency))


def parse_quantity(value: Any, *, allow_zero: bool = False) -> Decimal:
    """Parse a quantity: at most three decimals, positive (or zero if allowed)."""
    number = _to_decimal(value)
    _check_magnitude(number, MAX_QUANTITY)
    _check_places(number, 3, "a quantity")
    if number < 0 or (number == 0 and not allow_zero):
        raise MoneyError("must be greater than zero" if not allow_zero else "must not be negative")
    return number


def round_money(value: Decimal, currency: str | None = None) -> Decimal:
    """Round a computed amount (a line total, a tax, a conversion) half-up to the minor
    units of ``currency`` (default: the installation's)."""
    return value.quantize(_unit(currency), rounding=ROUND_HALF_UP)


def rounder(currency: str | None = None) -> Callable[[Decimal], Decimal]:
    """``round_money`` to the units of one currency, looked up once: for a report that
    rounds thousands of sums, where asking the app for its currency each time cost
    several times the rounding itself."""
    unit = _unit(currency)

    def rounded(value: Decimal) -> Decimal:
        return value.quantize(unit, rounding=ROUND_HALF_UP)

    return rounded


def to_api(value: Decimal | None, currency: str | None = None) -> str | None:
    """Money in the API: a string with exactly the currency's decimals ("1234.50" USD,
    "1235" JPY, "12.345" BHD)."""
    if value is None:
        return None
    return f"{round_money(value, currency):.{minor_units(currency)}f}"


def rate_to_api(value: Decimal) -> str:
    """An exchange rate in the API: at least six decimals and at most the nine a rate
    keeps ("1.082500", "0.006667721", "158.120000")."""
    whole, _, decimals = f"{value.quantize(Decimal(1).scaleb(-9)):f}".partition(".")
    return f"{whole}.{decimals.rstrip('0').ljust(6, '0')}"


def quantity_to_api(value: Decimal | None) -> str | None:
    """A quantity in the API: a decimal string without trailing zeros ("5", "2.5")."""
    if value is None:
        return None
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# Showing amounts, quantities and dates to people: one format everywhere (pages, PDFs,
# e-mails, flash messages, errors), Babel's in the installation's locale. The API,
# CSV files and the audit log keep their machine forms (decimal strings, ISO dates).

DEFAULT_LOCALE = "en_US"


def display_locale() -> str:
    """The installation's locale (``PROCURE_LOCALE``); en_US outside an app."""
    if has_app_context():
        return str(current_app.config.get("PROCURE_LOCALE") or DEFAULT_LOCALE)
    return DEFAULT_LOCALE


def babel_locale(locale: str | None = None) -> Locale:
    """``locale`` (default: the installation's) as Babel's, parsed once per name: given
    the name, Babel would parse it again for every amount and date it formats (a third
    of the cost of formatting an amount)."""
    return _parsed(locale or display_locale())


@functools.lru_cache(maxsize=32)
def _parsed(locale: str) -> Locale:
    return Locale.parse(locale)


def format_money(value: Decimal | None, currency: str, locale: str | None = None) -> str:
    """Display an amount with its currency and thousands separators (Babel):
    "$1,234.50", "-$2,324.50" when negative."""
    if value is None:
        return ""
    return format_currency(value, currency, locale=babel_locale(locale))


def format_quantity(value: Decimal | None, locale: str | None = None) -> str:
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.###", locale=babel_locale(locale))


def format_date(value: dt.date | None, style: str = "medium", locale: str | None = None) -> str:
    """Display a date (Babel): "Nov 15, 2026" in en_US, "15 nov. 2026" in fr_FR."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return babel_format_date(value, format=style, locale=babel_locale(locale))


# The largest number of units a BIGINT holds, on every database.
_MAX_UNITS = Decimal(2**63 - 1)


class _ScaledDecimal(sa.types.TypeDecorator[Decimal]):
    """A ``Decimal`` stored as an integer of ``10**-scale`` units.

    Storing refuses what cannot be stored exactly (a fraction of a unit, NaN, a
    boolean, a number beyond a BIGINT) with a ``MoneyError``, the same on SQLite
    and PostgreSQL; the business limits are the parsers' job."""

    impl = sa.BigInteger
    # SQLAlchemy reads cache_ok from each class itself, not from a base class.
    cache_ok = True
    scale = 2

    def process_bind_param(self, value: Decimal | None, dialect: sa.Dialect) -> int | None:
        if value is None:
            return None
        number = _to_decimal(value)
        _check_magnitude(number, _MAX_UNITS.scaleb(-self.scale))
        if _decimal_places(number) > self.scale:
            raise MoneyError(f"has more than {self.scale} decimal places")
        return int(number.scaleb(self.scale))

    def process_result_value(self, value: int | None, dialect: sa.Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.scale)


class Money(_ScaledDecimal):
    """Money column: integer thousandths in the database (every enabled currency has at
    most three decimals). Read back with two decimals unless the third is not zero, so
    amounts of two-decimal currencies read as they always did."""

    cache_ok = True
    scale = 3

    def process_result_value(self, value: int | None, dialect: sa.Dialect) -> Decimal | None:
        if value is None:
            return None
        return from_units(int(value))


def to_units(amount: Decimal) -> int:
    """An amount as a Money column stores it: integer thousandths, to compare raw."""
    return int(amount.scaleb(Money.scale))


def from_units(units: int) -> Decimal:
    """An amount from a Money column's raw integer thousandths (summed in SQL, say)."""
    if units % 10 == 0:
        return Decimal(units // 10).scaleb(-2)
    return Decimal(units).scaleb(-3)


class RateColumn(_ScaledDecimal):
    """An exchange rate: integer billionths (nine decimals; rates stay at or below 1e9)."""

    cache_ok = True
    scale = 9


class Quantity(_ScaledDecimal):
    """Quantity column: integer thousandths in the database."""

    cache_ok = True
    scale = 3


class Fraction(_ScaledDecimal):
    """A fraction such as a weight (0.6): integer thousandths in the database."""

    cache_ok = True
    scale = 3
