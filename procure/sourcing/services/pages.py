"""What the sourcing pages show, gathered in one call per page, with the booleans
that say what the user may do there (no page tests a role itself)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from ... import access
from ...extensions import db
from ...models import PurchaseOrder, PurchaseRequest, Quote, Rfq, RfqStatus, User, utcnow
from .award import order_for, quote_rule
from .comparison import Comparison, compare
from .quotes import quote_history
from .rfqs import allowed_actions, awaiting_sourcing, weights_of

# How many approved requests the RFQ list offers to source.
AWAITING_SHOWN = 20


def awaiting_for(user: User) -> list[PurchaseRequest]:
    """The approved requests waiting to be sourced, for those who source them."""
    if not access.may(user, "source_requests"):
        return []
    return list(db.session.scalars(awaiting_sourcing().limit(AWAITING_SHOWN)))


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


def rfq_page(rfq: Rfq, user: User) -> RfqPage:
    actions = allowed_actions(rfq, user)
    buyer = access.can_change(user, rfq)
    return RfqPage(
        rfq=rfq,
        actions=actions,
        comparison=compare(rfq) if rfq.status != RfqStatus.DRAFT else None,
        history=quote_history(rfq),
        order=order_for(rfq),
        weights=weights_of(rfq),
        threshold_rule=quote_rule(),
        today=utcnow().date(),
        may_record_quotes=buyer and rfq.status == RfqStatus.OPEN,
        may_award=buyer and "award" in actions,
    )
