"""The shapes of quotes and of the comparison in the API (API.md, "RFQs"): what
``api/rfqs.py``'s operations take and answer besides the RFQ itself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StringConstraints, WithJsonSchema

from .. import money
from ..models import Quote, QuoteLine
from ..sourcing import services
from ..validation import FieldErrors
from .requests import Description
from .schemas import (
    Amount,
    Id,
    Input,
    Output,
    Quantity,
    QuantityOut,
    Text,
    Timestamp,
    amount_out,
)

AMOUNT_IN_PATTERN = r"^\d{1,12}(\.\d{1,3})?$"


def _amount(value: Any) -> Any:
    """A number or a decimal string, as typed: how many decimals it may have depends on
    the document's currency, which the operation knows (``amount_in``)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError("must be a number")
    return value


# Input: a string or a number, parsed with the document's currency's minor units.
AmountIn = Annotated[
    Any,
    BeforeValidator(_amount),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": AMOUNT_IN_PATTERN},
                {"type": "number", "minimum": 0, "maximum": float(money.MAX_AMOUNT)},
            ],
            "examples": ["1234.50", "1235", "12.345"],
        }
    ),
]


def amount_in(errors: FieldErrors, value: Any, field: str, currency: str) -> Decimal:
    """Parse an amount of ``currency``; a problem is added to ``errors`` on ``field``."""
    try:
        return money.parse_money(value, currency=currency)
    except money.MoneyError as exc:
        label = field.rsplit(".", 1)[-1].replace("_", " ").capitalize()
        errors.add(field, f"{label}: {exc} ({currency}).")
        return Decimal(0)


class QuoteLineIn(Input):
    description: Description
    quantity: Quantity
    unit_price: AmountIn
    unit: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ] = "each"
    request_line_id: Id | None = None


class QuoteIn(Input):
    vendor_id: Id
    currency: Annotated[str, StringConstraints(max_length=3)] | None = None
    valid_until: dt.date
    lead_time_days: int = Field(ge=0, le=services.MAX_LEAD_TIME_DAYS)
    warranty_months: int = Field(0, ge=0, le=services.MAX_WARRANTY_MONTHS)
    payment_terms: Annotated[str, StringConstraints(max_length=200)] = ""
    shipping: AmountIn = "0"
    tax: AmountIn = "0"
    notes: Text = ""
    lines: list[QuoteLineIn] = Field(min_length=1, max_length=1000)

    def quote_data(self) -> services.QuoteData:
        """The quote, its amounts parsed with its currency's minor units (``JPY``: whole
        yen; ``BHD``: up to three decimals): 422 on each field that is not one."""
        errors = FieldErrors()
        currency = services.quote_currency(self.currency)
        shipping = amount_in(errors, self.shipping, "shipping", currency)
        tax = amount_in(errors, self.tax, "tax", currency)
        lines = [
            services.QuoteLineData(
                description=line.description,
                quantity=line.quantity,
                unit_price=amount_in(
                    errors, line.unit_price, f"lines.{index}.unit_price", currency
                ),
                unit=line.unit,
                request_line_id=line.request_line_id,
            )
            for index, line in enumerate(self.lines)
        ]
        errors.raise_if_any()
        return services.QuoteData(
            vendor_id=self.vendor_id,
            valid_until=self.valid_until,
            lead_time_days=self.lead_time_days,
            warranty_months=self.warranty_months,
            payment_terms=self.payment_terms,
            shipping=shipping,
            tax=tax,
            currency=currency,
            notes=self.notes,
            lines=lines,
        )


class QuoteLineOut(Output):
    id: int
    position: int
    request_line_id: int | None
    description: str
    quantity: QuantityOut
    unit: str
    unit_price: Amount | None = Field(description="Null while the RFQ's bids are sealed.")
    total: Amount | None = Field(description="Null while the RFQ's bids are sealed.")


class QuoteOut(Output):
    id: int
    rfq_id: int
    vendor_id: int
    vendor: str
    revision: int
    current: bool
    currency: str
    valid_until: dt.date
    expired: bool
    lead_time_days: int
    warranty_months: int
    payment_terms: str
    sealed: bool = Field(
        description="The RFQ's bids are sealed: every amount is null until they are opened."
    )
    shipping: Amount | None
    tax: Amount | None
    subtotal: Amount | None
    total: Amount | None
    notes: str
    has_attachment: bool
    created_at: Timestamp
    lines: list[QuoteLineOut]


class RankedOut(Output):
    quote_id: int
    vendor_id: int
    vendor: str
    currency: str
    total: Amount = Field(description="In the quote's currency.")
    total_base: Amount = Field(
        description="In the base currency, at the rate on or before the comparison's "
        "`rate_date`: what the ranking compares."
    )
    rate: str = Field(description="Base units one unit of `currency` was worth on `rate_date`.")
    rate_date: dt.date = Field(
        description="The date of the rate applied (on or before the comparison's `rate_date`)."
    )
    score: str = Field(description="0..1, four decimals: the sum of the criteria.")
    criteria: dict[str, str] = Field(description="Each criterion's weighted contribution.")
    normalised: dict[str, str] = Field(description="Each criterion before weighting, 0..1.")
    expired: bool
    eligible: bool
    why_not: str
    rank: int


class NotRankedOut(Output):
    quote_id: int
    vendor_id: int
    vendor: str
    currency: str
    total: Amount
    why_not: str = Field(description="No rate of the currency on or before `rate_date`.")


class ComparisonOut(Output):
    ranking: list[RankedOut]
    lowest_total_quote_id: int | None
    weights: dict[str, str]
    base_currency: str
    rate_date: dt.date = Field(
        description="Every quote is converted at the rate on or before this date: the "
        "earlier of today and the RFQ's due date."
    )
    not_ranked: list[NotRankedOut] = Field(
        description="Quotes in a currency without a rate then: shown, not ranked, "
        "cannot be awarded."
    )


def quote_line_out(line: QuoteLine, currency: str, sealed: bool = False) -> QuoteLineOut:
    return QuoteLineOut(
        id=line.id,
        position=line.position,
        request_line_id=line.request_line_id,
        description=line.description,
        quantity=line.quantity,
        unit=line.unit,
        unit_price=None if sealed else amount_out(line.unit_price, currency),
        total=None if sealed else amount_out(line.total, currency),
    )


def quote_out(quote: Quote) -> QuoteOut:
    """The quote; while its RFQ's bids are sealed, without any amount."""
    sealed = services.is_sealed(quote.rfq)

    def money(value: Decimal) -> str | None:
        return None if sealed else amount_out(value, quote.currency)

    return QuoteOut(
        id=quote.id,
        rfq_id=quote.rfq_id,
        vendor_id=quote.vendor_id,
        vendor=quote.vendor.name,
        revision=quote.revision,
        current=quote.current,
        currency=quote.currency,
        valid_until=quote.valid_until,
        expired=quote.valid_until < dt.date.today(),
        lead_time_days=quote.lead_time_days,
        warranty_months=quote.warranty_months,
        payment_terms=quote.payment_terms,
        sealed=sealed,
        shipping=money(quote.shipping),
        tax=money(quote.tax),
        subtotal=money(quote.subtotal),
        total=money(quote.total),
        notes=quote.notes,
        has_attachment=quote.attachment_id is not None,
        created_at=quote.created_at,
        lines=[quote_line_out(line, quote.currency, sealed) for line in quote.lines],
    )
