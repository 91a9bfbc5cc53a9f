"""The requests by department and creation index carries what the split-purchase
windows read (id, status, totals, main category), on PostgreSQL: a request's page reads
its department's neighbours from the index alone instead of every department's requests
of the weeks around it

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07 08:10:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

NAME = "ix_purchase_requests_department_created"
INCLUDED = ["id", "status", "total", "total_base", "main_category"]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite indexes include no columns; its index stays as it is
    op.drop_index(NAME, table_name="purchase_requests")
    op.create_index(
        NAME, "purchase_requests", ["department_id", "created_at"], postgresql_include=INCLUDED
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(NAME, table_name="purchase_requests")
    op.create_index(NAME, "purchase_requests", ["department_id", "created_at"])
