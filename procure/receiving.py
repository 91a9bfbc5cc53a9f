"""How far a purchase order is received, in the words both its request's page and the
requester's e-mail use: "PO-2026-00003 partially received (3 of 5)", "PO-2026-00003
received in full on Dec 5, 2026".

Quantities are counted over the order's lines (three laptops and two docks ordered,
three laptops arrived: 3 of 5); an order is received in full when its status says so,
which ``workflow`` decides from the same lines.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from .models import OrderStatus, PurchaseOrder
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


def of(order: PurchaseOrder) -> Receiving:
    """How far ``order`` is received, from its lines and receipts as they stand."""
    dates = [receipt.received_on for receipt in order.receipts]
    return Receiving(
        number=order.number or "Draft order",
        received=sum((line.received_quantity for line in order.lines), Decimal(0)),
        ordered=sum((line.quantity for line in order.lines), Decimal(0)),
        complete=order.status in (OrderStatus.RECEIVED, OrderStatus.CLOSED),
        last_received_on=max(dates) if dates else None,
    )
