"""award figures: how many current quotes each award was compared against, the highest
and the median of them in the base currency, kept on the RFQ by
``procure/award_figures.py`` when it is awarded and filled here for the awards made
before (``verify-totals`` recomputes them)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 20:30:00

"""

import sqlalchemy as sa
from alembic import op
from babel.numbers import get_currency_precision
from flask import current_app

# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

# Money is stored in thousandths, rates in billionths. Every current quote in the base
# currency as the comparison ranked it: the awarded one as the award froze it, a
# foreign one at its currency's rate on or before the award's rate date (none: it is
# not compared), rounded half up to the base currency's minor unit.
FILL = """
UPDATE rfqs SET award_quotes = figures.counted, award_highest_base = figures.highest,
                award_median_base = figures.median
FROM (
    SELECT rfq_id, MAX(counted) AS counted, MAX(total) AS highest,
           ROUND(AVG(CASE WHEN place IN ((counted + 1) / 2, (counted + 2) / 2)
                          THEN total END) / {step}) * {step} AS median
    FROM (
        SELECT rfq_id, total,
               ROW_NUMBER() OVER (PARTITION BY rfq_id ORDER BY total, id) AS place,
               COUNT(*) OVER (PARTITION BY rfq_id) AS counted
        FROM (
            SELECT quotes.rfq_id AS rfq_id, quotes.id AS id, CASE
                WHEN quotes.id = rfqs.awarded_quote_id
                    THEN COALESCE(rfqs.award_total_base, quotes.total)
                WHEN quotes.currency = '{base}' THEN quotes.total
                ELSE {converted}
            END AS total
            FROM quotes JOIN rfqs ON rfqs.id = quotes.rfq_id
            WHERE rfqs.status = 'awarded' AND quotes.replaced_by_id IS NULL
        ) AS converted
        WHERE total IS NOT NULL
    ) AS ranked
    GROUP BY rfq_id
) AS figures
WHERE rfqs.id = figures.rfq_id
"""

RATE = """(SELECT exchange_rates.rate FROM exchange_rates
    WHERE exchange_rates.currency = quotes.currency
      AND exchange_rates.day <= rfqs.award_rate_date
    ORDER BY exchange_rates.day DESC LIMIT 1)"""


def fill(dialect: str, base: str) -> str:
    """The fill statement for ``dialect`` ("postgresql" or "sqlite") and the base
    currency ``base``."""
    places = get_currency_precision(base)
    divisor, step = 10 ** (3 + 9 - places), 10 ** (3 - places)
    if dialect == "postgresql":
        # NUMERIC: the product of two BIGINTs could overflow.
        whole = f"FLOOR((CAST(quotes.total AS NUMERIC) * {RATE} + {divisor // 2}) / {divisor})"
    else:
        whole = f"((quotes.total * {RATE} + {divisor // 2}) / {divisor})"
    converted = f"CAST({whole} AS BIGINT) * {step}"
    return FILL.format(base=base, step=step, converted=converted)


def upgrade():
    with op.batch_alter_table("rfqs") as batch_op:
        batch_op.add_column(sa.Column("award_quotes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("award_highest_base", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("award_median_base", sa.BigInteger(), nullable=True))
    base = str(current_app.config.get("PROCURE_CURRENCY") or "USD").upper()
    op.execute(fill(op.get_bind().dialect.name, base))


def downgrade():
    with op.batch_alter_table("rfqs") as batch_op:
        batch_op.drop_column("award_median_base")
        batch_op.drop_column("award_highest_base")
        batch_op.drop_column("award_quotes")
