"""What the sourcing pages show, gathered in one call per page, with the booleans
that say what the user may do there (no page tests a role itself)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app

from ... import access, audit, history, organisation
from ...extensions import db
from ...models import (
    AuditEvent,
    PurchaseOrder,
    PurchaseRequest,
    Quote,
    Rfq,
    RfqInvitation,
    RfqStatus,
    User,
    utcnow,
)
from .award import order_for, quote_rule
from .comparison import Comparison, compare
from .conversion import award_note
from .invitations import InvitationState, invitation_states
from .quotes import current_quotes, quote_history
from .rfqs import allowed_actions, awaiting_sourcing, require_buyer, weights_of
from .sealing import is_sealed, may_open_bids, two_to_open

# How many approved requests the RFQ list offers to source.
AWAITING_SHOWN = 20


def awaiting_for(user: User) -> list[PurchaseRequest]:
    """The approved requests waiting to be sourced, for those who source them."""
    if not access.may(user, "source_requests"):
        return []
    return list(db.session.scalars(awaiting_sourcing().limit(AWAITING_SHOWN)))


def may_source(user: User) -> bool:
    """Whether the user invites vendors to quote: the RFQ list offers "New RFQ"."""
    return access.may(user, "source_requests")


def requests_to_source(user: User) -> sa.Select[Any]:
    """What ``/rfqs/new`` offers to pick from: the approved requests not yet being
    sourced (procurement's; refused to others), longest approved first."""
    require_buyer(user)
    return access.scoped(PurchaseRequest, user, awaiting_sourcing())


@dataclasses.dataclass
class RfqPage:
    rfq: Rfq
    actions: list[str]
    # None while the RFQ is a draft: no vendor has been asked yet.
    comparison: Comparison | None
    history: list[Quote]
    order: PurchaseOrder | None
    weights: dict[str, Decimal]
    threshold_rule: tuple[Decimal, int]
    today: dt.date
    # Procurement enters quotes (while the RFQ is open) and awards; others read.
    may_record_quotes: bool
    may_award: bool
    # Where each invited vendor stands; procurement also sees their links.
    invitations: list[InvitationState]
    timeline: list[dict[str, Any]]
    # The rate the award froze, when the awarded quote is in another currency.
    award_note: str | None = None
    # Sealed bids not opened yet: no comparison, no amount; who may open them.
    sealed: bool = False
    may_open_bids: bool = False
    two_to_open: bool = False
    quoted: list[Quote] = dataclasses.field(default_factory=list)


def rfq_page(rfq: Rfq, user: User) -> RfqPage:
    actions = allowed_actions(rfq, user)
    buyer = access.can_change(user, rfq)
    order = order_for(rfq)
    sealed = is_sealed(rfq)
    return RfqPage(
        rfq=rfq,
        actions=actions,
        comparison=compare(rfq) if rfq.status != RfqStatus.DRAFT and not sealed else None,
        history=[] if sealed else quote_history(rfq),
        order=order,
        weights=weights_of(rfq),
        threshold_rule=quote_rule(),
        today=utcnow().date(),
        may_record_quotes=buyer and rfq.status == RfqStatus.OPEN,
        may_award=buyer and "award" in actions,
        invitations=invitation_states([rfq], user)[rfq.id],
        timeline=timeline(rfq),
        award_note=award_note(rfq, order.currency) if order else None,
        sealed=sealed,
        may_open_bids=may_open_bids(rfq, user),
        two_to_open=two_to_open(),
        quoted=current_quotes(rfq) if sealed else [],
    )


def timeline(rfq: Rfq) -> list[dict[str, Any]]:
    """The RFQ's history, in the words every document's history uses."""
    events = db.session.scalars(audit.events_for("rfq", rfq.id)).all()
    return history.entries("rfq", events, detail=_detail)


def _detail(event: AuditEvent, changes: dict[str, Any]) -> tuple[str, str | None]:
    """Which vendor an event was about; a vendor acting through their link did it."""
    vendor = changes.get("vendor")
    if not vendor or event.action not in ("quote", "reissue_link", "decline"):
        return "", None
    revision = changes.get("revision") or 1
    suffix = f": {vendor}" + (f", revision {revision}" if revision > 1 else "")
    through_link = event.actor_id is None and event.action in ("quote", "decline")
    return suffix, f"{vendor}, through its link" if through_link else None


# The vendor's page, through their private link -----------------------------------------


@dataclasses.dataclass(frozen=True)
class VendorQuotePage:
    invitation: RfqInvitation
    rfq: Rfq
    # Who is buying, and where and when the goods are wanted.
    buyer: organisation.Organisation
    delivery_address: str
    needed_by: dt.date | None


def vendor_quote_page(invitation: RfqInvitation) -> VendorQuotePage:
    buyer = organisation.current()
    return VendorQuotePage(
        invitation=invitation,
        rfq=invitation.rfq,
        buyer=buyer,
        delivery_address=current_app.config["PROCURE_DELIVERY_ADDRESS"] or buyer.address,
        needed_by=invitation.rfq.request.needed_by,
    )
