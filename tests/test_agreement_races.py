"""Two call-offs racing for an agreement's last units: one order, one refusal naming
what remains, nothing half-written.

Real threads and commits as in ``test_asset_races.py``: each thread has its own app
context (its own session and connection), a barrier releases them once both have read
the agreement. That race needs PostgreSQL (``--db postgres``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from procure import audit
from procure.agreements import calloff
from procure.errors import InvalidTransition
from procure.extensions import db
from procure.models import Agreement, PurchaseOrder, PurchaseRequest, User
from tests.agreement_support import agreement, catalogue_request
from tests.committing import together

pytestmark = [pytest.mark.committing, pytest.mark.postgres_only]

BARRIER_TIMEOUT = 60


@pytest.fixture(autouse=True)
def _postgres(request):
    if request.config.getoption("--db") != "postgres":
        pytest.skip("needs PostgreSQL (run with --db postgres)")


def test_two_call_offs_for_the_last_units_give_one_order(app, committed_db, make):
    buyer = make.user(["procurement"], department="PROC")
    requester = make.user(["requester"], department="IT")
    approver = make.user(["approver"], department="IT")
    make.user(["finance"], department="FIN")
    ag = agreement(make, buyer, items=(("ThinkPad T14", "1000.00", "5"),))
    item = ag.items[0]
    requests = [catalogue_request(make, requester, approver, [(item, "3")]) for _ in range(2)]
    db.session.commit()
    ids = {"agreement": ag.id, "buyer": buyer.id, "requests": [pr.id for pr in requests]}
    db.session.remove()
    barrier = threading.Barrier(2)

    def call_off(request_id: int) -> Callable[[], Any]:
        def work() -> Any:
            agreement_ = db.session.get(Agreement, ids["agreement"])
            pr = db.session.get(PurchaseRequest, request_id)
            actor = db.session.get(User, ids["buyer"])
            assert agreement_.items[0].remaining == 5 and pr.lines
            barrier.wait(BARRIER_TIMEOUT)  # both have read five remaining
            calloff.call_off(agreement_, pr, actor)
            db.session.commit()
            return "ordered"

        return work

    outcomes = together(app, [call_off(i) for i in ids["requests"]])
    assert outcomes.count("ordered") == 1, outcomes
    (lost,) = [o for o in outcomes if o != "ordered"]
    assert isinstance(lost, InvalidTransition), repr(lost)
    assert str(lost.message if hasattr(lost, "message") else lost).startswith(
        "Only 2 of ThinkPad T14 remain on AG-"
    )
    stored = db.session.get(Agreement, ids["agreement"])
    assert stored.items[0].ordered == Decimal("3") and stored.consumed == Decimal("3000.00")
    orders = db.session.scalars(
        sa.select(PurchaseOrder).where(PurchaseOrder.agreement_id == stored.id)
    ).all()
    assert len(orders) == 1
    assert audit.verify().ok
