"""The award: choosing a quote, with the reasons the rules ask for, and the draft
purchase order it creates."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import cast

import sqlalchemy as sa
from flask import current_app

from ... import access, audit, award_figures, currencies, rates, settings, validation, workflow
from ...errors import ValidationError
from ...extensions import db
from ...models import OrderLine, PurchaseOrder, Quote, Rfq, User, utcnow
from ...money import format_money
from ...workflow import RFQ, RfqAction
from .. import scoring
from .comparison import compare, comparison_snapshot
from .rfqs import TEXT_MAX
from .sealing import require_unsealed


def quote_rule() -> tuple[Decimal, int]:
    """From what request total an award needs how many quotes (an admin setting)."""
    return Decimal(str(settings.get("sourcing.quote_threshold"))), int(
        settings.get("sourcing.min_quotes")
    )


def award(
    rfq: Rfq,
    quote_id: int | None,
    *,
    actor: User,
    justification: str = "",
    expected_version: int | None = None,
) -> PurchaseOrder:
    """Award ``quote_id``: its vendor must be approved and unflagged, the quote valid;
    a quote that is not the cheapest needs a written justification, and so does an
    award over the quote-count threshold with too few quotes. Sealed bids not yet
    opened: ``Sealed``, before the workflow's own guard."""
    if access.can_change(actor, rfq):
        require_unsealed(rfq)
    workflow.check(RFQ, rfq, RfqAction.AWARD, actor)
    justification = validation.text(
        justification, "justification", max_length=TEXT_MAX, required=False
    )
    comparison = compare(rfq)
    ranked = next((r for r in comparison.ranking if r.candidate.quote_id == quote_id), None)
    if ranked is None:
        unranked = next((q for q in comparison.unranked if q.id == quote_id), None)
        if unranked is not None:
            # Refused in the rates' own words: "There is no EUR rate on or before …".
            rates.require(unranked.currency, comparison.rate_date, field="quote_id")
        raise ValidationError.field("quote_id", "Choose a current quote of this RFQ.")
    candidate = ranked.candidate
    if not candidate.eligible:
        raise ValidationError.field(
            "quote_id", f"This quote cannot be awarded: {candidate.why_not}."
        )
    candidates = [r.candidate for r in comparison.ranking]
    if not scoring.is_cheapest(candidate, candidates) and not justification:
        cheapest = comparison.quote(comparison.lowest_total_quote_id)
        raise ValidationError.field(
            "justification",
            f"This is not the lowest total ({cheapest.vendor.name} quotes "
            f"{comparison.amounts(cheapest.id)}); say why this quote is the better choice.",
        )
    threshold, minimum = quote_rule()
    too_few = len(comparison.quotes) < minimum
    if _request_total_base(rfq) >= threshold and too_few and not justification:
        raise ValidationError.field(
            "justification",
            f"From {format_money(threshold, currencies.base())} an award needs {minimum} "
            f"quotes; this RFQ has "
            f"{len(comparison.quotes)}. Give a single-source justification.",
        )
    quote = comparison.quote(candidate.quote_id)
    converted = comparison.converted[quote.id]
    rfq.awarded_quote_id = quote.id
    rfq.awarded_at = utcnow()
    rfq.award_justification = justification
    # The rate the comparison used is the award's: a later rate moves nothing.
    rate = cast(rates.Rate, converted.rate)
    rfq.award_rate = rate.rate
    rfq.award_rate_date = rate.date
    rfq.award_total_base = converted.total_base
    award_figures.keep(rfq)  # what the savings report measures the award against
    workflow.apply(
        RFQ,
        rfq,
        RfqAction.AWARD,
        actor=actor,
        comment=justification,
        expected_version=expected_version,
        changes={
            "quote": quote.id,
            "vendor": quote.vendor.name,
            "currency": quote.currency,
            "total": str(quote.total),
            "rate": str(rate.rate),
            "rate_date": rate.date.isoformat(),
            "total_base": str(converted.total_base),
            "comparison": comparison_snapshot(comparison),
        },
    )
    return create_order_from_quote(rfq, quote, actor=actor)


def _request_total_base(rfq: Rfq) -> Decimal:
    """The request's total in the base currency, as frozen at its submit (a request
    from before currencies, or in the base currency, has its total)."""
    pr = rfq.request
    return pr.total_base if pr.total_base is not None else pr.total


def create_order_from_quote(rfq: Rfq, quote: Quote, *, actor: User) -> PurchaseOrder:
    pr = rfq.request
    order = PurchaseOrder(
        request=pr,
        rfq_id=rfq.id,
        quote_id=quote.id,
        vendor_id=quote.vendor_id,
        currency=quote.currency,
        subtotal=quote.subtotal,
        shipping=quote.shipping,
        tax=quote.tax,
        total=quote.total,
        needed_by=pr.needed_by,
        payment_terms=quote.payment_terms,
        lead_time_days=quote.lead_time_days,
        delivery_address=current_app.config.get("PROCURE_DELIVERY_ADDRESS", ""),
        created_by_id=actor.id,
        lines=[
            OrderLine(
                position=line.position,
                request_line_id=line.request_line_id,
                description=line.description,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                total=line.total,
            )
            for line in quote.lines
        ],
    )
    db.session.add(order)
    db.session.flush()
    audit.record(
        "order",
        order.id,
        "create",
        actor=actor,
        changes={
            "request": pr.number,
            "rfq": rfq.number,
            "vendor": quote.vendor.name,
            "total": str(order.total),
        },
    )
    return order


# What became of RFQs -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Summary:
    quote_count: int
    order_id: int | None


def summaries(rfqs: list[Rfq]) -> dict[int, Summary]:
    """Quote counts and orders of many RFQs in two queries, for lists."""
    ids = [rfq.id for rfq in rfqs]
    if not ids:
        return {}
    counts = dict(
        db.session.execute(
            sa.select(Quote.rfq_id, sa.func.count())
            .where(Quote.rfq_id.in_(ids), Quote.replaced_by_id.is_(None))
            .group_by(Quote.rfq_id)
        ).all()
    )
    orders = dict(
        db.session.execute(
            sa.select(PurchaseOrder.rfq_id, sa.func.max(PurchaseOrder.id))
            .where(PurchaseOrder.rfq_id.in_(ids))
            .group_by(PurchaseOrder.rfq_id)
        ).all()
    )
    return {i: Summary(counts.get(i, 0), orders.get(i)) for i in ids}


def order_for(rfq: Rfq) -> PurchaseOrder | None:
    """The latest order the RFQ's award created, if any."""
    return db.session.scalar(
        sa.select(PurchaseOrder)
        .where(PurchaseOrder.rfq_id == rfq.id)
        .order_by(PurchaseOrder.id.desc())
        .limit(1)
    )
