"""Vendor scorecards side by side: each vendor dealt with under the filters, with
its spend under them and its scorecard as the vendor's own page shows it.

Two money figures stand in one row and count different things, so each is named for
what it counts, in the page's headings and the CSV's alike:

- spent (and committed): the orders *issued in the date range*, by the spend
  report's rules — an order received in full counts its whole total, shipping and
  tax included;
- received in the fiscal year: goods *received in the current fiscal year* (by
  receipt date), whatever the order's date, at line prices — the vendor page's figure.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy import orm

from ... import reference
from ...extensions import db
from ...models import PurchaseRequest, Quote, Rfq, Vendor
from ...vendors.services import Scorecard, scorecards
from ..common import ZERO, Dimension, Filters, request_conditions
from .spend import SpendRow, spend

SPENT = "Spent, orders issued in range"
COMMITTED = "Committed, orders issued in range"
EXPLANATION = (
    "“Spent” and “Committed” count the orders issued in the date range, as the spend "
    "report does: what has been received of them (an order received in full counts its "
    "whole total, shipping and tax included) and what is still to come. “{received}” "
    "counts the goods received in fiscal year {year} by receipt date, whatever the "
    "order's date, at line prices without shipping and tax: the figure on the vendor's "
    "own page. The two differ when an order was issued outside the range or received in "
    "another year, or carries shipping and tax. “Invoice accuracy” is the share of the "
    "vendor's submitted invoices that matched the order and its receipts the first time, "
    "without any exception (price, quantity, total, over the order, possible duplicate), "
    "over all its invoices whatever their date."
)


def received_in(year: int) -> str:
    return f"Received in FY {year}"


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
    # The fiscal year of the scorecards' "received" figure.
    fiscal_year: int = dataclasses.field(default_factory=reference.current_fiscal_year)

    spent_label: ClassVar[str] = SPENT
    committed_label: ClassVar[str] = COMMITTED

    @property
    def received_label(self) -> str:
        return received_in(self.fiscal_year)

    @property
    def explanation(self) -> str:
        """What each money column counts, said under the table."""
        return EXPLANATION.format(received=self.received_label, year=self.fiscal_year)


def vendor_scorecards(filters: Filters, *, limit: int | None = None) -> VendorReport:
    """The vendors dealt with under the filters — ordered from (an order issued in
    the range) or asked to quote (a quote on an RFQ sent in the range) — each with its
    spend under the filters and its scorecard as the vendor's own page shows it. The
    biggest spend first; ``limit`` keeps the first so many."""
    by_vendor = {row.key: row for row in spend(filters, Dimension.VENDOR).rows}
    # From the RFQs sent in the range (an index range), to their quotes; the request
    # is joined only when a filter asks about it.
    quoted = (
        sa.select(Quote.vendor_id)
        .select_from(Rfq)
        .join(Quote, Quote.rfq_id == Rfq.id)
        .where(
            Quote.replaced_by_id.is_(None),
            *request_conditions(dataclasses.replace(filters, vendor_id=None), Rfq.sent_at),
        )
    )
    if filters.narrows_requests:
        quoted = quoted.join(PurchaseRequest, PurchaseRequest.id == Rfq.request_id)
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
