"""Getting past the audit table's triggers, as only a database administrator can.

The migrations make ``audit_events`` refuse UPDATE, DELETE and TRUNCATE. Someone
with the rights to do so can still switch that off — on PostgreSQL a superuser sets
``session_replication_role = replica`` (ordinary triggers no longer fire), on SQLite
whoever can write the file drops the triggers. The tamper tests do exactly that, to
prove ``verify-audit`` still catches what such a person changes; the committing tests'
reset does it to empty the table. Either way it lasts only until the transaction
ends: a rollback puts the triggers back, and ``restore_audit_guard`` does before a
commit.
"""

from __future__ import annotations

import sqlalchemy as sa


def _sqlite_triggers(connection: sa.Connection) -> list[tuple[str, str]]:
    rows = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'"
    )
    return [(name, sql) for name, sql in rows]


def disable_audit_guard(connection: sa.Connection) -> list[str]:
    """Switch the triggers off in the current transaction; returns what puts them back."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        return ["SET LOCAL session_replication_role = origin"]
    triggers = _sqlite_triggers(connection)
    for name, _sql in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    return [sql for _name, sql in triggers]


def restore_audit_guard(connection: sa.Connection, statements: list[str]) -> None:
    for statement in statements:
        connection.exec_driver_sql(statement)


def tamper_as_dba(db) -> None:  # type: ignore[no-untyped-def]
    """In a test's session: what follows may change audit events, until the test ends."""
    disable_audit_guard(db.session.connection())
