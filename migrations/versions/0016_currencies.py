"""many currencies: amounts in thousandths, exchange rates, rates frozen on documents

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 16:00:00

Money columns now hold thousandths rather than cents, so that amounts of currencies
with three decimals (BHD, KWD) are kept exactly: every stored amount is multiplied by
ten. ``exchange_rates`` holds what one unit of a currency is worth in the base
currency, by day. Requests (at submit), awards and orders (at issue) keep the rate they
were converted at, its date and their base total; documents from before are all in the
base currency, so they get rate 1 and their own total.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# Every Money column when this migration was written. The SQL below is built from these
# constants only (hence the S608 exemptions).
MONEY_COLUMNS = {
    "budgets": ["amount"],
    "policy_rules": ["min_total"],
    "purchase_requests": ["total"],
    "request_lines": ["unit_price", "total"],
    "quotes": ["shipping", "tax", "subtotal", "total"],
    "quote_lines": ["unit_price", "total"],
    "purchase_orders": ["subtotal", "shipping", "tax", "total"],
    "order_lines": ["unit_price", "total"],
    "contracts": ["value"],
    "contract_terms": ["value"],
    "receipt_lines": ["value"],
}
ONE = 1_000_000_000  # a rate of 1 in billionths


def _scale(factor: str) -> None:
    for table, columns in MONEY_COLUMNS.items():
        assignments = ", ".join(f"{column} = {column} {factor}" for column in columns)
        op.execute(f"UPDATE {table} SET {assignments}")  # noqa: S608 -- constants only


def upgrade():
    _scale("* 10")
    op.create_table(
        "exchange_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rate", sa.BigInteger(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name="fk_exchange_rates_created_by_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_exchange_rates"),
        sa.UniqueConstraint("currency", "day", name="uq_exchange_rates_currency_day"),
    )
    for table, prefix, total in (
        ("purchase_requests", "", "total_base"),
        ("rfqs", "award_", "award_total_base"),
        ("purchase_orders", "", "total_base"),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(f"{prefix}rate", sa.BigInteger(), nullable=True))
            batch_op.add_column(sa.Column(f"{prefix}rate_date", sa.Date(), nullable=True))
            batch_op.add_column(sa.Column(total, sa.BigInteger(), nullable=True))
    # What was decided before was decided in the base currency.
    day = _day_function()
    op.execute(
        f"UPDATE purchase_requests SET rate = {ONE}, total_base = total, "  # noqa: S608
        f"rate_date = {day('COALESCE(submitted_at, created_at)')} WHERE status <> 'draft'"
    )
    op.execute(
        f"UPDATE rfqs SET award_rate = {ONE}, award_rate_date = {day('awarded_at')}, "  # noqa: S608
        "award_total_base = (SELECT quotes.total FROM quotes WHERE quotes.id = rfqs.awarded_quote_id) "
        "WHERE awarded_quote_id IS NOT NULL"
    )
    op.execute(
        f"UPDATE purchase_orders SET rate = {ONE}, rate_date = {day('issued_at')}, "  # noqa: S608
        "total_base = total WHERE issued_at IS NOT NULL"
    )


def _day_function():
    """The SQL that takes the date of a timestamp: SQLite has no DATE type to cast to."""
    if op.get_bind().dialect.name == "sqlite":
        return lambda expression: f"date({expression})"
    return lambda expression: f"CAST({expression} AS DATE)"


def downgrade():
    for table, prefix, total in (
        ("purchase_orders", "", "total_base"),
        ("rfqs", "award_", "award_total_base"),
        ("purchase_requests", "", "total_base"),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(total)
            batch_op.drop_column(f"{prefix}rate_date")
            batch_op.drop_column(f"{prefix}rate")
    op.drop_table("exchange_rates")
    _scale("/ 10")
