"""agreements, request types, sealed bids: framework agreements and their items (the
catalogue), call-off orders, catalogue lines on requests; admin-defined request types
with their fields and policy conditions; sealed RFQs and who opened them; the role
security

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 02:58:05.086693

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

OLD_ROLES = (
    "requester",
    "approver",
    "finance",
    "executive",
    "procurement",
    "admin",
    "asset_manager",
)
NEW_ROLES = (*OLD_ROLES, "security")
# The role columns and the names of their CHECK constraints.
ROLE_COLUMNS = (
    ("user_roles", "role"),
    ("approval_steps", "step_role"),
    ("policy_rules", "policy_role"),
)


def _role_check(table, name, roles):
    """The role column's CHECK constraint, rewritten for another list of roles."""
    allowed = ", ".join(f"'{role}'" for role in roles)
    with op.batch_alter_table(table) as batch_op:
        batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
        batch_op.create_check_constraint(name, f"role IN ({allowed})")


def upgrade():
    op.create_table(
        "request_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_types")),
        sa.UniqueConstraint("code", name=op.f("uq_request_types_code")),
    )
    op.create_table(
        "agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "active",
                "expired",
                "closed",
                name="agreement_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("ceiling", sa.BigInteger(), nullable=True),
        sa.Column("consumed", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("rfq_id", sa.Integer(), nullable=True),
        sa.Column("terms", sa.Text(), server_default="", nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("activated_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "ceiling IS NULL OR ceiling > 0", name=op.f("ck_agreements_ceiling_positive")
        ),
        sa.CheckConstraint(
            "ceiling IS NULL OR consumed <= ceiling", name=op.f("ck_agreements_within_ceiling")
        ),
        sa.CheckConstraint("consumed >= 0", name=op.f("ck_agreements_consumed_not_negative")),
        sa.CheckConstraint("end_date >= start_date", name=op.f("ck_agreements_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_agreements_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(["rfq_id"], ["rfqs.id"], name=op.f("fk_agreements_rfq_id_rfqs")),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_agreements_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
        sa.UniqueConstraint("number", name=op.f("uq_agreements_number")),
    )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_index("ix_agreements_status_end", ["status", "end_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_agreements_vendor_id"), ["vendor_id"], unique=False)

    op.create_table(
        "agreement_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("max_quantity", sa.BigInteger(), nullable=True),
        sa.Column("ordered", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "max_quantity IS NULL OR max_quantity > 0",
            name=op.f("ck_agreement_items_max_positive"),
        ),
        sa.CheckConstraint(
            "max_quantity IS NULL OR ordered <= max_quantity",
            name=op.f("ck_agreement_items_ordered_within_max"),
        ),
        sa.CheckConstraint("ordered >= 0", name=op.f("ck_agreement_items_ordered_not_negative")),
        sa.CheckConstraint("unit_price >= 0", name=op.f("ck_agreement_items_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_items_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_items")),
        sa.UniqueConstraint("agreement_id", "position", name="uq_agreement_items_position"),
    )
    with op.batch_alter_table("agreement_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_items_agreement_id"), ["agreement_id"], unique=False
        )

    op.create_table(
        "agreement_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_agreement_reminders_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_reminders")),
        sa.UniqueConstraint("agreement_id", "kind", name="uq_agreement_reminders_once"),
    )
    with op.batch_alter_table("policy_rules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_type", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("field_name", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("field_value", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column(
                "skip_for_catalogue", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )

    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agreement_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_purchase_orders_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_purchase_orders_agreement_id_agreements"),
            "agreements",
            ["agreement_id"],
            ["id"],
        )

    with op.batch_alter_table("purchase_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("type_code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("fields", sa.JSON(), server_default="{}", nullable=False))
        batch_op.create_foreign_key(
            batch_op.f("fk_purchase_requests_type_code_request_types"),
            "request_types",
            ["type_code"],
            ["code"],
        )

    with op.batch_alter_table("request_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("catalogue_item_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_request_lines_catalogue_item_id"), ["catalogue_item_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_request_lines_catalogue_item_id_agreement_items"),
            "agreement_items",
            ["catalogue_item_id"],
            ["id"],
        )

    with op.batch_alter_table("rfqs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sealed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("opening_requested_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("opening_requested_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("bids_opened_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("bids_opened_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_rfqs_bids_opened_by_id_users"), "users", ["bids_opened_by_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_rfqs_opening_requested_by_id_users"),
            "users",
            ["opening_requested_by_id"],
            ["id"],
        )
    for table, name in ROLE_COLUMNS:
        _role_check(table, name, NEW_ROLES)


def downgrade():
    for table, name in ROLE_COLUMNS:
        op.execute(sa.text(f"DELETE FROM {table} WHERE role = 'security'"))
        _role_check(table, name, OLD_ROLES)
    with op.batch_alter_table("rfqs", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_rfqs_opening_requested_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("fk_rfqs_bids_opened_by_id_users"), type_="foreignkey")
        batch_op.drop_column("bids_opened_by_id")
        batch_op.drop_column("bids_opened_at")
        batch_op.drop_column("opening_requested_by_id")
        batch_op.drop_column("opening_requested_at")
        batch_op.drop_column("sealed")

    with op.batch_alter_table("request_lines", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_request_lines_catalogue_item_id_agreement_items"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_request_lines_catalogue_item_id"))
        batch_op.drop_column("catalogue_item_id")

    with op.batch_alter_table("purchase_requests", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_purchase_requests_type_code_request_types"), type_="foreignkey"
        )
        batch_op.drop_column("fields")
        batch_op.drop_column("type_code")

    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_purchase_orders_agreement_id_agreements"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_purchase_orders_agreement_id"))
        batch_op.drop_column("agreement_id")

    with op.batch_alter_table("policy_rules", schema=None) as batch_op:
        batch_op.drop_column("skip_for_catalogue")
        batch_op.drop_column("field_value")
        batch_op.drop_column("field_name")
        batch_op.drop_column("request_type")

    op.drop_table("agreement_reminders")
    with op.batch_alter_table("agreement_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_items_agreement_id"))

    op.drop_table("agreement_items")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreements_vendor_id"))
        batch_op.drop_index("ix_agreements_status_end")

    op.drop_table("agreements")
    op.drop_table("request_types")
