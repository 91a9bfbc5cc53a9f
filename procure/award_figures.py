"""What an award was measured against, kept on the RFQ when it is awarded, so that the
savings report at a million requests sums a column per award instead of converting and
ranking every quote of every award in its range at each look:

- ``Rfq.award_quotes``: how many current quotes the comparison could rank (a corrected
  quote replaces the one it corrects; a foreign quote without a rate on or before the
  award's rate date cannot be compared and is not counted);
- ``Rfq.award_highest_base``: the highest of them, in the base currency;
- ``Rfq.award_median_base``: their median (the middle quote, or the mean of the middle
  two rounded half up to the base currency's minor unit — ``percentile_cont(0.5)``).

Every quote is in the base currency as the comparison ranked it: the awarded quote at
the rate the award froze (``Rfq.award_total_base``), every other quote at its
currency's rate on or before the award's rate date. Quotes are recorded only while an
RFQ is open and an award is final, so the figures never move once kept.

:func:`keep` writes them in the award's transaction (``sourcing``'s award service);
:func:`refill` writes them for every award at once (``seed-bench``'s bulk writes);
migration 0028 filled the awards made before; :func:`differences` recomputes them and
names each award that disagrees (``flask verify-totals``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from . import currencies
from .db import is_postgres
from .extensions import db
from .models import ExchangeRate, Quote, Rfq, RfqStatus
from .money import Money, RateColumn, minor_units


def to_base_units(amount: Any, rate: Any) -> sa.ColumnElement[int]:
    """A money column times a rate column, rounded half-up to the base currency's minor
    units (``rates.to_base``'s rule), in the money column's own stored units.

    Both columns are integers underneath (``money._ScaledDecimal``): the product is
    exact in integers, then divided with the half added. PostgreSQL computes it in
    NUMERIC (a BIGINT product could overflow); SQLite multiplies in 64-bit integers,
    falling back to floating point only beyond 9.2e18 (an order of ten million at a
    rate of one), where a result exactly half a cent off could round the other way.
    Amounts are not negative here."""
    places = minor_units()
    divisor = 10 ** (Money.scale + RateColumn.scale - places)
    step = 10 ** (Money.scale - places)
    units = sa.type_coerce(amount, sa.BigInteger)
    per = sa.type_coerce(rate, sa.BigInteger)
    half = sa.literal_column(str(divisor // 2))
    over = sa.literal_column(str(divisor))
    if is_postgres():
        whole = sa.func.floor((sa.cast(units, sa.Numeric) * per + half) / over)
    else:
        whole = (units * per + half) / over
    return sa.cast(whole, sa.BigInteger) * sa.literal_column(str(step))


def round_units(value: Any) -> sa.ColumnElement[int]:
    """A computed number of money units (an average) rounded half-up to the base
    currency's minor units, in money units."""
    step = sa.literal_column(str(10 ** (Money.scale - minor_units())))
    return sa.func.round(value / step) * step


def _converted(
    rfq_ids: sa.Select, awarded_quote_id: Any, award_total_base: Any, rate_date: Any
) -> sa.Subquery:
    """The current quotes of the RFQs ``rfq_ids`` selects, each with its total in the
    base currency as the comparison saw it (see the module): the awarded one's as the
    award froze it (an award from before currencies was in the base currency: its own
    total), a foreign one's at the rate on or before ``rate_date`` (NULL without one)."""
    rate = (
        sa.select(ExchangeRate.rate)
        .where(ExchangeRate.currency == Quote.currency, ExchangeRate.day <= rate_date)
        .order_by(ExchangeRate.day.desc())
        .limit(1)
        .correlate(Quote, Rfq)
        .scalar_subquery()
    )
    base = sa.case(
        (Quote.id == awarded_quote_id, sa.func.coalesce(award_total_base, Quote.total)),
        (Quote.currency == currencies.base(), Quote.total),
        else_=to_base_units(Quote.total, rate),
    )
    return (
        sa.select(Quote.rfq_id.label("rfq_id"), Quote.id.label("id"), base.label("base"))
        .join(Rfq, Rfq.id == Quote.rfq_id)
        .where(
            Quote.rfq_id.in_(rfq_ids.correlate(None).scalar_subquery()),
            Quote.replaced_by_id.is_(None),
        )
        .subquery()
    )


def _figures(converted: sa.Subquery) -> sa.Subquery:
    """Per RFQ of ``converted``: how many quotes compare, the highest and the median,
    with window functions both databases have."""
    ranked = (
        sa.select(
            converted.c.rfq_id,
            converted.c.base.label("total"),
            sa.func.row_number()
            .over(partition_by=converted.c.rfq_id, order_by=(converted.c.base, converted.c.id))
            .label("rank"),
            sa.func.count().over(partition_by=converted.c.rfq_id).label("quotes"),
        )
        .where(converted.c.base.is_not(None))
        .subquery()
    )
    middle = ranked.c.rank.in_([(ranked.c.quotes + 1) // 2, (ranked.c.quotes + 2) // 2])
    median = round_units(sa.func.avg(sa.case((middle, ranked.c.total))))
    return (
        sa.select(
            ranked.c.rfq_id,
            sa.func.max(ranked.c.quotes).label("quotes"),
            sa.type_coerce(sa.func.max(ranked.c.total), Money).label("highest"),
            sa.type_coerce(median, Money).label("median"),
        )
        .group_by(ranked.c.rfq_id)
        .subquery("award_figures")
    )


def recomputed(rfq_ids: sa.Select) -> sa.Subquery:
    """The figures of the awarded RFQs ``rfq_ids`` selects, from their quotes and the
    award's own columns."""
    award = (Rfq.awarded_quote_id, Rfq.award_total_base, Rfq.award_rate_date)
    return _figures(_converted(rfq_ids, *award))


def keep(rfq: Rfq) -> None:
    """Write ``rfq``'s figures onto it as it is awarded: its awarded quote, the rate
    date and the total in the base currency set, not yet written (the award's one
    UPDATE carries them all)."""
    award = (
        sa.literal(rfq.awarded_quote_id),
        sa.literal(rfq.award_total_base, Money),
        sa.literal(rfq.award_rate_date, sa.Date),
    )
    figures = _figures(_converted(sa.select(sa.literal(rfq.id)), *award))
    with db.session.no_autoflush:
        quotes, highest, median = db.session.execute(
            sa.select(figures.c.quotes, figures.c.highest, figures.c.median)
        ).one()
    rfq.award_quotes, rfq.award_highest_base, rfq.award_median_base = quotes, highest, median


def refill() -> None:
    """Write every award's figures from its quotes (after bulk writes)."""
    figures = recomputed(sa.select(Rfq.id).where(Rfq.status == RfqStatus.AWARDED))
    db.session.execute(
        sa.update(Rfq)
        .where(Rfq.id == figures.c.rfq_id)
        .values(
            award_quotes=figures.c.quotes,
            award_highest_base=figures.c.highest,
            award_median_base=figures.c.median,
        )
        .execution_options(synchronize_session=False)
    )


def differences() -> list[str]:
    """Each award whose kept figures its quotes contradict, in words."""
    figures = recomputed(sa.select(Rfq.id).where(Rfq.status == RfqStatus.AWARDED))
    kept = (Rfq.award_quotes, Rfq.award_highest_base, Rfq.award_median_base)
    actual = (figures.c.quotes, figures.c.highest, figures.c.median)
    rows = db.session.execute(
        sa.select(Rfq.number, *kept, *actual)
        .outerjoin(figures, figures.c.rfq_id == Rfq.id)
        .where(
            Rfq.status == RfqStatus.AWARDED,
            sa.or_(*(k.is_distinct_from(a) for k, a in zip(kept, actual, strict=True))),
        )
        .order_by(Rfq.id)
    )
    return [
        f"RFQ {number}: award figures kept {_said(quotes, highest, median)}, "
        f"from its quotes {_said(*actual_figures)}"
        for number, quotes, highest, median, *actual_figures in rows
    ]


def _said(quotes: int | None, highest: Any, median: Any) -> str:
    if quotes is None:
        return "(none)"
    return f"{quotes} quotes, highest {highest}, median {median}"
