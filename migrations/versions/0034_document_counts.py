"""How many requests, orders, invoices and assets are in each status, kept beside them
(``procure/kept_counts.py``) and counted here from the documents, so that an API list's
exact total reads a few rows instead of counting every document

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 11:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

KINDS = ("purchase_requests", "purchase_orders", "invoices", "assets")
# One kind's documents counted per status (the kinds are the names above).
FILL = (
    "INSERT INTO document_counts (kind, status, documents) "
    "SELECT '{kind}', CAST(status AS VARCHAR(20)), count(*) FROM {kind} GROUP BY status"
)


def upgrade():
    op.create_table(
        "document_counts",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("documents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "status", name=op.f("pk_document_counts")),
    )
    for kind in KINDS:
        op.execute(FILL.format(kind=kind))


def downgrade():
    op.drop_table("document_counts")
