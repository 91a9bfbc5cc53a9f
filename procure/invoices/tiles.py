"""The dashboard's invoice tiles: finance's invoices on hold, due this week and overdue,
procurement's price holds — each a count and an amount in the base currency (at the
order's frozen rate). One statement per tile, whatever the volume: each figure is a
conditional count and sum over the invoices that any figure of the tile counts."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

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


@dataclasses.dataclass
class PayablesTile:
    figures: list[Figure]
    base: str
    # A few of the invoices behind the tile, most urgent first (procurement's holds).
    rows: list[Invoice] = dataclasses.field(default_factory=list)


TILE_ROWS = 5

# (key, label, the list's quick filter, which invoices it counts)
Spec = tuple[str, str, str, sa.ColumnElement[bool]]


def _tile(user: User, specs: list[Spec]) -> PayablesTile:
    columns = []
    for _key, _label, _quick, condition in specs:
        columns += [
            sa.func.count(sa.case((condition, Invoice.id))),
            sa.func.sum(sa.case((condition, Invoice.total_base))),
        ]
    query = access.scoped(Invoice, user, sa.select(*columns)).where(
        sa.or_(*(condition for *_rest, condition in specs))
    )
    row = db.session.execute(query).one()
    figures = [
        Figure(key, label, row[2 * i] or 0, row[2 * i + 1] or Decimal("0.00"), quick)
        for i, (key, label, quick, _condition) in enumerate(specs)
    ]
    return PayablesTile(figures=figures, base=currencies.base())


def payables(user: User, today: dt.date) -> PayablesTile | None:
    """Finance's tile: on hold, due within a week, overdue (unpaid past the due date)."""
    if not access.may(user, "pay_invoices"):
        return None
    unpaid = Invoice.status.in_(OUTSTANDING)
    return _tile(
        user,
        [
            ("on-hold", "On hold", "on_hold", Invoice.status == InvoiceStatus.ON_HOLD),
            (
                "due-this-week",
                "Due this week",
                "due_this_week",
                sa.and_(unpaid, Invoice.due_date.between(today, today + WEEK)),
            ),
            ("overdue", "Overdue", "overdue", sa.and_(unpaid, Invoice.due_date < today)),
        ],
    )


def price_holds(user: User) -> PayablesTile | None:
    """Procurement's tile: invoices held for a price or total exception still open."""
    if not access.may(user, "source_requests"):
        return None
    tile = _tile(user, [("price-holds", "Held for price", "price_holds", held_for_price())])
    if tile.figures[0].count:
        tile.rows = list(
            db.session.scalars(
                access.scoped(Invoice, user, sa.select(Invoice))
                .where(held_for_price())
                .order_by(Invoice.due_date, Invoice.id)
                .limit(TILE_ROWS)
                .options(lazyload(Invoice.lines), lazyload(Invoice.exceptions))
            )
        )
    return tile
