"""RFQs: finding them, creating one for an approved request, sending it to the
invited vendors, cancelling it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from ... import access, audit, numbering, validation, workflow
from ...errors import ValidationError
from ...extensions import db
from ...models import (
    PurchaseRequest,
    RequestStatus,
    Rfq,
    RfqInvitation,
    RfqStatus,
    Role,
    User,
    Vendor,
    utcnow,
)
from ...notifications import vendors as vendor_mail
from ...workflow import RFQ, RfqAction
from .. import scoring
from .eligibility import request_categories, supplies, vendor_address, vendor_problems
from .links import new_link

TEXT_MAX = 10_000
# Who manages RFQs and orders.
EDITORS = (Role.PROCUREMENT,)


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


def weights_of(rfq: Rfq) -> dict[str, Decimal]:
    return {
        "price": rfq.weight_price,
        "lead_time": rfq.weight_lead_time,
        "rating": rfq.weight_rating,
        "warranty": rfq.weight_warranty,
    }


# Creating ---------------------------------------------------------------------------------


@dataclasses.dataclass
class RfqData:
    request_id: int
    vendor_ids: list[int]
    due_date: dt.date | None
    weights: dict[str, Decimal] | None = None
    notes: str = ""
    sealed: bool = False


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
    errors = validation.FieldErrors()
    for vendor_id in dict.fromkeys(vendor_ids):
        vendor = vendors.get(vendor_id)
        if vendor is None:
            errors.add("vendor_ids", f"There is no vendor {vendor_id}.")
            continue
        for problem in vendor_problems(vendor):
            errors.add("vendor_ids", f"{problem}.")
        if not supplies(vendor, wanted):
            errors.add("vendor_ids", f"{vendor.name} does not supply {', '.join(sorted(wanted))}.")
    errors.raise_if_any()
    return [vendors[vendor_id] for vendor_id in dict.fromkeys(vendor_ids)]


def require_buyer(user: User) -> None:
    """Only procurement invites vendors to quote (the form is refused to others too)."""
    access.require_role(user, *EDITORS, action="invite vendors to quote")


def request_to_source(request_id: int, user: User) -> PurchaseRequest:
    """The request a new RFQ's form is for: one the user sees, and only procurement
    may open the form."""
    pr = access.load(PurchaseRequest, request_id, user)
    require_buyer(user)
    return pr


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
    notes = validation.text(data.notes, "notes", max_length=TEXT_MAX, required=False)
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
        notes=notes,
        sealed=bool(data.sealed),
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
            "sealed": bool(data.sealed),
        },
    )
    return rfq


# Sending and cancelling --------------------------------------------------------------------


def send(rfq: Rfq, *, actor: User, expected_version: int | None = None) -> dict[int, str]:
    """Open the RFQ: each invited vendor gets a private link, e-mailed when the vendor
    has an address. Returns the links by vendor id (procurement sees them again on
    the RFQ's page, to hand to vendors without e-mail)."""
    workflow.check(RFQ, rfq, RfqAction.SEND, actor)
    problems = [p for inv in rfq.invitations for p in vendor_problems(inv.vendor)]
    if problems:
        raise ValidationError(
            f"{problems[0]}; remove the vendor or fix it first.", fields={"vendor_ids": problems}
        )
    if rfq.due_date < utcnow().date():
        raise ValidationError.field("due_date", "The due date has passed; change it first.")
    links = {}
    for invitation in rfq.invitations:
        links[invitation.vendor_id] = new_link(invitation)
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
    for invitation in rfq.invitations:
        if invitation.emailed_to:
            vendor_mail.queue_invitation(rfq, invitation, links[invitation.vendor_id])
    return links


def cancel(
    rfq: Rfq, *, actor: User, comment: str = "", expected_version: int | None = None
) -> None:
    comment = validation.text(comment, "comment", max_length=TEXT_MAX, required=False)
    workflow.apply(
        RFQ, rfq, RfqAction.CANCEL, actor=actor, comment=comment, expected_version=expected_version
    )
    for invitation in rfq.invitations:
        invitation.token_hash = None
