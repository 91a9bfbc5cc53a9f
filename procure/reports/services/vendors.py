"""Vendor scorecards side by side: each vendor dealt with under the filters, with
its spend under them and its scorecard as the vendor's own page shows it."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm

from ...extensions import db
from ...models import PurchaseRequest, Quote, Rfq, Vendor
from ...vendors.services import Scorecard, scorecards
from ..common import ZERO, Dimension, Filters, request_conditions
from .spend import SpendRow, spend


@dataclasses.dataclass(frozen=True)
class VendorRow:
    vendor: Vendor
    spend: SpendRow | None
    scorecard: Scorecard

    @property
    def period_total(self) -> Decimal:
        return self.spend.total if self.spend else ZERO


@dataclasses.dataclass(frozen=True)
class VendorReport:
    rows: list[VendorRow]
    # Every vendor the filters select; ``rows`` may hold only the first of them.
    total: int


def vendor_scorecards(filters: Filters, *, limit: int | None = None) -> VendorReport:
    """The vendors dealt with under the filters — ordered from (an order issued in
    the range) or asked to quote (a quote on an RFQ sent in the range) — each with its
    spend under the filters and its scorecard as the vendor's own page shows it. The
    biggest spend first; ``limit`` keeps the first so many."""
    by_vendor = {row.key: row for row in spend(filters, Dimension.VENDOR).rows}
    quoted = (
        sa.select(Quote.vendor_id)
        .join(Rfq, Rfq.id == Quote.rfq_id)
        .join(PurchaseRequest, PurchaseRequest.id == Rfq.request_id)
        .where(
            Quote.replaced_by_id.is_(None),
            *request_conditions(dataclasses.replace(filters, vendor_id=None), Rfq.sent_at),
        )
    )
    if filters.vendor_id is not None:
        quoted = quoted.where(Quote.vendor_id == filters.vendor_id)
    names = {int(row.key): row.label for row in by_vendor.values()}
    names.update(
        db.session.execute(
            sa.select(Vendor.id, Vendor.name).where(Vendor.id.in_(quoted.scalar_subquery()))
        ).all()
    )
    if not names:
        return VendorReport([], 0)
    chosen = sorted(
        names,
        key=lambda i: (
            -(by_vendor[str(i)].total if str(i) in by_vendor else ZERO),
            names[i].casefold(),
        ),
    )[:limit]
    order = {vendor_id: index for index, vendor_id in enumerate(chosen)}
    vendors = sorted(
        db.session.scalars(
            sa.select(Vendor).where(Vendor.id.in_(chosen)).options(orm.lazyload("*"))
        ),
        key=lambda v: order[v.id],
    )
    cards = scorecards(vendors)
    return VendorReport(
        [VendorRow(v, by_vendor.get(str(v.id)), cards[v.id]) for v in vendors], len(names)
    )
