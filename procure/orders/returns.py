"""Goods going back, and receipts undone (API.md, "Orders after issue").

A **return** records goods sent back to the vendor — lines and quantities, the date,
the reason, the vendor's RMA number: what is received goes down (the order's status
follows: nothing left → issued, some → partially received), the vendor's scorecard
counts it, and an invoice that already billed those goods now expects a credit note
(matching compares what is invoiced with what is received, net).

A receipt is never edited: a wrong one is **reversed**, with a reason, and the right
one recorded anew. A reversal is refused when something depends on the receipt: an
invoice that would bill more than remains received (three-way lines), or goods of it
that were returned since.

Both are procurement's; services check, change, audit and flush.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from .. import audit, totals, workflow
from ..assets import intake
from ..errors import InvalidTransition
from ..extensions import db
from ..invoices import matching
from ..models import (
    Invoice,
    InvoiceLine,
    OrderLine,
    OrderReturn,
    PurchaseOrder,
    Receipt,
    ReturnLine,
    User,
    utcnow,
)
from ..money import format_date, format_quantity, round_money
from ..validation import FieldErrors
from ..workflow import ORDER, OrderAction
from . import movement

TEXT_MAX = 10_000


@dataclasses.dataclass
class ReturnLineData:
    line_id: int
    quantity: Decimal | None


def record_return(
    order: PurchaseOrder,
    lines: list[ReturnLineData],
    *,
    returned_on: dt.date | None,
    reason: str,
    rma: str = "",
    actor: User,
    expected_version: int | None = None,
) -> OrderReturn:
    """Send goods back: at most what is received of each line, now."""
    workflow.check(ORDER, order, OrderAction.RETURN, actor)
    workflow.check_version(order, expected_version, "order")
    errors = FieldErrors()
    returned_on = movement.day(order, returned_on, "returned_on", errors, verb="returned")
    reason = errors.text(
        reason, "reason", max_length=TEXT_MAX, required=True, missing="Give the reason."
    )
    rma = errors.text(rma, "rma", max_length=100)
    by_id = {line.id: line for line in order.lines}
    wanted = movement.quantities(
        order,
        lines,
        errors,
        limit=lambda line: line.received_quantity,
        beyond=lambda line, received: (
            f"Only {format_quantity(received)} of line {line.position} are received; no more "
            "can go back."
        ),
        none="Say what goes back.",
    )
    for index, item in enumerate(lines):
        line = by_id.get(item.line_id)
        held = intake.returnable(line, wanted[line.id]) if line and line.id in wanted else None
        if held and f"lines.{index}.quantity" not in errors:
            errors.add(f"lines.{index}.quantity", held)
    errors.raise_if_any()
    sent_back = OrderReturn(
        returned_on=returned_on, reason=reason, rma=rma, recorded_by_id=actor.id
    )
    order.returns.append(sent_back)
    for line_id, quantity in wanted.items():
        line = by_id[line_id]
        line.received_quantity -= quantity
        line.returned_quantity += quantity
        value = round_money(quantity * line.unit_price, order.currency)
        totals.moved(line, -value)
        sent_back.lines.append(ReturnLine(order_line_id=line.id, quantity=quantity, value=value))
        intake.send_back(line, quantity, actor=actor, reason=reason)
    db.session.flush()
    workflow.apply(
        ORDER,
        order,
        OrderAction.RETURN,
        actor=actor,
        comment=reason,
        changes={
            "return_id": sent_back.id,
            "returned_on": returned_on.isoformat(),
            "rma": rma,
            "lines": {str(by_id[k].position): str(v) for k, v in wanted.items()},
        },
    )
    return sent_back


def receipt_of(order: PurchaseOrder, receipt_id: int) -> Receipt | None:
    return next((r for r in order.receipts if r.id == receipt_id), None)


def dependants(order: PurchaseOrder, receipt: Receipt) -> list[str]:
    """What stops ``receipt`` from being reversed, in words: invoices that would bill
    more than remains received of a three-way line, goods of it returned since, its
    assets deployed or its seats in use (``assets.intake``)."""
    by_id = {line.id: line for line in order.lines}
    taken = {item.order_line_id: item.quantity for item in receipt.lines}
    said: list[str] = []
    short = [
        by_id[line_id]
        for line_id, quantity in taken.items()
        if by_id[line_id].received_quantity < quantity
    ]
    if short:
        said.append(
            "goods of it were returned to the vendor since (line "
            + ", ".join(str(line.position) for line in short)
            + ")"
        )
    invoiced = matching.invoiced_on(order.id, matching.COUNTED)
    lines = [
        by_id[line_id]
        for line_id, quantity in taken.items()
        if not matching.is_two_way(by_id[line_id])
        and invoiced.get(line_id, Decimal(0)) > 0
        and invoiced[line_id] > by_id[line_id].received_quantity - quantity
    ]
    if lines:
        numbers = db.session.scalars(
            sa.select(Invoice.number)
            .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
            .where(
                Invoice.order_id == order.id,
                Invoice.status.in_(matching.COUNTED),
                InvoiceLine.order_line_id.in_([line.id for line in lines]),
            )
            .distinct()
            .order_by(Invoice.number)
        ).all()
        said.append("invoice " + ", ".join(numbers) + " bills what it received")
    return said + intake.reversal_blockers(receipt)


def reverse_receipt(
    order: PurchaseOrder,
    receipt: Receipt,
    *,
    reason: str,
    actor: User,
    expected_version: int | None = None,
) -> Receipt:
    """Undo a wrong receipt: its quantities come off what is received; the receipt
    stays, marked reversed, with who did it and why."""
    workflow.check(ORDER, order, OrderAction.REVERSE_RECEIPT, actor)
    workflow.check_version(order, expected_version, "order")
    if receipt.reversed_at is not None:
        raise InvalidTransition(
            f"The receipt of {format_date(receipt.received_on)} is reversed already."
        )
    errors = FieldErrors()
    reason = errors.text(
        reason, "reason", max_length=TEXT_MAX, required=True, missing="Give the reason."
    )
    errors.raise_if_any()
    blocking = dependants(order, receipt)
    if blocking:
        raise InvalidTransition(
            f"The receipt of {format_date(receipt.received_on)} cannot be reversed: "
            f"{'; '.join(blocking)}."
        )
    by_id: dict[int, OrderLine] = {line.id: line for line in order.lines}
    intake.reverse(receipt, actor=actor, reason=reason)
    for item in receipt.lines:
        by_id[item.order_line_id].received_quantity -= item.quantity
        totals.moved(by_id[item.order_line_id], -item.value)
    receipt.reversed_at = utcnow()
    receipt.reversed_by_id = actor.id
    receipt.reversal_reason = reason
    audit.record(
        "receipt",
        receipt.id,
        "reverse",
        actor=actor,
        comment=reason,
        changes={"order": order.number, "received_on": receipt.received_on.isoformat()},
    )
    workflow.apply(
        ORDER,
        order,
        OrderAction.REVERSE_RECEIPT,
        actor=actor,
        comment=reason,
        changes={
            "receipt_id": receipt.id,
            "received_on": receipt.received_on.isoformat(),
            "lines": {
                str(by_id[item.order_line_id].position): str(item.quantity)
                for item in receipt.lines
            },
        },
    )
    return receipt
