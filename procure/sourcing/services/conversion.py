"""Quotes in the vendors' currencies, compared in the base currency.

Every quote of an RFQ is converted at one rate date, the earlier of today and the
RFQ's due date: quotes compete at the same moment's rates, and an RFQ whose quotes
are all in stops moving with the market once it is due. A quote in a currency with
no rate on or before that date is shown but not ranked; awarding it is refused.
The award freezes the rate it compared at (``award``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from ... import currencies, rates
from ...models import Quote, Rfq, utcnow
from ...money import format_date, format_money


@dataclasses.dataclass(frozen=True)
class Converted:
    """A quote's total in the base currency at the comparison's rate, or why not."""

    quote_id: int
    currency: str
    total: Decimal
    rate: rates.Rate | None
    total_base: Decimal | None

    @property
    def rated(self) -> bool:
        return self.rate is not None


def rate_date(rfq: Rfq, today: dt.date | None = None) -> dt.date:
    """The one date every quote of the RFQ is converted at: min(today, due date)."""
    today = today or utcnow().date()
    return min(today, rfq.due_date) if rfq.due_date else today


def convert(quote: Quote, day: dt.date) -> Converted:
    rate = rates.on(quote.currency, day)
    return Converted(
        quote_id=quote.id,
        currency=quote.currency,
        total=quote.total,
        rate=rate,
        total_base=rates.to_base(quote.total, rate) if rate is not None else None,
    )


def no_rate_note(currency: str, day: dt.date) -> str:
    """Why a quote is not ranked, in the words the award's refusal uses."""
    return rates.missing_message(currency, day)


def both_amounts(converted: Converted) -> str:
    """Both amounts, "€4,620.00 ≈ $5,001.15"; a base-currency quote shows one."""
    own = format_money(converted.total, converted.currency)
    base = currencies.base()
    if converted.total_base is None or converted.currency == base:
        return own
    return f"{own} ≈ {format_money(converted.total_base, base)}"


def rate_text(rate: Decimal) -> str:
    """A rate as people read it: its digits, at least four decimals ("1.0825")."""
    text = f"{rate:f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(4, '0')}"


def award_note(rfq: Rfq, currency: str) -> str | None:
    """The rate the award froze, for an award in another currency than the base."""
    if rfq.award_rate is None or rfq.award_total_base is None or currency == currencies.base():
        return None
    base = currencies.base()
    return (
        f"Awarded at 1 {currency} = {rate_text(rfq.award_rate)} {base} "
        f"(rate of {format_date(rfq.award_rate_date)}): "
        f"{format_money(rfq.award_total_base, base)}."
    )
