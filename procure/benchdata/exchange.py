"""Foreign currencies in the generated history: which documents are in them, and the
daily rates that convert them.

About one request in five is estimated in a foreign currency (15 % in the first one the
demo enables, EUR where the base is USD, and 5 % in the second, GBP), drawn from a
stream of its own so that the rest of the history stays as the seed makes it. Its quotes
and order are in the same currency. The rates are the demo's (``demo_currencies``), one
per weekday over the whole history, each recorded (and audited) on its day; a document
converts at the latest on or before its date, as ``rates.on`` does.

Money is in cents, as everywhere in the generator; a rate is in the ``RateColumn``'s
units, billionths (``RATE_UNITS`` is 1).
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import types
from decimal import Decimal

from ..demo_currencies import demo_rate, foreign_currencies
from .chain import AuditStream
from .clock import Clock
from .organisation import Ids

RATE_UNITS = 10**9
SHARES = (0.15, 0.05)  # of the requests, in the first and the second foreign currency
# When a day's rate is recorded (UTC): after the central banks publish theirs.
RECORDED_AT = dt.time(15, 30)


def to_base(cents: int, rate: int) -> int:
    """``rates.to_base`` in cents: the amount times the rate, half-up once."""
    return (cents * rate + RATE_UNITS // 2) // RATE_UNITS


def rate_text(rate: int) -> str:
    """A rate as the services audit it: ``str`` of the Decimal read back ("1.082500000";
    the base currency's "1")."""
    return "1" if rate == RATE_UNITS else str(Decimal(rate).scaleb(-9))


def from_base(cents: int, rate: int) -> int:
    """A base amount in the foreign currency (how a person estimates in it): half-up."""
    return (cents * RATE_UNITS + rate // 2) // rate


class Exchange:
    """The history's foreign currencies and their rates, day by day."""

    def __init__(self, seed: int, base: str, clock: Clock) -> None:
        self.base = base
        self.codes = foreign_currencies()
        self._draw = random.Random(f"{seed}:currency")  # noqa: S311 -- test data
        self._contracts = random.Random(f"{seed}:contract-currency")  # noqa: S311
        first = clock.start.date() - dt.timedelta(days=10)
        self.now = clock.now
        days = [
            first + dt.timedelta(days=n)
            for n in range((clock.now.date() - first).days + 1)
            if (first + dt.timedelta(days=n)).weekday() < 5
        ]
        # A day's rate exists once recorded: today's only from its recording time on.
        if days and dt.datetime.combine(days[-1], RECORDED_AT) > clock.now:
            days.pop()
        self.days = days
        # When admin enabled the currencies: the morning of the first rate's day.
        self.enabled_at = dt.datetime.combine(first, dt.time(9, 0))
        self._decimals = {code: [demo_rate(code, day) for day in days] for code in self.codes}
        self.rates = {
            code: [int(rate.scaleb(9)) for rate in self._decimals[code]] for code in self.codes
        }

    def pick(self) -> str:
        """The currency of the next request."""
        return self._currency(self._draw.random())

    def pick_for_contract(self) -> str:
        """The currency of the next contract (a stream of its own)."""
        return self._currency(self._contracts.random())

    def _currency(self, draw: float) -> str:
        for code, share in zip(self.codes, SHARES, strict=False):
            if draw < share:
                return code
            draw -= share
        return self.base

    def on(self, code: str, day: dt.date) -> tuple[int, dt.date]:
        """(rate, its date): the latest on or before ``day``; the base is 1 on the day."""
        if code == self.base:
            return RATE_UNITS, day
        index = max(0, bisect.bisect_right(self.days, day) - 1)
        return self.rates[code][index], self.days[index]

    def rows(self, ids: Ids, stream: AuditStream) -> list[tuple]:
        """The ``exchange_rates`` rows, each audited as recorded from the command line
        (``rates.record`` with no actor) on its day."""
        found = []
        for code in self.codes:
            for day, rate, value in zip(
                self.days, self.rates[code], self._decimals[code], strict=True
            ):
                ident = ids.next("exchange_rates")
                moment = dt.datetime.combine(day, RECORDED_AT)
                found.append((ident, code, day, rate, None, moment))
                text = str(value)
                stream.add(
                    moment,
                    "rate",
                    types.SimpleNamespace(id=ident),
                    "create",
                    changes={"currency": code, "date": day.isoformat(), "rate": [None, text]},
                )
        return found
