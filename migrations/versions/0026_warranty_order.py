"""assets indexed by warranty end and tag, the coverage report's order, so that its
page walks the index and stops at its 500 rows instead of sorting every asset in use

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 13:40:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_assets_warranty_tag", "assets", ["warranty_end", "tag"])


def downgrade():
    op.drop_index("ix_assets_warranty_tag", table_name="assets")
