"""Purchase orders through the API (API.md, "Purchase orders")."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from flask import Response
from pydantic import Field, StringConstraints

from .. import currencies
from ..models import OrderLine, OrderStatus, PurchaseOrder
from ..orders import services
from . import bp
from .requests import PersonOut, person
from .schemas import (
    ActionBody,
    Amount,
    Id,
    Input,
    Output,
    Page,
    PageQuery,
    Quantity,
    QuantityOut,
    Text,
    Timestamp,
    amount_out,
    rate_out,
)
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
    unit_price: Amount
    total: Amount
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
    subtotal: Amount
    shipping: Amount
    tax: Amount
    total: Amount = Field(description="In the order's `currency`.")
    total_base: Amount | None = Field(
        description="In the base currency at `rate`, frozen at issue (null while draft)."
    )
    rate: str | None = Field(
        description="Base units one unit of `currency` was worth on `rate_date`, frozen "
        "at issue (1 for the base currency; null while draft)."
    )
    rate_date: dt.date | None
    delivery_address: str
    needed_by: dt.date | None
    payment_terms: str
    terms: str
    created_at: Timestamp
    issued_at: Timestamp | None
    issued_by: PersonOut | None
    pdf_sha256: str | None


class OrderQuery(PageQuery):
    status: OrderStatus | None = None
    vendor_id: Id | None = None
    request_id: Id | None = None


def order_line_out(line: OrderLine, currency: str) -> OrderLineOut:
    return OrderLineOut(
        id=line.id,
        position=line.position,
        request_line_id=line.request_line_id,
        description=line.description,
        quantity=line.quantity,
        unit=line.unit,
        unit_price=amount_out(line.unit_price, currency),
        total=amount_out(line.total, currency),
        received_quantity=line.received_quantity,
    )


def order_out(order: PurchaseOrder) -> OrderOut:
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
        lines=[order_line_out(line, order.currency) for line in order.lines],
        subtotal=amount_out(order.subtotal, order.currency),
        shipping=amount_out(order.shipping, order.currency),
        tax=amount_out(order.tax, order.currency),
        total=amount_out(order.total, order.currency),
        total_base=(
            amount_out(order.total_base, currencies.base())
            if order.total_base is not None
            else None
        ),
        rate=rate_out(order.rate),
        rate_date=order.rate_date,
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
    """Whoever may read an order's request may read the order. Filters: `status`,
    `vendor_id`, `request_id`."""
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
    """Lines with their ordered and received quantities, totals, the vendor, who issued it
    and `pdf_sha256`, the hash of the PDF frozen at issue. An order the caller may not
    see is a 404."""
    return order_out(services.get(order_id, current_user()))


class OrderPatch(Input):
    delivery_address: Text | None = None
    needed_by: dt.date | None = None
    payment_terms: Annotated[str, StringConstraints(max_length=200)] | None = None
    terms: Text | None = None
    version: int | None = None


class ReceiveLineIn(Input):
    line_id: Id
    quantity: Quantity


class ReceiveIn(Input):
    lines: list[ReceiveLineIn] = Field(min_length=1, max_length=1000)
    received_on: dt.date | None = Field(None, description="Default: today.")
    note: Text = ""
    version: int | None = None


@operation(
    bp,
    "PATCH",
    "/orders/<int:order_id>",
    body=OrderPatch,
    response=OrderOut,
    summary="Edit a draft order's delivery address, date and terms (procurement)",
    tag="Purchase orders",
    errors=(403, 409),
)
def patch_order(order_id: int, body: OrderPatch):
    """Only a draft changes (an issued order is frozen: 409 `invalid_transition`); only the
    fields sent change. A needed-by date in the past is a 422 on `needed_by`."""
    order = services.get(order_id, current_user())
    sent = body.model_fields_set
    services.update_draft(
        order,
        services.DraftData(
            delivery_address=body.delivery_address
            if body.delivery_address is not None
            else order.delivery_address,
            needed_by=body.needed_by if "needed_by" in sent else order.needed_by,
            payment_terms=body.payment_terms
            if body.payment_terms is not None
            else order.payment_terms,
            terms=body.terms if body.terms is not None else order.terms,
        ),
        actor=current_user(),
        expected_version=body.version,
    )
    return order_out(order)


@operation(
    bp,
    "POST",
    "/orders/<int:order_id>/issue",
    body=ActionBody,
    response=OrderOut,
    summary="Issue the order: number, frozen PDF, the request becomes ordered",
    tag="Purchase orders",
    errors=(403, 409),
)
def issue_order(order_id: int, body: ActionBody):
    """Gives the order its `PO-YYYY-NNNNN` number, freezes its content, stores the PDF with
    its SHA-256, moves the request to ordered and e-mails the PDF to the vendor. The
    vendor must be approved and the request still approved."""
    order = services.get(order_id, current_user())
    services.issue(order, actor=current_user(), expected_version=body.version)
    return order_out(order)


@operation(
    bp,
    "POST",
    "/orders/<int:order_id>/receive",
    body=ReceiveIn,
    response=OrderOut,
    summary="Record quantities received per line, on a date",
    tag="Purchase orders",
    errors=(403, 409),
)
def receive_order(order_id: int, body: ReceiveIn):
    """Each line names an order line and the quantity that arrived. More than remains to be
    received, a date in the future or before the order was issued is a 422 naming the
    field (`lines.N.quantity`, `received_on`). The order becomes partially received or
    received."""
    order = services.get(order_id, current_user())
    services.receive(
        order,
        [
            services.ReceiptLineData(line_id=line.line_id, quantity=line.quantity)
            for line in body.lines
        ],
        received_on=body.received_on,
        note=body.note,
        actor=current_user(),
        expected_version=body.version,
    )
    return order_out(order)


@operation(
    bp,
    "POST",
    "/orders/<int:order_id>/close",
    body=ActionBody,
    response=OrderOut,
    summary="Close a received order; its request closes",
    tag="Purchase orders",
    errors=(403, 409),
)
def close_order(order_id: int, body: ActionBody):
    """Closes a received order; its request closes with it. The comment is optional."""
    order = services.get(order_id, current_user())
    services.close(
        order, actor=current_user(), comment=body.comment, expected_version=body.version
    )
    return order_out(order)


@operation(
    bp,
    "POST",
    "/orders/<int:order_id>/cancel",
    body=ActionBody,
    response=OrderOut,
    summary="Cancel a draft or issued order (a comment is required)",
    tag="Purchase orders",
    errors=(403, 409),
)
def cancel_order(order_id: int, body: ActionBody):
    """An issued order's request returns to approved, to be sourced again."""
    order = services.get(order_id, current_user())
    services.cancel(
        order, actor=current_user(), comment=body.comment, expected_version=body.version
    )
    return order_out(order)


@operation(
    bp,
    "GET",
    "/orders/<int:order_id>/pdf",
    response=bytes,
    content_type="application/pdf",
    summary="The order's PDF",
    tag="Purchase orders",
)
def order_pdf(order_id: int):
    """For an issued order, exactly the bytes frozen at issue (their SHA-256 is
    `pdf_sha256`); for a draft, a preview watermarked DRAFT."""
    order = services.get(order_id, current_user())
    data, filename = services.document(order)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
