"""The demo's framework agreement: Northwind's laptop agreement, active under a ceiling,
with five laptops called off for Ada's catalogue request and the order issued."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from procure import demo, demo_agreements
from procure.models import (
    Agreement,
    AgreementStatus,
    OrderStatus,
    PurchaseOrder,
    PurchaseRequest,
)


def _state(db) -> list:
    agreements = db.session.scalars(sa.select(Agreement).order_by(Agreement.id)).all()
    return [
        (a.number, a.status, a.consumed, [(i.description, i.ordered) for i in a.items])
        for a in agreements
    ] + [db.session.scalar(sa.select(sa.func.count()).select_from(PurchaseOrder))]


def test_the_demo_has_an_active_agreement_with_an_issued_call_off(db):
    demo.seed_all()
    db.session.commit()
    agreement = db.session.scalar(
        sa.select(Agreement).where(Agreement.title == demo_agreements.TITLE)
    )
    assert agreement is not None and agreement.status is AgreementStatus.ACTIVE
    assert agreement.vendor.name == demo_agreements.VENDOR
    assert agreement.ceiling == demo_agreements.CEILING
    laptop, dock, monitor = agreement.items
    assert (laptop.max_quantity, dock.max_quantity, monitor.max_quantity) == (
        Decimal("50"),
        None,
        Decimal("20"),
    )
    assert laptop.ordered == Decimal("5") and laptop.remaining == Decimal("45")
    order = db.session.scalar(
        sa.select(PurchaseOrder).where(PurchaseOrder.agreement_id == agreement.id)
    )
    assert order.status is OrderStatus.ISSUED and order.number
    assert agreement.consumed == order.total == Decimal("5900.00")
    pr = db.session.get(PurchaseRequest, order.request_id)
    assert pr.requester.email == "ada@example.org"
    assert [line.catalogue_item_id for line in pr.lines] == [laptop.id]
    # Pre-approved: 5,900.00 is over the finance review's 5,000.00, which catalogue items
    # skip; finance still looks because IT's budget is exceeded, which nothing skips.
    finance = [step.reason for step in pr.steps if step.name == "finance"]
    assert len(finance) == 1 and "budget" in finance[0], finance


def test_seeding_twice_changes_nothing(db):
    demo.seed_all()
    db.session.commit()
    first = _state(db)
    demo.seed_all()
    db.session.commit()
    assert _state(db) == first
