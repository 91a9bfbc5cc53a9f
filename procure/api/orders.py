"""Purchase orders through the API (API.md, "Purchase orders" and "Orders after
issue"). What is read and answered is in ``order_schemas.py``."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask import Response
from sqlalchemy.orm import selectinload

from .. import kept_counts
from ..errors import NotFound
from ..extensions import db
from ..invoices import matching
from ..models import Invoice, InvoiceLine, OrderRevision, PurchaseOrder, PurchaseRequest
from ..orders import returns, revisions, services
from . import bp
from .order_schemas import (  # noqa: F401 -- VendorRef: the invoices' schemas know it here
    OrderOut,
    OrderPatch,
    OrderQuery,
    PdfQuery,
    ReceiveIn,
    ReturnIn,
    ReverseIn,
    ReviseIn,
    VendorRef,
    order_out,
)
from .schemas import ActionBody, Page
from .spec import current_user, operation, paginate

# A page of orders ---------------------------------------------------------------------------

# What each order of a list answers besides its lines, read for the whole page at once.
LIST_LOADS = (
    selectinload(PurchaseOrder.revisions).selectinload(OrderRevision.created_by),
    selectinload(PurchaseOrder.returns),
    selectinload(PurchaseOrder.receipts),
    # The lines' categories (``receiving.category_of``) are their request lines'.
    selectinload(PurchaseOrder.request).selectinload(PurchaseRequest.lines),
)


def expected_credits(orders: list[PurchaseOrder]) -> dict[int, Decimal]:
    """Each order's :func:`matching.credit_expected`, for a page of orders: what their
    counted invoices bill is read in one query; only an order some line of which is
    billed beyond what is received now is looked at further (its lines' categories)."""
    billed: dict[int, Decimal] = {}
    if orders:
        rows = db.session.execute(
            sa.select(InvoiceLine.order_line_id, sa.func.sum(InvoiceLine.quantity))
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .where(
                Invoice.order_id.in_([order.id for order in orders]),
                Invoice.status.in_(matching.COUNTED),
            )
            .group_by(InvoiceLine.order_line_id)
        )
        billed = {line_id: quantity or Decimal(0) for line_id, quantity in rows}
    return {
        order.id: matching.credit_expected(order)
        if any(billed.get(line.id, Decimal(0)) > line.received_quantity for line in order.lines)
        else Decimal(0)
        for order in orders
    }


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
    ).options(*LIST_LOADS)
    narrowed = query.vendor_id or query.request_id
    total = None if narrowed else kept_counts.total(PurchaseOrder, current_user(), query.status)
    return paginate(select, query, order_out, batch=expected_credits, total=total)


@operation(
    bp,
    "GET",
    "/orders/<int:order_id>",
    response=OrderOut,
    summary="Read a purchase order",
    tag="Purchase orders",
)
def get_order(order_id: int):
    """Lines with their ordered, received (net) and returned quantities, totals, the
    vendor, who issued it and `pdf_sha256`, the hash of the PDF frozen at its latest
    issue; after issue its `revisions`, a `pending_revision` waiting for approval, its
    `returns` and `receipts` (reversed ones marked) and `credit_expected`. An order the
    caller may not see is a 404."""
    return order_out(services.get(order_id, current_user()))


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
    received. A line of a hardware category makes one asset per unit (with the
    `serials` and `tags` given, in order); a licence-like line makes or grows a licence
    pool; all commit with the receipt or, on any refusal, nothing does."""
    order = services.get(order_id, current_user())
    services.receive(
        order,
        [
            services.ReceiptLineData(
                line_id=line.line_id,
                quantity=line.quantity,
                serials=list(line.serials),
                tags=list(line.tags),
            )
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
    query=PdfQuery,
    response=bytes,
    content_type="application/pdf",
    summary="The order's PDF, or one issued revision's",
    tag="Purchase orders",
)
def order_pdf(order_id: int, query: PdfQuery):
    """For an issued order, exactly the bytes frozen when its latest revision was issued
    (their SHA-256 is `pdf_sha256`); `?revision=N` gives revision N's (its SHA-256 is
    that entry's `pdf_sha256` in `revisions`; 0 is the order as first issued). A revision
    the order does not have is a 422 on `revision`. For a draft, a preview watermarked
    DRAFT."""
    order = services.get(order_id, current_user())
    data, filename = revisions.get_document(order, query.revision)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# After issue ---------------------------------------------------------------------------------


@operation(
    bp,
    "POST",
    "/orders/<int:order_id>/revise",
    body=ReviseIn,
    response=OrderOut,
    summary="Revise an issued order: a change order (procurement)",
    tag="Purchase orders",
    errors=(403, 409),
)
def revise_order(order_id: int, body: ReviseIn):
    """Changes lines (`line_id` with the fields that change; without `line_id` a new line;
    `quantity` 0 removes a line nothing of which was received or invoiced), `shipping`,
    `tax`, `needed_by`, `delivery_address`, `terms` or `payment_terms`, with a `reason`;
    what is left out keeps its value. Within the tolerance (the lesser of
    `revision_tolerance_percent` of the approved amount and `revision_tolerance_amount`,
    `GET /settings/orders`) the revision is issued at once: `revision` goes up, its PDF
    is frozen and sent to the vendor. Beyond it the order answers `revision_status`
    `pending_approval` and `pending_revision`, the request's `approvals` gain steps for
    the increase, and it is issued when the last is approved (`POST
    /requests/{pr_id}/approve`); until then `revision`, `total` and `lines` stay as
    issued. A quantity below what was received is a 422 on `lines.N.quantity`; a
    cancelled or closed order, or one with a revision waiting, 409
    `invalid_transition`."""
    order = services.get(order_id, current_user())
    revisions.revise(
        order,
        revisions.RevisionData(
            reason=body.reason,
            lines=[
                revisions.LineChange(
                    line_id=line.line_id,
                    description=line.description,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    unit=line.unit,
                )
                for line in body.lines
            ],
            shipping=body.shipping,
            tax=body.tax,
            needed_by=body.needed_by,
            delivery_address=body.delivery_address,
            terms=body.terms,
            payment_terms=body.payment_terms,
        ),
        actor=current_user(),
        expected_version=body.version,
    )
    return order_out(order)


@operation(
    bp,
    "POST",
    "/orders/<int:order_id>/return",
    body=ReturnIn,
    response=OrderOut,
    summary="Return received goods to the vendor (procurement)",
    tag="Purchase orders",
    errors=(403, 409),
)
def return_goods(order_id: int, body: ReturnIn):
    """Each line names an order line and the quantity going back, at most what is
    received of it now (more: a 422 on `lines.N.quantity`); `reason` is required, `rma`
    is the vendor's return number. Received quantities go down, `returned_quantity` up,
    and the status follows what remains received. An invoice that billed the goods now
    expects a credit note (`credit_expected`)."""
    order = services.get(order_id, current_user())
    returns.record_return(
        order,
        [
            returns.ReturnLineData(line_id=line.line_id, quantity=line.quantity)
            for line in body.lines
        ],
        returned_on=body.returned_on,
        reason=body.reason,
        rma=body.rma,
        actor=current_user(),
        expected_version=body.version,
    )
    return order_out(order)


@operation(
    bp,
    "POST",
    "/orders/<int:order_id>/receipts/<int:receipt_id>/reverse",
    body=ReverseIn,
    response=OrderOut,
    summary="Reverse a wrong receipt (procurement)",
    tag="Purchase orders",
    errors=(403, 409),
)
def reverse_receipt(order_id: int, receipt_id: int, body: ReverseIn):
    """The receipt's quantities come off what is received; it stays in `receipts`, marked
    `reversed`, with the `reason` (required). A receipt reversed already, or one an
    invoice bills or goods of which went back since, is a 409 `invalid_transition`
    naming them. A receipt of another order is a 404."""
    order = services.get(order_id, current_user())
    receipt = returns.receipt_of(order, receipt_id)
    if receipt is None:
        raise NotFound(f"{order.number or 'This order'} has no receipt {receipt_id}.")
    returns.reverse_receipt(
        order, receipt, reason=body.reason, actor=current_user(), expected_version=body.version
    )
    return order_out(order)
