"""assets and licences: one asset per unit of hardware received, licence pools and
their seats, which contracts cover which assets, warranty reminders; the role
asset_manager

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 02:05:05.619681

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

OLD_ROLES = ("requester", "approver", "finance", "executive", "procurement", "admin")
NEW_ROLES = (*OLD_ROLES, "asset_manager")
# The role columns and the names of their CHECK constraints.
ROLE_COLUMNS = (
    ("user_roles", "role"),
    ("approval_steps", "step_role"),
    ("policy_rules", "policy_role"),
)


def _role_check(table, name, roles, length):
    """The role column's CHECK constraint, rewritten for another list of roles."""
    allowed = ", ".join(f"'{role}'" for role in roles)
    with op.batch_alter_table(table) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
        batch_op.alter_column("role", type_=sa.String(length), existing_nullable=False)
        batch_op.create_check_constraint(name, f"role IN ({allowed})")


def upgrade():
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.Column("serial", sa.String(length=100), nullable=True),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("receipt_id", sa.Integer(), nullable=False),
        sa.Column("cost", sa.BigInteger(), nullable=False),
        sa.Column("purchase_date", sa.Date(), nullable=False),
        sa.Column("warranty_end", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "in_stock",
                "deployed",
                "in_repair",
                "retired",
                "disposed",
                name="asset_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("holder_id", sa.Integer(), nullable=True),
        sa.Column("location", sa.String(length=200), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(status = 'deployed') = (holder_id IS NOT NULL) OR status = 'in_repair'",
            name=op.f("ck_assets_holder_when_deployed"),
        ),
        sa.CheckConstraint("cost >= 0", name=op.f("ck_assets_cost_not_negative")),
        sa.CheckConstraint(
            "warranty_end >= purchase_date", name=op.f("ck_assets_warranty_after_purchase")
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"], ["users.id"], name=op.f("fk_assets_holder_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["purchase_orders.id"], name=op.f("fk_assets_order_id_purchase_orders")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"], ["order_lines.id"], name=op.f("fk_assets_order_line_id_order_lines")
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["receipts.id"], name=op.f("fk_assets_receipt_id_receipts")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["purchase_requests.id"],
            name=op.f("fk_assets_request_id_purchase_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_assets_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
        sa.UniqueConstraint("serial", name=op.f("uq_assets_serial")),
        sa.UniqueConstraint("tag", name=op.f("uq_assets_tag")),
    )
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assets_holder_id"), ["holder_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assets_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_assets_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assets_receipt_id"), ["receipt_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assets_request_id"), ["request_id"], unique=False)
        batch_op.create_index(
            "ix_assets_status_warranty", ["status", "warranty_end"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assets_vendor_id"), ["vendor_id"], unique=False)

    op.create_table(
        "licences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), server_default="0", nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("unit_cost", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name=op.f("ck_licences_ends_after_start")
        ),
        sa.CheckConstraint("seats >= 0", name=op.f("ck_licences_seats_not_negative")),
        sa.CheckConstraint(
            "used >= 0 AND used <= seats", name=op.f("ck_licences_used_within_seats")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name=op.f("fk_licences_contract_id_contracts")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["purchase_orders.id"], name=op.f("fk_licences_order_id_purchase_orders")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_licences_order_line_id_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_licences_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licences")),
        sa.UniqueConstraint("order_line_id", name=op.f("uq_licences_order_line_id")),
    )
    with op.batch_alter_table("licences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_licences_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_licences_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_licences_vendor_id"), ["vendor_id"], unique=False)

    op.create_table(
        "asset_coverage",
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_asset_coverage_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contracts.id"],
            name=op.f("fk_asset_coverage_contract_id_contracts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contract_id", "asset_id", name=op.f("pk_asset_coverage")),
    )
    with op.batch_alter_table("asset_coverage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asset_coverage_asset_id"), ["asset_id"], unique=False)

    op.create_table(
        "asset_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("warranty_end", sa.Date(), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_asset_reminders_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_reminders")),
        sa.UniqueConstraint("asset_id", "warranty_end", name="uq_asset_reminders_once"),
    )
    op.create_table(
        "licence_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("licence_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["users.id"],
            name=op.f("fk_licence_assignments_assigned_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["licence_id"],
            ["licences.id"],
            name=op.f("fk_licence_assignments_licence_id_licences"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"],
            ["users.id"],
            name=op.f("fk_licence_assignments_released_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_licence_assignments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_assignments")),
    )
    with op.batch_alter_table("licence_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_licence_assignments_licence_id"), ["licence_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_licence_assignments_user_id"), ["user_id"], unique=False
        )
        batch_op.create_index(
            "uq_licence_assignments_live",
            ["licence_id", "user_id"],
            unique=True,
            sqlite_where=sa.text("released_at IS NULL"),
            postgresql_where=sa.text("released_at IS NULL"),
        )

    with op.batch_alter_table("contracts") as batch_op:
        batch_op.add_column(
            sa.Column(
                "covers_order_assets", sa.Boolean(), server_default=sa.true(), nullable=False
            )
        )
    for table, name in ROLE_COLUMNS:
        _role_check(table, name, NEW_ROLES, 13)


def downgrade():
    for table, name in ROLE_COLUMNS:
        op.execute(sa.text(f"DELETE FROM {table} WHERE role = 'asset_manager'"))
        _role_check(table, name, OLD_ROLES, 11)
    with op.batch_alter_table("contracts") as batch_op:
        batch_op.drop_column("covers_order_assets")

    with op.batch_alter_table("licence_assignments", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_licence_assignments_live",
            sqlite_where=sa.text("released_at IS NULL"),
            postgresql_where=sa.text("released_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_licence_assignments_user_id"))
        batch_op.drop_index(batch_op.f("ix_licence_assignments_licence_id"))

    op.drop_table("licence_assignments")
    op.drop_table("asset_reminders")
    with op.batch_alter_table("asset_coverage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asset_coverage_asset_id"))

    op.drop_table("asset_coverage")
    with op.batch_alter_table("licences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_licences_vendor_id"))
        batch_op.drop_index(batch_op.f("ix_licences_order_id"))
        batch_op.drop_index(batch_op.f("ix_licences_contract_id"))

    op.drop_table("licences")
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assets_vendor_id"))
        batch_op.drop_index("ix_assets_status_warranty")
        batch_op.drop_index(batch_op.f("ix_assets_request_id"))
        batch_op.drop_index(batch_op.f("ix_assets_receipt_id"))
        batch_op.drop_index(batch_op.f("ix_assets_order_line_id"))
        batch_op.drop_index(batch_op.f("ix_assets_order_id"))
        batch_op.drop_index(batch_op.f("ix_assets_holder_id"))

    op.drop_table("assets")
