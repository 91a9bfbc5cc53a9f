"""The private links through which invited vendors send their quotes without an
account. Only a link's hash is stored; the link itself is shown or mailed once."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from ...extensions import db
from ...models import RfqInvitation, RfqStatus, utcnow
from ...money import format_date


class LinkRefused(Exception):
    """A used, expired or unknown link; the message is shown to the visitor."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link(invitation: RfqInvitation, base_url: str) -> str:
    """Give ``invitation`` a fresh link, valid until the RFQ's due date (an earlier
    link stops working), and return it."""
    token = secrets.token_urlsafe(32)
    invitation.token_hash = hash_token(token)
    invitation.token_expires_on = invitation.rfq.due_date
    invitation.token_used_at = None
    return f"{base_url.rstrip('/')}/quote/{token}"


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
            f"This link has expired: quotes were due by {format_date(invitation.rfq.due_date)}."
        )
    return invitation
