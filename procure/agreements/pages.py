"""What the agreement and catalogue pages show, gathered in one call each so that a
view only parses, calls and renders."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from .. import access
from ..extensions import db
from ..models import (
    Agreement,
    AgreementItem,
    AgreementStatus,
    OrderStatus,
    PurchaseOrder,
    PurchaseRequest,
    RequestStatus,
    Rfq,
    User,
    Vendor,
)
from . import catalogue as catalogue_rules

CATALOGUE_LIMIT = catalogue_rules.LIMIT


def may_read(user: User) -> bool:
    """Whether the user reads agreements (the rules ignore which one)."""
    return access.rules_for(Agreement).can_see(user, None)


def may_manage(user: User) -> bool:
    return access.may(user, "manage_agreements")


def list_query(user: User, status: str | None = None) -> sa.Select:
    query = sa.select(Agreement).order_by(Agreement.id.desc())
    if status:
        query = query.where(Agreement.status == AgreementStatus(status))
    return access.scoped(Agreement, user, query)


@dataclasses.dataclass(frozen=True)
class AgreementPage:
    agreement: Agreement
    orders: list[PurchaseOrder]  # its call-off orders, newest first
    can_manage: bool
    actions: list[str]  # the life-cycle actions the user may take now
    share: int | None  # consumed as a whole percentage of the ceiling


def agreement_page(agreement: Agreement, user: User) -> AgreementPage:
    orders = list(
        db.session.scalars(
            sa.select(PurchaseOrder)
            .where(PurchaseOrder.agreement_id == agreement.id)
            .order_by(PurchaseOrder.id.desc())
        )
    )
    can_manage = access.can_change(user, agreement)
    actions = []
    if can_manage and agreement.status is AgreementStatus.DRAFT:
        actions.append("activate")
    if can_manage and agreement.status in (AgreementStatus.ACTIVE, AgreementStatus.EXPIRED):
        actions.append("close")
    share = None
    if agreement.ceiling:
        share = int(min(Decimal(100), agreement.consumed * 100 / agreement.ceiling))
    return AgreementPage(agreement, orders, can_manage, actions, share)


def is_cancelled(order: PurchaseOrder) -> bool:
    return order.status is OrderStatus.CANCELLED


def categories() -> list[str]:
    """The categories of the items of active agreements, for the catalogue's filter."""
    return list(
        db.session.scalars(
            sa.select(AgreementItem.category)
            .join(Agreement)
            .where(Agreement.status == AgreementStatus.ACTIVE)
            .distinct()
            .order_by(AgreementItem.category)
        )
    )


def catalogue(text: str = "", category: str = "") -> list[AgreementItem]:
    """The items of active agreements within their dates matching every word of
    ``text`` (in the description or the vendor's name) and ``category``."""
    query = catalogue_rules.query(text, category).options(contains_eager(AgreementItem.agreement))
    rows = db.session.execute(query.limit(CATALOGUE_LIMIT))
    return [item for item, _agreement in rows]


def drafts(user: User, limit: int = 20) -> list[PurchaseRequest]:
    """The user's own draft requests, newest first: where a catalogue item may be added."""
    return list(
        db.session.scalars(
            sa.select(PurchaseRequest)
            .where(
                PurchaseRequest.requester_id == user.id,
                PurchaseRequest.status == RequestStatus.DRAFT,
            )
            .order_by(PurchaseRequest.id.desc())
            .limit(limit)
        )
    )


def vendors() -> list[Vendor]:
    """Every vendor by name: the form's choices (the service refuses one not approved)."""
    return list(db.session.scalars(sa.select(Vendor).order_by(Vendor.name)))


def rfq_id(number: str) -> int | None:
    """The id of the RFQ numbered ``number`` (any case); None when there is none."""
    number = number.strip().upper()[:20]
    return db.session.scalar(sa.select(Rfq.id).where(Rfq.number == number)) if number else None


def request_by_number(number: str, user: User) -> PurchaseRequest | None:
    """The request numbered ``number`` (any case) that ``user`` may see."""
    number = number.strip().upper()[:20]
    pr = db.session.scalar(sa.select(PurchaseRequest).where(PurchaseRequest.number == number))
    return pr if pr is not None and access.can_see(user, pr) else None


def request_by_id(raw: str, user: User) -> PurchaseRequest | None:
    """The request whose id ``raw`` is, if ``user`` may see it."""
    raw = raw.strip()
    pr = db.session.get(PurchaseRequest, int(raw)) if raw.isdigit() and len(raw) < 10 else None
    return pr if pr is not None and access.can_see(user, pr) else None
