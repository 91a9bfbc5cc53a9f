"""``seed-bench`` writes the totals kept beside the documents (``procure/totals.py``) as
the services would: a generated history verifies with ``verify-totals``."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from procure import totals
from procure.extensions import db as _db
from procure.models import PurchaseOrder, PurchaseRequest

from .committing import reset_database

pytestmark = pytest.mark.committing

SEED_ARGS = ["seed-bench", "--requests", "200", "--vendors", "300", "--seed", "11"]


@pytest.fixture(scope="module")
def seeded(app, migration_seeds):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=SEED_ARGS)
    yield result
    with app.app_context():
        _db.session.remove()
        reset_database(_db.engine, migration_seeds)


def test_a_generated_history_keeps_its_totals(app, seeded):
    assert seeded.exit_code == 0, seeded.output
    with app.app_context():
        received = _db.session.scalar(
            sa.select(sa.func.count()).where(PurchaseOrder.received_value > 0)
        )
        categorised = _db.session.scalar(
            sa.select(sa.func.count()).where(PurchaseRequest.main_category.is_not(None))
        )
        assert received > 0 and categorised > 0
        assert totals.differences() == []
        result = app.test_cli_runner().invoke(args=["verify-totals"])
        assert (result.exit_code, result.output) == (
            0,
            "ok every kept total agrees with the documents\n",
        )
        _db.session.remove()
