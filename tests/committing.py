"""Tests that really commit: the ``committing`` marker and the ``committed_db`` fixture.

Most tests run inside a transaction rolled back at their end (``_transaction`` in
conftest). A test that needs real commits — several connections racing each
other — is marked ``committing``; it is then not wrapped, and it takes the
``committed_db`` fixture, which puts the database back as the migrations left it
afterwards: every table emptied (``TRUNCATE ... RESTART IDENTITY CASCADE`` on
PostgreSQL) and the rows the migrations seed — the audit head, the built-in
categories, the default approval policy — inserted again.

The seed rows are read from the database the first time a committing test runs
(every test before it rolled back, so it is still as the migrations left it);
copying them rather than restating them keeps this right when a migration seeds
something new.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from procure.db import write_intent
from procure.extensions import db as _db

from .tampering import disable_audit_guard, restore_audit_guard

Snapshot = list[tuple[sa.Table, list[dict[str, Any]]]]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "committing: really commits (not wrapped in the per-test transaction); "
        "use the committed_db fixture, which resets the database afterwards",
    )


def _tables() -> list[sa.Table]:
    """The application's tables, parents before children."""
    return list(_db.metadata.sorted_tables)


def _read_rows(connection: sa.Connection) -> Snapshot:
    snapshot = []
    for table in _tables():
        order = list(table.primary_key.columns) or list(table.columns)
        rows = [
            dict(row) for row in connection.execute(sa.select(table).order_by(*order)).mappings()
        ]
        snapshot.append((table, rows))
    return snapshot


def reset_database(engine: sa.Engine, seeds: Snapshot) -> None:
    """Empty every application table and insert the migrations' rows again."""
    tables = _tables()
    with engine.begin() as connection:
        # The audit table refuses DELETE and TRUNCATE (migration 0009): switched
        # off for this transaction only, as a database administrator could.
        guard = disable_audit_guard(connection)
        if engine.dialect.name == "postgresql":
            names = ", ".join(connection.dialect.identifier_preparer.quote(t.name) for t in tables)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            # Foreign keys that form a cycle (an RFQ names its awarded quote, the quote
            # its RFQ) have no safe order: check them once everything is gone.
            connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            for table in reversed(tables):
                connection.execute(table.delete())
        for table, rows in seeds:
            if rows:
                connection.execute(table.insert(), rows)
        restore_audit_guard(connection, guard)
        if engine.dialect.name == "postgresql":
            # The seed rows came back with their own ids; move each id sequence past them.
            for table, rows in seeds:
                if rows and _has_serial_id(table):
                    connection.execute(
                        sa.select(
                            sa.func.setval(
                                sa.func.pg_get_serial_sequence(table.name, "id"),
                                max(row["id"] for row in rows),
                            )
                        )
                    )


def _has_serial_id(table: sa.Table) -> bool:
    primary = list(table.primary_key.columns)
    return (
        len(primary) == 1
        and primary[0].name == "id"
        and primary[0].autoincrement in (True, "auto")
        and isinstance(primary[0].type, sa.Integer)
    )


@pytest.fixture(scope="session")
def migration_seeds(app) -> Snapshot:
    """The rows the migrations inserted, read before any test committed anything."""
    from procure.models import AuditEvent, User

    with app.app_context(), _db.engine.connect() as connection:
        leftovers = connection.scalar(sa.select(sa.func.count()).select_from(User.__table__))
        leftovers += connection.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent.__table__)
        )
        if leftovers:
            raise RuntimeError(
                "the test database holds committed rows before the first committing test; "
                "some test committed without the committed_db fixture"
            )
        return _read_rows(connection)


@pytest.fixture
def committed_db(request: pytest.FixtureRequest, app, migration_seeds: Snapshot) -> Iterator[Any]:
    """The database for a ``committing`` test, inside an app context; reset afterwards."""
    if "committing" not in request.keywords:
        raise pytest.UsageError("committed_db is for tests marked @pytest.mark.committing")
    with app.app_context():
        engine = _db.engine
        try:
            yield _db
        finally:
            _db.session.remove()
            reset_database(engine, migration_seeds)


def together(app, works: list[Callable[[], Any]]) -> list[Any]:
    """Run ``works`` at once, one thread each with its own app context (its own session
    and connection), as writers; each answers what it returned or the exception it
    raised, for the test to judge (the race tests)."""

    def run(work: Callable[[], Any]) -> Any:
        with app.app_context(), write_intent():
            try:
                return work()
            except Exception as exc:  # the test judges what came back
                _db.session.rollback()
                return exc
            finally:
                _db.session.remove()

    with ThreadPoolExecutor(max_workers=len(works)) as pool:
        return [future.result() for future in [pool.submit(run, w) for w in works]]
