"""Webhooks through the API (API.md, "Decisions by e-mail, webhooks"): admin's endpoints
and their delivery log, and the documents the events carry.

An event's ``data`` is the document as its ``GET`` answers it; this module hands those
answers to ``webhooks.events`` (which may not import the API), read as a neutral
reader: an event goes to other systems, not to a person, so ``allowed_actions`` is
empty and nothing only some people see (an RFQ's private vendor links) goes out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

import sqlalchemy as sa
from flask import g
from pydantic import Field
from sqlalchemy.orm import Session

from ..models import (
    Contract,
    Invoice,
    PurchaseOrder,
    PurchaseRequest,
    Rfq,
    User,
    WebhookAttempt,
    WebhookEndpoint,
    WebhookEvent,
)
from ..webhooks import endpoints, events, pages
from . import bp
from .contract_schemas import contract_out
from .invoice_schemas import invoice_out
from .order_schemas import order_out
from .requests import PersonOut, person, request_out
from .rfqs import rfq_out
from .schemas import Input, Output, Page, PageQuery, Timestamp
from .spec import current_user, operation, paginate

TAG = "Webhooks"
Kind = Literal["json", "slack", "teams", "mattermost"]


class WebhookIn(Input):
    url: Any = Field(
        description="Where to POST each event: http or https, at most 2,000 characters, and "
        "not resolving to a private, loopback or link-local address (unless the operator "
        "set `PROCURE_WEBHOOK_ALLOW_PRIVATE=1`)."
    )
    secret: Any = Field(
        "",
        description="Signs each delivery (`X-Procure-Signature`); 16 to 200 characters, "
        "required for a `json` endpoint. Never answered back.",
    )
    events: Any = Field(
        description='The event types wanted, e.g. `["request.approved", "order.issued"]`.'
    )
    kind: Any = Field(
        "json",
        description="`json` (signed JSON), or a chat product's incoming webhook: `slack`, "
        "`teams`, `mattermost`.",
    )
    description: Any = Field("", description="What the endpoint is for; up to 200 characters.")


class LastDeliveryOut(Output):
    status: Literal["delivered", "failed"]
    response_code: int | None
    at: Timestamp


class WebhookOut(Output):
    id: int
    url: str
    kind: Kind
    events: list[str]
    description: str
    created_at: Timestamp
    created_by: PersonOut | None
    last_delivery: LastDeliveryOut | None = Field(
        description="The latest attempt to deliver to it, or null before the first."
    )


class CreatedOut(Output):
    id: int


class DeliveryOut(Output):
    id: str = Field(description="The attempt's id, sent as `X-Procure-Delivery`.")
    event_id: str = Field(description="The event's `id`, the same on every attempt.")
    type: str
    status: Literal["delivered", "failed"]
    response_code: int | None = Field(description="The receiver's HTTP status, or null.")
    at: Timestamp


def _last(attempt: WebhookAttempt | None) -> LastDeliveryOut | None:
    if attempt is None:
        return None
    return LastDeliveryOut(
        status=attempt.status.value, response_code=attempt.response_code, at=attempt.at
    )


def webhook_out(endpoint: WebhookEndpoint, summary: WebhookAttempt | None = None) -> WebhookOut:
    return WebhookOut(
        id=endpoint.id,
        url=endpoint.url,
        kind=endpoint.kind,  # type: ignore[arg-type]
        events=list(endpoint.events or []),
        description=endpoint.description,
        created_at=endpoint.created_at,
        created_by=person(endpoint.created_by),
        last_delivery=_last(summary),
    )


def delivery_out(attempt: WebhookAttempt) -> DeliveryOut:
    return DeliveryOut(
        id=attempt.uid,
        event_id=attempt.event.uid,
        type=attempt.event.type,
        status=attempt.status.value,  # type: ignore[arg-type]
        response_code=attempt.response_code,
        at=attempt.at,
    )


@operation(
    bp,
    "GET",
    "/webhooks",
    query=PageQuery,
    response=Page[WebhookOut],
    summary="List webhook endpoints (admin)",
    tag=TAG,
    errors=(403,),
)
def list_webhooks(query: PageQuery):
    """Every endpoint not deleted, oldest first, with the event types it wants and its
    latest delivery attempt. The secret is never answered."""
    return paginate(
        endpoints.list_query(current_user()), query, webhook_out, batch=pages.last_attempts
    )


@operation(
    bp,
    "POST",
    "/webhooks",
    body=WebhookIn,
    response=CreatedOut,
    status=201,
    summary="Register a webhook endpoint (admin)",
    tag=TAG,
    errors=(403,),
)
def create_webhook(body: WebhookIn):
    """Each event of the types chosen is then POSTed to `url`, signed with `secret` (see
    docs/webhooks.md). A URL that is not http(s), too long or resolves to a private
    address, a missing or short secret, an unknown `kind`: 422 by field (`url`,
    `secret`, `kind`, `description`); an unknown event type: 422 on `events.N`."""
    endpoint = endpoints.create(
        url=body.url,
        secret=body.secret,
        events=body.events,
        kind=body.kind,
        description=body.description,
        actor=current_user(),
    )
    return CreatedOut(id=endpoint.id)


@operation(
    bp,
    "DELETE",
    "/webhooks/<int:webhook_id>",
    summary="Delete a webhook endpoint (admin)",
    tag=TAG,
    status=204,
    errors=(403,),
)
def delete_webhook(webhook_id: int):
    """Nothing more is queued or sent to it; its delivery log stays in the audit trail."""
    endpoints.delete(endpoints.get(webhook_id, current_user()), actor=current_user())


@operation(
    bp,
    "GET",
    "/webhooks/<int:webhook_id>/deliveries",
    query=PageQuery,
    response=Page[DeliveryOut],
    summary="Read an endpoint's delivery log (admin)",
    tag=TAG,
    errors=(403,),
)
def list_deliveries(webhook_id: int, query: PageQuery):
    """Every attempt to deliver an event to the endpoint, latest first: `delivered`
    (a 2xx answer) or `failed` (another answer, or none)."""
    endpoint = endpoints.get(webhook_id, current_user())
    return paginate(endpoints.attempts_query(endpoint), query, delivery_out)


# What events carry -----------------------------------------------------------------


@contextmanager
def _as_neutral_reader() -> Iterator[None]:
    """Answer as to a reader with no role and no document of its own: ``spec.current_user``
    reads ``g.api_user``, set for the call and put back after it. ``g`` belongs to the app
    context, so this works in a page, an API request and a CLI command alike."""
    missing = object()
    before = g.get("api_user", missing)
    g.api_user = User(id=0, name="", email="", active=False, role_rows=[])
    try:
        yield
    finally:
        if before is missing:
            g.pop("api_user", None)
        else:
            g.api_user = before


def _answer(out: Callable[[Any], Any], doc: Any) -> dict[str, Any]:
    with _as_neutral_reader():
        return out(doc).model_dump(mode="json")


# Entity → the document's model and its GET answer.
ANSWERS: dict[str, tuple[type, Callable[[Any], Any]]] = {
    "request": (PurchaseRequest, request_out),
    "rfq": (Rfq, rfq_out),
    "order": (PurchaseOrder, order_out),
    "invoice": (Invoice, invoice_out),
    "contract": (Contract, contract_out),
}
_QUEUED = "procure.webhook_events_queued"


def _document(out: Callable[[Any], Any]) -> events.Document:
    def document(doc: Any, _actor: User | None) -> dict[str, Any]:
        return _answer(out, doc)

    return document


for _entity, (_model, _out) in ANSWERS.items():
    events.register(_entity, _document(_out))


# An event is queued in the middle of a change (a workflow listener): awarding an RFQ
# makes its order after the transition, issuing an order keeps its PDF after it. What a
# receiver gets is the document as the transaction leaves it, as a GET would answer it
# after the commit: each event queued in a transaction is answered again just before it
# commits, from the rows (a step's ``decided_by`` read from its ``decided_by_id``).


@sa.event.listens_for(Session, "before_flush")
def _note_queued(session: Session, _context: Any, _instances: Any) -> None:
    queued = [obj for obj in session.new if isinstance(obj, WebhookEvent)]
    if queued:
        session.info.setdefault(_QUEUED, []).extend(queued)


@sa.event.listens_for(Session, "before_commit")
def _answer_queued(session: Session) -> None:
    queued = session.info.pop(_QUEUED, [])
    if not queued:
        return
    session.flush()
    session.expire_all()
    for event in queued:
        model, out = ANSWERS.get(event.entity, (None, None))
        doc = session.get(model, event.entity_id) if model is not None else None
        if doc is not None and out is not None:
            event.data = _answer(out, doc)


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_queued(session: Session, _previous: Any) -> None:
    # What was rolled back was never queued; a savepoint's rollback forgets the rest too,
    # whose data then stays as it was answered when queued.
    session.info.pop(_QUEUED, None)
