"""Purchase orders. (Access rules are registered with the sourcing services, which
create orders from awarded quotes.)"""

from __future__ import annotations

import sqlalchemy as sa

from .. import access, workflow
from ..extensions import db
from ..models import OrderStatus, PurchaseOrder, User
from ..sourcing import services as sourcing  # noqa: F401 -- registers the access rules
from ..workflow import ORDER


def get(order_id: int, user: User) -> PurchaseOrder:
    return access.load(PurchaseOrder, order_id, user)


def list_query(
    user: User,
    *,
    status: str | None = None,
    vendor_id: int | None = None,
    request_id: int | None = None,
) -> sa.Select:
    query = access.scoped(PurchaseOrder, user, sa.select(PurchaseOrder))
    if status:
        query = query.where(PurchaseOrder.status == OrderStatus(status))
    if vendor_id:
        query = query.where(PurchaseOrder.vendor_id == vendor_id)
    if request_id:
        query = query.where(PurchaseOrder.request_id == request_id)
    return query.order_by(PurchaseOrder.id.desc())


def allowed_actions(order: PurchaseOrder, user: User) -> list[str]:
    return workflow.allowed_actions(ORDER, order, user)


def issued_by(order: PurchaseOrder) -> User | None:
    return db.session.get(User, order.issued_by_id) if order.issued_by_id else None
