"""A vendor's scorecard: quotes requested, sent and won, lead time, deliveries on
time, invoice accuracy and this fiscal year's spend, for many vendors in a fixed number
of queries."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask import current_app

from ... import receiving, reference
from ...extensions import db
from ...models import (
    Invoice,
    OrderLine,
    OrderStatus,
    PurchaseOrder,
    Quote,
    Receipt,
    Rfq,
    RfqInvitation,
    Vendor,
)
from ...money import ZERO, round_money
from .register import today


@dataclasses.dataclass(frozen=True)
class Scorecard:
    quotes_requested: int = 0
    quotes_sent: int = 0
    quotes_won: int = 0
    average_lead_time: Decimal | None = None  # days, over the quotes sent
    deliveries_measured: int = 0  # delivered orders with a needed-by date, and overdue ones
    deliveries_on_time: int = 0
    spend_this_year: Decimal = ZERO
    fiscal_year: int = 0
    rating: int | None = None
    invoices_checked: int = 0  # invoices submitted (matched at least once)
    invoices_first_time: int = 0  # of those, matched without an exception the first time
    units_delivered: Decimal = Decimal(0)  # units on receipts not reversed, ever
    units_returned: Decimal = Decimal(0)  # of those, sent back to the vendor

    @property
    def return_rate(self) -> Decimal | None:
        return _ratio(self.units_returned, self.units_delivered)

    @property
    def invoice_accuracy(self) -> Decimal | None:
        return _ratio(self.invoices_first_time, self.invoices_checked)

    @property
    def win_rate(self) -> Decimal | None:
        return _ratio(self.quotes_won, self.quotes_sent)

    @property
    def on_time_rate(self) -> Decimal | None:
        return _ratio(self.deliveries_on_time, self.deliveries_measured)


def _ratio(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def _fiscal_year_bounds() -> tuple[int, dt.date, dt.date]:
    year = reference.current_fiscal_year()
    month = int(current_app.config["PROCURE_FISCAL_YEAR_START"])
    return year, dt.date(year, month, 1), dt.date(year + 1, month, 1)


def scorecards(vendors: Sequence[Vendor]) -> dict[int, Scorecard]:
    """The scorecards of many vendors in seven queries, however many vendors."""
    ids = [v.id for v in vendors]
    if not ids:
        return {}
    requested = dict(
        db.session.execute(
            sa.select(RfqInvitation.vendor_id, sa.func.count())
            .where(RfqInvitation.vendor_id.in_(ids))
            .group_by(RfqInvitation.vendor_id)
        ).all()
    )
    sent = {
        vendor_id: (count, lead)
        for vendor_id, count, lead in db.session.execute(
            sa.select(Quote.vendor_id, sa.func.count(), sa.func.avg(Quote.lead_time_days))
            .where(Quote.vendor_id.in_(ids), Quote.replaced_by_id.is_(None))
            .group_by(Quote.vendor_id)
        )
    }
    # An awarded quote is current (quotes are recorded only while the RFQ is open): said
    # here, so that the vendors' current quotes are read from their index alone.
    won = dict(
        db.session.execute(
            sa.select(Quote.vendor_id, sa.func.count())
            .join(Rfq, Rfq.awarded_quote_id == Quote.id)
            .where(Quote.vendor_id.in_(ids), Quote.replaced_by_id.is_(None))
            .group_by(Quote.vendor_id)
        ).all()
    )
    deliveries = _deliveries(ids)
    accuracy = _invoice_accuracy(ids)
    year, start, end = _fiscal_year_bounds()
    # Received value in the base currency: summed per order rate (frozen at issue),
    # then converted once per rate, as the budgets count it. Only the year's movements
    # are read: the units below come from the order lines.
    spend: dict[int, Decimal] = {}
    moved = receiving.movements(
        sa.select(PurchaseOrder.id).where(PurchaseOrder.vendor_id.in_(ids))
    )
    for vendor_id, rate, value in db.session.execute(
        sa.select(PurchaseOrder.vendor_id, PurchaseOrder.rate, sa.func.sum(moved.c.value))
        .join(PurchaseOrder, PurchaseOrder.id == moved.c.order_id)
        .where(PurchaseOrder.vendor_id.in_(ids), moved.c.on >= start, moved.c.on < end)
        .group_by(PurchaseOrder.vendor_id, PurchaseOrder.rate)
    ):
        value = value or ZERO
        base = value if rate is None or rate == 1 else round_money(value * rate)
        spend[vendor_id] = spend.get(vendor_id, ZERO) + base
    returns = _units(ids)
    result = {}
    for vendor in vendors:
        count, lead = sent.get(vendor.id, (0, None))
        measured, on_time = deliveries.get(vendor.id, (0, 0))
        result[vendor.id] = Scorecard(
            quotes_requested=requested.get(vendor.id, 0),
            quotes_sent=count,
            quotes_won=won.get(vendor.id, 0),
            average_lead_time=None
            if lead is None
            else Decimal(str(lead)).quantize(Decimal("0.1"), ROUND_HALF_UP),
            deliveries_measured=measured,
            deliveries_on_time=on_time or 0,
            spend_this_year=spend.get(vendor.id) or ZERO,
            fiscal_year=year,
            rating=vendor.rating,
            invoices_checked=accuracy.get(vendor.id, (0, 0))[0],
            invoices_first_time=accuracy.get(vendor.id, (0, 0))[1],
            units_delivered=returns.get(vendor.id, (ZERO, ZERO))[0],
            units_returned=returns.get(vendor.id, (ZERO, ZERO))[1],
        )
    return result


def _units(ids: list[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """Per vendor: units delivered ever (received and not reversed, those sent back
    included) and, of those, sent back — as the order lines keep them (received net
    of returns, and returned), not summed from every receipt and return."""
    # Summed apart: each sum keeps the quantity column's type (a sum of the two
    # columns added up in SQL would come back in raw thousandths).
    rows = db.session.execute(
        sa.select(
            PurchaseOrder.vendor_id,
            sa.func.sum(OrderLine.received_quantity),
            sa.func.sum(OrderLine.returned_quantity),
        )
        .join(OrderLine, OrderLine.order_id == PurchaseOrder.id)
        .where(PurchaseOrder.vendor_id.in_(ids))
        .group_by(PurchaseOrder.vendor_id)
    )
    return {
        vendor_id: ((kept or ZERO) + (back or ZERO), back or ZERO)
        for vendor_id, kept, back in rows
    }


def _invoice_accuracy(ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per vendor: its invoices submitted (``matched_first_time`` set at the first
    matching) and those that matched first time, without any exception."""
    first_time = sa.case((Invoice.matched_first_time.is_(True), 1), else_=0)
    rows = db.session.execute(
        sa.select(Invoice.vendor_id, sa.func.count(), sa.func.sum(first_time))
        .where(Invoice.vendor_id.in_(ids), Invoice.matched_first_time.is_not(None))
        .group_by(Invoice.vendor_id)
    )
    return {vendor_id: (count, int(hits or 0)) for vendor_id, count, hits in rows}


def _deliveries(ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per vendor: orders whose delivery is measured, and those delivered on time.

    An order is measured when it has a needed-by date and is either fully received
    (delivered on the date of its last receipt) or still open past its date (late
    already). On time: everything received on or before the needed-by date."""
    # The last receipt of each of these vendors' orders, through its index: not the
    # last receipt of every order ever made.
    delivered_on = (
        sa.select(sa.func.max(Receipt.received_on))
        .where(Receipt.order_id == PurchaseOrder.id, Receipt.reversed_at.is_(None))
        .scalar_subquery()
    )
    delivered = PurchaseOrder.status.in_([OrderStatus.RECEIVED, OrderStatus.CLOSED])
    overdue = sa.and_(
        PurchaseOrder.status.in_([OrderStatus.ISSUED, OrderStatus.PARTIALLY_RECEIVED]),
        PurchaseOrder.needed_by < today(),
    )
    on_time = sa.case((sa.and_(delivered, delivered_on <= PurchaseOrder.needed_by), 1), else_=0)
    rows = db.session.execute(
        sa.select(PurchaseOrder.vendor_id, sa.func.count(), sa.func.sum(on_time))
        .where(
            PurchaseOrder.vendor_id.in_(ids),
            PurchaseOrder.needed_by.is_not(None),
            sa.or_(delivered, overdue),
        )
        .group_by(PurchaseOrder.vendor_id)
    )
    return {vendor_id: (count, int(hits or 0)) for vendor_id, count, hits in rows}


def scorecard(vendor: Vendor) -> Scorecard:
    return scorecards([vendor])[vendor.id]
