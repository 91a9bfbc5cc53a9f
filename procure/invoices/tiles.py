"""The dashboard's invoice tiles: finance's invoices on hold, due this week and overdue,
procurement's price holds — each a count and an amount in the base currency (at the
order's frozen rate), one statement each, whatever the volume."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from .. import access, currencies
from ..extensions import db
from ..models import Invoice, InvoiceStatus, User
from .pages import OUTSTANDING, WEEK, held_for_price


@dataclasses.dataclass(frozen=True)
class Figure:
    """How many invoices, and what they add up to in the base currency."""

    key: str
    label: str
    count: int
    amount: Decimal
    # The list behind the figure: the ``quick`` filter of /invoices.
    quick: str


def _figure(
    user: User, key: str, label: str, quick: str, *conditions: sa.ColumnElement[bool]
) -> Figure:
    query = access.scoped(
        Invoice,
        user,
        sa.select(sa.func.count(Invoice.id), sa.func.sum(Invoice.total_base)).where(*conditions),
    )
    count, amount = db.session.execute(query).one()
    return Figure(key, label, count or 0, amount or Decimal("0.00"), quick)


@dataclasses.dataclass
class PayablesTile:
    figures: list[Figure]
    base: str


def payables(user: User, today: dt.date) -> PayablesTile | None:
    """Finance's tile: on hold, due within a week, overdue (unpaid past the due date)."""
    if not access.may(user, "pay_invoices"):
        return None
    return PayablesTile(
        figures=[
            _figure(
                user, "on-hold", "On hold", "on_hold", Invoice.status == InvoiceStatus.ON_HOLD
            ),
            _figure(
                user,
                "due-this-week",
                "Due this week",
                "due_this_week",
                Invoice.status.in_(OUTSTANDING),
                Invoice.due_date.between(today, today + WEEK),
            ),
            _figure(
                user,
                "overdue",
                "Overdue",
                "overdue",
                Invoice.status.in_(OUTSTANDING),
                Invoice.due_date < today,
            ),
        ],
        base=currencies.base(),
    )


def price_holds(user: User) -> PayablesTile | None:
    """Procurement's tile: invoices held for a price or total exception still open."""
    if not access.may(user, "source_requests"):
        return None
    return PayablesTile(
        figures=[
            _figure(
                user,
                "price-holds",
                "Held for price",
                "price_holds",
                held_for_price(),
            )
        ],
        base=currencies.base(),
    )
