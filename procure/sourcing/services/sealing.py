"""Sealed bids: an RFQ whose quotes show no amount until a procurement user opens the
bids, from the day after the due date. With the setting ``sourcing.two_to_open`` the
first user asks for the opening and a second, different one opens them."""

from __future__ import annotations

from ... import access, audit, settings
from ...errors import InvalidTransition, Sealed
from ...models import Rfq, RfqStatus, Role, User, utcnow
from .rfqs import require_buyer

TWO_TO_OPEN_SETTING = "sourcing.two_to_open"
SEALED_MESSAGE = "The bids are sealed: open them after the due date to see the quoted amounts."


def is_sealed(rfq: Rfq) -> bool:
    """Whether the RFQ's quoted amounts are still hidden."""
    return bool(rfq.sealed) and rfq.bids_opened_at is None


def require_unsealed(rfq: Rfq) -> None:
    if is_sealed(rfq):
        raise Sealed(SEALED_MESSAGE)


def two_to_open() -> bool:
    return bool(settings.get(TWO_TO_OPEN_SETTING))


def set_two_to_open(value: bool, *, actor: User) -> None:
    access.require_role(actor, Role.ADMIN, action="change the sourcing settings")
    settings.put(TWO_TO_OPEN_SETTING, bool(value), actor=actor)


def late(rfq: Rfq) -> bool:
    """A sealed RFQ takes no quote after its due date."""
    return bool(rfq.sealed) and utcnow().date() > rfq.due_date


def may_open_bids(rfq: Rfq, user: User) -> bool:
    """Whether the page offers the user the button that opens (or asks to open) the bids."""
    return (
        is_sealed(rfq)
        and access.can_change(user, rfq)
        and rfq.status in (RfqStatus.OPEN, RfqStatus.CANCELLED)
        and utcnow().date() > rfq.due_date
        and rfq.opening_requested_by_id != user.id
    )


def open_bids(rfq: Rfq, *, actor: User) -> bool:
    """Open the sealed bids (procurement, from the day after the due date). With two to
    open, the first call asks and a second procurement user's call opens; returns
    whether the bids are open now."""
    require_buyer(actor)
    if not rfq.sealed:
        raise InvalidTransition(f"{rfq.number} is not sealed; its quotes are shown as they come.")
    if rfq.bids_opened_at is not None:
        raise InvalidTransition(f"The bids of {rfq.number} are open already.")
    if rfq.status == RfqStatus.DRAFT:
        raise InvalidTransition(f"{rfq.number} is a draft; no vendor has quoted yet.")
    now = utcnow()
    if now.date() <= rfq.due_date:
        raise InvalidTransition(
            f"The bids of {rfq.number} open from the day after the due date, "
            f"{rfq.due_date.isoformat()}."
        )
    if two_to_open():
        if rfq.opening_requested_by_id is None:
            rfq.opening_requested_at = now
            rfq.opening_requested_by_id = actor.id
            audit.record(
                "rfq", rfq.id, "request_open_bids", actor=actor, changes={"at": now.isoformat()}
            )
            return False
        if rfq.opening_requested_by_id == actor.id:
            raise InvalidTransition(
                "You asked to open these bids; a second procurement user must open them."
            )
    rfq.bids_opened_at = now
    rfq.bids_opened_by_id = actor.id
    audit.record(
        "rfq",
        rfq.id,
        "open_bids",
        actor=actor,
        changes={
            "by": actor.name,
            "at": now.isoformat(),
            "requested_by_id": rfq.opening_requested_by_id,
        },
    )
    return True
