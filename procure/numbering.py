"""Gap-free yearly document numbers: ``PR-2026-00001``.

The counter row is incremented inside the document's own transaction: a rollback
gives the number back, and the row lock makes concurrent creators queue.
"""

from __future__ import annotations

import sqlalchemy as sa

from .db import insert_unless_present
from .extensions import db
from .models import NumberSequence


def next_number(prefix: str, year: int) -> str:
    return f"{prefix}-{year}-{_next(prefix, year):05d}"


def _next(prefix: str, year: int) -> int:
    table = NumberSequence.__table__
    db.session.execute(insert_unless_present(table, prefix=prefix, year=year, last=0))
    return db.session.execute(
        sa.update(table)
        .where(table.c.prefix == prefix, table.c.year == year)
        .values(last=table.c.last + 1)
        .returning(table.c.last)
    ).scalar_one()


# Asset tags: one gap-free sequence for the whole register, not by year (a label
# stays on a laptop for years): ``AT-000123``.
TAG_PREFIX = "AT"


def next_tag() -> str:
    return f"{TAG_PREFIX}-{_next(TAG_PREFIX, 0):06d}"
