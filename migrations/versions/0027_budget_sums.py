"""budget sums: what the documents of each budget key (department, fiscal year,
category or '' for the whole, source and status, frozen rates) add up to, kept beside
them by ``procure/budget_sums.py`` and filled here from the documents (``verify-totals``
recomputes them)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 17:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

# Rates are billionths: 1 is no rate frozen (the base currency), 0 no payment rate.
# Money is thousandths. One pass over each kind of document, grouped once.
FILL = """
INSERT INTO budget_sums
    (department_id, fiscal_year, category, source, status, rate, paid_rate,
     total, received, paid)
SELECT department_id, fiscal_year, category, source, status,
       COALESCE(rate, 1000000000), COALESCE(paid_rate, 0),
       SUM(total), SUM(received), SUM(paid)
FROM (
    SELECT r.department_id, r.fiscal_year, '' AS category, 'request' AS source,
           r.status, CAST(NULL AS BIGINT) AS rate, CAST(NULL AS BIGINT) AS paid_rate,
           COALESCE(r.total_base, r.total) AS total, 0 AS received, 0 AS paid
    FROM purchase_requests r WHERE r.status = 'approved'
    UNION ALL
    SELECT r.department_id, r.fiscal_year, l.category, 'request', r.status, r.rate, NULL,
           l.total, 0, 0
    FROM request_lines l JOIN purchase_requests r ON r.id = l.request_id
    WHERE r.status = 'approved'
    UNION ALL
    SELECT r.department_id, r.fiscal_year, '', 'order', o.status, o.rate, NULL,
           COALESCE(o.total_base, o.total), o.received_value, 0
    FROM purchase_orders o JOIN purchase_requests r ON r.id = o.request_id
    WHERE o.status IN ('issued', 'partially_received', 'received', 'closed')
    UNION ALL
    SELECT r.department_id, r.fiscal_year, rl.category, 'order', o.status, o.rate, NULL,
           ol.total, ol.received_value, 0
    FROM order_lines ol
    JOIN purchase_orders o ON o.id = ol.order_id
    JOIN purchase_requests r ON r.id = o.request_id
    JOIN request_lines rl ON rl.id = ol.request_line_id
    WHERE o.status IN ('issued', 'partially_received', 'received', 'closed')
    UNION ALL
    SELECT r.department_id, r.fiscal_year, '', 'invoice', i.status, NULL, NULL,
           COALESCE(i.total_base, i.total), 0,
           COALESCE(i.paid_base, i.total_base, i.total)
    FROM invoices i
    JOIN purchase_orders o ON o.id = i.order_id
    JOIN purchase_requests r ON r.id = o.request_id
    WHERE i.status IN ('approved', 'paid')
    UNION ALL
    SELECT r.department_id, r.fiscal_year, rl.category, 'invoice', i.status, i.rate,
           i.paid_rate, il.total, 0, 0
    FROM invoice_lines il
    JOIN invoices i ON i.id = il.invoice_id
    JOIN order_lines ol ON ol.id = il.order_line_id
    JOIN request_lines rl ON rl.id = ol.request_line_id
    JOIN purchase_orders o ON o.id = i.order_id
    JOIN purchase_requests r ON r.id = o.request_id
    WHERE i.status IN ('approved', 'paid')
) AS documents
WHERE fiscal_year IS NOT NULL
GROUP BY department_id, fiscal_year, category, source, status,
         COALESCE(rate, 1000000000), COALESCE(paid_rate, 0)
"""


def upgrade():
    op.create_table(
        "budget_sums",
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rate", sa.BigInteger(), nullable=False),
        sa.Column("paid_rate", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_budget_sums_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint(
            "department_id",
            "fiscal_year",
            "category",
            "source",
            "status",
            "rate",
            "paid_rate",
            name=op.f("pk_budget_sums"),
        ),
    )
    op.execute(FILL)


def downgrade():
    op.drop_table("budget_sums")
