"""What a revision of an order proposes, checked: the lines as they will read (never
below what was received; a line removed only while nothing of it was received or
invoiced), shipping, tax, dates, address and terms, and what changed, in words — the
sentences the change order and its e-mail name. ``revisions.py`` issues it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from ..errors import ValidationError
from ..extensions import db
from ..invoices import matching
from ..models import InvoiceLine, OrderLine, PurchaseOrder, ReceiptLine, utcnow
from ..money import format_money, format_quantity, round_money
from ..validation import FieldErrors
from . import conversion

TEXT_MAX = 10_000
QUANTITY_PLACES = Decimal("0.001")


@dataclasses.dataclass
class LineChange:
    """One line of a revision: ``line_id`` None adds a line; fields left None keep the
    line's value; a quantity of 0 removes a line nothing of which was received."""

    line_id: int | None = None
    description: str | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    unit: str | None = None


@dataclasses.dataclass
class RevisionData:
    reason: str = ""
    lines: list[LineChange] = dataclasses.field(default_factory=list)
    shipping: Decimal | None = None
    tax: Decimal | None = None
    needed_by: dt.date | None = None
    delivery_address: str | None = None
    terms: str | None = None
    payment_terms: str | None = None


# Proposing ---------------------------------------------------------------------------------


@dataclasses.dataclass
class _Line:
    """A line as the revision will read: an existing one (``id``) or a new one."""

    id: int | None
    position: int
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    request_line_id: int | None = None

    def total(self, currency: str) -> Decimal:
        return round_money(self.quantity * self.unit_price, currency)


def _places_ok(amount: Decimal, currency: str) -> bool:
    return round_money(amount, currency) == amount


def _depended_on(line: OrderLine) -> str | None:
    """Why a line cannot be removed: something was received or invoiced against it."""
    if db.session.scalar(
        db.select(ReceiptLine.id).where(ReceiptLine.order_line_id == line.id).limit(1)
    ):
        return f"Line {line.position} has receipts; lower its quantity instead."
    if db.session.scalar(
        db.select(InvoiceLine.id).where(InvoiceLine.order_line_id == line.id).limit(1)
    ):
        return f"Line {line.position} is invoiced; it cannot be removed."
    return None


def _proposed_lines(
    order: PurchaseOrder, changes: list[LineChange], errors: FieldErrors
) -> list[_Line]:
    currency = order.currency
    lines = {
        line.id: _Line(
            line.id,
            line.position,
            line.description,
            line.quantity,
            line.unit,
            line.unit_price,
            line.request_line_id,
        )
        for line in order.lines
    }
    by_id = {line.id: line for line in order.lines}
    added: list[_Line] = []
    removed: set[int] = set()
    position = max((line.position for line in order.lines), default=0)
    for index, change in enumerate(changes):
        at = f"lines.{index}"
        if change.line_id is not None and change.line_id not in by_id:
            errors.add(f"{at}.line_id", "This line is not part of the order.")
            continue
        if change.quantity is not None and (
            change.quantity < 0 or change.quantity.quantize(QUANTITY_PLACES) != change.quantity
        ):
            errors.add(f"{at}.quantity", "Give a quantity of zero or more, to 3 decimals.")
            continue
        if change.unit_price is not None and (
            change.unit_price < 0 or not _places_ok(change.unit_price, currency)
        ):
            errors.add(
                f"{at}.unit_price",
                f"Give a price of zero or more, in {currency}'s decimals.",
            )
            continue
        description = errors.text(change.description, f"{at}.description", max_length=TEXT_MAX)
        unit = errors.text(change.unit, f"{at}.unit", max_length=200)
        if change.line_id is None:
            if not description:
                errors.add(f"{at}.description", "Describe the new line.")
            if not change.quantity:
                errors.add(f"{at}.quantity", "A new line needs a quantity above zero.")
            if change.unit_price is None:
                errors.add(f"{at}.unit_price", "A new line needs a unit price.")
            if description and change.quantity and change.unit_price is not None:
                position += 1
                added.append(
                    _Line(
                        None,
                        position,
                        description,
                        change.quantity,
                        unit or "each",
                        change.unit_price,
                    )
                )
            continue
        line = lines[change.line_id]
        ordered = by_id[change.line_id]
        if change.quantity is not None and change.quantity == 0:
            reason = _depended_on(ordered)
            if reason:
                errors.add(f"{at}.quantity", reason)
            else:
                removed.add(line.id)
            continue
        if change.quantity is not None and change.quantity < ordered.received_quantity:
            errors.add(
                f"{at}.quantity",
                f"{format_quantity(ordered.received_quantity)} of line {ordered.position} "
                "were received already; the quantity cannot go below that.",
            )
            continue
        if change.quantity is not None:
            line.quantity = change.quantity
        if change.unit_price is not None:
            line.unit_price = change.unit_price
        if description:
            line.description = description
        if unit:
            line.unit = unit
    kept = [line for line_id, line in lines.items() if line_id not in removed]
    if not kept and not added:
        errors.add("lines", "An order keeps at least one line.")
    return kept + added


def _content(order: PurchaseOrder, lines: list[_Line], data: RevisionData) -> dict[str, Any]:
    currency = order.currency
    subtotal = sum((line.total(currency) for line in lines), Decimal(0))
    shipping = data.shipping if data.shipping is not None else order.shipping
    tax = data.tax if data.tax is not None else order.tax
    needed_by = data.needed_by or order.needed_by
    return {
        "lines": [
            {
                "line_id": line.id,
                "position": line.position,
                "description": line.description,
                "quantity": str(line.quantity),
                "unit": line.unit,
                "unit_price": str(line.unit_price),
                "total": str(line.total(currency)),
                "request_line_id": line.request_line_id,
            }
            for line in lines
        ],
        "subtotal": str(subtotal),
        "shipping": str(shipping),
        "tax": str(tax),
        "total": str(subtotal + shipping + tax),
        "needed_by": needed_by.isoformat() if needed_by else None,
        "delivery_address": order.delivery_address
        if data.delivery_address is None
        else data.delivery_address,
        "terms": order.terms if data.terms is None else data.terms,
        "payment_terms": order.payment_terms if data.payment_terms is None else data.payment_terms,
    }


def _changes_in_words(order: PurchaseOrder, content: dict[str, Any]) -> list[str]:
    """What the revision changes, one sentence each: what the change order names."""
    currency = order.currency
    said: list[str] = []
    proposed = {line["line_id"]: line for line in content["lines"] if line["line_id"]}
    for line in order.lines:
        new = proposed.get(line.id)
        if new is None:
            said.append(f"Line {line.position} ({line.description}) removed")
            continue
        if new["description"] != line.description:
            said.append(f"Line {line.position} description: {new['description']}")
        if Decimal(new["quantity"]) != line.quantity:
            said.append(
                f"Line {line.position} quantity {format_quantity(line.quantity)} → "
                f"{format_quantity(Decimal(new['quantity']))}"
            )
        if Decimal(new["unit_price"]) != line.unit_price:
            said.append(
                f"Line {line.position} unit price {format_money(line.unit_price, currency)} → "
                f"{format_money(Decimal(new['unit_price']), currency)}"
            )
        if new["unit"] != line.unit:
            said.append(f"Line {line.position} unit: {new['unit']}")
    for new in content["lines"]:
        if new["line_id"] is None:
            said.append(
                f"Line {new['position']} added: {format_quantity(Decimal(new['quantity']))} × "
                f"{new['description']} at {format_money(Decimal(new['unit_price']), currency)}"
            )
    for field, words in (("shipping", "Shipping"), ("tax", "Tax")):
        if Decimal(content[field]) != getattr(order, field):
            said.append(
                f"{words} {format_money(getattr(order, field), currency)} → "
                f"{format_money(Decimal(content[field]), currency)}"
            )
    was = order.needed_by.isoformat() if order.needed_by else None
    if content["needed_by"] != was:
        said.append(f"Needed by {content['needed_by']}")
    for field, words in (
        ("delivery_address", "Delivery address"),
        ("terms", "Terms"),
        ("payment_terms", "Payment terms"),
    ):
        if content[field] != getattr(order, field):
            said.append(f"{words} changed")
    return said


def validate(order: PurchaseOrder, data: RevisionData) -> tuple[dict[str, Any], list[str]]:
    errors = FieldErrors()
    reason = errors.text(
        data.reason, "reason", max_length=TEXT_MAX, required=True, missing="Give the reason."
    )
    data.reason = reason
    for field in ("shipping", "tax"):
        amount = getattr(data, field)
        if amount is not None and (amount < 0 or not _places_ok(amount, order.currency)):
            errors.add(field, f"Give an amount of zero or more, in {order.currency}'s decimals.")
    if data.needed_by is not None and data.needed_by < utcnow().date():
        errors.add("needed_by", "The needed-by date is in the past.")
    for field, limit in (("delivery_address", TEXT_MAX), ("terms", TEXT_MAX)):
        value = getattr(data, field)
        if value is not None:
            setattr(data, field, errors.text(value, field, max_length=limit))
    if data.payment_terms is not None:
        data.payment_terms = errors.text(data.payment_terms, "payment_terms", max_length=200)
    lines = _proposed_lines(order, data.lines, errors)
    errors.raise_if_any()
    content = _content(order, lines, data)
    changed = _changes_in_words(order, content)
    if not changed:
        raise ValidationError.field("lines", "Nothing changes: say what the revision changes.")
    return content, changed


def increase_per_category(order: PurchaseOrder, content: dict[str, Any]) -> dict[str, Decimal]:
    """How much more each category of the order would spend, in the base currency."""
    categories = matching.request_line_categories([line.id for line in order.lines])
    before: dict[str, Decimal] = {}
    for line in order.lines:
        name = categories.get(line.id, "other")
        before[name] = before.get(name, Decimal(0)) + line.total
    after: dict[str, Decimal] = {}
    by_id = {line.id: line for line in order.lines}
    for line in content["lines"]:
        known = by_id.get(line["line_id"])
        name = categories.get(known.id, "other") if known else "other"
        after[name] = after.get(name, Decimal(0)) + Decimal(line["total"])
    return {
        name: conversion.to_base(order, amount - before.get(name, Decimal(0)))
        for name, amount in after.items()
        if amount > before.get(name, Decimal(0))
    }
