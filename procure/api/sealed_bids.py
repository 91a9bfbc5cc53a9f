"""Sealed bids through the API (API.md, "Agreements, catalogue, request types, sealed
bids"): opening an RFQ's bids, and whether two procurement users must open them."""

from __future__ import annotations

from pydantic import Field

from ..sourcing import services
from . import bp
from .rfqs import RfqOut, rfq_out
from .schemas import Input, Output
from .spec import current_user, operation


@operation(
    bp,
    "POST",
    "/rfqs/<int:rfq_id>/open-bids",
    response=RfqOut,
    summary="Open a sealed RFQ's bids (procurement), from the day after the due date",
    tag="Sourcing",
    errors=(403, 409),
)
def open_bids(rfq_id: int):
    """Before the day after `due_date`, or opened already: 409 `invalid_transition`. With
    the setting `sourcing.two_to_open`, the first call records `opening_requested_at` and
    a second, different procurement user's call opens them (the same user again: 409)."""
    rfq = services.get(rfq_id, current_user())
    services.open_bids(rfq, actor=current_user())
    return rfq_out(rfq)


class SourcingSettingsIn(Input):
    two_to_open: bool = Field(
        description="A sealed RFQ's bids open when a second procurement user confirms "
        "the first one's request."
    )


class SourcingSettingsOut(Output):
    two_to_open: bool


@operation(
    bp,
    "GET",
    "/settings/sourcing",
    response=SourcingSettingsOut,
    summary="The sealed-bid settings",
    tag="Settings",
)
def get_sourcing_settings():
    """Whether opening sealed bids takes two procurement users."""
    return SourcingSettingsOut(two_to_open=services.two_to_open())


@operation(
    bp,
    "PUT",
    "/settings/sourcing",
    body=SourcingSettingsIn,
    response=SourcingSettingsOut,
    summary="Set the sealed-bid settings (admin)",
    tag="Settings",
    errors=(403,),
)
def put_sourcing_settings(body: SourcingSettingsIn):
    """A request to open already recorded waits for a second user only while it is set."""
    services.set_two_to_open(body.two_to_open, actor=current_user())
    return SourcingSettingsOut(two_to_open=services.two_to_open())
