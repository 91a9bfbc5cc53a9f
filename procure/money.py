"""Money and quantities: ``Decimal`` in Python, integer minor units in the database.

SQLite stores ``Numeric`` as a float and sums floats; storing integers makes SQL
sums exact on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, format_decimal
from flask import current_app, has_app_context

CENT = Decimal("0.01")
THOUSANDTH = Decimal("0.001")
ZERO = Decimal("0.00")
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


def parse_money(value: Any, *, allow_negative: bool = False) -> Decimal:
    """Parse an amount: at most two decimals, finite, within ``MAX_AMOUNT``."""
    number = _to_decimal(value)
    _check_magnitude(number, MAX_AMOUNT)
    _check_places(number, 2, "an amount")
    if number < 0 and not allow_negative:
        raise MoneyError("must not be negative")
    # Adding zero turns -0.00 into 0.00, which is how nothing is written.
    return number.quantize(CENT) + ZERO


def parse_quantity(value: Any, *, allow_zero: bool = False) -> Decimal:
    """Parse a quantity: at most three decimals, positive (or zero if allowed)."""
    number = _to_decimal(value)
    _check_magnitude(number, MAX_QUANTITY)
    _check_places(number, 3, "a quantity")
    if number < 0 or (number == 0 and not allow_zero):
        raise MoneyError("must be greater than zero" if not allow_zero else "must not be negative")
    return number


def round_money(value: Decimal) -> Decimal:
    """Round a computed amount (a line total, a tax) half-up to cents."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_api(value: Decimal | None) -> str | None:
    """Money in the API: a string with two decimals."""
    return None if value is None else f"{round_money(value):.2f}"


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


def format_money(value: Decimal | None, currency: str, locale: str | None = None) -> str:
    """Display an amount with its currency and thousands separators (Babel):
    "$1,234.50", "-$2,324.50" when negative."""
    if value is None:
        return ""
    return format_currency(value, currency, locale=locale or display_locale())


def format_quantity(value: Decimal | None, locale: str | None = None) -> str:
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.###", locale=locale or display_locale())


def format_date(value: dt.date | None, style: str = "medium", locale: str | None = None) -> str:
    """Display a date (Babel): "Nov 15, 2026" in en_US, "15 nov. 2026" in fr_FR."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return babel_format_date(value, format=style, locale=locale or display_locale())


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
    """Money column: integer cents in the database."""

    cache_ok = True
    scale = 2

    def process_result_value(self, value: int | None, dialect: sa.Dialect) -> Decimal | None:
        result = super().process_result_value(value, dialect)
        return None if result is None else result.quantize(CENT)


class Quantity(_ScaledDecimal):
    """Quantity column: integer thousandths in the database."""

    cache_ok = True
    scale = 3


class Fraction(_ScaledDecimal):
    """A fraction such as a weight (0.6): integer thousandths in the database."""

    cache_ok = True
    scale = 3
