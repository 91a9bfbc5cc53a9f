"""audit events are immutable: the database itself refuses UPDATE, DELETE and TRUNCATE

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 09:00:00.000000

The hash chain shows tampering afterwards (``verify-audit``); these triggers stop
the application's own database role, or anything else that connects as an
ordinary user, from changing or removing events in the first place. Someone with
the rights to drop or disable a trigger (the table's owner, a superuser) can still
get past them, and the chain is what catches that.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

MESSAGE = "audit events are append-only: UPDATE, DELETE and TRUNCATE are refused"

POSTGRES_UP = [
    f"""
    CREATE OR REPLACE FUNCTION procure_audit_events_immutable() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE} (% on audit_events)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$
    """,
    """
    CREATE TRIGGER audit_events_immutable_rows
        BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION procure_audit_events_immutable()
    """,
    """
    CREATE TRIGGER audit_events_immutable_truncate
        BEFORE TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION procure_audit_events_immutable()
    """,
]

POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS audit_events_immutable_truncate ON audit_events",
    "DROP TRIGGER IF EXISTS audit_events_immutable_rows ON audit_events",
    "DROP FUNCTION IF EXISTS procure_audit_events_immutable()",
]

# SQLite has no TRUNCATE: DELETE without WHERE is still a DELETE, refused row by row.
SQLITE_UP = [
    f"""
    CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
    f"""
    CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_events_no_delete",
    "DROP TRIGGER IF EXISTS audit_events_no_update",
]


def _statements(up: bool) -> list[str]:
    name = op.get_bind().dialect.name
    if name == "postgresql":
        return POSTGRES_UP if up else POSTGRES_DOWN
    if name == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    return []


def upgrade():
    for statement in _statements(up=True):
        op.execute(statement)


def downgrade():
    for statement in _statements(up=False):
        op.execute(statement)
