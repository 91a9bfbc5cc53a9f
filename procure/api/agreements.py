"""Framework agreements and their call-offs through the API (API.md, "Agreements,
catalogue, request types, sealed bids"). What is read and answered is in
``agreement_schemas.py``."""

from __future__ import annotations

from .. import access
from ..agreements import calloff, services
from ..errors import NotFound, ValidationError
from ..models import Agreement, PurchaseRequest
from . import bp
from .agreement_schemas import (
    AgreementIn,
    AgreementOut,
    AgreementQuery,
    CallOffIn,
    agreement_data,
    agreement_out,
)
from .order_schemas import OrderOut, order_out
from .schemas import ActionBody, Page
from .spec import current_user, operation, paginate

TAG = "Agreements"


@operation(
    bp,
    "POST",
    "/agreements",
    body=AgreementIn,
    response=AgreementOut,
    status=201,
    summary="Write a framework agreement as a draft (procurement)",
    tag=TAG,
    errors=(403,),
)
def create_agreement(body: AgreementIn):
    """The vendor must be approved; at least one item; each item's `unit_price` in the
    agreement's currency, `max_quantity` greater than zero or null (rate only); the
    `ceiling` greater than zero or null. Problems are a 422 by field (`items.N.unit_price`)."""
    return agreement_out(services.create(agreement_data(body), current_user()))


@operation(
    bp,
    "GET",
    "/agreements",
    query=AgreementQuery,
    response=Page[AgreementOut],
    summary="List framework agreements (procurement, finance, admin)",
    tag=TAG,
    errors=(403,),
)
def list_agreements(query: AgreementQuery):
    """Newest first; filters `status` and `vendor_id`."""
    select = services.listing(current_user())
    if query.status is not None:
        select = select.where(Agreement.status == query.status)
    if query.vendor_id is not None:
        select = select.where(Agreement.vendor_id == query.vendor_id)
    return paginate(select, query, agreement_out)


@operation(
    bp,
    "GET",
    "/agreements/<int:agreement_id>",
    response=AgreementOut,
    summary="Read a framework agreement with what is called off and what remains",
    tag=TAG,
)
def get_agreement(agreement_id: int):
    """Each item's `ordered` and `remaining` (null for a rate-only item) and the
    agreement's `consumed`. An agreement the caller may not see is a 404."""
    return agreement_out(services.get(agreement_id, current_user()))


@operation(
    bp,
    "POST",
    "/agreements/<int:agreement_id>/activate",
    body=ActionBody,
    response=AgreementOut,
    summary="Activate a draft agreement: its items join the catalogue",
    tag=TAG,
    errors=(403, 409),
)
def activate_agreement(agreement_id: int, body: ActionBody):
    """An agreement whose end date has passed cannot be activated (409)."""
    agreement = services.get(agreement_id, current_user())
    services.activate(agreement, current_user(), expected_version=body.version)
    return agreement_out(agreement)


@operation(
    bp,
    "POST",
    "/agreements/<int:agreement_id>/close",
    body=ActionBody,
    response=AgreementOut,
    summary="Close a draft or active agreement: it takes no more call-offs",
    tag=TAG,
    errors=(403, 409),
)
def close_agreement(agreement_id: int, body: ActionBody):
    """Call-off orders already made stay as they are."""
    agreement = services.get(agreement_id, current_user())
    services.close(agreement, current_user(), comment=body.comment, expected_version=body.version)
    return agreement_out(agreement)


@operation(
    bp,
    "POST",
    "/agreements/<int:agreement_id>/call-off",
    body=CallOffIn,
    response=OrderOut,
    status=201,
    summary="Call off an approved catalogue request: a draft order at the agreed prices",
    tag=TAG,
    errors=(403, 409),
)
def call_off(agreement_id: int, body: CallOffIn):
    """The request must be approved and every line a catalogue item of this agreement.
    Beyond what remains of an item or under the ceiling, on a draft, expired or closed
    agreement, or for a request that already has a call-off order not cancelled: 409
    `invalid_transition`, naming the remainder where that is the reason."""
    user = current_user()
    agreement = services.get(agreement_id, user)
    try:
        pr = access.load(PurchaseRequest, body.request_id, user)
    except NotFound:
        raise ValidationError.field("request_id", "There is no such request.") from None
    return order_out(calloff.call_off(agreement, pr, user))
