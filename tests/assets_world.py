"""A small asset register for the reports, reminders and leavers tests: three laptops
and two docks received on one order, a licence pool of five seats on another."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from procure.assets import services
from procure.models import Asset, Licence, PurchaseOrder, User
from procure.orders import services as orders

from .documents import issued_order

D = Decimal


@dataclasses.dataclass
class World:
    buyer: User
    laptops: list[Asset]
    docks: list[Asset]
    order: PurchaseOrder


def _receive(order, buyer, serials=None):
    return orders.receive(
        order,
        [
            orders.ReceiptLineData(
                line_id=line.id,
                quantity=line.quantity,
                serials=(serials or {}).get(line.position, []),
            )
            for line in order.lines
        ],
        received_on=None,
        actor=buyer,
    )


def hardware(make, db, *, warranty_months=2, buyer=None) -> World:
    """3 laptops (serials SN-<order id>-1..3) and 2 docks received today, warranty
    ``warranty_months``."""
    buyer = buyer or make.user(["procurement"], department="PROC")
    order = issued_order(
        make,
        buyer=buyer,
        title_lines=(("ThinkPad T14", "3", "1500.00"), ("USB-C dock", "2", "200.00")),
        warranty_months=warranty_months,
    )
    _receive(order, buyer, {1: [f"SN-{order.id}-{i}" for i in (1, 2, 3)]})
    db.session.commit()
    assets = db.session.scalars(
        sa.select(Asset).where(Asset.order_id == order.id).order_by(Asset.id)
    ).all()
    return World(
        buyer=buyer,
        laptops=[a for a in assets if a.model == "ThinkPad T14"],
        docks=[a for a in assets if a.model == "USB-C dock"],
        order=order,
    )


def licence_pool(make, db, *, seats="5", buyer=None) -> Licence:
    buyer = buyer or make.user(["procurement"], department="PROC")
    order = issued_order(
        make, buyer=buyer, title_lines=(("Figma seats", seats, "100.00"),), category="software"
    )
    _receive(order, buyer)
    db.session.commit()
    return db.session.scalar(sa.select(Licence).where(Licence.order_id == order.id))


def set_warranty(asset: Asset, days_from_today: int, actor: User) -> None:
    end = dt.date.today() + dt.timedelta(days=days_from_today)
    if end < asset.purchase_date:
        # A warranty that has ended: the asset was bought before.
        asset.purchase_date = end
    services.update(asset, actor=actor, warranty_end=end)
