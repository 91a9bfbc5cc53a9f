"""Two people taking the last seat of a licence pool at once, and two receipts typing
the same serial number at once: one wins, the other is refused, nothing half-written.

Real threads and commits as in ``test_invoice_races.py``: each thread has its own app
context (its own session and connection), a barrier releases them once both have read
what they change. That race needs PostgreSQL (``--db postgres``): SQLite queues the
writers from the start of their transactions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from procure import audit
from procure.assets import licences
from procure.errors import Conflict, ValidationError
from procure.extensions import db
from procure.models import Asset, Licence, PurchaseOrder, Receipt, User
from procure.orders import services as orders
from tests.committing import together
from tests.documents import issued_order

pytestmark = [pytest.mark.committing, pytest.mark.postgres_only]

BARRIER_TIMEOUT = 60


@pytest.fixture(autouse=True)
def _postgres(request):
    if request.config.getoption("--db") != "postgres":
        pytest.skip("needs PostgreSQL (run with --db postgres)")


def test_two_assigning_the_last_seat_at_once_one_gets_it(app, committed_db, make):
    buyer = make.user(["procurement"], department="PROC")
    order = issued_order(
        make, buyer=buyer, title_lines=(("Design tool seat", "2", "30.00"),), category="licence"
    )
    orders.receive(
        order,
        [orders.ReceiptLineData(line_id=order.lines[0].id, quantity=Decimal("2"))],
        received_on=None,
        actor=buyer,
    )
    pool = db.session.scalars(sa.select(Licence)).one()
    first = make.user(["requester"], department="IT")
    licences.assign(pool, first.id, actor=buyer)
    db.session.commit()
    ids = {
        "pool": pool.id,
        "buyer": buyer.id,
        "people": [make.user(["requester"], department="IT").id for _ in range(2)],
    }
    db.session.remove()
    barrier = threading.Barrier(2)

    def assign(person_id: int) -> Callable[[], Any]:
        def work() -> Any:
            licence = db.session.get(Licence, ids["pool"])
            actor = db.session.get(User, ids["buyer"])
            assert licence.free == 1 and licence.live
            barrier.wait(BARRIER_TIMEOUT)  # both have read one seat free
            licences.assign(licence, person_id, actor=actor)
            db.session.commit()
            return "assigned"

        return work

    outcomes = together(app, [assign(person) for person in ids["people"]])
    assert outcomes.count("assigned") == 1, outcomes
    (lost,) = [o for o in outcomes if o != "assigned"]
    assert isinstance(lost, Conflict), repr(lost)
    licence = db.session.get(Licence, ids["pool"])
    assert (licence.used, len(licence.live)) == (2, 2)
    assert audit.verify().ok


def test_two_receipts_typing_the_same_serial_at_once_store_one(app, committed_db, make):
    buyer = make.user(["procurement"], department="PROC")
    order_ids = [
        issued_order(make, buyer=buyer, title_lines=(("Laptop", "1", "900.00"),)).id
        for _ in range(2)
    ]
    buyer_id = buyer.id
    db.session.remove()
    barrier = threading.Barrier(2)

    def receive(order_id: int) -> Callable[[], Any]:
        def work() -> Any:
            order = db.session.get(PurchaseOrder, order_id)
            actor = db.session.get(User, buyer_id)
            assert order.lines and order.quote is not None and order.request.lines
            barrier.wait(BARRIER_TIMEOUT)  # both will check the serial as free
            orders.receive(
                order,
                [
                    orders.ReceiptLineData(
                        line_id=order.lines[0].id, quantity=Decimal("1"), serials=["SAME-1"]
                    )
                ],
                received_on=None,
                actor=actor,
            )
            db.session.commit()
            return "received"

        return work

    outcomes = together(app, [receive(order_id) for order_id in order_ids])
    assert outcomes.count("received") == 1, outcomes
    (lost,) = [o for o in outcomes if o != "received"]
    assert isinstance(lost, ValidationError | Conflict), repr(lost)
    assert db.session.scalar(sa.select(sa.func.count(Receipt.id))) == 1
    assert db.session.scalars(sa.select(Asset.serial)).all() == ["SAME-1"]
