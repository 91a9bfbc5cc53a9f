"""Sourcing: RFQs for approved requests, quotes from invited vendors, the explained
comparison, and the award that creates the purchase order. Services check, change,
audit and flush; the caller commits once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from .. import access, audit, numbering, settings, workflow
from ..errors import ValidationError
from ..extensions import db
from ..models import (
    OrderLine,
    PurchaseOrder,
    PurchaseRequest,
    Quote,
    QuoteLine,
    RequestStatus,
    Rfq,
    RfqInvitation,
    RfqStatus,
    Role,
    User,
    Vendor,
    VendorStatus,
    utcnow,
)
from ..money import MAX_AMOUNT, round_money
from ..workflow import RFQ, RfqAction
from . import scoring

TEXT_MAX = 10_000
# Who manages RFQs and orders.
EDITORS = (Role.PROCUREMENT,)
MAX_LEAD_TIME_DAYS = 3650
MAX_WARRANTY_MONTHS = 600


def get(rfq_id: int, user: User) -> Rfq:
    return access.load(Rfq, rfq_id, user)


def list_query(
    user: User, *, status: str | None = None, request_id: int | None = None
) -> sa.Select:
    query = access.scoped(Rfq, user, sa.select(Rfq))
    if status:
        query = query.where(Rfq.status == RfqStatus(status))
    if request_id:
        query = query.where(Rfq.request_id == request_id)
    return query.order_by(Rfq.id.desc())


def awaiting_sourcing() -> sa.Select:
    """Approved requests with no RFQ under way or awarded: what procurement should
    source next, longest approved first."""
    busy = sa.select(Rfq.request_id).where(
        Rfq.status.in_([RfqStatus.DRAFT, RfqStatus.OPEN, RfqStatus.AWARDED])
    )
    return (
        sa.select(PurchaseRequest)
        .where(
            PurchaseRequest.status == RequestStatus.APPROVED,
            PurchaseRequest.id.not_in(busy),
        )
        .order_by(PurchaseRequest.decided_at, PurchaseRequest.id)
    )


def allowed_actions(rfq: Rfq, user: User) -> list[str]:
    return workflow.allowed_actions(RFQ, rfq, user)


# Vendors that can take part ------------------------------------------------------------


def vendor_problems(vendor: Vendor) -> list[str]:
    """Why ``vendor`` cannot be invited or awarded now (empty: it can)."""
    problems = []
    if vendor.status != VendorStatus.APPROVED:
        problems.append(f"{vendor.name} is {vendor.status.value}, not approved")
    problems.extend(
        f"{vendor.name} is flagged: {reason.rstrip('.')}" for reason in flag_reasons(vendor)
    )
    return problems


def flag_reasons(vendor: Vendor) -> list[str]:
    """Required compliance documents that are missing or expired (the register's rule)."""
    from ..vendors import services as vendors

    return vendors.flag_reasons(vendor)


def request_categories(pr: PurchaseRequest) -> set[str]:
    return {line.category for line in pr.lines}


# Creating and sending ------------------------------------------------------------------


@dataclasses.dataclass
class RfqData:
    request_id: int
    vendor_ids: list[int]
    due_date: dt.date | None
    weights: dict[str, Decimal] | None = None
    notes: str = ""


def _weights(raw: dict[str, Decimal] | None) -> dict[str, Decimal]:
    weights = dict(scoring.DEFAULT_WEIGHTS)
    if raw:
        unknown = set(raw) - set(scoring.CRITERIA)
        if unknown:
            raise ValidationError.field(
                "weights",
                f"Unknown criteria: {', '.join(sorted(unknown))}; use "
                f"{', '.join(scoring.CRITERIA)}.",
            )
        weights = {name: Decimal("0") for name in scoring.CRITERIA}
        for name, value in raw.items():
            value = Decimal(str(value))
            if not value.is_finite() or value < 0 or value > 1:
                raise ValidationError.field(f"weights.{name}", "Use a weight from 0 to 1.")
            if value != value.quantize(Decimal("0.001")):
                raise ValidationError.field(f"weights.{name}", "Use at most 3 decimals.")
            weights[name] = value
    if sum(weights.values()) == 0:
        raise ValidationError.field("weights", "At least one weight must be above zero.")
    return weights


def _invitable(vendor_ids: list[int], pr: PurchaseRequest) -> list[Vendor]:
    if not vendor_ids:
        raise ValidationError.field("vendor_ids", "Invite at least one vendor.")
    if len(set(vendor_ids)) > 50:
        raise ValidationError.field("vendor_ids", "Invite at most 50 vendors.")
    vendors = {
        v.id: v
        for v in db.session.scalars(sa.select(Vendor).where(Vendor.id.in_(set(vendor_ids))))
    }
    wanted = request_categories(pr)
    problems = []
    for vendor_id in dict.fromkeys(vendor_ids):
        vendor = vendors.get(vendor_id)
        if vendor is None:
            problems.append(f"There is no vendor {vendor_id}.")
            continue
        problems.extend(f"{p}." for p in vendor_problems(vendor))
        if wanted and vendor.categories and not wanted & set(vendor.categories):
            problems.append(f"{vendor.name} does not supply {', '.join(sorted(wanted))}.")
    if problems:
        raise ValidationError(problems[0], fields={"vendor_ids": problems})
    return [vendors[vendor_id] for vendor_id in dict.fromkeys(vendor_ids)]


def require_buyer(user: User) -> None:
    """Only procurement invites vendors to quote (the form is refused to others too)."""
    access.require_role(user, *EDITORS, action="invite vendors to quote")


def create_rfq(data: RfqData, *, actor: User) -> Rfq:
    require_buyer(actor)
    pr = db.session.get(PurchaseRequest, data.request_id)
    if pr is None or not access.can_see(actor, pr):
        raise ValidationError.field("request_id", f"There is no request {data.request_id}.")
    if pr.status != RequestStatus.APPROVED:
        raise ValidationError.field(
            "request_id",
            f"{pr.number} is {pr.status.value.replace('_', ' ')}; only an "
            "approved request is sourced.",
        )
    busy = db.session.scalar(
        sa.select(Rfq.number).where(
            Rfq.request_id == pr.id, Rfq.status.in_([RfqStatus.DRAFT, RfqStatus.OPEN])
        )
    )
    if busy is not None:
        raise ValidationError.field("request_id", f"{pr.number} is being sourced in {busy}.")
    if data.due_date is None or data.due_date < utcnow().date():
        raise ValidationError.field("due_date", "Give a due date from today on.")
    if len(data.notes or "") > TEXT_MAX:
        raise ValidationError.field("notes", f"Use at most {TEXT_MAX:,} characters.")
    weights = _weights(data.weights)
    vendors = _invitable(data.vendor_ids, pr)
    rfq = Rfq(
        number=numbering.next_number("RFQ", utcnow().year),
        request=pr,
        status=RfqStatus.DRAFT,
        due_date=data.due_date,
        weight_price=weights["price"],
        weight_lead_time=weights["lead_time"],
        weight_rating=weights["rating"],
        weight_warranty=weights["warranty"],
        notes=(data.notes or "").strip(),
        created_by_id=actor.id,
        invitations=[RfqInvitation(vendor=vendor) for vendor in vendors],
    )
    db.session.add(rfq)
    db.session.flush()
    audit.record(
        "rfq",
        rfq.id,
        "create",
        actor=actor,
        changes={
            "request": pr.number,
            "vendors": [v.name for v in vendors],
            "due_date": data.due_date.isoformat(),
            "weights": {k: str(v) for k, v in weights.items()},
        },
    )
    return rfq


def weights_of(rfq: Rfq) -> dict[str, Decimal]:
    return {
        "price": rfq.weight_price,
        "lead_time": rfq.weight_lead_time,
        "rating": rfq.weight_rating,
        "warranty": rfq.weight_warranty,
    }


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def vendor_address(vendor: Vendor) -> str:
    """Where invitations go: the primary contact's e-mail, else the vendor's."""
    for contact in vendor.contacts:
        if contact.email:
            return contact.email
    return vendor.email or ""


def send(rfq: Rfq, *, actor: User, expected_version: int | None = None) -> dict[int, str]:
    """Open the RFQ: each invited vendor gets a private link, e-mailed when the vendor
    has an address. Returns the links by vendor id (shown once to procurement, for
    vendors without e-mail)."""
    workflow.check(RFQ, rfq, RfqAction.SEND, actor)
    problems = [p for inv in rfq.invitations for p in vendor_problems(inv.vendor)]
    if problems:
        raise ValidationError(
            f"{problems[0]}; remove the vendor or fix it first.", fields={"vendor_ids": problems}
        )
    if rfq.due_date < utcnow().date():
        raise ValidationError.field("due_date", "The due date has passed; change it first.")
    links = {}
    base = current_app.config["PROCURE_BASE_URL"].rstrip("/")
    for invitation in rfq.invitations:
        token = secrets.token_urlsafe(32)
        invitation.token_hash = hash_token(token)
        invitation.token_expires_on = rfq.due_date
        invitation.token_used_at = None
        links[invitation.vendor_id] = f"{base}/quote/{token}"
        invitation.emailed_to = vendor_address(invitation.vendor)
    rfq.sent_at = utcnow()
    workflow.apply(
        RFQ,
        rfq,
        RfqAction.SEND,
        actor=actor,
        expected_version=expected_version,
        changes={"invited": [inv.vendor.name for inv in rfq.invitations]},
    )
    from ..notifications import vendors as vendor_mail

    for invitation in rfq.invitations:
        if invitation.emailed_to:
            vendor_mail.queue_invitation(rfq, invitation, links[invitation.vendor_id])
    return links


def cancel(
    rfq: Rfq, *, actor: User, comment: str = "", expected_version: int | None = None
) -> None:
    if len(comment or "") > TEXT_MAX:
        raise ValidationError.field("comment", f"Use at most {TEXT_MAX:,} characters.")
    workflow.apply(
        RFQ,
        rfq,
        RfqAction.CANCEL,
        actor=actor,
        comment=(comment or "").strip(),
        expected_version=expected_version,
    )
    for invitation in rfq.invitations:
        invitation.token_hash = None


# Quotes ---------------------------------------------------------------------------------


@dataclasses.dataclass
class QuoteLineData:
    description: str
    quantity: Decimal
    unit_price: Decimal
    unit: str = "each"
    request_line_id: int | None = None


@dataclasses.dataclass
class QuoteData:
    vendor_id: int
    valid_until: dt.date | None
    lead_time_days: int | None
    lines: list[QuoteLineData]
    warranty_months: int = 0
    payment_terms: str = ""
    shipping: Decimal = Decimal("0.00")
    tax: Decimal = Decimal("0.00")
    currency: str | None = None
    notes: str = ""


def _check_quote(rfq: Rfq, data: QuoteData) -> RfqInvitation:
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if rfq.status != RfqStatus.OPEN:
        from ..errors import InvalidTransition

        raise InvalidTransition(
            f"{rfq.number} is {rfq.status.value}; quotes are recorded while it is open."
        )
    invitation = next((i for i in rfq.invitations if i.vendor_id == data.vendor_id), None)
    if invitation is None:
        fail("vendor_id", "This vendor was not invited to quote.")
    currency = current_app.config["PROCURE_CURRENCY"]
    if data.currency and data.currency.strip().upper() != currency:
        fail("currency", f"This installation works in {currency} only.")
    today = utcnow().date()
    if data.valid_until is None:
        fail("valid_until", "Give the date until which the quote is valid.")
    elif data.valid_until < today:
        fail("valid_until", "The quote is valid until a date in the past.")
    if data.lead_time_days is None or not 0 <= data.lead_time_days <= MAX_LEAD_TIME_DAYS:
        fail("lead_time_days", f"Give a lead time from 0 to {MAX_LEAD_TIME_DAYS} days.")
    if not 0 <= (data.warranty_months or 0) <= MAX_WARRANTY_MONTHS:
        fail("warranty_months", f"Give a warranty from 0 to {MAX_WARRANTY_MONTHS} months.")
    if len(data.payment_terms or "") > 200:
        fail("payment_terms", "Use at most 200 characters.")
    if len(data.notes or "") > TEXT_MAX:
        fail("notes", f"Use at most {TEXT_MAX:,} characters.")
    for name in ("shipping", "tax"):
        value = getattr(data, name)
        if value is None or value < 0:
            fail(name, "Must not be negative.")
    if not data.lines:
        fail("lines", "Price at least one line.")
    for index, line in enumerate(data.lines):
        if not (line.description or "").strip():
            fail(f"lines.{index}.description", "Describe the line.")
        elif len(line.description) > TEXT_MAX:
            fail(f"lines.{index}.description", f"Use at most {TEXT_MAX:,} characters.")
        if line.quantity is None or line.quantity <= 0:
            fail(f"lines.{index}.quantity", "The quantity must be greater than zero.")
        if line.unit_price is None or line.unit_price < 0:
            fail(f"lines.{index}.unit_price", "The unit price must not be negative.")
    if not errors:
        total = (
            sum(
                (round_money(line.quantity * line.unit_price) for line in data.lines), Decimal("0")
            )
            + data.shipping
            + data.tax
        )
        if total > MAX_AMOUNT:
            fail("lines", "The total is larger than Procure accepts.")
    if errors or invitation is None:
        raise ValidationError(next(iter(errors.values()))[0], fields=errors)
    return invitation


def record_quote(
    rfq: Rfq, data: QuoteData, *, actor: User | None, attachment_id: int | None = None
) -> Quote:
    """Record a vendor's quote; a corrected quote replaces the earlier one, which the
    history keeps. ``actor`` is None when the vendor answers through their link."""
    if actor is not None:
        access.require_role(actor, Role.PROCUREMENT, action="record quotes")
    invitation = _check_quote(rfq, data)
    earlier = db.session.scalar(
        sa.select(Quote)
        .where(
            Quote.rfq_id == rfq.id,
            Quote.vendor_id == data.vendor_id,
            Quote.replaced_by_id.is_(None),
        )
        .with_for_update(of=Quote)
    )
    lines = [
        QuoteLine(
            position=index + 1,
            request_line_id=line.request_line_id,
            description=line.description.strip(),
            quantity=line.quantity,
            unit=(line.unit or "each").strip() or "each",
            unit_price=line.unit_price,
            total=round_money(line.quantity * line.unit_price),
        )
        for index, line in enumerate(data.lines)
    ]
    subtotal = sum((line.total for line in lines), Decimal("0.00"))
    quote = Quote(
        rfq_id=rfq.id,
        vendor_id=data.vendor_id,
        revision=(earlier.revision + 1) if earlier else 1,
        currency=current_app.config["PROCURE_CURRENCY"],
        valid_until=data.valid_until,
        lead_time_days=data.lead_time_days,
        warranty_months=data.warranty_months or 0,
        payment_terms=(data.payment_terms or "").strip(),
        shipping=data.shipping,
        tax=data.tax,
        subtotal=subtotal,
        total=subtotal + data.shipping + data.tax,
        notes=(data.notes or "").strip(),
        attachment_id=attachment_id,
        entered_by_id=actor.id if actor else None,
        lines=lines,
    )
    if earlier is not None:
        # One current quote per vendor (a partial unique index): retire the earlier
        # one before the new one is written, then point it at its replacement.
        earlier.replaced_by_id = earlier.id
        db.session.flush()
    db.session.add(quote)
    db.session.flush()
    if earlier is not None:
        earlier.replaced_by_id = quote.id
        db.session.flush()
    if actor is None:
        invitation.token_used_at = utcnow()
    audit.record(
        "rfq",
        rfq.id,
        "quote",
        actor=actor,
        changes={
            "vendor": invitation.vendor.name,
            "quote": quote.id,
            "revision": quote.revision,
            "total": str(quote.total),
            "replaces": earlier.id if earlier else None,
            "source": "vendor link" if actor is None else "entered by procurement",
        },
    )
    return quote


def current_quotes(rfq: Rfq) -> list[Quote]:
    return list(
        db.session.scalars(
            sa.select(Quote)
            .where(Quote.rfq_id == rfq.id, Quote.replaced_by_id.is_(None))
            .order_by(Quote.id)
            # The comparison checks each vendor's compliance documents.
            .options(selectinload(Quote.vendor).selectinload(Vendor.documents))
        )
    )


def quote_history(rfq: Rfq) -> list[Quote]:
    return list(
        db.session.scalars(
            sa.select(Quote).where(Quote.rfq_id == rfq.id).order_by(Quote.vendor_id, Quote.id)
        )
    )


# The comparison -------------------------------------------------------------------------


@dataclasses.dataclass
class Comparison:
    rfq: Rfq
    quotes: list[Quote]
    ranking: list[scoring.Ranked]
    lowest_total_quote_id: int | None
    # Side by side: for each request line, the quote line of every quote (or None).
    rows: list[dict[str, Any]]
    best: dict[str, set[int]]

    def quote(self, quote_id: int) -> Quote:
        return next(q for q in self.quotes if q.id == quote_id)


def _candidate(quote: Quote, today: dt.date) -> scoring.Candidate:
    reasons = []
    if quote.valid_until < today:
        reasons.append(f"expired on {quote.valid_until.isoformat()}")
    reasons.extend(vendor_problems(quote.vendor))
    return scoring.Candidate(
        quote_id=quote.id,
        vendor_id=quote.vendor_id,
        total=quote.total,
        lead_time_days=quote.lead_time_days,
        warranty_months=quote.warranty_months,
        rating=quote.vendor.rating,
        eligible=not reasons,
        why_not="; ".join(reasons),
    )


def compare(rfq: Rfq) -> Comparison:
    quotes = current_quotes(rfq)
    today = utcnow().date()
    candidates = [_candidate(q, today) for q in quotes]
    ranking = scoring.rank(candidates, weights_of(rfq))
    rows = []
    for line in rfq.request.lines:
        cells = {
            q.id: next((ql for ql in q.lines if ql.request_line_id == line.id), None)
            for q in quotes
        }
        rows.append({"line": line, "cells": cells})
    # Lines a vendor added that match no request line, listed after the others.
    extra = [(q, ql) for q in quotes for ql in q.lines if ql.request_line_id is None]
    for quote, quote_line in extra:
        rows.append(
            {
                "line": None,
                "description": quote_line.description,
                "cells": {q.id: (quote_line if q.id == quote.id else None) for q in quotes},
            }
        )

    def best_of(values: dict[int, Any], lowest: bool = True) -> set[int]:
        present = {k: v for k, v in values.items() if v is not None}
        if not present:
            return set()
        target = min(present.values()) if lowest else max(present.values())
        best = {k for k, v in present.items() if v == target}
        # Where every quote is the same (the same shipping, say), none stands out.
        return best if len(best) < len(quotes) else set()

    best = {
        "total": best_of({q.id: q.total for q in quotes}),
        "shipping": best_of({q.id: q.shipping for q in quotes}),
        "tax": best_of({q.id: q.tax for q in quotes}),
        "lead_time": best_of({q.id: q.lead_time_days for q in quotes}),
        "warranty": best_of({q.id: q.warranty_months for q in quotes}, lowest=False),
        "rating": best_of({q.id: q.vendor.rating for q in quotes}, lowest=False),
        "valid_until": best_of({q.id: q.valid_until for q in quotes}, lowest=False),
    }
    for index, row in enumerate(rows):
        best[f"line{index}"] = best_of(
            {k: (v.unit_price if v else None) for k, v in row["cells"].items()}
        )
    return Comparison(rfq, quotes, ranking, scoring.lowest_total_quote_id(candidates), rows, best)


def comparison_snapshot(comparison: Comparison) -> list[dict[str, Any]]:
    """The ranking as it stood, for the award's audit event."""
    return [
        {
            "quote": r.candidate.quote_id,
            "vendor": r.candidate.vendor_id,
            "total": str(r.candidate.total),
            "score": str(r.score),
            "criteria": {k: str(v) for k, v in r.criteria.items()},
            "eligible": r.candidate.eligible,
        }
        for r in comparison.ranking
    ]


# The award ------------------------------------------------------------------------------


def quote_rule() -> tuple[Decimal, int]:
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
    award over the quote-count threshold with too few quotes."""
    workflow.check(RFQ, rfq, RfqAction.AWARD, actor)
    justification = (justification or "").strip()
    if len(justification) > TEXT_MAX:
        raise ValidationError.field("justification", f"Use at most {TEXT_MAX:,} characters.")
    comparison = compare(rfq)
    ranked = next((r for r in comparison.ranking if r.candidate.quote_id == quote_id), None)
    if ranked is None:
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
            f"{cheapest.total:,.2f}); say why this quote is the better choice.",
        )
    threshold, minimum = quote_rule()
    if rfq.request.total >= threshold and len(comparison.quotes) < minimum and not justification:
        raise ValidationError.field(
            "justification",
            f"From {threshold:,.2f} an award needs {minimum} quotes; this RFQ has "
            f"{len(comparison.quotes)}. Give a single-source justification.",
        )
    quote = comparison.quote(candidate.quote_id)
    now = utcnow()
    rfq.awarded_quote_id = quote.id
    rfq.awarded_at = now
    rfq.award_justification = justification
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
            "total": str(quote.total),
            "comparison": comparison_snapshot(comparison),
        },
    )
    return create_order_from_quote(rfq, quote, actor=actor)


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
    return db.session.scalar(
        sa.select(PurchaseOrder)
        .where(PurchaseOrder.rfq_id == rfq.id)
        .order_by(PurchaseOrder.id.desc())
        .limit(1)
    )


# The vendor's private link ---------------------------------------------------------------


class LinkRefused(Exception):
    """A used, expired or unknown link; the message is shown to the visitor."""


def invitation_for_token(token: str) -> RfqInvitation:
    if not token or len(token) > 200:
        raise LinkRefused("This link is not valid.")
    invitation = db.session.scalar(
        sa.select(RfqInvitation).where(RfqInvitation.token_hash == hash_token(token))
    )
    if invitation is None:
        raise LinkRefused(
            "This link is not valid. It may have been replaced by a newer "
            "one, or the request for quotation was withdrawn."
        )
    if invitation.token_used_at is not None:
        raise LinkRefused(
            "A quote was already sent with this link. Contact the buyer to correct it."
        )
    if invitation.rfq.status != RfqStatus.OPEN:
        raise LinkRefused("This request for quotation is closed.")
    if invitation.token_expires_on is None or invitation.token_expires_on < utcnow().date():
        raise LinkRefused(
            f"This link has expired: quotes were due by {invitation.rfq.due_date.isoformat()}."
        )
    return invitation
