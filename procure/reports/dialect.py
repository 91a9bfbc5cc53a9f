"""Date arithmetic and percentiles, which SQLite and PostgreSQL spell differently.

Timestamps are naive UTC on both databases (``models.base.utcnow``). SQLite keeps
them as ISO text and has ``julianday``; PostgreSQL has intervals and ``EXTRACT``.
Everything the reports need of either lives here, so that the queries read the same.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ..db import is_postgres
from ..extensions import db

SECONDS_PER_DAY = 86_400


def seconds_between(start: Any, end: Any) -> sa.ColumnElement[float]:
    """``end - start`` in seconds, as a float (negative when ``end`` is earlier)."""
    if is_postgres():
        return sa.cast(sa.extract("epoch", end - start), sa.Float)
    # julianday() counts in whole milliseconds underneath; rounding to them removes
    # the float noise of subtracting two day numbers near 2.46 million.
    return sa.func.round((sa.func.julianday(end) - sa.func.julianday(start)) * SECONDS_PER_DAY, 3)


def epoch_ms(timestamp: Any) -> sa.ColumnElement[int]:
    """A timestamp as whole milliseconds since an epoch (each database's own: only
    differences mean anything), for ordering and framing windows by time."""
    if is_postgres():
        return sa.cast(sa.func.round(sa.extract("epoch", timestamp) * 1000), sa.BigInteger)
    # julianday() holds whole milliseconds underneath: the product rounds back exactly.
    return sa.cast(sa.func.round(sa.func.julianday(timestamp) * 86_400_000), sa.Integer)


def month_of(timestamp: Any) -> sa.ColumnElement[str]:
    """The calendar month of a timestamp as ``YYYY-MM`` text."""
    if is_postgres():
        return sa.func.to_char(timestamp, "YYYY-MM")
    return sa.func.strftime("%Y-%m", timestamp)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The ``fraction`` percentile of ascending ``values``, interpolated linearly
    between the two closest ranks (PostgreSQL's ``percentile_cont``; "type 7" of
    Hyndman and Fan, NumPy's default): rank ``h = (n - 1) * fraction`` counted from 0,
    then ``x[⌊h⌋] + (h - ⌊h⌋) * (x[⌊h⌋ + 1] - x[⌊h⌋])``. None for no values."""
    if not values:
        return None
    rank = (len(values) - 1) * fraction
    low = math.floor(rank)
    high = min(low + 1, len(values) - 1)
    return values[low] + (rank - low) * (values[high] - values[low])


def percentile_cont(fraction: float, value: Any) -> sa.ColumnElement[float]:
    """The same percentile computed by PostgreSQL inside a GROUP BY."""
    return sa.func.percentile_cont(fraction).within_group(sa.cast(value, sa.Float))


def without_jit() -> None:
    """Switch PostgreSQL's JIT compiler off for the rest of the transaction. A report's
    aggregate over many rows looks expensive enough to the planner to be compiled, and
    compiling costs more (half a second) than the query it would speed up."""
    if is_postgres():
        db.session.execute(sa.text("SET LOCAL jit = off"))
