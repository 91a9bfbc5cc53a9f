"""Types the API validates with; the OpenAPI document is generated from them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

from .. import money

MAX_ID = 2**31 - 1


def _money(value: Any) -> Decimal:
    try:
        return money.parse_money(value)
    except money.MoneyError as exc:
        raise ValueError(str(exc)) from None


def _quantity(value: Any) -> Decimal:
    try:
        return money.parse_quantity(value)
    except money.MoneyError as exc:
        raise ValueError(str(exc)) from None


def _utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


# A moment in UTC: stored naive (models.utcnow), answered with its zone ("...Z"), as
# RFC 3339 and so the OpenAPI "date-time" format require.
Timestamp = Annotated[dt.datetime, AfterValidator(_utc)]


# At most three decimals: the most any currency Procure enables has (BHD, KWD); each
# amount is checked against its own currency's minor units by the service.
MONEY_PATTERN = r"^\d{1,12}(\.\d{1,3})?$"
QUANTITY_PATTERN = r"^\d{1,9}(\.\d{1,3})?$"

# Input: a string or a number; output: a string with the base currency's decimals.
Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    PlainSerializer(money.to_api, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": MONEY_PATTERN},
                {"type": "number", "minimum": 0, "maximum": float(money.MAX_AMOUNT)},
            ],
            "examples": ["1234.50"],
        },
        mode="validation",
    ),
    WithJsonSchema(
        {"type": "string", "pattern": MONEY_PATTERN, "examples": ["1234.50"]}, mode="serialization"
    ),
]
Quantity = Annotated[
    Decimal,
    BeforeValidator(_quantity),
    PlainSerializer(money.quantity_to_api, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": QUANTITY_PATTERN},
                {"type": "number", "exclusiveMinimum": 0, "maximum": float(money.MAX_QUANTITY)},
            ],
            "examples": ["5", "2.5"],
        },
        mode="validation",
    ),
    WithJsonSchema({"type": "string", "examples": ["5", "2.5"]}, mode="serialization"),
]
MoneyOut = Annotated[
    Decimal,
    PlainSerializer(money.to_api, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d{2,3})?$", "examples": ["1234.50"]}),
]
# A currency with the most minor units any enabled currency may have (three): the
# schema reads prices up to that, the service checks the request currency's own.
_MOST_DECIMALS = "KWD"


def _price(value: Any) -> Decimal:
    try:
        return money.parse_money(value, currency=_MOST_DECIMALS)
    except money.MoneyError as exc:
        raise ValueError(str(exc)) from None


# Input: a string or a number with up to three decimals; the service checks the
# document currency's own minor units.
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
# An amount in a document's own currency: a string with exactly its decimals ("1234.50"
# USD, "1235" JPY, "12.345" BHD), written by ``amount_out`` with the document's currency.
Amount = Annotated[
    str,
    WithJsonSchema(
        {"type": "string", "pattern": r"^-?\d+(\.\d{2,3})?$", "examples": ["1234.50", "1235"]}
    ),
]


def amount_out(value: Decimal, currency: str) -> str:
    return str(money.to_api(value, currency))


def rate_out(rate: Decimal | None) -> str | None:
    """An exchange rate, or None where none was applied (``money.rate_to_api``)."""
    return None if rate is None else money.rate_to_api(rate)


QuantityOut = Annotated[
    Decimal,
    PlainSerializer(money.quantity_to_api, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["5", "2.5"]}),
]

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OptionalName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=10_000)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class Input(BaseModel):
    """A request body or query: unknown fields are ignored (API.md)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ErrorDetail(Output):
    code: str = Field(examples=["validation_error"])
    message: str
    fields: dict[str, list[str]] | None = None


class ErrorOut(Output):
    error: ErrorDetail


T = TypeVar("T")


class Page(Output, Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int


class PageQuery(Input):
    page: int = Field(1, ge=1, le=1_000_000)
    per_page: int = Field(50, ge=1, le=200)


class ActionBody(Input):
    comment: Text = ""
    version: int | None = Field(
        None, description="The version you acted on; 409 conflict if the document moved."
    )
