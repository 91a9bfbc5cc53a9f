"""The database: engine tuning, transactions with write intent, schema commands."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.orm import Session

from .extensions import db
from .money import _ScaledDecimal

# On SQLite a transaction that will write takes the write lock when it begins
# (BEGIN IMMEDIATE), so that concurrent writers queue behind busy_timeout
# instead of failing when their snapshot turns stale.
_write_intent: ContextVar[bool] = ContextVar("procure_write_intent", default=False)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


@contextlib.contextmanager
def write_intent() -> Iterator[None]:
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def set_write_intent(value: bool) -> None:
    _write_intent.set(value)


def configure_engine(engine: sa.Engine) -> None:
    if engine.dialect.name == "postgresql":
        engine.dialect.statement_compiler = _literal_limits(engine.dialect.statement_compiler)
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # We emit BEGIN ourselves (below); pysqlite's own handling breaks SAVEPOINT.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 15000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def _literal_limits(compiler: type) -> type:
    """The dialect's compiler, writing LIMIT and OFFSET as numbers, not parameters.

    psycopg prepares a statement run five times on a connection, and PostgreSQL then
    keeps one generic plan for it when that plan costs no more than the plans made for
    each run's parameters. A LIMIT given as a parameter spoils that comparison (the
    generic plan cannot know the page is 26 rows), so every page of a list was planned
    anew: 6.5 of the invoice list's 7 ms at 10,000 requests, its eager joins being
    nine tables. With the number in the text, each page size is a statement of its
    own whose generic plan is kept (0.9 ms)."""

    class LiteralLimits(compiler):  # type: ignore[misc,valid-type]
        def limit_clause(self, select, **kw):  # type: ignore[no-untyped-def]
            return super().limit_clause(select, **{**kw, "literal_execute": True})

    return LiteralLimits


def end_read() -> None:
    """End a request that only read, on PostgreSQL, with COMMIT rather than ROLLBACK.

    psycopg forgets every statement it prepared on a connection when that connection
    rolls back (a rolled-back transaction may have dropped what they refer to), and a
    request that only reads used to end with one: no statement was ever prepared, each
    was planned anew. A transaction the database gave no transaction id to wrote
    nothing, so committing it keeps exactly what rolling it back would; one that wrote
    (or holds unflushed changes) is left to roll back as before. Objects are not
    expired: nothing changed under them."""
    session = db.session()
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    if session.get_bind().dialect.name != "postgresql":
        return
    try:
        wrote = session.scalar(sa.text("SELECT pg_current_xact_id_if_assigned() IS NOT NULL"))
    except sa.exc.DBAPIError:  # the transaction failed: it rolls back
        return
    if wrote:
        return
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Alembic autogenerate: money columns are plain big integers in migrations."""

    if type_ == "type" and isinstance(obj, _ScaledDecimal):
        return "sa.BigInteger()"
    return False


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def dialect_insert(table: sa.Table, session: Session | None = None):  # type: ignore[no-untyped-def]
    """An INSERT into ``table`` in the dialect of ``session``'s database (the app's by
    default), which takes ``on_conflict_do_nothing`` and ``on_conflict_do_update``."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = (session or db.session).get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def insert_unless_present(table: sa.Table, **values: object):  # type: ignore[no-untyped-def]
    """``INSERT … ON CONFLICT DO NOTHING`` in the session's dialect: a row that a unique
    index already holds (written by a concurrent run, say) is left as it is. Add
    ``.returning(...)`` to learn whether this statement wrote it."""
    return dialect_insert(table).values(**values).on_conflict_do_nothing()


# pg_advisory_lock's key for the schema upgrade: any constant the application owns.
MIGRATION_LOCK = 0x70726F6375726501  # "procure" + 1


def init_db(app: Flask) -> None:
    """Create or upgrade the schema to the newest migration (idempotent).

    Safe to run on several machines at once (a deploy): on PostgreSQL the upgrade runs
    under a session advisory lock, so the first one migrates and the others wait, then
    find the schema at head; on SQLite, BEGIN IMMEDIATE's write lock queues them."""
    with app.app_context(), write_intent():
        if not is_postgres():
            upgrade(directory=str(MIGRATIONS_DIR))
            return
        with db.engine.connect() as lock:
            # Waiting for another machine's migration is no slow statement.
            lock.exec_driver_sql("SET statement_timeout = 0")
            lock.execute(sa.select(sa.func.pg_advisory_lock(MIGRATION_LOCK)))
            lock.commit()
            try:
                upgrade(directory=str(MIGRATIONS_DIR))
            finally:
                lock.execute(sa.select(sa.func.pg_advisory_unlock(MIGRATION_LOCK)))
                lock.exec_driver_sql("RESET statement_timeout")
                lock.commit()


def ping(url: str, engine_options: dict[str, object]) -> str | None:
    """Why the database at ``url`` cannot be reached (one line), or None when it answers."""
    options = {
        key: value
        for key, value in engine_options.items()
        if key not in {"pool_size", "max_overflow", "pool_use_lifo"}
    }
    if url.startswith("postgres"):
        connect_args = dict(options.get("connect_args") or {})  # type: ignore[call-overload]
        options["connect_args"] = {**connect_args, "connect_timeout": 5}
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, **options)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return reason[0] if reason else type(exc).__name__
    finally:
        engine.dispose()
    return None


def database_problem(url: str, engine_options: dict[str, object]) -> tuple[str | None, str | None]:
    """``check-config``'s look at the database: (why it cannot be reached, advice).

    A SQLite file not made yet is advice (``init-db`` makes it), and is not created here."""
    if url.startswith("sqlite"):
        path = sa.make_url(url).database
        if path and path != ":memory:" and not Path(path).exists():
            return None, f"{path} does not exist yet; run init-db"
    return ping(url, engine_options), None
