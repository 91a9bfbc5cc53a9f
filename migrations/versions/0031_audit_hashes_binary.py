"""The audit log's hashes stored as their 32 bytes instead of 64 hex digits: 64 bytes
less per event, about a fifth of the log's table

What each event's hash covers does not change: the chain hashes the previous hash in
hex, as before, and the application reads and writes hex (``Sha256``), so a chain
written before this migration verifies after it, hash for hash.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 07:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

HASHES = (("audit_events", ("prev_hash", "hash")), ("audit_head", ("hash",)))

# The append-only triggers of migration 0009 on SQLite, where the table is rebuilt.
SQLITE_TRIGGERS = (
    "audit_events_no_update BEFORE UPDATE ON audit_events",
    "audit_events_no_delete BEFORE DELETE ON audit_events",
)
MESSAGE = "audit events are append-only: UPDATE, DELETE and TRUNCATE are refused"
BATCH = 5000


def upgrade():
    _convert(binary=True)


def downgrade():
    _convert(binary=False)


def _convert(binary: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        # One rewrite of each table: ALTER ... TYPE fires no row trigger.
        for table, columns in HASHES:
            changes = ", ".join(
                f"ALTER COLUMN {column} TYPE bytea USING decode({column}, 'hex')"
                if binary
                else f"ALTER COLUMN {column} TYPE varchar(64) USING encode({column}, 'hex')"
                for column in columns
            )
            op.execute(f"ALTER TABLE {table} {changes}")
        return
    _convert_sqlite(binary)


def _convert_sqlite(binary: bool) -> None:
    """SQLite stores a value as it is given, whatever the column's declared type: the
    values are rewritten first, then the table is rebuilt with the new declared type
    (which copies them as they are, and takes the triggers with it)."""
    for trigger in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger.split()[0]}")
    connection = op.get_bind()
    for table, columns in HASHES:
        _rewrite_values(connection, table, columns, binary)
        new_type = sa.LargeBinary(32) if binary else sa.String(64)
        with op.batch_alter_table(table, recreate="always") as batch:
            for column in columns:
                batch.alter_column(column, type_=new_type, existing_nullable=False)
    for trigger in SQLITE_TRIGGERS:
        op.execute(f"CREATE TRIGGER {trigger} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def _rewrite_values(connection: sa.Connection, table: str, columns: tuple, binary: bool) -> None:
    names = ", ".join(columns)
    assignments = ", ".join(f"{column} = ?" for column in columns)
    last = -1
    while True:
        # Table and column names are this migration's constants.
        rows = connection.exec_driver_sql(
            f"SELECT id, {names} FROM {table} WHERE id > ? ORDER BY id LIMIT {BATCH}",  # noqa: S608
            (last,),
        ).all()
        if not rows:
            return
        connection.exec_driver_sql(
            f"UPDATE {table} SET {assignments} WHERE id = ?",  # noqa: S608
            [(*(_converted(value, binary) for value in row[1:]), row[0]) for row in rows],
        )
        last = rows[-1][0]


def _converted(value: str | bytes, binary: bool) -> str | bytes:
    if binary:
        return bytes.fromhex(value) if isinstance(value, str) else value
    return value.hex() if isinstance(value, bytes) else value
