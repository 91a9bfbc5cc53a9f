"""The private links through which invited vendors send their quotes without an
account.

A link's token is derived from a random value kept on the invitation
(``link_nonce``) and the application's secret key; only the token's hash is looked
up. So procurement can see a vendor's link again on the RFQ page, while a copy of
the database alone gives nobody a working link. Issuing a new link draws a new
random value: the earlier token stops working at once."""

from __future__ import annotations

import sqlalchemy as sa

from ... import private_links
from ...extensions import db
from ...models import RfqInvitation, RfqStatus, utcnow
from ...money import format_date
from ...private_links import hash_token

# Keeps these tokens apart from anything else signed with the same secret key.
PURPOSE = b"procure.quote-link\x00"


class LinkRefused(Exception):
    """A used, expired or unknown link; the message is shown to the visitor."""


def _token(nonce: str) -> str:
    return private_links.derive(PURPOSE, nonce)


def link_for(token: str) -> str:
    """The address of a quote page: ``PROCURE_BASE_URL``, never the request's host."""
    return private_links.address(f"/quote/{token}")


def new_link(invitation: RfqInvitation) -> str:
    """Give ``invitation`` a fresh link, valid until the RFQ's due date (an earlier
    link stops working), and return it."""
    invitation.link_nonce = private_links.new_nonce()
    token = _token(invitation.link_nonce)
    invitation.token_hash = hash_token(token)
    invitation.token_expires_on = invitation.rfq.due_date
    invitation.token_used_at = None
    invitation.declined_at = None
    invitation.decline_reason = ""
    invitation.link_issued_at = utcnow()
    invitation.links_issued = (invitation.links_issued or 0) + 1
    return link_for(token)


def current_link(invitation: RfqInvitation) -> str | None:
    """The invitation's link as it was issued, while it can still be used; None when
    it is used, expired, withdrawn, or cannot be shown again (issued before links were
    derived, or under another secret key): re-issuing it then gives one."""
    if invitation.token_hash is None or invitation.link_nonce is None:
        return None
    if invitation.token_used_at is not None or invitation.rfq.status != RfqStatus.OPEN:
        return None
    if invitation.token_expires_on is None or invitation.token_expires_on < utcnow().date():
        return None
    if invitation.rfq.sealed and invitation.rfq.due_date < utcnow().date():
        return None
    token = _token(invitation.link_nonce)
    if not private_links.matches(token, invitation.token_hash):
        return None
    return link_for(token)


def invitation_for_token(token: str) -> RfqInvitation:
    if not token or len(token) > private_links.TOKEN_MAX:
        raise LinkRefused("This link is not valid.")
    invitation = db.session.scalar(
        sa.select(RfqInvitation).where(RfqInvitation.token_hash == hash_token(token))
    )
    if invitation is None:
        raise LinkRefused(
            "This link is not valid. It may have been replaced by a newer "
            "one, or the request for quotation was withdrawn."
        )
    if invitation.declined_at is not None:
        raise LinkRefused(
            "You declined to quote with this link. To quote after all, ask the buyer "
            "for a new link."
        )
    if invitation.token_used_at is not None:
        raise LinkRefused(
            "A quote was already sent with this link. Contact the buyer to correct it."
        )
    if invitation.rfq.status != RfqStatus.OPEN:
        raise LinkRefused("This request for quotation is closed.")
    if invitation.rfq.sealed and invitation.rfq.due_date < utcnow().date():
        # Sealed bids are all in by the due date, whatever the link's own date says.
        raise LinkRefused(
            f"This link has expired: sealed quotes were due by "
            f"{format_date(invitation.rfq.due_date)}."
        )
    if invitation.token_expires_on is None or invitation.token_expires_on < utcnow().date():
        raise LinkRefused(
            f"This link has expired: quotes were due by {format_date(invitation.rfq.due_date)}."
        )
    return invitation
