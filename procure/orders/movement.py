"""What receiving and returning check alike: the day goods moved (not in the future, not
before the order was issued) and the quantities per order line (each line of the order,
above zero, together within a limit the caller sets), every problem beside its field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Protocol

from ..models import OrderLine, PurchaseOrder, utcnow
from ..validation import FieldErrors


class LineQuantity(Protocol):
    line_id: int
    quantity: Decimal | None


def day(
    order: PurchaseOrder, value: dt.date | None, field: str, errors: FieldErrors, *, verb: str
) -> dt.date:
    """The day goods were ``verb`` (default today), checked."""
    today = utcnow().date()
    value = value or today
    if value > today:
        errors.add(field, f"Goods cannot be {verb} in the future.")
    elif order.issued_at and value < order.issued_at.date():
        errors.add(field, "That is before the order was issued.")
    return value


def quantities(
    order: PurchaseOrder,
    lines: Sequence[LineQuantity],
    errors: FieldErrors,
    *,
    limit: Callable[[OrderLine], Decimal],
    beyond: Callable[[OrderLine, Decimal], str],
    none: str,
) -> dict[int, Decimal]:
    """The quantity per order line, the same line's rows added up; ``limit`` says how much
    a line may take, ``beyond`` what to say when it is exceeded, ``none`` when no line is
    given at all."""
    by_id = {line.id: line for line in order.lines}
    wanted: dict[int, Decimal] = {}
    for index, item in enumerate(lines):
        line = by_id.get(item.line_id)
        if line is None:
            errors.add(f"lines.{index}.line_id", "This line is not part of the order.")
            continue
        if item.quantity is None or item.quantity <= 0:
            errors.add(f"lines.{index}.quantity", "The quantity must be greater than zero.")
            continue
        wanted[line.id] = wanted.get(line.id, Decimal(0)) + item.quantity
        allowed = limit(line)
        if wanted[line.id] > allowed:
            errors.add(f"lines.{index}.quantity", beyond(line, allowed))
    if not lines and not errors:
        errors.add("lines", none)
    return wanted
