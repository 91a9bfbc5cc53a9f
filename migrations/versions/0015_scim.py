"""SCIM: the directory's tokens, its view of the accounts it writes, its groups

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 16:00:00

``scim_tokens`` holds the bearer tokens a directory (Entra ID, Okta) pushes with, as
SHA-256 only. ``scim_users`` keeps what the directory said of an account (userName,
name, e-mails, department, as sent) and ``deleted_at``, which hides an account the
directory deleted while the account itself stays, deactivated, with its history.
``scim_groups`` and ``scim_group_members``: the groups whose names map to roles.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "scim_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name="fk_scim_tokens_created_by_id_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_scim_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_scim_tokens_token_hash"),
    )
    op.create_table(
        "scim_users",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=254), nullable=False),
        sa.Column("user_name_key", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("name_json", sa.Text(), nullable=False),
        sa.Column("emails_json", sa.Text(), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_scim_users_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_scim_users"),
        sa.UniqueConstraint("user_name_key", name="uq_scim_users_user_name_key"),
    )
    op.create_table(
        "scim_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=256), nullable=False),
        sa.Column("display_key", sa.String(length=256), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_scim_groups"),
        sa.UniqueConstraint("display_key", name="uq_scim_groups_display_key"),
    )
    op.create_table(
        "scim_group_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["scim_groups.id"],
            name="fk_scim_group_members_group_id_scim_groups",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_scim_group_members_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "user_id", name="pk_scim_group_members"),
    )
    op.create_index(
        "ix_scim_group_members_user_id", "scim_group_members", ["user_id"], unique=False
    )


def downgrade():
    op.drop_index("ix_scim_group_members_user_id", table_name="scim_group_members")
    op.drop_table("scim_group_members")
    op.drop_table("scim_groups")
    op.drop_table("scim_users")
    op.drop_table("scim_tokens")
