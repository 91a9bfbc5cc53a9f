"""What a contract's amounts are worth in the base currency today.

Nothing freezes a contract's rate: it commits no budget by itself (its orders do), so
its fee schedule and the renewal calendar convert at the latest rate on or before
today and say so ("≈ $13,531.25 at today's rate"). The figures move with the rates;
they are estimates, never stored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from .. import currencies, rates
from ..models import Contract, utcnow
from . import document


@dataclasses.dataclass(frozen=True)
class Estimate:
    """An amount in the base currency at ``rate`` (the latest on or before today)."""

    amount_base: Decimal
    rate: rates.Rate

    @property
    def currency(self) -> str:
        return currencies.base()

    @property
    def rate_text(self) -> str:
        """The rate without trailing zeros and never in exponent form: "1.0825"."""
        return f"{self.rate.rate.normalize():f}"


@dataclasses.dataclass(frozen=True)
class ScheduledFee:
    """One instalment of the fee schedule and, for a foreign currency, its estimate."""

    instalment: document.Instalment
    estimate: Estimate | None


class RateBook:
    """Today's rates, looked up once per currency: a page of contracts asks for the
    same few currencies many times."""

    def __init__(self, day: dt.date | None = None) -> None:
        self.day = day or utcnow().date()
        self._found: dict[str, rates.Rate | None] = {}

    def rate(self, currency: str) -> rates.Rate | None:
        if currency not in self._found:
            self._found[currency] = rates.on(currency, self.day)
        return self._found[currency]

    def estimate(self, amount: Decimal, currency: str) -> Estimate | None:
        """``amount`` in the base currency at today's rate; None without a rate."""
        rate = self.rate(currency)
        if rate is None:
            return None
        return Estimate(rates.to_base(amount, rate), rate)

    def foreign_estimate(self, amount: Decimal, currency: str) -> Estimate | None:
        """The estimate a page shows beside an amount: none for the base currency,
        whose amount needs no conversion."""
        if currency == currencies.base():
            return None
        return self.estimate(amount, currency)


def is_foreign(contract: Contract) -> bool:
    return contract.currency != currencies.base()


def value_estimate(contract: Contract, book: RateBook | None = None) -> Estimate | None:
    """The contract's value for the term in the base currency at today's rate (the
    base currency converts at 1); None when its currency has no rate yet."""
    return (book or RateBook()).estimate(contract.value, contract.currency)


def fee_schedule(contract: Contract, book: RateBook | None = None) -> list[ScheduledFee]:
    """The current term's instalments with, for a foreign currency, each one's
    estimate: each instalment converts on its own, as it will be paid on its own."""
    book = book or RateBook()
    return [
        ScheduledFee(item, book.foreign_estimate(item.amount, contract.currency))
        for item in document.schedule(contract)
    ]
