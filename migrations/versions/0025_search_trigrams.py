"""trigram indexes (pg_trgm, GIN) on what the searches match part of: an asset's tag,
serial and model, a person's name and e-mail, a vendor's name, a catalogue item's
description, a licence's product — so that a search reads the index, not the table.
PostgreSQL only: on SQLite nothing changes (see procure/models/search.py)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 12:45:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

# (index, table, column), as the models declare them with ``trigram_index``.
INDEXES = [
    ("ix_assets_tag_trgm", "assets", "tag"),
    ("ix_assets_serial_trgm", "assets", "serial"),
    ("ix_assets_model_trgm", "assets", "model"),
    ("ix_licences_product_trgm", "licences", "product"),
    ("ix_users_name_trgm", "users", "name"),
    ("ix_users_email_trgm", "users", "email"),
    ("ix_vendors_name_key_trgm", "vendors", "name_key"),
    ("ix_vendors_name_trgm", "vendors", "name"),
    ("ix_agreement_items_description_trgm", "agreement_items", "description"),
]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # Trusted (PostgreSQL 13 and later): the database's owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        op.create_index(
            name,
            table,
            [column],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # The extension stays: something else of the database's may use it.
    for name, table, _column in reversed(INDEXES):
        op.drop_index(name, table_name=table)
