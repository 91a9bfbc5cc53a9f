"""How far a purchase order is received, in the words both its request's page and the
requester's e-mail use: "PO-2026-00003 partially received (3 of 5)", "PO-2026-00003
received in full on Dec 5, 2026".

Quantities are counted over the order's lines (three laptops and two docks ordered,
three laptops arrived: 3 of 5); an order is received in full when its status says so,
which ``workflow`` decides from the same lines.

What is received is always *net*: receipts that were reversed do not count, and goods
returned to the vendor are taken off. :func:`movements` is that rule in SQL, for every
report, budget and scorecard that sums received value; :func:`received_value` is the
same for one order in memory.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from .models import (
    OrderLine,
    OrderReturn,
    OrderStatus,
    PurchaseOrder,
    Receipt,
    ReceiptLine,
    ReturnLine,
)
from .money import format_date, format_quantity

# An order from its issue on, not cancelled: what a request's page reports on.
LIVE = (
    OrderStatus.ISSUED,
    OrderStatus.PARTIALLY_RECEIVED,
    OrderStatus.RECEIVED,
    OrderStatus.CLOSED,
)


@dataclasses.dataclass(frozen=True)
class Receiving:
    number: str
    received: Decimal
    ordered: Decimal
    complete: bool
    last_received_on: dt.date | None  # the date of the latest receipt, if any

    @property
    def started(self) -> bool:
        return self.received > 0

    @property
    def text(self) -> str:
        """The order's receiving state in a few words, dates and quantities in the
        installation's locale."""
        if self.complete:
            on = f" on {format_date(self.last_received_on)}" if self.last_received_on else ""
            return f"{self.number} received in full{on}"
        if self.started:
            return (
                f"{self.number} partially received ({format_quantity(self.received)} "
                f"of {format_quantity(self.ordered)})"
            )
        return f"{self.number} issued, nothing received yet"


def live_receipts(order: PurchaseOrder) -> list[Receipt]:
    """The order's receipts that were not reversed."""
    return [receipt for receipt in order.receipts if receipt.reversed_at is None]


def received_value(order: PurchaseOrder) -> Decimal:
    """What has been received on ``order``, in its currency: receipts not reversed, less
    what went back to the vendor."""
    received = sum((line.value for r in live_receipts(order) for line in r.lines), Decimal(0))
    returned = sum((line.value for r in order.returns for line in r.lines), Decimal(0))
    return received - returned


def movements(orders: sa.Select | None = None) -> sa.Subquery:
    """Every movement of goods as one table (``order_id``, ``order_line_id``, ``on``,
    ``quantity``, ``value``): each line of a receipt not reversed, positive, and each
    line of a return, negative. Summing ``value`` gives the net received value, in the
    order's currency, of whatever the caller groups by. ``orders`` (a select of order
    ids) keeps the movements of those orders only, found through their receipts and
    returns rather than by reading every one."""
    received = (
        sa.select(
            Receipt.order_id.label("order_id"),
            ReceiptLine.order_line_id.label("order_line_id"),
            Receipt.received_on.label("on"),
            ReceiptLine.quantity.label("quantity"),
            ReceiptLine.value.label("value"),
        )
        .join(Receipt, Receipt.id == ReceiptLine.receipt_id)
        .where(Receipt.reversed_at.is_(None))
    )
    returned = sa.select(
        OrderReturn.order_id,
        ReturnLine.order_line_id,
        OrderReturn.returned_on,
        -ReturnLine.quantity,
        -ReturnLine.value,
    ).join(OrderReturn, OrderReturn.id == ReturnLine.return_id)
    if orders is not None:
        received = received.where(Receipt.order_id.in_(orders.scalar_subquery()))
        returned = returned.where(OrderReturn.order_id.in_(orders.scalar_subquery()))
    return sa.union_all(received, returned).subquery("movements")


def of(order: PurchaseOrder) -> Receiving:
    """How far ``order`` is received, from its lines and receipts as they stand."""
    dates = [receipt.received_on for receipt in live_receipts(order)]
    return Receiving(
        number=order.number or "Draft order",
        received=sum((line.received_quantity for line in order.lines), Decimal(0)),
        ordered=sum((line.quantity for line in order.lines), Decimal(0)),
        complete=order.status in (OrderStatus.RECEIVED, OrderStatus.CLOSED),
        last_received_on=max(dates) if dates else None,
    )


def category_of(line: OrderLine) -> str | None:
    """The purchase category of an order line: its request line's (by the quote line's
    ``request_line_id``, else the request line at the same position). Invoice matching
    (two-way categories) and receiving into the asset register both read it."""
    request_lines = line.order.request.lines
    by_id = {rl.id: rl for rl in request_lines}
    if line.request_line_id in by_id:
        return by_id[line.request_line_id].category
    same = next((rl for rl in request_lines if rl.position == line.position), None)
    return same.category if same is not None else None
