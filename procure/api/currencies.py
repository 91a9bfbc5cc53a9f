"""Currencies and exchange rates through the API (API.md, "Additions — Currencies")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer, StringConstraints, WithJsonSchema

from .. import currencies, money, rates
from ..errors import NotFound
from ..models import utcnow
from . import bp
from .schemas import Input, Output
from .spec import current_user, operation

# The fewest decimals the API gives a rate (API.md); it keeps nine.

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10)]


RateString = Annotated[
    Decimal,
    PlainSerializer(money.rate_to_api, return_type=str),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\d+\.\d{6,9}$", "examples": ["1.082500"]},
    ),
]


class CurrenciesOut(Output):
    base: str = Field(description="The installation's currency (PROCURE_CURRENCY).")
    enabled: list[str] = Field(
        description="The currencies documents may be in; the base first.",
        examples=[["USD", "EUR", "GBP"]],
    )


class CurrenciesIn(Input):
    enabled: list[Code] = Field(
        max_length=currencies.MAX_ENABLED,
        description="ISO 4217 codes to enable besides the base (which always is); "
        "at most three decimals each.",
        examples=[["EUR", "GBP"]],
    )


class RateIn(Input):
    currency: Code = Field(description="An enabled currency other than the base.")
    date: dt.date = Field(description="The day the rate is for.")
    rate: Annotated[str, StringConstraints(max_length=40)] | Decimal | int = Field(
        description="Base units one unit of `currency` is worth: > 0 and at most 1e9; "
        "kept to nine decimals.",
        examples=["1.0825"],
    )


class RateOut(Output):
    currency: str
    date: dt.date = Field(description="The day of the rate: on or before the day asked.")
    rate: RateString


class RateQuery(Input):
    currency: Code
    on: dt.date | None = Field(None, description="Default: today.")


def currencies_out() -> CurrenciesOut:
    return CurrenciesOut(base=currencies.base(), enabled=currencies.enabled())


@operation(
    bp,
    "GET",
    "/currencies",
    response=CurrenciesOut,
    summary="The base currency and the enabled ones",
    tag="Currencies",
)
def get_currencies():
    """Any signed-in user: what a document's ``currency`` may be."""
    return currencies_out()


@operation(
    bp,
    "PUT",
    "/currencies",
    body=CurrenciesIn,
    response=CurrenciesOut,
    summary="Set the enabled currencies (admin)",
    tag="Currencies",
    errors=(403,),
)
def put_currencies(body: CurrenciesIn):
    """Exactly these besides the base (audited as a setting). A code that is not ISO 4217,
    or has more than three decimals: 422 on ``enabled``. Documents already in a currency
    left out keep it."""
    currencies.set_enabled(body.enabled, actor=current_user())
    return currencies_out()


@operation(
    bp,
    "POST",
    "/rates",
    body=RateIn,
    response=RateOut,
    status=201,
    summary="Record an exchange rate (finance)",
    tag="Currencies",
    errors=(403,),
)
def post_rate(body: RateIn):
    """A second rate for the same currency and day replaces the first (audited). A rate
    that is zero, negative or over 1e9: 422 on ``rate``; a currency not enabled, or the
    base: 422 on ``currency``."""
    row = rates.record(body.currency, body.date, body.rate, actor=current_user())
    return RateOut(currency=row.currency, date=row.day, rate=row.rate)


@operation(
    bp,
    "GET",
    "/rates",
    query=RateQuery,
    response=RateOut,
    summary="The rate of a currency on a day",
    tag="Currencies",
    errors=(404,),
)
def get_rate(query: RateQuery):
    """The latest rate on or before ``on``: 404 when there is none. A currency that is not
    ISO 4217 or not enabled, or a malformed date: 422. The base currency's rate is 1."""
    code = currencies.require_enabled(query.currency)
    day = query.on or utcnow().date()
    found = rates.on(code, day)
    if found is None:
        raise NotFound(rates.missing_message(code, day))
    return RateOut(currency=found.currency, date=found.date, rate=found.rate)
