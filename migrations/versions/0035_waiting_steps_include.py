"""The waiting steps' index carries each step's id and position, on PostgreSQL: the
inbox counts an approver's backlog from the index alone where its pages are all
visible, instead of reading every waiting step's row

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 11:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

NAME = "ix_approval_steps_waiting"
COLUMNS = ["role", "department_id", "pending_since", "request_id"]
WAITING = sa.text("status = 'pending'")


def _recreate(**include):
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite indexes include no columns; its index stays as it is
    op.drop_index(NAME, table_name="approval_steps")
    op.create_index(NAME, "approval_steps", COLUMNS, postgresql_where=WAITING, **include)


def upgrade():
    _recreate(postgresql_include=["id", "position"])


def downgrade():
    _recreate()
