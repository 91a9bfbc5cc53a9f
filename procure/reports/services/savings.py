"""Sourcing savings: per awarded RFQ, the awarded quote against the highest and the
median of the RFQ's current quotes, and the sums over every award — in the base
currency, as the comparison ranked them: the awarded quote at the rate the award froze
(``rfqs.award_total_base``), every other quote at its currency's rate on or before the
award's rate date (the comparison's one rate date). A foreign quote without such a rate
cannot be compared and counts in neither the highest nor the median. The award keeps
those figures on the RFQ (``award_figures.py``), so the report sums columns."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm

from ...extensions import db
from ...models import Department, PurchaseRequest, Quote, Rfq, RfqStatus, Vendor
from ...money import Money
from ..common import Filters, as_money, request_conditions


class _Saved:
    """What an award saved against the highest and the median quote: of one RFQ, or
    summed over many."""

    awarded: Decimal
    highest: Decimal
    median: Decimal

    @property
    def saved_vs_highest(self) -> Decimal:
        return self.highest - self.awarded

    @property
    def saved_vs_median(self) -> Decimal:
        return self.median - self.awarded


@dataclasses.dataclass(frozen=True)
class SavingsRow(_Saved):
    rfq_id: int
    rfq_number: str
    request_number: str
    title: str
    department: str
    vendor: str
    awarded_at: dt.datetime
    quotes: int
    awarded: Decimal
    highest: Decimal
    median: Decimal


@dataclasses.dataclass(frozen=True)
class SavingsReport(_Saved):
    rows: list[SavingsRow]  # the latest awards first; perhaps only the first of them
    count: int  # every award the filters select; the sums are over all of them
    awarded: Decimal
    median: Decimal
    highest: Decimal

    @property
    def share_vs_highest(self) -> Decimal | None:
        if not self.highest:
            return None
        return (self.saved_vs_highest / self.highest * 100).quantize(Decimal("0.1"))


def _awards(filters: Filters) -> sa.Select:
    """The awarded RFQs the filters select: by the day they were awarded, the request's
    department and categories, the awarded vendor. The request is joined only when a
    filter asks about it, so that the sums over a range are one index range of the
    RFQs."""
    query = sa.select(Rfq.id).where(
        Rfq.status == RfqStatus.AWARDED,
        *request_conditions(dataclasses.replace(filters, vendor_id=None), Rfq.awarded_at),
    )
    if filters.narrows_requests:
        query = query.join(PurchaseRequest, PurchaseRequest.id == Rfq.request_id)
    if filters.vendor_id is not None:
        query = query.where(
            sa.exists().where(
                Quote.id == Rfq.awarded_quote_id, Quote.vendor_id == filters.vendor_id
            )
        )
    return query


def _awarded_total() -> sa.ColumnElement:
    """The awarded quote's total in the base currency, frozen at the award (an award
    from before currencies was in the base currency: its quote's total)."""
    total = sa.select(Quote.total).where(Quote.id == Rfq.awarded_quote_id).scalar_subquery()
    return sa.type_coerce(sa.func.coalesce(Rfq.award_total_base, total), Money)


def savings(filters: Filters, *, limit: int | None = None) -> SavingsReport:
    """Per awarded RFQ: the awarded quote's total against the highest and the median
    of the RFQ's current quotes (a corrected quote replaces the one it corrects), and
    the sums over every award, from the figures kept at the award. Two queries;
    ``limit`` keeps the latest so many rows (the sums still cover all)."""
    awards = _awards(filters)
    count, total_awarded, total_median, total_highest = db.session.execute(
        awards.with_only_columns(
            sa.func.count(),
            sa.type_coerce(sa.func.sum(_awarded_total()), Money),
            sa.type_coerce(sa.func.sum(Rfq.award_median_base), Money),
            sa.type_coerce(sa.func.sum(Rfq.award_highest_base), Money),
        )
    ).one()
    awarded = orm.aliased(Quote)
    newest_first = (Rfq.awarded_at.desc(), Rfq.id.desc())
    latest = awards.order_by(*newest_first).limit(limit).subquery()
    query = (
        sa.select(
            Rfq.id,
            Rfq.number,
            PurchaseRequest.number,
            PurchaseRequest.title,
            Department.code,
            Vendor.name,
            Rfq.awarded_at,
            Rfq.award_quotes,
            _awarded_total(),
            Rfq.award_highest_base,
            Rfq.award_median_base,
        )
        .join(latest, latest.c.id == Rfq.id)
        .join(PurchaseRequest, PurchaseRequest.id == Rfq.request_id)
        .join(Department, Department.id == PurchaseRequest.department_id)
        .join(awarded, awarded.id == Rfq.awarded_quote_id)
        .join(Vendor, Vendor.id == awarded.vendor_id)
        .order_by(*newest_first)
    )
    rows = [SavingsRow(*row) for row in db.session.execute(query)]
    return SavingsReport(
        rows, count, as_money(total_awarded), as_money(total_median), as_money(total_highest)
    )
