"""The shapes of quotes and of the comparison in the API (API.md, "RFQs"): what
``api/rfqs.py``'s operations take and answer besides the RFQ itself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints

from ..models import Quote
from ..sourcing import services
from .requests import Description
from .schemas import Id, Input, Money, MoneyOut, Output, Quantity, QuantityOut, Text, Timestamp


class QuoteLineIn(Input):
    description: Description
    quantity: Quantity
    unit_price: Money
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
    shipping: Money = Decimal("0.00")
    tax: Money = Decimal("0.00")
    notes: Text = ""
    lines: list[QuoteLineIn] = Field(min_length=1, max_length=1000)


class QuoteLineOut(Output):
    id: int
    position: int
    request_line_id: int | None
    description: str
    quantity: QuantityOut
    unit: str
    unit_price: MoneyOut
    total: MoneyOut


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
    shipping: MoneyOut
    tax: MoneyOut
    subtotal: MoneyOut
    total: MoneyOut
    notes: str
    has_attachment: bool
    created_at: Timestamp
    lines: list[QuoteLineOut]


class RankedOut(Output):
    quote_id: int
    vendor_id: int
    vendor: str
    total: MoneyOut
    score: str = Field(description="0..1, four decimals: the sum of the criteria.")
    criteria: dict[str, str] = Field(description="Each criterion's weighted contribution.")
    normalised: dict[str, str] = Field(description="Each criterion before weighting, 0..1.")
    expired: bool
    eligible: bool
    why_not: str
    rank: int


class ComparisonOut(Output):
    ranking: list[RankedOut]
    lowest_total_quote_id: int | None
    weights: dict[str, str]


def quote_out(quote: Quote) -> QuoteOut:
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
        shipping=quote.shipping,
        tax=quote.tax,
        subtotal=quote.subtotal,
        total=quote.total,
        notes=quote.notes,
        has_attachment=quote.attachment_id is not None,
        created_at=quote.created_at,
        lines=[QuoteLineOut.model_validate(line) for line in quote.lines],
    )
