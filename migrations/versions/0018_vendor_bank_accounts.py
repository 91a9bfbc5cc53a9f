"""vendor bank details, each change confirmed by a second person

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 19:04:53

``vendor_bank_accounts`` keeps each change of a vendor's bank details (an IBAN and its
BIC, or an account and routing number) with who entered it and who confirmed it: a
change is used only once a second person confirms it.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "vendor_bank_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("iban", sa.String(length=34), nullable=False),
        sa.Column("bic", sa.String(length=11), nullable=False),
        sa.Column("account_number", sa.String(length=34), nullable=False),
        sa.Column("routing_number", sa.String(length=20), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "superseded",
                "withdrawn",
                name="bank_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "iban <> '' OR (account_number <> '' AND routing_number <> '')",
            name=op.f("ck_vendor_bank_accounts_iban_or_account"),
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["users.id"],
            name=op.f("fk_vendor_bank_accounts_confirmed_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["users.id"],
            name=op.f("fk_vendor_bank_accounts_entered_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["vendors.id"],
            name=op.f("fk_vendor_bank_accounts_vendor_id_vendors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vendor_bank_accounts")),
    )
    with op.batch_alter_table("vendor_bank_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vendor_bank_accounts_vendor_id"), ["vendor_id"], unique=False
        )
        batch_op.create_index(
            "ix_vendor_bank_accounts_vendor_status", ["vendor_id", "status"], unique=False
        )


def downgrade():
    with op.batch_alter_table("vendor_bank_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_vendor_bank_accounts_vendor_status")
        batch_op.drop_index(batch_op.f("ix_vendor_bank_accounts_vendor_id"))

    op.drop_table("vendor_bank_accounts")
