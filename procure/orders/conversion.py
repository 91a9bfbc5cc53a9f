"""An order's amount in the base currency.

Issuing freezes the rate of the issue date on the order (``rate``, ``rate_date``,
``total_base``): that is what commits the budget, and a rate entered later moves
nothing. An order in the base currency freezes a rate of 1. A draft has no rate yet;
its page shows the award's rate as an indication."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from .. import currencies, rates
from ..models import PurchaseOrder
from ..money import format_date, format_money
from ..sourcing.services.conversion import rate_text


def freeze_rate(order: PurchaseOrder, day: dt.date) -> rates.Rate:
    """Set the order's rate on ``day`` and its base total; 422 on ``currency`` naming
    the currency and the date when finance has entered no rate on or before it."""
    rate = rates.require(order.currency, day, field="currency")
    order.rate = rate.rate
    order.rate_date = rate.date
    order.total_base = rates.to_base(order.total, rate)
    return rate


def to_base(order: PurchaseOrder, amount: Decimal) -> Decimal:
    """``amount`` of the order's currency in the base currency at the rate frozen at issue
    (as it is for an order without one)."""
    if order.rate is None or order.rate_date is None:
        return amount
    return rates.to_base(amount, rates.Rate(order.currency, order.rate_date, order.rate))


@dataclasses.dataclass(frozen=True)
class BaseEquivalent:
    """What the order page shows beside a foreign-currency total."""

    total_base: Decimal
    rate: Decimal
    rate_date: dt.date
    frozen: bool

    def text(self, currency: str) -> str:
        base = currencies.base()
        how = "frozen at issue" if self.frozen else "the award's rate; frozen at issue"
        return (
            f"≈ {format_money(self.total_base, base)} at 1 {currency} = "
            f"{rate_text(self.rate)} {base} (rate of {format_date(self.rate_date)}, {how})"
        )


def base_equivalent(order: PurchaseOrder) -> BaseEquivalent | None:
    """The frozen base total of an issued order; for a draft, the award's; None for an
    order in the base currency, whose total is its base total."""
    if order.currency == currencies.base():
        return None
    if order.rate is not None and order.rate_date and order.total_base is not None:
        return BaseEquivalent(order.total_base, order.rate, order.rate_date, frozen=True)
    rfq = order.rfq
    if rfq is None or rfq.award_rate is None or rfq.award_rate_date is None:
        return None
    rate = rates.Rate(order.currency, rfq.award_rate_date, rfq.award_rate)
    return BaseEquivalent(
        rates.to_base(order.total, rate), rfq.award_rate, rfq.award_rate_date, frozen=False
    )
