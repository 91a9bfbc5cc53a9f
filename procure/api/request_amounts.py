"""Amounts of purchase requests in the API: prices read with up to three decimals (the
service checks the request currency's own minor units), amounts answered with exactly
their currency's decimals, rates with at least six."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from .. import money

# A currency with the most minor units any enabled currency may have (three): the
# schema reads prices up to that, the service checks the request currency's own.
_MOST_DECIMALS = "KWD"


def _price(value: Any) -> Decimal:
    try:
        return money.parse_money(value, currency=_MOST_DECIMALS)
    except money.MoneyError as exc:
        raise ValueError(str(exc)) from None


# Input: a string or a number with at most the request currency's decimals.
Price = Annotated[
    Decimal,
    BeforeValidator(_price),
    PlainSerializer(lambda value: f"{value:f}", return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\d{1,12}(\.\d{1,3})?$"},
                {"type": "number", "minimum": 0, "maximum": float(money.MAX_AMOUNT)},
            ],
            "examples": ["1234.50", "1235", "12.345"],
        },
        mode="validation",
    ),
]
# Output: a string with exactly its currency's decimals ("1234.50" USD, "1235" JPY,
# "12.345" BHD); each is converted by ``amount`` with the request's currency.
Amount = Annotated[
    str,
    WithJsonSchema(
        {"type": "string", "pattern": r"^-?\d+(\.\d{2,3})?$", "examples": ["1234.50", "1235"]}
    ),
]


def amount(value: Decimal, currency: str) -> str:
    return str(money.to_api(value, currency))


def rate_out(rate: Decimal | None) -> str | None:
    """A rate in the API: its digits, at least six decimals ("1.082500"), as the other
    documents answer it."""
    if rate is None:
        return None
    whole, _, decimals = f"{rate:f}".partition(".")
    return f"{whole}.{decimals.rstrip('0').ljust(6, '0')}"
