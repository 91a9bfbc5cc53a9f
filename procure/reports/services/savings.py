"""Sourcing savings: per awarded RFQ, the awarded quote against the highest and the
median of the RFQ's current quotes, and the sums over every award — in the base
currency, as the comparison ranked them: the awarded quote at the rate the award froze
(``rfqs.award_total_base``), every other quote at its currency's rate on or before the
award's rate date (the comparison's one rate date). A foreign quote without such a rate
cannot be compared and counts in neither the highest nor the median."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import orm

from ... import currencies
from ...extensions import db
from ...models import Department, ExchangeRate, PurchaseRequest, Quote, Rfq, RfqStatus, Vendor
from ...money import Money
from .. import dialect
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


def _awarded_base() -> sa.ColumnElement:
    """The awarded quote's total in the base currency, frozen at the award (an award
    from before currencies was in the base currency)."""
    return sa.func.coalesce(Rfq.award_total_base, Quote.total)


def _quote_base() -> sa.ColumnElement:
    """A current quote's total in the base currency as the comparison saw it (see the
    module); NULL for a foreign quote without a rate on or before that day."""
    rate = (
        sa.select(ExchangeRate.rate)
        .where(ExchangeRate.currency == Quote.currency, ExchangeRate.day <= Rfq.award_rate_date)
        .order_by(ExchangeRate.day.desc())
        .limit(1)
        .correlate(Quote, Rfq)
        .scalar_subquery()
    )
    return sa.case(
        (Quote.id == Rfq.awarded_quote_id, _awarded_base()),
        (Quote.currency == currencies.base(), Quote.total),
        else_=dialect.to_base_units(Quote.total, rate),
    )


def _quote_figures(rfq_ids: sa.Select) -> sa.Subquery:
    """Per RFQ of ``rfq_ids``: how many current quotes compare, the highest, and the
    median (the middle quote, or the mean of the middle two, rounded half up to the
    base currency's minor unit — ``percentile_cont(0.5)``), in the base currency, with
    window functions both databases have."""
    converted = (
        sa.select(Quote.rfq_id.label("rfq_id"), Quote.id.label("id"), _quote_base().label("base"))
        .join(Rfq, Rfq.id == Quote.rfq_id)
        .where(Quote.rfq_id.in_(rfq_ids.scalar_subquery()), Quote.replaced_by_id.is_(None))
        .subquery()
    )
    ranked = (
        sa.select(
            converted.c.rfq_id,
            converted.c.base.label("total"),
            sa.func.row_number()
            .over(partition_by=converted.c.rfq_id, order_by=(converted.c.base, converted.c.id))
            .label("rank"),
            sa.func.count().over(partition_by=converted.c.rfq_id).label("quotes"),
        )
        .where(converted.c.base.is_not(None))
        .subquery()
    )
    middle = ranked.c.rank.in_([(ranked.c.quotes + 1) // 2, (ranked.c.quotes + 2) // 2])
    return (
        sa.select(
            ranked.c.rfq_id,
            sa.func.max(ranked.c.quotes).label("quotes"),
            sa.type_coerce(sa.func.max(ranked.c.total), Money).label("highest"),
            sa.type_coerce(
                dialect.round_units(sa.func.avg(sa.case((middle, ranked.c.total)))), Money
            ).label("median"),
        )
        .group_by(ranked.c.rfq_id)
        .subquery("quote_figures")
    )


def savings(filters: Filters, *, limit: int | None = None) -> SavingsReport:
    """Per awarded RFQ: the awarded quote's total against the highest and the median
    of the RFQ's current quotes (a corrected quote replaces the one it corrects), and
    the sums over every award. The date range selects RFQs by the day they were
    awarded; the vendor is the awarded one. Two queries; ``limit`` keeps the latest
    so many rows (the sums still cover all)."""
    awarded = orm.aliased(Quote)
    conditions = [
        Rfq.status == RfqStatus.AWARDED,
        *request_conditions(dataclasses.replace(filters, vendor_id=None), Rfq.awarded_at),
    ]
    if filters.vendor_id is not None:
        conditions.append(awarded.vendor_id == filters.vendor_id)
    base = (
        sa.select(Rfq.id)
        .join(PurchaseRequest, PurchaseRequest.id == Rfq.request_id)
        .join(awarded, awarded.id == Rfq.awarded_quote_id)
        .where(*conditions)
    )
    latest = (Rfq.awarded_at.desc(), Rfq.id.desc())
    figures = _quote_figures(base)
    count, total_awarded, total_median, total_highest = db.session.execute(
        base.join(figures, figures.c.rfq_id == Rfq.id).with_only_columns(
            sa.func.count(),
            sa.type_coerce(
                sa.func.sum(sa.func.coalesce(Rfq.award_total_base, awarded.total)), Money
            ),
            sa.type_coerce(sa.func.sum(figures.c.median), Money),
            sa.type_coerce(sa.func.sum(figures.c.highest), Money),
        )
    ).one()
    # The rows' own figures: of the latest ``limit`` awards only.
    shown = _quote_figures(base.order_by(*latest).limit(limit) if limit is not None else base)
    query = (
        base.join(shown, shown.c.rfq_id == Rfq.id)
        .add_columns(
            Rfq.number,
            PurchaseRequest.number,
            PurchaseRequest.title,
            Department.code,
            Vendor.name,
            Rfq.awarded_at,
            shown.c.quotes,
            sa.type_coerce(sa.func.coalesce(Rfq.award_total_base, awarded.total), Money),
            shown.c.highest,
            shown.c.median,
        )
        .join(Department, Department.id == PurchaseRequest.department_id)
        .join(Vendor, Vendor.id == awarded.vendor_id)
        .order_by(*latest)
    )
    rows = [SavingsRow(*row) for row in db.session.execute(query)]
    return SavingsReport(
        rows, count, as_money(total_awarded), as_money(total_median), as_money(total_highest)
    )
