"""order revisions, returns and receipt reversals

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 22:09:20

``order_revisions`` keeps every issue of an order (revision 0 as first issued, each
change order after it, and proposals waiting for approval of an increase), each with its
frozen PDF; every order issued before this migration gets its revision 0 from its own
row. ``order_returns`` and ``return_lines`` record goods sent back; order lines count
what was returned; a receipt can be reversed (never edited).
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "order_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("rma", sa.String(length=100), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_order_returns_order_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_order_returns_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_returns")),
    )
    with op.batch_alter_table("order_returns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_returns_order_id"), ["order_id"], unique=False)

    op.create_table(
        "order_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("total_base", sa.BigInteger(), nullable=True),
        sa.Column("increase_base", sa.BigInteger(), nullable=True),
        sa.Column("approval_round", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=False),
        sa.Column("pdf_attachment_id", sa.Integer(), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "issued_at IS NULL OR (revision IS NOT NULL AND pdf_sha256 IS NOT NULL)",
            name=op.f("ck_order_revisions_issued_has_number_and_pdf"),
        ),
        sa.CheckConstraint(
            "issued_at IS NULL OR withdrawn_at IS NULL",
            name=op.f("ck_order_revisions_issued_or_withdrawn"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_order_revisions_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_order_revisions_order_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pdf_attachment_id"],
            ["attachments.id"],
            name=op.f("fk_order_revisions_pdf_attachment_id_attachments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_revisions")),
        sa.UniqueConstraint("order_id", "revision", name="uq_order_revisions_number"),
    )
    with op.batch_alter_table("order_revisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_revisions_order_id"), ["order_id"], unique=False
        )

    op.create_table(
        "return_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_return_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_return_lines_order_line_id_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["order_returns.id"],
            name=op.f("fk_return_lines_return_id_order_returns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_lines")),
    )
    with op.batch_alter_table("return_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_return_lines_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_return_lines_return_id"), ["return_id"], unique=False)

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("returned_quantity", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.create_check_constraint(
            "ck_order_lines_returned_not_negative", "returned_quantity >= 0"
        )

    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("revision", sa.Integer(), nullable=False, server_default="0")
        )

    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reversed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("reversed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("reversal_reason", sa.Text(), nullable=False, server_default="")
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_receipts_reversed_by_id_users"), "users", ["reversed_by_id"], ["id"]
        )
        batch_op.create_check_constraint(
            "ck_receipts_reversed_by_when_reversed",
            "(reversed_at IS NULL) = (reversed_by_id IS NULL)",
        )

    # Revision 0 of every order issued so far: the order as it stands is as first issued.
    op.execute(
        "INSERT INTO order_revisions (order_id, revision, reason, changes, total, "
        "total_base, created_by_id, created_at, issued_at, withdrawn_reason, "
        "pdf_attachment_id, pdf_sha256) "
        "SELECT id, 0, '', '[]', total, total_base, issued_by_id, issued_at, issued_at, '', "
        "pdf_attachment_id, pdf_sha256 FROM purchase_orders "
        "WHERE issued_at IS NOT NULL AND pdf_sha256 IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_constraint("ck_receipts_reversed_by_when_reversed", type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_receipts_reversed_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("reversal_reason")
        batch_op.drop_column("reversed_by_id")
        batch_op.drop_column("reversed_at")

    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.drop_column("revision")

    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_constraint("ck_order_lines_returned_not_negative", type_="check")
        batch_op.drop_column("returned_quantity")

    with op.batch_alter_table("return_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_lines_return_id"))
        batch_op.drop_index(batch_op.f("ix_return_lines_order_line_id"))

    op.drop_table("return_lines")
    with op.batch_alter_table("order_revisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_revisions_order_id"))

    op.drop_table("order_revisions")
    with op.batch_alter_table("order_returns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_returns_order_id"))

    op.drop_table("order_returns")
