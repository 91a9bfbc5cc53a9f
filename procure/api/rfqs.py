"""Sourcing through the API (API.md, "RFQs"): RFQs, quotes, the comparison, award."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import Field

from .. import currencies
from ..models import Rfq, RfqStatus
from ..sourcing import scoring, services
from . import bp
from .quote_schemas import (
    ComparisonOut,
    NotRankedOut,
    QuoteIn,
    QuoteOut,
    RankedOut,
    quote_out,
)
from .schemas import (
    Amount,
    Id,
    Input,
    Output,
    Page,
    PageQuery,
    Text,
    Timestamp,
    amount_out,
    rate_out,
)
from .spec import current_user, operation, paginate

Weight = Annotated[Decimal, Field(ge=0, le=1, max_digits=4, decimal_places=3)]


class WeightsIn(Input):
    price: Weight | None = None
    lead_time: Weight | None = None
    rating: Weight | None = None
    warranty: Weight | None = None


class RfqIn(Input):
    request_id: Id
    vendor_ids: list[Id] = Field(min_length=1, max_length=50)
    due_date: dt.date
    weights: WeightsIn | None = Field(
        None,
        description="Comparison weights, 0..1 each; default price 0.6, lead time 0.2, "
        "rating 0.2, warranty 0. Criteria left out weigh 0 when any is given.",
    )
    notes: Text = ""
    sealed: bool = Field(
        False,
        description="Sealed bids: quotes show no amount until `open-bids`, from the day "
        "after `due_date`; no quote is taken after it.",
    )


class AwardIn(Input):
    quote_id: Id
    justification: Text = Field(
        "",
        description="Required unless the quote has the lowest total, and for too few "
        "quotes over the quote-count threshold.",
    )
    version: int | None = None


class CancelIn(Input):
    comment: Text = ""
    version: int | None = None


class InvitationOut(Output):
    vendor_id: int
    vendor: str
    emailed_to: str
    link_used: bool
    state: str = Field(
        description="`not_sent`, `waiting`, `quoted`, `declined`, `expired` or `closed` "
        "(the RFQ is no longer open)."
    )
    links_issued: int = Field(
        description="How many links the vendor was given: 2 and more means the link was re-issued."
    )
    link_issued_at: Timestamp | None
    declined_reason: str | None = Field(description="Why the vendor declined, when they did.")
    email_status: str | None = Field(
        description="The invitation e-mail: `pending`, `sent` or `failed`; null without one."
    )
    link: str | None = Field(
        description="The vendor's working private link, for procurement only (null for "
        "others, and when the link is used, expired or withdrawn)."
    )


class RfqOut(Output):
    id: int
    number: str
    status: RfqStatus
    version: int
    allowed_actions: list[str]
    request_id: int
    request_number: str
    due_date: dt.date
    weights: dict[str, str]
    notes: str
    invitations: list[InvitationOut]
    quote_count: int
    awarded_quote_id: int | None
    award_justification: str
    award_rate: str | None = Field(
        description="Frozen at award: base units one unit of the awarded quote's currency "
        "was worth at the comparison's rate date (1 for the base currency)."
    )
    award_rate_date: dt.date | None
    award_total_base: Amount | None = Field(
        description="The awarded quote's total in the base currency at `award_rate`."
    )
    order_id: int | None
    sealed: bool
    opening_requested_at: Timestamp | None = Field(
        description="With two to open: when the first procurement user asked to open the bids."
    )
    bids_opened_at: Timestamp | None
    created_at: Timestamp
    sent_at: Timestamp | None
    links: dict[str, str] | None = Field(
        None,
        description="Only in the answers to `send` and `reissue`: the private links "
        "just issued, by vendor id (procurement sees them again in `invitations`).",
    )


class RfqQuery(PageQuery):
    status: RfqStatus | None = None
    request_id: Id | None = None


def invitation_out(state: services.InvitationState) -> InvitationOut:
    invitation = state.invitation
    return InvitationOut(
        vendor_id=invitation.vendor_id,
        vendor=invitation.vendor.name,
        emailed_to=invitation.emailed_to,
        link_used=invitation.token_used_at is not None,
        state=state.state,
        links_issued=invitation.links_issued,
        link_issued_at=invitation.link_issued_at,
        declined_reason=invitation.decline_reason if state.state == "declined" else None,
        email_status=state.email_status,
        link=state.link,
    )


def _extras(rfqs: list[Rfq]) -> dict[int, tuple[services.Summary, list]]:
    """What a page of RFQs needs beyond the rows, in a fixed number of queries."""
    summaries = services.summaries(rfqs)
    states = services.invitation_states(rfqs, current_user())
    return {rfq.id: (summaries[rfq.id], states[rfq.id]) for rfq in rfqs}


def rfq_out(
    rfq: Rfq,
    links: dict[int, str] | None = None,
    summary: tuple[services.Summary, list] | None = None,
) -> RfqOut:
    quotes, states = summary or _extras([rfq])[rfq.id]
    return RfqOut(
        id=rfq.id,
        number=rfq.number,
        status=rfq.status,
        version=rfq.version,
        allowed_actions=services.allowed_actions(rfq, current_user())
        + (["open_bids"] if services.may_open_bids(rfq, current_user()) else []),
        request_id=rfq.request_id,
        request_number=rfq.request.number,
        due_date=rfq.due_date,
        weights={k: str(v) for k, v in services.weights_of(rfq).items()},
        notes=rfq.notes,
        invitations=[invitation_out(state) for state in states],
        quote_count=quotes.quote_count,
        awarded_quote_id=rfq.awarded_quote_id,
        award_justification=rfq.award_justification,
        award_rate=rate_out(rfq.award_rate),
        award_rate_date=rfq.award_rate_date,
        award_total_base=(
            amount_out(rfq.award_total_base, currencies.base())
            if rfq.award_total_base is not None
            else None
        ),
        order_id=quotes.order_id,
        sealed=rfq.sealed,
        opening_requested_at=rfq.opening_requested_at,
        bids_opened_at=rfq.bids_opened_at,
        created_at=rfq.created_at,
        sent_at=rfq.sent_at,
        links={str(k): v for k, v in links.items()} if links is not None else None,
    )


@operation(
    bp,
    "POST",
    "/rfqs",
    body=RfqIn,
    response=RfqOut,
    status=201,
    summary="Invite vendors to quote for an approved request (procurement)",
    tag="Sourcing",
    errors=(403,),
)
def create_rfq(body: RfqIn):
    """A draft, for an approved request no other open RFQ sources; the vendors must be approved,
    unflagged and supply its categories (422 on `vendor_ids`). `weights` score the quotes."""
    weights = None
    if body.weights is not None:
        weights = {k: v for k, v in body.weights.model_dump().items() if v is not None}
    rfq = services.create_rfq(
        services.RfqData(
            request_id=body.request_id,
            vendor_ids=body.vendor_ids,
            due_date=body.due_date,
            weights=weights,
            notes=body.notes,
            sealed=body.sealed,
        ),
        actor=current_user(),
    )
    return rfq_out(rfq)


@operation(
    bp,
    "GET",
    "/rfqs",
    query=RfqQuery,
    response=Page[RfqOut],
    summary="List RFQs the caller may see",
    tag="Sourcing",
)
def list_rfqs(query: RfqQuery):
    """Procurement sees all; others the RFQs of requests they may read. `status`, `request_id`."""
    select = services.list_query(current_user(), status=query.status, request_id=query.request_id)
    return paginate(select, query, rfq_out, batch=_extras)


@operation(bp, "GET", "/rfqs/<int:rfq_id>", response=RfqOut, summary="Read an RFQ", tag="Sourcing")
def get_rfq(rfq_id: int):
    """Invitations, weights and quote count; after the award the quote chosen and `order_id`."""
    return rfq_out(services.get(rfq_id, current_user()))


@operation(
    bp,
    "POST",
    "/rfqs/<int:rfq_id>/send",
    body=CancelIn,
    response=RfqOut,
    summary="Open the RFQ: invitations with private links go out",
    tag="Sourcing",
    errors=(403, 409),
)
def send_rfq(rfq_id: int, body: CancelIn):
    """Opens the RFQ: each vendor gets a private link to quote through, e-mailed when it has an
    address; `links` holds the links just issued. A due date passed: 422."""
    rfq = services.get(rfq_id, current_user())
    links = services.send(rfq, actor=current_user(), expected_version=body.version)
    return rfq_out(rfq, links)


@operation(
    bp,
    "POST",
    "/rfqs/<int:rfq_id>/invitations/<int:vendor_id>/reissue",
    response=RfqOut,
    summary="Give an invited vendor a new private link (procurement); the earlier "
    "one stops working",
    tag="Sourcing",
    errors=(403, 409, 422),
)
def reissue_rfq_link(rfq_id: int, vendor_id: int):
    """The vendor is e-mailed the new link when they have an address; `links` holds it.
    A used or declined link becomes usable again, to send a corrected quote. 422 when
    the vendor was not invited, or may not be invited now (blocked, documents missing)."""
    rfq = services.get(rfq_id, current_user())
    invitation, link = services.reissue_link(rfq, vendor_id, actor=current_user())
    return rfq_out(rfq, {invitation.vendor_id: link})


@operation(
    bp,
    "POST",
    "/rfqs/<int:rfq_id>/cancel",
    body=CancelIn,
    response=RfqOut,
    summary="Cancel a draft or open RFQ",
    tag="Sourcing",
    errors=(403, 409),
)
def cancel_rfq(rfq_id: int, body: CancelIn):
    """No more quotes are taken; the request can be sourced in a new RFQ. `comment` is optional."""
    rfq = services.get(rfq_id, current_user())
    services.cancel(rfq, actor=current_user(), comment=body.comment, expected_version=body.version)
    return rfq_out(rfq)


@operation(
    bp,
    "POST",
    "/rfqs/<int:rfq_id>/award",
    body=AwardIn,
    response=RfqOut,
    summary="Award a quote; creates the purchase order as a draft",
    tag="Sourcing",
    errors=(403, 409),
)
def award_rfq(rfq_id: int, body: AwardIn):
    """The answer is the RFQ, with `order_id` of the draft order. A sealed RFQ whose bids
    are not opened: 409 `sealed`."""
    rfq = services.get(rfq_id, current_user())
    services.award(
        rfq,
        body.quote_id,
        actor=current_user(),
        justification=body.justification,
        expected_version=body.version,
    )
    return rfq_out(rfq)


@operation(
    bp,
    "POST",
    "/rfqs/<int:rfq_id>/quotes",
    body=QuoteIn,
    response=QuoteOut,
    status=201,
    summary="Record a vendor's quote (procurement)",
    tag="Sourcing",
    errors=(403, 409),
)
def create_quote(rfq_id: int, body: QuoteIn):
    """One current quote per vendor: a corrected quote replaces the earlier one, which
    stays in the history."""
    rfq = services.get(rfq_id, current_user())
    quote = services.record_quote(rfq, body.quote_data(), actor=current_user())
    return quote_out(quote)


class QuotesQuery(PageQuery):
    history: bool = Field(False, description="Include replaced quotes.")


@operation(
    bp,
    "GET",
    "/rfqs/<int:rfq_id>/quotes",
    query=QuotesQuery,
    response=Page[QuoteOut],
    summary="The RFQ's quotes",
    tag="Sourcing",
)
def list_quotes(rfq_id: int, query: QuotesQuery):
    """Each vendor's current quote; `history=1` adds the quotes that corrections replaced."""
    rfq = services.get(rfq_id, current_user())
    quotes = services.quote_history(rfq) if query.history else services.current_quotes(rfq)
    start = (query.page - 1) * query.per_page
    return {
        "items": [quote_out(q) for q in quotes[start : start + query.per_page]],
        "page": query.page,
        "per_page": query.per_page,
        "total": len(quotes),
    }


@operation(
    bp,
    "GET",
    "/rfqs/<int:rfq_id>/comparison",
    response=ComparisonOut,
    summary="The ranking, best score first, each criterion's contribution shown",
    tag="Sourcing",
)
def comparison(rfq_id: int):
    """Scored with the RFQ's weights; expired quotes, ineligible vendors rank last (`why_not`).
    A sealed RFQ whose bids are not opened: 409 `sealed`."""
    rfq = services.get(rfq_id, current_user())
    result = services.compare(rfq)
    return ComparisonOut(
        ranking=[ranked_out(result, r) for r in result.ranking],
        lowest_total_quote_id=result.lowest_total_quote_id,
        weights={k: str(v) for k, v in services.weights_of(rfq).items()},
        base_currency=currencies.base(),
        rate_date=result.rate_date,
        not_ranked=[
            NotRankedOut(
                quote_id=q.id,
                vendor_id=q.vendor_id,
                vendor=q.vendor.name,
                currency=q.currency,
                total=amount_out(q.total, q.currency),
                why_not=result.no_rate(q.id),
            )
            for q in result.unranked
        ],
    )


def ranked_out(result: services.Comparison, r: scoring.Ranked) -> RankedOut:
    """A ranking entry: the quote's total in its currency and in the base currency."""
    quote = result.quote(r.candidate.quote_id)
    converted = result.converted[quote.id]
    return RankedOut(
        quote_id=quote.id,
        vendor_id=quote.vendor_id,
        vendor=quote.vendor.name,
        currency=quote.currency,
        total=amount_out(quote.total, quote.currency),
        total_base=amount_out(r.candidate.total, currencies.base()),
        rate=rate_out(converted.rate.rate if converted.rate else None) or "",
        rate_date=converted.rate.date if converted.rate else result.rate_date,
        score=str(r.score),
        criteria={k: str(v) for k, v in r.criteria.items()},
        normalised={k: str(v) for k, v in r.normalised.items()},
        expired=quote.valid_until < dt.date.today(),
        eligible=r.candidate.eligible,
        why_not=r.candidate.why_not,
        rank=r.rank,
    )
