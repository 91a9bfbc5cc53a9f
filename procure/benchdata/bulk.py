"""Writing many rows fast: ``COPY ... FROM STDIN`` through psycopg 3 on PostgreSQL,
``executemany`` on SQLite; one transaction per batch.

Rows are tuples of plain Python values (ints for money in cents, written here as the
columns store it, in thousandths; ints for quantities in thousandths; naive UTC
datetimes; dates; booleans; JSON already encoded as text), in the order of the column
names given.

On PostgreSQL a batch is written by a thread of its own, on a connection of its own,
while the generator plans the next one: the server ingests one chunk while Python
builds the next (the thread mostly waits on the server, without the GIL). On SQLite
the batch is written at once, in the session's transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..db import write_intent
from ..extensions import db
from ..models import AuditHead, NumberSequence, Sha256
from ..money import Money


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    # The format SQLAlchemy's SQLite DateTime type writes and reads back.
    if value is None:
        return None
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}"
    )


def _sqlite_date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _sqlite_bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _sqlite_converter(type_: Any) -> Callable | None:
    if isinstance(type_, sa.DateTime):
        return _sqlite_datetime
    if isinstance(type_, sa.Date):
        return _sqlite_date
    if isinstance(type_, sa.Boolean):
        return _sqlite_bool
    return None


_MONEY_FACTOR = 10 ** (Money.scale - 2)


def _cents_stored(value: int) -> int:
    return value * _MONEY_FACTOR


def _storing(type_: Any) -> Callable | None:
    """How a generated value becomes the value the column stores, if it differs."""
    if isinstance(type_, Money):
        return _cents_stored
    if isinstance(type_, Sha256):
        return bytes.fromhex
    return None


class ConcurrentChange(Exception):
    """Somebody else appended to the audit log while the seed was writing."""


@dataclasses.dataclass
class Batch:
    """What one transaction writes: rows per table (parents first), RFQs to mark
    awarded once their quotes exist, audit rows moving the head from ``head_before``
    to ``head_after``, the number sequences and the last id of each table."""

    inserts: list[tuple[sa.Table, Sequence[str], list[tuple]]] = dataclasses.field(
        default_factory=list
    )
    head_before: tuple[int, str] | None = None
    head_after: tuple[int, str] | None = None
    sequences: dict[tuple[str, int], int] = dataclasses.field(default_factory=dict)
    last_ids: dict[str, int] = dataclasses.field(default_factory=dict)
    # (quote id, version, rfq id) of the RFQs awarded in this batch.
    awards: list[tuple[int, int, int]] = dataclasses.field(default_factory=list)
    # Where the awards go: after this many inserts (the quotes).
    awards_after: int = 0


class BulkWriter:
    """Writes batches through one SQLAlchemy connection."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self._converters: dict[tuple[str, tuple[str, ...]], list[Callable | None]] = {}
        self._storing: dict[tuple[str, tuple[str, ...]], list[Callable | None]] = {}

    def write(self, batch: Batch) -> None:
        if batch.head_before is not None:
            self._check_head(batch.head_before)
        for index, (table, columns, rows) in enumerate(batch.inserts):
            if index == batch.awards_after:
                self._awards(batch.awards)
            self.insert(table, columns, rows)
        if batch.awards_after >= len(batch.inserts):
            self._awards(batch.awards)
        if batch.head_after is not None:
            head = AuditHead.__table__
            seq, digest = batch.head_after
            self.connection.execute(
                sa.update(head).where(head.c.id == 1).values(seq=seq, hash=digest)
            )
        self._sequences(batch.sequences)
        self._last_ids(batch.last_ids)

    def insert(self, table: sa.Table, columns: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        rows = self._as_stored(table, columns, rows)
        if self.postgres:
            self._copy(table, columns, rows)
        else:
            self._executemany(table, columns, rows)

    def _as_stored(
        self, table: sa.Table, columns: Sequence[str], rows: list[tuple]
    ) -> list[tuple]:
        """The values as the columns store them: the generator counts money in cents,
        the Money columns hold thousandths; it writes digests in hex, ``Sha256`` columns
        hold their bytes."""
        key = (table.name, tuple(columns))
        converters = self._storing.get(key)
        if converters is None:
            converters = [_storing(table.c[name].type) for name in columns]
            self._storing[key] = converters
        if not any(converters):
            return rows
        return [
            tuple(
                value if convert is None or value is None else convert(value)
                for value, convert in zip(row, converters, strict=True)
            )
            for row in rows
        ]

    def _copy(self, table: sa.Table, columns: Sequence[str], rows: list[tuple]) -> None:
        raw = self.connection.connection.driver_connection
        names = ", ".join(f'"{name}"' for name in columns)
        with (
            raw.cursor() as cursor,
            cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy,
        ):
            write = copy.write_row
            for row in rows:
                write(row)

    def _executemany(self, table: sa.Table, columns: Sequence[str], rows: list[tuple]) -> None:
        key = (table.name, tuple(columns))
        converters = self._converters.get(key)
        if converters is None:
            converters = [_sqlite_converter(table.c[name].type) for name in columns]
            self._converters[key] = converters
        if any(converters):
            rows = [
                tuple(
                    value if convert is None else convert(value)
                    for value, convert in zip(row, converters, strict=True)
                )
                for row in rows
            ]
        names = ", ".join(f'"{name}"' for name in columns)
        marks = ", ".join("?" for _ in columns)
        # Table and column names come from the models, never from input.
        sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'  # noqa: S608
        self.connection.exec_driver_sql(sql, rows)

    def _awards(self, awards: list[tuple[int, int, int]]) -> None:
        """An RFQ and its awarded quote refer to each other: the RFQ was written open,
        and is awarded now that its quotes exist (as the ORM does it)."""
        if not awards:
            return
        if self.postgres:
            # One statement for them all, from a temporary table.
            raw = self.connection.connection.driver_connection
            with raw.cursor() as cursor:
                cursor.execute(
                    "CREATE TEMPORARY TABLE IF NOT EXISTS seed_bench_awards "
                    "(quote_id bigint, version integer, rfq_id bigint) ON COMMIT DELETE ROWS"
                )
                with cursor.copy("COPY seed_bench_awards FROM STDIN") as copy:
                    for award in awards:
                        copy.write_row(award)
                cursor.execute(
                    "UPDATE rfqs SET status = 'awarded', awarded_quote_id = a.quote_id, "
                    "version = a.version FROM seed_bench_awards a WHERE rfqs.id = a.rfq_id"
                )
        else:
            self.connection.exec_driver_sql(
                "UPDATE rfqs SET status = 'awarded', awarded_quote_id = ?, version = ? "
                "WHERE id = ?",
                awards,
            )

    def _check_head(self, expected: tuple[int, str]) -> None:
        head = AuditHead.__table__
        query = sa.select(head.c.seq, head.c.hash).where(head.c.id == 1)
        if self.postgres:
            query = query.with_for_update()
        row = self.connection.execute(query).one()
        if (row.seq, row.hash) != expected:
            raise ConcurrentChange(
                "Somebody else wrote to the audit log while seed-bench was running; "
                "run it on a database nobody else uses."
            )

    def _sequences(self, sequences: dict[tuple[str, int], int]) -> None:
        if not sequences:
            return
        table = NumberSequence.__table__
        insert = (postgresql if self.postgres else sqlite).insert(table)
        self.connection.execute(
            insert.on_conflict_do_update(
                index_elements=["prefix", "year"], set_={"last": insert.excluded.last}
            ),
            [
                {"prefix": prefix, "year": year, "last": last}
                for (prefix, year), last in sequences.items()
            ],
        )

    def _last_ids(self, last_ids: dict[str, int]) -> None:
        """Move PostgreSQL's id sequences past the ids given out (table -> the last one),
        so that the application's next insert gets a free id. (SQLite needs nothing.)"""
        if not self.postgres:
            return
        for name, last in last_ids.items():
            if last > 0:
                self.connection.execute(
                    sa.text("SELECT setval(pg_get_serial_sequence(:name, 'id'), :last)"),
                    {"name": name, "last": last},
                )


class Sink:
    """Takes batches and commits each: at once through the session (SQLite), or on a
    writer thread with a connection of its own (PostgreSQL), one batch ahead."""

    def __init__(self) -> None:
        self.threaded = db.engine.dialect.name == "postgresql"
        self._queue: queue.Queue[Batch | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        # How many batches are committed so far.
        self.committed = 0
        if self.threaded:
            self._engine = db.engine
            self._thread = threading.Thread(
                target=self._work, name="seed-bench-writer", daemon=True
            )
            self._thread.start()

    def put(self, batch: Batch) -> None:
        if self._thread is None:
            with write_intent():
                BulkWriter(db.session.connection()).write(batch)
                db.session.commit()
            self.committed += 1
            return
        self._hand_over(batch)

    def close(self) -> None:
        """Wait until every batch is committed; raise what went wrong in the writer."""
        if self._thread is not None:
            self._hand_over(None)
            self._thread.join()
            self._thread = None
        if self._error is not None:
            raise self._error

    def finish(self) -> None:
        """After a stop: let the writer commit the batches it holds, and end it; what
        went wrong in it is left to :attr:`committed` to tell."""
        if self._thread is None:
            # A write cut short may leave SQLite's connection holding the write lock:
            # close every connection, so that the log can be closed on a fresh one.
            db.session.rollback()
            db.session.close()
            db.engine.dispose()
            return
        while self._thread.is_alive():
            try:
                self._queue.put(None, timeout=0.5)
                break
            except queue.Full:
                continue
        self._thread.join()
        self._thread = None

    def _hand_over(self, batch: Batch | None) -> None:
        assert self._thread is not None  # noqa: S101 -- only called with a writer thread
        while True:
            if self._error is not None:
                raise self._error
            if not self._thread.is_alive():
                raise RuntimeError("the seed-bench writer stopped")
            try:
                self._queue.put(batch, timeout=0.5)
                return
            except queue.Full:
                continue

    def _work(self) -> None:
        try:
            with self._engine.connect() as connection:
                writer = BulkWriter(connection)
                while (batch := self._queue.get()) is not None:
                    with connection.begin():
                        writer.write(batch)
                    self.committed += 1
        except BaseException as exc:  # handed to the main thread
            self._error = exc


def analyze() -> None:
    db.session.connection().exec_driver_sql("ANALYZE")


def database_size() -> int | None:
    """The database's size in bytes, where it can be read."""
    connection = db.session.connection()
    try:
        if connection.dialect.name == "postgresql":
            return int(
                connection.exec_driver_sql(
                    "SELECT pg_database_size(current_database())"
                ).scalar_one()
            )
        if connection.dialect.name == "sqlite":
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
            size = connection.exec_driver_sql("PRAGMA page_size").scalar_one()
            return int(pages) * int(size)
    except sa.exc.DBAPIError:
        return None
    return None
