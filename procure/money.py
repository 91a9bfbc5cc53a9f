"""Money and quantities: ``Decimal`` in Python, integer minor units in the database.

SQLite stores ``Numeric`` as a float and sums floats; storing integers makes SQL
sums exact on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from babel.numbers import format_currency, format_decimal

CENT = Decimal("0.01")
THOUSANDTH = Decimal("0.001")
ZERO = Decimal("0.00")
# Largest amount accepted anywhere: a trillion minus a cent. Anything larger is a
# typing error in a procurement system, and stays far inside a 64-bit integer.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_QUANTITY = Decimal("999999999.999")


class MoneyError(ValueError):
    """A value that is not an acceptable amount or quantity; the message says why."""


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
        text = value.strip().replace(",", "")
        if not text:
            raise MoneyError("must be a number")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise MoneyError("must be a number") from None
    else:
        raise MoneyError("must be a number")
    if not number.is_finite():
        raise MoneyError("must be a finite number")
    return number


def _check_places(number: Decimal, places: int, what: str) -> None:
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise MoneyError(f"{what} may have at most {places} decimal places")


def parse_money(value: Any, *, allow_negative: bool = False) -> Decimal:
    """Parse an amount: at most two decimals, finite, within ``MAX_AMOUNT``."""
    number = _to_decimal(value)
    _check_places(number, 2, "an amount")
    if abs(number) > MAX_AMOUNT:
        raise MoneyError(f"must not exceed {MAX_AMOUNT:,}")
    if number < 0 and not allow_negative:
        raise MoneyError("must not be negative")
    return number.quantize(CENT)


def parse_quantity(value: Any, *, allow_zero: bool = False) -> Decimal:
    """Parse a quantity: at most three decimals, positive (or zero if allowed)."""
    number = _to_decimal(value)
    _check_places(number, 3, "a quantity")
    if number > MAX_QUANTITY:
        raise MoneyError(f"must not exceed {MAX_QUANTITY:,}")
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


def format_money(value: Decimal | None, currency: str, locale: str = "en_US") -> str:
    """Display an amount with its currency and thousands separators (Babel)."""
    if value is None:
        return ""
    return format_currency(value, currency, locale=locale)


def format_quantity(value: Decimal | None, locale: str = "en_US") -> str:
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.###", locale=locale)


class _ScaledDecimal(sa.types.TypeDecorator[Decimal]):
    """A ``Decimal`` stored as an integer of ``10**-scale`` units."""

    impl = sa.BigInteger
    cache_ok = True
    scale = 2

    def process_bind_param(self, value: Decimal | None, dialect: sa.Dialect) -> int | None:
        if value is None:
            return None
        number = Decimal(value)
        if not number.is_finite():
            raise MoneyError("must be a finite number")
        units = number.scaleb(self.scale)
        if units != units.to_integral_value():
            raise MoneyError(f"has more than {self.scale} decimal places")
        return int(units)

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
