"""the foreign key from an RFQ to its awarded quote, on PostgreSQL

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 06:40:00

Migration 0004 declared it inside ``create_table`` with ``use_alter=True``, which
Alembic leaves out of a CREATE TABLE, so PostgreSQL databases never got it (``flask
db check`` reported it). SQLite compares no foreign keys and keeps the tables as
they are.
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_foreign_key(
        "fk_rfqs_awarded_quote_id_quotes", "rfqs", "quotes", ["awarded_quote_id"], ["id"]
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint("fk_rfqs_awarded_quote_id_quotes", "rfqs", type_="foreignkey")
