"""RFQs indexed by the day they were sent and by their awarded quote, so that the vendor
scorecards find the vendors asked to quote in a range from that range's RFQs, and count
a vendor's wins from its quotes, instead of reading every RFQ

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 20:40:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_rfqs_sent_at", "rfqs", ["sent_at"])
    op.create_index("ix_rfqs_awarded_quote_id", "rfqs", ["awarded_quote_id"])


def downgrade():
    op.drop_index("ix_rfqs_awarded_quote_id", table_name="rfqs")
    op.drop_index("ix_rfqs_sent_at", table_name="rfqs")
