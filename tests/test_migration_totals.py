"""Migration 0023 (kept totals) on a database with history: each order line and order
holds what its receipts (not reversed) less its returns are worth, each request the
category of the largest share of its total, and ``verify-totals`` agrees."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_migrate import upgrade

from procure import totals
from procure.db import MIGRATIONS_DIR, write_intent
from procure.extensions import db as _db
from procure.models import OrderLine, PurchaseOrder, PurchaseRequest

WHEN = "2026-03-02 10:00:00"

# Rows as the schema of 0022 holds them, written by hand (the models are at head);
# money and quantities in thousandths.
ROWS: list[tuple[str, list[dict]]] = [
    (
        "INSERT INTO departments (id, code, name, created_at) VALUES (1, 'IT', 'IT', :at)",
        [{"at": WHEN}],
    ),
    (
        "INSERT INTO users (id, email, name, password_hash, department_id, active, created_at, "
        "source) VALUES (1, 'ada@example.org', 'Ada', 'x', 1, true, :at, 'local')",
        [{"at": WHEN}],
    ),
    (
        "INSERT INTO vendors (id, name, name_key, legal_name, tax_id, address, website, email, "
        "phone, notes, status, created_at, updated_at, version) VALUES (1, 'Acme', 'acme', '', "
        "'', '', '', '', '', '', 'approved', :at, :at, 1)",
        [{"at": WHEN}],
    ),
    # Request 1: hardware 400.00 against software 300.00 in two lines of 150.00 each.
    # Request 2: a tie (100.00 each): the alphabetically first. Request 3: no lines.
    (
        "INSERT INTO purchase_requests (id, number, title, justification, requester_id, "
        "department_id, currency, status, total, over_budget, approval_round, submitted_at, "
        "created_at, updated_at, version) VALUES (:id, :number, 'T', '', 1, 1, 'USD', "
        "'ordered', 0, false, 1, :at, :at, :at, 1)",
        [{"id": i, "number": f"PR-2026-0000{i}", "at": WHEN} for i in (1, 2, 3)],
    ),
    (
        "INSERT INTO request_lines (id, request_id, position, description, category, "
        "quantity, unit, unit_price, total) VALUES (:id, :request, :id, 'x', :category, 1000, "
        "'each', :total, :total)",
        [
            {"id": i, "request": pr, "category": category, "total": total}
            for i, pr, category, total in (
                (1, 1, "software", 150000),
                (2, 1, "hardware", 400000),
                (3, 1, "software", 150000),
                (4, 2, "software", 100000),
                (5, 2, "hardware", 100000),
            )
        ],
    ),
    # Order 1: laptops 2 × 1,000.00, docks 3 × 150.00; order 2 received nothing (drafts:
    # an issued order's PDF is beside the point here).
    (
        "INSERT INTO purchase_orders (id, request_id, vendor_id, status, currency, "
        "subtotal, shipping, tax, total, delivery_address, payment_terms, terms, "
        "created_by_id, created_at, reason, revision, version) VALUES (:id, :id, 1, "
        "'draft', 'USD', 2450000, 0, 0, 2450000, '', '', '', 1, :at, '', 0, 1)",
        [{"id": i, "at": WHEN} for i in (1, 2)],
    ),
    (
        "INSERT INTO order_lines (id, order_id, position, description, quantity, unit, "
        "unit_price, total, received_quantity, returned_quantity) VALUES (:id, :order, "
        ":position, 'x', :quantity, 'each', :price, :total, :received, :returned)",
        [
            {
                "id": 1,
                "order": 1,
                "position": 1,
                "quantity": 2000,
                "price": 1000000,
                "total": 2000000,
                "received": 1000,
                "returned": 1000,
            },
            {
                "id": 2,
                "order": 1,
                "position": 2,
                "quantity": 3000,
                "price": 150000,
                "total": 450000,
                "received": 3000,
                "returned": 0,
            },
            {
                "id": 3,
                "order": 2,
                "position": 1,
                "quantity": 2000,
                "price": 1000000,
                "total": 2000000,
                "received": 0,
                "returned": 0,
            },
        ],  # fmt: skip
    ),
    # Receipt 1: both laptops and the docks; receipt 2 (a dock counted twice) reversed.
    (
        "INSERT INTO receipts (id, order_id, received_on, note, recorded_by_id, created_at, "
        "reversed_at, reversed_by_id, reversal_reason) VALUES (:id, 1, :on, '', 1, :at, "
        ":reversed, :by, :reason)",
        [
            {"id": 1, "on": "2026-03-10", "at": WHEN, "reversed": None, "by": None, "reason": ""},
            {
                "id": 2,
                "on": "2026-03-11",
                "at": WHEN,
                "reversed": WHEN,
                "by": 1,
                "reason": "Counted twice",
            },
        ],  # fmt: skip
    ),
    (
        "INSERT INTO receipt_lines (id, receipt_id, order_line_id, quantity, value) VALUES "
        "(:id, :receipt, :line, :quantity, :value)",
        [
            {"id": 1, "receipt": 1, "line": 1, "quantity": 2000, "value": 2000000},
            {"id": 2, "receipt": 1, "line": 2, "quantity": 3000, "value": 450000},
            {"id": 3, "receipt": 2, "line": 2, "quantity": 1000, "value": 150000},
        ],
    ),
    # One laptop went back.
    (
        "INSERT INTO order_returns (id, order_id, returned_on, reason, rma, recorded_by_id, "
        "created_at) VALUES (1, 1, '2026-03-12', 'Dead on arrival', '', 1, :at)",
        [{"at": WHEN}],
    ),
    (
        "INSERT INTO return_lines (id, return_id, order_line_id, quantity, value) VALUES "
        "(1, 1, 1, 1000, 1000000)",
        [{}],
    ),
]


def test_the_totals_are_filled_from_the_documents(empty_app):
    with empty_app.app_context(), write_intent():
        upgrade(directory=str(MIGRATIONS_DIR), revision="0022")
        connection = _db.session.connection()
        for statement, rows in ROWS:
            connection.execute(sa.text(statement), rows)
        _db.session.commit()

        upgrade(directory=str(MIGRATIONS_DIR))

        lines = {
            line.id: line.received_value for line in _db.session.scalars(sa.select(OrderLine))
        }
        assert lines == {1: Decimal("1000.00"), 2: Decimal("450.00"), 3: Decimal("0.00")}
        orders = {
            order.id: order.received_value
            for order in _db.session.scalars(sa.select(PurchaseOrder))
        }
        assert orders == {1: Decimal("1450.00"), 2: Decimal("0.00")}
        categories = dict(
            _db.session.execute(sa.select(PurchaseRequest.id, PurchaseRequest.main_category)).all()
        )
        assert categories == {1: "hardware", 2: "hardware", 3: None}
        assert totals.differences() == []
