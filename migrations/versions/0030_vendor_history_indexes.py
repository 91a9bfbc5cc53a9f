"""A vendor's current quotes and its invoices indexed with what its scorecard counts of
them, so that the scorecards count quotes sent, the average lead time, wins and invoice
accuracy from the indexes alone, instead of reading each quote and invoice of the vendor

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 04:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_quotes_vendor_current",
        "quotes",
        ["vendor_id", "lead_time_days", "id"],
        sqlite_where=sa.text("replaced_by_id IS NULL"),
        postgresql_where=sa.text("replaced_by_id IS NULL"),
    )
    op.create_index("ix_invoices_vendor_matched", "invoices", ["vendor_id", "matched_first_time"])


def downgrade():
    op.drop_index("ix_invoices_vendor_matched", table_name="invoices")
    op.drop_index("ix_quotes_vendor_current", table_name="quotes")
