"""The events other systems may subscribe to, and queueing them in the transaction of
the change (API.md, "Decisions by e-mail, webhooks").

``on_transition`` (a workflow listener) and ``emit`` write one ``WebhookEvent`` — the
document as its ``GET`` answers it, and a summary for chat messages — and one
``WebhookDelivery`` per endpoint that wants it. Nothing is written when no endpoint
wants the event. ``send-notifications`` delivers them (``delivery.py``).

The API's serialisers turn a document into its ``GET`` answer; this package may not
import the API, so the API registers them here (``register``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from babel.numbers import format_currency

from .. import workflow
from ..extensions import db
from ..models import (
    Contract,
    InvoiceStatus,
    PurchaseOrder,
    PurchaseRequest,
    Quote,
    RequestStatus,
    Rfq,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    utcnow,
)
from ..models.invoices import Invoice
from ..money import display_locale
from ..private_links import address
from ..workflow import OrderAction, RequestAction, RfqAction

# Event type → what it means, for the admin's form and the documentation.
TYPES: dict[str, str] = {
    "request.submitted": "A request is submitted for approval",
    "request.approved": "A request is approved (its last step)",
    "request.rejected": "A request is rejected",
    "request.returned": "A request is returned to its requester for changes",
    "rfq.awarded": "An RFQ is awarded to a vendor",
    "order.issued": "A purchase order is issued to its vendor",
    "order.received": "Goods of an order are received, in part or in full",
    "invoice.on_hold": "A vendor invoice is held by matching",
    "invoice.approved": "A vendor invoice is approved for payment",
    "invoice.paid": "A vendor invoice is paid",
    "contract.notice_due": "A contract's notice deadline approaches",
}

# Entity → the document as the API's GET answers it (registered by the API).
Document = Callable[[Any, User | None], dict[str, Any]]
_documents: dict[str, Document] = {}


def register(entity: str, document: Document) -> None:
    _documents[entity] = document


@dataclasses.dataclass(frozen=True)
class Summary:
    """What a chat message says: a title, the amount, who asked, and where to look."""

    title: str
    amount: str
    requester: str
    link: str

    def as_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


def _amount(value: Any, currency: str) -> str:
    """ "1,234.50 USD": the ISO code rather than a symbol, which ``$`` leaves ambiguous."""
    return format_currency(value, currency, format="#,##0.00 ¤¤", locale=display_locale())


def _request_summary(pr: PurchaseRequest, said: str) -> Summary:
    return Summary(
        title=f"{pr.number} {said}: {pr.title}",
        amount=_amount(pr.total, pr.currency),
        requester=pr.requester.name,
        link=address(f"/requests/{pr.id}"),
    )


def summary(entity: str, doc: Any, type_: str) -> Summary:
    if isinstance(doc, PurchaseRequest):
        said = {
            "request.submitted": "was submitted for approval",
            "request.approved": "was approved",
            "request.rejected": "was rejected",
            "request.returned": "was returned for changes",
        }[type_]
        return _request_summary(doc, said)
    if isinstance(doc, Rfq):
        quote = db.session.get(Quote, doc.awarded_quote_id) if doc.awarded_quote_id else None
        return Summary(
            title=f"{doc.number} awarded to {quote.vendor.name}: {doc.request.title}"
            if quote is not None
            else f"{doc.number} awarded: {doc.request.title}",
            amount=_amount(quote.total, quote.currency) if quote is not None else "",
            requester=doc.request.requester.name,
            link=address(f"/rfqs/{doc.id}"),
        )
    if isinstance(doc, PurchaseOrder):
        said = {"order.issued": "issued to", "order.received": "received from"}[type_]
        return Summary(
            title=f"{doc.number} {said} {doc.vendor.name}: {doc.request.title}",
            amount=_amount(doc.total, doc.currency),
            requester=doc.request.requester.name,
            link=address(f"/orders/{doc.id}"),
        )
    if isinstance(doc, Invoice):
        said = {
            "invoice.on_hold": "is on hold",
            "invoice.approved": "is approved for payment",
            "invoice.paid": "is paid",
        }[type_]
        return Summary(
            title=f"{doc.number} from {doc.vendor.name} {said} ({doc.order.number})",
            amount=_amount(doc.total, doc.currency),
            requester=doc.order.request.requester.name,
            link=address(f"/invoices/{doc.id}"),
        )
    if isinstance(doc, Contract):
        return Summary(
            title=f"{doc.number}: notice for {doc.title} ({doc.vendor.name}) is due soon",
            amount=_amount(doc.value, doc.currency),
            requester=doc.owner.name,
            link=address(f"/contracts/{doc.id}"),
        )
    raise ValueError(f"no summary for {entity!r}")


def subscribers(type_: str) -> list[WebhookEndpoint]:
    """The endpoints (not deleted) that want ``type_``."""
    endpoints = db.session.scalars(
        sa.select(WebhookEndpoint)
        .where(WebhookEndpoint.deleted_at.is_(None))
        .order_by(WebhookEndpoint.id)
    )
    return [endpoint for endpoint in endpoints if type_ in (endpoint.events or [])]


def emit(
    type_: str,
    entity: str,
    doc: Any,
    *,
    actor: User | None = None,
    at: dt.datetime | None = None,
) -> WebhookEvent | None:
    """Queue ``type_`` for ``doc`` in the current transaction, for every endpoint that
    wants it; None when none does."""
    if type_ not in TYPES:
        raise ValueError(f"unknown webhook event {type_!r}")
    endpoints = subscribers(type_)
    if not endpoints:
        return None
    at = at or utcnow()
    event = WebhookEvent(
        uid=str(uuid.uuid4()),
        type=type_,
        occurred_at=at,
        entity=entity,
        entity_id=doc.id,
        data=_documents[entity](doc, actor) if entity in _documents else {"id": doc.id},
        summary=summary(entity, doc, type_).as_dict(),
    )
    db.session.add(event)
    for endpoint in endpoints:
        db.session.add(WebhookDelivery(endpoint_id=endpoint.id, event=event, next_attempt_at=at))
    db.session.flush()
    return event


def _type_of(machine: workflow.Machine, action: Any, old: Any, new: Any) -> str | None:
    """The event a transition is, if any."""
    if machine is workflow.REQUEST and old == RequestStatus.PENDING_APPROVAL:
        if action == RequestAction.APPROVE and new == RequestStatus.APPROVED:
            return "request.approved"
        return {
            RequestAction.REJECT: "request.rejected",
            RequestAction.RETURN: "request.returned",
        }.get(action)
    if machine is workflow.REQUEST and action == RequestAction.SUBMIT:
        return "request.submitted"
    if machine is workflow.RFQ and action == RfqAction.AWARD:
        return "rfq.awarded"
    if machine is workflow.ORDER:
        return {OrderAction.ISSUE: "order.issued", OrderAction.RECEIVE: "order.received"}.get(
            action
        )
    if machine is workflow.INVOICE and new != old:
        return {
            InvoiceStatus.ON_HOLD: "invoice.on_hold",
            InvoiceStatus.APPROVED: "invoice.approved",
            InvoiceStatus.PAID: "invoice.paid",
        }.get(new)
    return None


def on_transition(
    machine: workflow.Machine,
    doc: Any,
    action: Any,
    old: Any,
    new: Any,
    actor: User | None,
    **_context: Any,
) -> None:
    """The ``workflow.on_transition`` listener: queue the event a transition is."""
    type_ = _type_of(machine, action, old, new)
    if type_ is not None:
        emit(type_, machine.entity, doc, actor=actor)
