"""The audit log's index by document on (entity, entity_id) alone, without the event id:
one entry per document holding all its events, a third of the size

A document's history (``audit.events_for``) is a handful of events, put in order
after the index finds them; no query walks the index in id order within a document.
With the id in the key, each entry was unique and PostgreSQL could not merge them.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 07:40:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_audit_events_entity", table_name="audit_events")
    op.create_index("ix_audit_events_entity", "audit_events", ["entity", "entity_id"])


def downgrade():
    op.drop_index("ix_audit_events_entity", table_name="audit_events")
    op.create_index("ix_audit_events_entity", "audit_events", ["entity", "entity_id", "id"])
