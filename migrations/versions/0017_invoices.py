"""vendor invoices: invoices, their lines, the exceptions matching finds; the vendor's invoice link

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 18:50:19

``invoices`` holds the vendors' invoices and credit notes against issued orders
(``INV-YYYY-NNNNN``, the vendor's own number and its normalised key for duplicates),
``invoice_lines`` what each bills per order line, ``invoice_exceptions`` what matching
found (quantity, price, total, over the order, a possible duplicate) and how it was
resolved. ``purchase_orders`` gains the random value and the hash of the private link
through which the vendor sends invoices for the order.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("vendor_invoice_number", sa.String(length=100), nullable=False),
        sa.Column("vendor_number_key", sa.String(length=100), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("credit_for_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "matched",
                "on_hold",
                "approved",
                "paid",
                "rejected",
                "cancelled",
                name="invoice_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "entered",
                "vendor",
                "einvoice",
                name="invoice_source",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal", sa.BigInteger(), nullable=False),
        sa.Column("shipping", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.BigInteger(), nullable=True),
        sa.Column("total_base", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("pdf_attachment_id", sa.Integer(), nullable=True),
        sa.Column("xml_attachment_id", sa.Integer(), nullable=True),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("matched_first_time", sa.Boolean(), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("release_justification", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("payment_reference", sa.String(length=200), nullable=False),
        sa.Column("paid_by_id", sa.Integer(), nullable=True),
        sa.Column("paid_rate", sa.BigInteger(), nullable=True),
        sa.Column("paid_base", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "due_date >= invoice_date", name=op.f("ck_invoices_due_after_invoice_date")
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["users.id"], name=op.f("fk_invoices_approved_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["users.id"], name=op.f("fk_invoices_submitted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["credit_for_id"], ["invoices.id"], name=op.f("fk_invoices_credit_for_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["users.id"], name=op.f("fk_invoices_entered_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["purchase_orders.id"], name=op.f("fk_invoices_order_id_purchase_orders")
        ),
        sa.ForeignKeyConstraint(
            ["paid_by_id"], ["users.id"], name=op.f("fk_invoices_paid_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["pdf_attachment_id"],
            ["attachments.id"],
            name=op.f("fk_invoices_pdf_attachment_id_attachments"),
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_invoices_vendor_id_vendors")
        ),
        sa.ForeignKeyConstraint(
            ["xml_attachment_id"],
            ["attachments.id"],
            name=op.f("fk_invoices_xml_attachment_id_attachments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_invoices_status_due_date", ["status", "due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_vendor_id"), ["vendor_id"], unique=False)
        batch_op.create_index(
            "ix_invoices_vendor_number_key", ["vendor_id", "vendor_number_key"], unique=False
        )

    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity <> 0", name=op.f("ck_invoice_lines_quantity_not_zero")),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_lines_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_invoice_lines_order_line_id_order_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
    )
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_lines_invoice_id"), ["invoice_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_invoice_lines_order_line_id"), ["order_line_id"], unique=False
        )

    op.create_table(
        "invoice_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "quantity",
                "price",
                "total",
                "over_order",
                "possible_duplicate",
                name="exception_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_exceptions_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["invoice_lines.id"],
            name=op.f("fk_invoice_exceptions_line_id_invoice_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["users.id"],
            name=op.f("fk_invoice_exceptions_resolved_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_exceptions")),
    )
    with op.batch_alter_table("invoice_exceptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_exceptions_invoice_id"), ["invoice_id"], unique=False
        )

    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invoice_link_nonce", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("invoice_token_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_purchase_orders_invoice_token_hash"), ["invoice_token_hash"]
        )



def downgrade():
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_purchase_orders_invoice_token_hash"), type_="unique"
        )
        batch_op.drop_column("invoice_token_hash")
        batch_op.drop_column("invoice_link_nonce")

    with op.batch_alter_table("invoice_exceptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_exceptions_invoice_id"))

    op.drop_table("invoice_exceptions")
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_lines_order_line_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_lines_invoice_id"))

    op.drop_table("invoice_lines")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_vendor_number_key")
        batch_op.drop_index(batch_op.f("ix_invoices_vendor_id"))
        batch_op.drop_index("ix_invoices_status_due_date")
        batch_op.drop_index(batch_op.f("ix_invoices_order_id"))

    op.drop_table("invoices")
