"""Exchange rates and conversion to the base currency.

A rate is what one unit of a currency is worth in the base currency on a day,
entered or imported by finance (``/rates``, the API, ``import-rates``); Procure never
fetches one. The rate for a day is the latest on or before it. Where a rate matters
it is frozen on the document with its date — a request at submit, an award at award,
an order at issue — so that a rate entered later moves nothing already decided.

Conversion multiplies and rounds half-up, once, to the base currency's minor units:
``to_base(amount, rate) == round_half_up(amount × rate)``. Sums of base amounts are
sums of rounded amounts; a document's base total is its total converted, not the sum
of its converted lines.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from . import access, audit, currencies
from .errors import ValidationError
from .extensions import db
from .models import ExchangeRate, User
from .money import MoneyError, format_date, parse_number, round_money

MAX_RATE = Decimal("1000000000")
RATE_PLACES = 9
ONE = Decimal(1)


@dataclasses.dataclass(frozen=True)
class Rate:
    currency: str
    date: dt.date
    rate: Decimal

    @property
    def is_base(self) -> bool:
        return self.currency == currencies.base()


def parse_rate(value: object, field: str = "rate") -> Decimal:
    """A rate: positive, at most 1e9, at most nine decimals (rounded half-up to them)."""
    try:
        number = parse_number(value)
    except MoneyError:
        raise ValidationError.field(field, "Give the rate as a number, e.g. 1.0825.") from None
    if number <= 0:
        raise ValidationError.field(field, "A rate must be greater than zero.")
    if number > MAX_RATE:
        raise ValidationError.field(field, "A rate above 1,000,000,000 cannot be right.")
    rounded = number.quantize(Decimal(1).scaleb(-RATE_PLACES))
    if rounded <= 0:
        raise ValidationError.field(field, "A rate this small cannot be kept; check the number.")
    return rounded


def record(currency: str, day: dt.date, rate: object, *, actor: User | None) -> ExchangeRate:
    """Record (or replace) the rate of ``currency`` on ``day``; audited as ``rate``.
    ``actor`` None: the command line."""
    if actor is not None:
        access.require(actor, "record_rates", action="record exchange rates")
    code = currencies.require_enabled(currency)
    if code == currencies.base():
        raise ValidationError.field(
            "currency", f"{code} is the base currency: its rate is always 1."
        )
    value = parse_rate(rate)
    row = db.session.scalar(
        sa.select(ExchangeRate).where(ExchangeRate.currency == code, ExchangeRate.day == day)
    )
    old = None if row is None else row.rate
    if row is None:
        row = ExchangeRate(currency=code, day=day, rate=value, created_by=actor)
        db.session.add(row)
    else:
        row.rate, row.created_by = value, actor
    db.session.flush()
    if old != value:
        audit.record(
            "rate",
            row.id,
            "create" if old is None else "update",
            actor=actor,
            changes={
                "currency": code,
                "date": day.isoformat(),
                "rate": [None if old is None else str(old), str(value)],
            },
        )
    return row


def on(currency: str, day: dt.date) -> Rate | None:
    """The rate of ``currency`` on ``day``: the latest on or before it, or None."""
    code = currency.upper()
    if code == currencies.base():
        return Rate(code, day, ONE)
    row = db.session.execute(
        sa.select(ExchangeRate.day, ExchangeRate.rate)
        .where(ExchangeRate.currency == code, ExchangeRate.day <= day)
        .order_by(ExchangeRate.day.desc())
        .limit(1)
    ).first()
    return None if row is None else Rate(code, row.day, row.rate)


def missing_message(currency: str, day: dt.date) -> str:
    return (
        f"There is no {currency} rate on or before {format_date(day)}; finance enters "
        "rates on /rates."
    )


def require(currency: str, day: dt.date, field: str = "currency") -> Rate:
    """The rate of ``currency`` on ``day``; a ValidationError on ``field`` when none."""
    found = on(currency, day)
    if found is None:
        raise ValidationError.field(field, missing_message(currency.upper(), day))
    return found


def to_base(amount: Decimal, rate: Rate) -> Decimal:
    """``amount`` (in ``rate.currency``) in the base currency, rounded half-up once."""
    if rate.is_base:
        return round_money(amount, rate.currency)
    return round_money(amount * rate.rate, currencies.base())


def latest_rates() -> dict[str, Rate]:
    """The newest rate of each enabled currency (the base at 1, dated today)."""
    today = dt.date.today()
    found: dict[str, Rate] = {}
    for code in currencies.enabled():
        rate = on(code, dt.date.max) if code != currencies.base() else Rate(code, today, ONE)
        if rate is not None:
            found[code] = rate
    return found


def history(currency: str, *, limit: int = 100, before: dt.date | None = None) -> list[Rate]:
    """The rates of ``currency``, newest first (``before``: older than that day)."""
    query = sa.select(ExchangeRate.day, ExchangeRate.rate).where(
        ExchangeRate.currency == currency.upper()
    )
    if before is not None:
        query = query.where(ExchangeRate.day < before)
    rows = db.session.execute(query.order_by(ExchangeRate.day.desc()).limit(limit))
    return [Rate(currency.upper(), day, rate) for day, rate in rows]
