"""Claiming the rows of an outbox — the e-mails of ``notifications/mail.py``, the
webhook deliveries of ``webhooks/delivery.py`` — so that any number of senders may run
at once, on any number of hosts.

An outbox table has ``status`` (``pending``, ``sending``, and its final states),
``next_attempt_at`` and ``claimed_at``. A sender:

1. *claims* a batch in a short transaction: rows that are due (``pending`` and
   ``next_attempt_at <= now``), and rows a sender claimed more than 15 minutes ago and
   never finished (it died), become ``sending`` with ``claimed_at = now``. On
   PostgreSQL the candidates are selected ``FOR UPDATE SKIP LOCKED``, so concurrent
   claimers take different rows without waiting for each other; on SQLite the claim is
   a write transaction (``BEGIN IMMEDIATE``), which serialises claimers;
2. sends outside any transaction;
3. records each outcome in a short transaction of its own, only while the row is still
   its own (``ours``: ``sending`` with its ``claimed_at``); a failure is due again after
   ``retry_delay``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from .db import is_postgres, write_intent
from .extensions import db

PENDING = "pending"
SENDING = "sending"
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_RETRY = dt.timedelta(hours=1)
# A claim older than this belongs to a sender that died: the row is claimed again.
STALE_CLAIM = dt.timedelta(minutes=15)


@contextlib.contextmanager
def write_transaction() -> Iterator[None]:
    """A short transaction of its own that takes the write lock from the start (SQLite)."""
    db.session.commit()  # end any read transaction, so that the next one begins as a write
    with write_intent():
        try:
            yield
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise


def due(table: sa.Table, now: dt.datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(table.c.status == PENDING, table.c.next_attempt_at <= now),
        sa.and_(table.c.status == SENDING, table.c.claimed_at < now - STALE_CLAIM),
    )


def claim(
    table: sa.Table, limit: int, now: dt.datetime, columns: Sequence[sa.Column[Any]]
) -> list[sa.Row[Any]]:
    """Take up to ``limit`` due rows for this sender (oldest due first); answers
    ``columns`` of each, in the order of their ids.

    Two statements, not ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED
    LIMIT n)``: PostgreSQL may run such a subquery more than once, skipping the rows
    the UPDATE itself has just changed, and so claim more than ``n``."""
    candidates = (
        sa.select(table.c.id)
        .where(due(table, now))
        .order_by(table.c.next_attempt_at, table.c.id)
        .limit(limit)
    )
    if is_postgres():
        candidates = candidates.with_for_update(skip_locked=True)
    with write_transaction():
        ids = db.session.scalars(candidates).all()
        if not ids:
            return []
        rows = db.session.execute(
            sa.update(table)
            .where(table.c.id.in_(ids))
            .values(status=SENDING, claimed_at=now)
            .returning(*columns)
        ).all()
    return sorted(rows, key=lambda row: row.id)


def count_waiting(table: sa.Table) -> int:
    """Rows not delivered yet and not given up on (queued, or being sent)."""
    waiting = sa.select(sa.func.count()).select_from(table)
    return db.session.scalar(waiting.where(table.c.status.in_([PENDING, SENDING]))) or 0


def ours(table: sa.Table, row_id: int, claimed_at: dt.datetime) -> sa.ColumnElement[bool]:
    """The row, while this sender's claim on it stands."""
    return sa.and_(
        table.c.id == row_id, table.c.status == SENDING, table.c.claimed_at == claimed_at
    )


def retry_delay(attempts: int) -> dt.timedelta:
    """1 minute after the first failure, doubling each time, at most an hour."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)
