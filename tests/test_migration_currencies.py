"""Migration 0016 (many currencies) on a database with history: every amount reads the
same after it (stored in thousandths now), and what was decided before it — submitted
requests, awards, issued orders — is frozen in the base currency at rate 1."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_migrate import upgrade

from procure.db import MIGRATIONS_DIR, write_intent
from procure.extensions import db as _db
from procure.models import PurchaseRequest


def test_amounts_read_the_same_and_the_past_is_frozen_at_rate_one(empty_app):
    with empty_app.app_context(), write_intent():
        upgrade(directory=str(MIGRATIONS_DIR), revision="0015")
        # Rows as the schema of 0015 holds them, written by hand (the models are at head).
        connection = _db.session.connection()
        connection.execute(
            sa.text(
                "INSERT INTO departments (id, code, name, created_at) "
                "VALUES (1, 'IT', 'IT', '2026-01-05 09:00:00')"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO users (id, email, name, password_hash, department_id, active, "
                "created_at, source) VALUES (1, 'ada@example.org', 'Ada', 'x', 1, true, "
                "'2026-01-05 09:00:00', 'local')"
            )
        )
        for pr_id, status, cents in ((1, "draft", 12345), (2, "approved", 650000)):
            connection.execute(
                sa.text(
                    "INSERT INTO purchase_requests (id, number, title, justification, "
                    "requester_id, department_id, currency, status, total, version, over_budget, "
                    "approval_round, submitted_at, created_at, updated_at) VALUES (:id, :number, "
                    "'T', '', 1, 1, 'USD', :status, :total, 1, false, 1, :submitted, "
                    "'2026-03-02 10:00:00', '2026-03-02 10:00:00')"
                ),
                {
                    "id": pr_id,
                    "number": f"PR-2026-0000{pr_id}",
                    "status": status,
                    "total": cents,
                    "submitted": None if status == "draft" else "2026-03-04 08:30:00",
                },
            )
        _db.session.commit()

        upgrade(directory=str(MIGRATIONS_DIR))

        draft, approved = _db.session.get(PurchaseRequest, 1), _db.session.get(PurchaseRequest, 2)
        assert draft.total == Decimal("123.45") and approved.total == Decimal("6500.00")
        assert draft.rate is None and draft.total_base is None
        assert approved.rate == Decimal(1) and approved.total_base == Decimal("6500.00")
        assert str(approved.rate_date) == "2026-03-04"  # the day it was submitted
