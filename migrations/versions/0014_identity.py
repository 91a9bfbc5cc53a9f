"""accounts from identity providers and the directory

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 15:00:00

An account may now come from OpenID Connect, SAML, SCIM or LDAP (``users.source``) and
have no password (``password_hash`` NULL); it records its last sign-in and the last time
the directory wrote it, and the directory's own id (SCIM ``externalId``).
``external_identities`` links a provider's stable subject to its account;
``sign_in_nonces`` holds what a sign-in protocol accepts only once.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("password_hash", existing_type=sa.String(length=255), nullable=True)
        batch_op.add_column(
            sa.Column("source", sa.String(length=8), nullable=False, server_default="local")
        )
        batch_op.add_column(sa.Column("last_sign_in_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("synced_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("external_id", sa.String(length=255), nullable=True))
    op.create_table(
        "external_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_external_identities_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_external_identities"),
        sa.UniqueConstraint("issuer", "subject", name="uq_external_subject"),
    )
    op.create_index(
        "ix_external_identities_user_id", "external_identities", ["user_id"], unique=False
    )
    op.create_table(
        "sign_in_nonces",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "value", name="pk_sign_in_nonces"),
    )
    op.create_index("ix_sign_in_nonces_expires_at", "sign_in_nonces", ["expires_at"], unique=False)


def downgrade():
    op.drop_index("ix_sign_in_nonces_expires_at", table_name="sign_in_nonces")
    op.drop_table("sign_in_nonces")
    op.drop_index("ix_external_identities_user_id", table_name="external_identities")
    op.drop_table("external_identities")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("external_id")
        batch_op.drop_column("synced_at")
        batch_op.drop_column("last_sign_in_at")
        batch_op.drop_column("source")
        batch_op.alter_column("password_hash", existing_type=sa.String(length=255), nullable=False)
