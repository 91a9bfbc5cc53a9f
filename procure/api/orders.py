"""Purchase orders through the API (API.md, "Purchase orders")."""

from __future__ import annotations

import datetime as dt

from ..models import OrderStatus, PurchaseOrder
from ..orders import services
from . import bp
from .requests import PersonOut
from .schemas import Id, MoneyOut, Output, Page, PageQuery, QuantityOut
from .spec import current_user, operation, paginate


class VendorRef(Output):
    id: int
    name: str


class OrderLineOut(Output):
    id: int
    position: int
    request_line_id: int | None
    description: str
    quantity: QuantityOut
    unit: str
    unit_price: MoneyOut
    total: MoneyOut
    received_quantity: QuantityOut


class OrderOut(Output):
    id: int
    number: str | None
    status: OrderStatus
    version: int
    allowed_actions: list[str]
    vendor: VendorRef
    request_id: int
    request_number: str
    rfq_id: int | None
    quote_id: int | None
    currency: str
    lines: list[OrderLineOut]
    subtotal: MoneyOut
    shipping: MoneyOut
    tax: MoneyOut
    total: MoneyOut
    delivery_address: str
    needed_by: dt.date | None
    payment_terms: str
    terms: str
    created_at: dt.datetime
    issued_at: dt.datetime | None
    issued_by: PersonOut | None
    pdf_sha256: str | None


class OrderQuery(PageQuery):
    status: OrderStatus | None = None
    vendor_id: Id | None = None
    request_id: Id | None = None


def order_out(order: PurchaseOrder) -> OrderOut:
    from .requests import person

    return OrderOut(
        id=order.id,
        number=order.number,
        status=order.status,
        version=order.version,
        allowed_actions=services.allowed_actions(order, current_user()),
        vendor=VendorRef(id=order.vendor.id, name=order.vendor.name),
        request_id=order.request_id,
        request_number=order.request.number,
        rfq_id=order.rfq_id,
        quote_id=order.quote_id,
        currency=order.currency,
        lines=[OrderLineOut.model_validate(line) for line in order.lines],
        subtotal=order.subtotal,
        shipping=order.shipping,
        tax=order.tax,
        total=order.total,
        delivery_address=order.delivery_address,
        needed_by=order.needed_by,
        payment_terms=order.payment_terms,
        terms=order.terms,
        created_at=order.created_at,
        issued_at=order.issued_at,
        issued_by=person(services.issued_by(order)),
        pdf_sha256=order.pdf_sha256,
    )


@operation(
    bp,
    "GET",
    "/orders",
    query=OrderQuery,
    response=Page[OrderOut],
    summary="List purchase orders the caller may see",
    tag="Purchase orders",
)
def list_orders(query: OrderQuery):
    select = services.list_query(
        current_user(), status=query.status, vendor_id=query.vendor_id, request_id=query.request_id
    )
    return paginate(select, query, order_out)


@operation(
    bp,
    "GET",
    "/orders/<int:order_id>",
    response=OrderOut,
    summary="Read a purchase order",
    tag="Purchase orders",
)
def get_order(order_id: int):
    return order_out(services.get(order_id, current_user()))
