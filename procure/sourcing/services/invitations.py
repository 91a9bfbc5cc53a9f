"""Each invited vendor as procurement follows it: where its invitation stands (sent,
quoted, declined, expired…), its e-mail, its private link again, and a new link
when the vendor lost theirs or needs to correct a quote. The vendor may decline to
quote through the same link."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from ... import access, audit, validation
from ...errors import InvalidTransition, ValidationError
from ...extensions import db
from ...models import (
    Notification,
    NotificationStatus,
    Quote,
    Rfq,
    RfqInvitation,
    RfqStatus,
    User,
    utcnow,
)
from ...money import format_date
from ...notifications import vendors as vendor_mail
from .eligibility import vendor_address, vendor_problems
from .links import current_link, new_link
from .rfqs import require_buyer

REASON_MAX = 2_000
_MAIL_STATUS = {NotificationStatus.SENT: "sent", NotificationStatus.FAILED: "failed"}


@dataclasses.dataclass(frozen=True)
class InvitationState:
    invitation: RfqInvitation
    # not_sent, waiting, quoted, declined, expired, closed: the badge and its words.
    state: str
    label: str
    detail: str
    # The e-mail: where it went and whether it left ("sent", "pending", "failed"), or
    # None when the vendor has no address (procurement hands the link over).
    email_status: str | None
    # The working link, for procurement only; None for others or when none works.
    link: str | None
    may_reissue: bool


def _latest_mails(ids: list[int]) -> dict[tuple[int, str], Notification]:
    """The last invitation e-mail of each RFQ to each address."""
    rows = db.session.scalars(
        sa.select(Notification)
        .where(
            Notification.entity == "rfq",
            Notification.entity_id.in_(ids),
            Notification.kind == vendor_mail.RFQ_INVITATION,
        )
        .order_by(Notification.id)
    )
    return {(row.entity_id, row.email): row for row in rows if row.entity_id is not None}


def _state(invitation: RfqInvitation, quote: Quote | None, today: dt.date) -> tuple[str, str, str]:
    rfq = invitation.rfq
    reissued = (
        f"Link re-issued {invitation.links_issued - 1} time"
        f"{'s' if invitation.links_issued > 2 else ''}"
        if invitation.links_issued > 1
        else ""
    )
    if rfq.status == RfqStatus.DRAFT:
        return "not_sent", "Not sent yet", ""
    if quote is not None:
        how = "through the link" if quote.entered_by_id is None else "entered by procurement"
        revision = f", revision {quote.revision}" if quote.revision > 1 else ""
        return "quoted", "Quoted", f"{how}{revision}"
    if invitation.declined_at is not None:
        return "declined", "Declined", invitation.decline_reason
    if rfq.status != RfqStatus.OPEN:
        return "closed", "No quote", ""
    if invitation.token_hash is None:
        return "closed", "No link", "Re-issue it to invite the vendor again."
    if invitation.token_expires_on is None or invitation.token_expires_on < today:
        return "expired", "Link expired", reissued
    return "waiting", "Waiting for the quote", reissued


def invitation_states(rfqs: list[Rfq], user: User) -> dict[int, list[InvitationState]]:
    """Every invitation of each RFQ, by RFQ id, as its page and the API show them, in
    two queries whatever the number of RFQs. Procurement also sees the links and may
    re-issue them."""
    ids = [rfq.id for rfq in rfqs]
    if not ids:
        return {}
    quotes = {
        (quote.rfq_id, quote.vendor_id): quote
        for quote in db.session.scalars(
            sa.select(Quote).where(Quote.rfq_id.in_(ids), Quote.replaced_by_id.is_(None))
        )
    }
    mails = _latest_mails(ids)
    today = utcnow().date()
    found = {}
    for rfq in rfqs:
        buyer = access.can_change(user, rfq)
        open_ = rfq.status == RfqStatus.OPEN and rfq.due_date >= today
        states = []
        for invitation in rfq.invitations:
            quote = quotes.get((rfq.id, invitation.vendor_id))
            state, label, detail = _state(invitation, quote, today)
            mail = mails.get((rfq.id, invitation.emailed_to)) if invitation.emailed_to else None
            states.append(
                InvitationState(
                    invitation=invitation,
                    state=state,
                    label=label,
                    detail=detail,
                    email_status=_MAIL_STATUS.get(mail.status, "pending") if mail else None,
                    link=current_link(invitation) if buyer else None,
                    may_reissue=buyer and open_,
                )
            )
        found[rfq.id] = states
    return found


def reissue_link(rfq: Rfq, vendor_id: int, *, actor: User) -> tuple[RfqInvitation, str]:
    """Give one invited vendor a new link (procurement): the earlier one stops working,
    a used or declined link is usable again, and the vendor is e-mailed the new one
    when they have an address. Returns the invitation and its new link."""
    require_buyer(actor)
    invitation = next((i for i in rfq.invitations if i.vendor_id == vendor_id), None)
    if invitation is None:
        raise ValidationError.field("vendor_id", "This vendor was not invited to quote.")
    if rfq.status != RfqStatus.OPEN:
        raise InvalidTransition(
            f"{rfq.number} is {rfq.status.value}; links are re-issued while it is open."
        )
    if rfq.due_date < utcnow().date():
        raise InvalidTransition(
            f"Quotes were due by {format_date(rfq.due_date)}: a new link would not work."
        )
    problems = vendor_problems(invitation.vendor)
    if problems:
        raise ValidationError(
            f"{problems[0]}; it cannot be invited now.", fields={"vendor_id": problems}
        )
    link = new_link(invitation)
    invitation.emailed_to = vendor_address(invitation.vendor)
    db.session.flush()
    audit.record(
        "rfq",
        rfq.id,
        "reissue_link",
        actor=actor,
        changes={
            "vendor": invitation.vendor.name,
            "vendor_id": invitation.vendor_id,
            "link": invitation.links_issued,
            "emailed_to": invitation.emailed_to or None,
        },
    )
    if invitation.emailed_to:
        vendor_mail.queue_invitation(rfq, invitation, link, replaces_earlier=True)
    return invitation, link


def decline(invitation: RfqInvitation, reason: str = "") -> None:
    """The vendor, through their link, says they will not quote; the link is spent."""
    reason = validation.text(reason, "reason", max_length=REASON_MAX, required=False)
    rfq = invitation.rfq
    if rfq.status != RfqStatus.OPEN:
        raise InvalidTransition(f"{rfq.number} is {rfq.status.value}.")
    now = utcnow()
    invitation.declined_at = now
    invitation.decline_reason = reason
    invitation.token_used_at = now
    db.session.flush()
    audit.record(
        "rfq",
        rfq.id,
        "decline",
        actor=None,
        comment=reason,
        changes={"vendor": invitation.vendor.name, "vendor_id": invitation.vendor_id},
    )
