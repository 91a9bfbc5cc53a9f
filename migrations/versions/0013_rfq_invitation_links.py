"""what procurement sees of each RFQ invitation: its link again, re-issues, a decline

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 09:00:00

An invitation's private link is now derived from a random ``link_nonce`` and the
secret key (only its hash is looked up, as before), so that procurement can show it
again; ``links_issued`` and ``link_issued_at`` say when it was last (re-)issued, and
``declined_at`` / ``decline_reason`` record a vendor declining to quote. Links sent
before this migration have no nonce: they keep working, and re-issuing one shows it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("rfq_invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_nonce", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("link_issued_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("links_issued", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("declined_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("decline_reason", sa.Text(), nullable=False, server_default="")
        )
    # The invitations of RFQs already sent had one link, issued when the RFQ was sent.
    op.execute(
        "UPDATE rfq_invitations SET links_issued = 1, link_issued_at = "
        "(SELECT rfqs.sent_at FROM rfqs WHERE rfqs.id = rfq_invitations.rfq_id) "
        "WHERE token_hash IS NOT NULL OR token_used_at IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table("rfq_invitations", schema=None) as batch_op:
        batch_op.drop_column("decline_reason")
        batch_op.drop_column("declined_at")
        batch_op.drop_column("links_issued")
        batch_op.drop_column("link_issued_at")
        batch_op.drop_column("link_nonce")
