"""Purchase orders: editing a draft, issuing (number, frozen PDF, the request moves to
ordered), receiving against lines, closing and cancelling. Services check, change,
audit and flush; the caller commits once. Who sees and changes an order is in
``access.DOCUMENTS``; the award in the sourcing services creates the draft."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from .. import (
    access,
    attachments,
    audit,
    history,
    numbering,
    receiving,
    totals,
    workflow,
)
from ..assets import intake
from ..errors import InvalidTransition, ValidationError
from ..extensions import db
from ..invoices import links as invoice_links
from ..invoices import pages as invoice_pages
from ..models import (
    Asset,
    OrderLine,
    OrderRevision,
    OrderStatus,
    PurchaseOrder,
    Receipt,
    ReceiptLine,
    RequestStatus,
    User,
    utcnow,
)
from ..money import round_money
from ..notifications import vendors as vendor_mail
from ..sourcing import services as sourcing
from ..validation import FieldErrors
from ..workflow import ORDER, ORDER_USER_ACTIONS, REQUEST, OrderAction, RequestAction
from . import conversion, movement, revisions
from .document import (  # noqa: F401 -- callers know them as services'
    buyer,
    content_reference,
    document,
    issued_by,
    render_document,
)

TEXT_MAX = 10_000


def get(order_id: int, user: User) -> PurchaseOrder:
    return access.load(PurchaseOrder, order_id, user)


# Issued and not yet fully received: what the goods-in desk waits for.
AWAITING_RECEIPT = (OrderStatus.ISSUED, OrderStatus.PARTIALLY_RECEIVED)


def list_query(
    user: User,
    *,
    status: str | None = None,
    vendor_id: int | None = None,
    request_id: int | None = None,
    awaiting_receipt: bool = False,
) -> sa.Select:
    query = access.scoped(PurchaseOrder, user, sa.select(PurchaseOrder))
    if status:
        query = query.where(PurchaseOrder.status == OrderStatus(status))
    if awaiting_receipt:
        query = query.where(PurchaseOrder.status.in_(AWAITING_RECEIPT))
    if vendor_id:
        query = query.where(PurchaseOrder.vendor_id == vendor_id)
    if request_id:
        query = query.where(PurchaseOrder.request_id == request_id)
    return query.order_by(PurchaseOrder.id.desc())


def allowed_actions(order: PurchaseOrder, user: User) -> list[str]:
    """What ``user`` may do to ``order`` now: never what follows another change (a
    revision issued or withdrawn, an order settled), nor reversing a receipt when none
    stands."""
    people = {action.value for action in ORDER_USER_ACTIONS}
    actions = [a for a in workflow.allowed_actions(ORDER, order, user) if a in people]
    if OrderAction.REVERSE_RECEIPT in actions and not receiving.live_receipts(order):
        actions.remove(OrderAction.REVERSE_RECEIPT)
    return actions


# The page ---------------------------------------------------------------------------------


@dataclasses.dataclass
class OrderPage:
    order: PurchaseOrder
    actions: list[str]
    timeline: list[dict[str, Any]]
    received_value: Decimal
    issued_by: User | None
    # Received quantities are shown once there is something to receive: from issue on.
    shows_receiving: bool
    # Where the goods go: the order's address, else the organisation's, as on the PDF.
    deliver_to: str
    # Beside a foreign-currency total: its base amount and the rate (None in base).
    base_equivalent: conversion.BaseEquivalent | None = None
    # The order's invoices, and whether the user may record one now.
    invoices: invoice_pages.OrderInvoices | None = None


def order_page(order: PurchaseOrder, user: User) -> OrderPage:
    return OrderPage(
        order=order,
        actions=allowed_actions(order, user),
        timeline=history.entries(
            "order", db.session.scalars(audit.events_for("order", order.id)).all()
        ),
        received_value=received_value(order),
        issued_by=issued_by(order),
        shows_receiving=order.issued_at is not None,
        deliver_to=order.delivery_address or buyer().address,
        base_equivalent=conversion.base_equivalent(order),
        invoices=invoice_pages.order_invoices(order, user),
    )


# Editing a draft -------------------------------------------------------------------------


@dataclasses.dataclass
class DraftData:
    delivery_address: str = ""
    needed_by: dt.date | None = None
    payment_terms: str = ""
    terms: str = ""


def update_draft(
    order: PurchaseOrder, data: DraftData, *, actor: User, expected_version: int | None = None
) -> None:
    """Delivery address, dates and terms may change until the order is issued."""
    access.require_role(actor, *sourcing.EDITORS, action="edit purchase orders")
    if order.status != OrderStatus.DRAFT:
        raise InvalidTransition("An issued order is frozen; only a draft can be edited.")
    workflow.check_version(order, expected_version, "order")
    errors = FieldErrors()
    address = errors.text(data.delivery_address, "delivery_address", max_length=TEXT_MAX)
    terms = errors.text(data.terms, "terms", max_length=TEXT_MAX)
    payment_terms = errors.text(data.payment_terms, "payment_terms", max_length=200)
    if data.needed_by is not None and data.needed_by < utcnow().date():
        errors.add("needed_by", "The needed-by date is in the past.")
    errors.raise_if_any()
    before = _draft_snapshot(order)
    order.delivery_address = address
    order.needed_by = data.needed_by
    order.payment_terms = payment_terms
    order.terms = terms
    changes = audit.diff(before, _draft_snapshot(order))
    if changes:
        db.session.flush()
        audit.record("order", order.id, "update", actor=actor, changes=changes)


def _draft_snapshot(order: PurchaseOrder) -> dict:
    return {
        "delivery_address": order.delivery_address,
        "needed_by": order.needed_by.isoformat() if order.needed_by else None,
        "payment_terms": order.payment_terms,
        "terms": order.terms,
    }


# Issuing -----------------------------------------------------------------------------------


def issue(order: PurchaseOrder, *, actor: User, expected_version: int | None = None) -> None:
    """Assign the number, freeze the content, render and store the PDF with its
    SHA-256, move the request to ordered, and queue the PDF to the vendor."""
    workflow.check(ORDER, order, OrderAction.ISSUE, actor)
    workflow.check_version(order, expected_version, "order")
    problems = sourcing.vendor_problems(order.vendor)
    if problems:
        raise ValidationError(
            f"{problems[0]}: the order cannot be issued to it.", fields={"vendor": problems}
        )
    if order.request.status != RequestStatus.APPROVED:
        raise InvalidTransition(
            f"{order.request.number} is "
            f"{order.request.status.value.replace('_', ' ')}, not approved."
        )
    now = utcnow()
    # Before the number is taken: an order without a rate is refused, nothing changed.
    rate = conversion.freeze_rate(order, now.date())
    order.number = numbering.next_number("PO", now.year)
    order.issued_at = now
    order.issued_by_id = actor.id
    data = render_document(order, draft=False)
    stored = attachments.store_bytes(data, f"{order.number}.pdf", "application/pdf", user=actor)
    order.pdf_attachment_id = stored.id
    order.pdf_sha256 = stored.sha256
    order.revision = 0
    order.revisions.append(
        OrderRevision(
            revision=0,
            content=None,
            changes=[],
            total=order.total,
            total_base=order.total_base,
            created_by_id=actor.id,
            created_at=now,
            issued_at=now,
            pdf_attachment_id=stored.id,
            pdf_sha256=stored.sha256,
        )
    )
    workflow.apply(
        ORDER,
        order,
        OrderAction.ISSUE,
        actor=actor,
        changes={
            "number": order.number,
            "pdf_sha256": stored.sha256,
            "content_sha256": content_reference(order),
            "currency": order.currency,
            "total": str(order.total),
            "rate": str(rate.rate),
            "rate_date": rate.date.isoformat(),
            "total_base": str(order.total_base),
        },
    )
    workflow.apply(
        REQUEST, order.request, RequestAction.ORDER, actor=actor, changes={"order": order.number}
    )
    invoice_link = invoice_links.new_link(order)
    address = sourcing.vendor_address(order.vendor)
    if address:
        vendor_mail.queue_order(order, address, stored, invoice_link=invoice_link)


# Receiving -----------------------------------------------------------------------------------


@dataclasses.dataclass
class ReceiptLineData:
    line_id: int
    quantity: Decimal
    # Of a hardware line's units, in order (optional): they become its assets'.
    serials: Sequence[str] = ()
    tags: Sequence[str] = ()


def receive(
    order: PurchaseOrder,
    lines: list[ReceiptLineData],
    *,
    received_on: dt.date | None,
    actor: User,
    note: str = "",
    expected_version: int | None = None,
) -> Receipt:
    """Record what arrived, per line, on a date; receiving more than ordered is refused."""
    workflow.check(ORDER, order, OrderAction.RECEIVE, actor)
    workflow.check_version(order, expected_version, "order")
    errors = FieldErrors()
    received_on = movement.day(order, received_on, "received_on", errors, verb="received")
    note = errors.text(note, "note", max_length=TEXT_MAX)
    by_id = {line.id: line for line in order.lines}
    # A revision waiting for approval may order less: receive within both.
    proposed = revisions.proposed_quantities(order)
    wanted = movement.quantities(
        order,
        lines,
        errors,
        limit=lambda line: (
            min(line.quantity, proposed.get(line.id, line.quantity)) - line.received_quantity
        ),
        beyond=lambda line, remaining: (
            f"Only {remaining.normalize():f} of line {line.position} remain to be received."
        ),
        none="Say what was received.",
    )
    units = [
        intake.Units(index, by_id[item.line_id], item.quantity, item.serials, item.tags)
        for index, item in enumerate(lines)
        if item.line_id in by_id and item.quantity is not None and item.quantity > 0
    ]
    intake.check(units, errors)
    errors.raise_if_any()
    receipt = Receipt(order=order, received_on=received_on, note=note, recorded_by_id=actor.id)
    for line_id, quantity in wanted.items():
        line = by_id[line_id]
        line.received_quantity = line.received_quantity + quantity
        value = round_money(quantity * line.unit_price, order.currency)
        totals.moved(line, value)
        receipt.lines.append(ReceiptLine(order_line_id=line.id, quantity=quantity, value=value))
    db.session.add(receipt)
    db.session.flush()
    made = intake.record(receipt, units, actor=actor)
    workflow.apply(
        ORDER,
        order,
        OrderAction.RECEIVE,
        actor=actor,
        comment=receipt.note,
        changes={
            "received_on": received_on.isoformat(),
            "lines": {str(by_id[k].position): str(v) for k, v in wanted.items()},
            **({"assets": [item.tag for item in made if isinstance(item, Asset)]} if made else {}),
        },
    )
    return receipt


def received_value(order: PurchaseOrder) -> Decimal:
    return receiving.received_value(order)


# Closing and cancelling -------------------------------------------------------------------


def close(
    order: PurchaseOrder, *, actor: User, comment: str = "", expected_version: int | None = None
) -> None:
    """Close a fully received order; its request closes with it."""
    _check_comment(comment, required=False)
    workflow.check_version(order, expected_version, "order")
    order.closed_at = utcnow()
    order.reason = (comment or "").strip()
    workflow.apply(ORDER, order, OrderAction.CLOSE, actor=actor, comment=order.reason)
    if order.request.status == RequestStatus.ORDERED:
        workflow.apply(
            REQUEST,
            order.request,
            RequestAction.CLOSE,
            actor=actor,
            changes={"order": order.number},
        )


def cancel(
    order: PurchaseOrder, *, actor: User, comment: str = "", expected_version: int | None = None
) -> None:
    """Cancel a draft or an issued order (a reason is required); an issued order's
    request returns to approved, so that it can be sourced again."""
    reason = _check_comment(comment, required=True)
    workflow.check_version(order, expected_version, "order")
    was_issued = order.status == OrderStatus.ISSUED
    order.cancelled_at = utcnow()
    order.reason = reason
    workflow.apply(ORDER, order, OrderAction.CANCEL, actor=actor, comment=reason)
    if was_issued and order.request.status == RequestStatus.ORDERED:
        workflow.apply(
            REQUEST,
            order.request,
            RequestAction.REOPEN,
            actor=actor,
            comment=reason,
            changes={"order": order.number},
        )


def _check_comment(comment: str, *, required: bool) -> str:
    errors = FieldErrors()
    comment = errors.text(
        comment, "comment", max_length=TEXT_MAX, required=required, missing="Give the reason."
    )
    errors.raise_if_any()
    return comment


def line_of(order: PurchaseOrder, line_id: int) -> OrderLine | None:
    return next((line for line in order.lines if line.id == line_id), None)
