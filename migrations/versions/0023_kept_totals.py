"""kept totals: what each order line and order has received, net (in the order's
currency), and each request's main category, kept beside the documents by the services
that change them; filled here from the documents (``verify-totals`` recomputes them)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 09:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# Set-based (UPDATE … FROM a grouped select: PostgreSQL, and SQLite from 3.33), so that
# a million requests' 2.5 million lines are filled in one pass each, not row by row.
LINES_RECEIVED = """
UPDATE order_lines SET received_value = moved.value
FROM (
    SELECT order_line_id, SUM(value) AS value FROM (
        SELECT receipt_lines.order_line_id AS order_line_id, receipt_lines.value AS value
        FROM receipt_lines JOIN receipts ON receipts.id = receipt_lines.receipt_id
        WHERE receipts.reversed_at IS NULL
        UNION ALL
        SELECT return_lines.order_line_id, -return_lines.value FROM return_lines
    ) AS movements
    GROUP BY order_line_id
) AS moved
WHERE order_lines.id = moved.order_line_id AND moved.value <> 0
"""

ORDERS_RECEIVED = """
UPDATE purchase_orders SET received_value = lines.value
FROM (
    SELECT order_id, SUM(received_value) AS value FROM order_lines
    WHERE received_value <> 0 GROUP BY order_id
) AS lines
WHERE purchase_orders.id = lines.order_id
"""

# The category of the largest share of a request's total; ties to the alphabetically
# first (as ``totals.main_category``).
MAIN_CATEGORY = """
UPDATE purchase_requests SET main_category = ranked.category
FROM (
    SELECT request_id, category, ROW_NUMBER() OVER (
        PARTITION BY request_id ORDER BY amount DESC, category
    ) AS place
    FROM (
        SELECT request_id, category, SUM(total) AS amount FROM request_lines
        GROUP BY request_id, category
    ) AS per_category
) AS ranked
WHERE ranked.place = 1 AND purchase_requests.id = ranked.request_id
"""


def upgrade():
    with op.batch_alter_table("order_lines") as batch_op:
        batch_op.add_column(
            sa.Column("received_value", sa.BigInteger(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("purchase_orders") as batch_op:
        batch_op.add_column(
            sa.Column("received_value", sa.BigInteger(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("purchase_requests") as batch_op:
        batch_op.add_column(sa.Column("main_category", sa.String(length=40), nullable=True))
    op.execute(LINES_RECEIVED)
    op.execute(ORDERS_RECEIVED)
    op.execute(MAIN_CATEGORY)


def downgrade():
    with op.batch_alter_table("purchase_requests") as batch_op:
        batch_op.drop_column("main_category")
    with op.batch_alter_table("purchase_orders") as batch_op:
        batch_op.drop_column("received_value")
    with op.batch_alter_table("order_lines") as batch_op:
        batch_op.drop_column("received_value")
