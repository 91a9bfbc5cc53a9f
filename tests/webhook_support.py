"""What the webhook tests share: requests driven to the events (the HTTP receiver on
loopback is ``webhook_receiver.py``)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from procure.models import (
    AttemptStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    utcnow,
)
from procure.purchasing import services as purchasing


def filed_request(make, title: str = "Docking stations", *, submit: bool = True):
    """A request of the IT department (one step: department), its requester and approver."""
    requester = make.user(["requester"], department="IT", name="Rita Requester")
    approver = make.user(["approver"], department="IT", name="Alan Approver")
    pr = purchasing.create_request(
        purchasing.RequestData(
            title=title,
            lines=[
                purchasing.LineData(
                    description="Dock", quantity=Decimal(2), unit_price=Decimal("450.00")
                )
            ],
        ),
        actor=requester,
    )
    if submit:
        purchasing.submit(pr, actor=requester)
    return pr, requester, approver


def approved_request(make, title: str = "Docking stations"):
    """A request of the IT department approved at its last step."""
    pr, _requester, approver = filed_request(make, title)
    while pr.pending_step is not None:
        purchasing.approve(pr, actor=approver)
    return pr


def logged_attempts(
    db,
    endpoint_id: int,
    answers: list[tuple[AttemptStatus, int | None, str]],
    *,
    event_type: str = "request.approved",
    at: dt.datetime | None = None,
) -> WebhookEvent:
    """One event's attempts on an endpoint's log, a minute apart from ``at``, each
    ``(status, response code, error)``: for pages and lists that only read the log (the
    delivery's own tests make attempts for real). Flushed, not committed."""
    event = WebhookEvent(
        uid=str(uuid.uuid4()),
        type=event_type,
        entity="request",
        entity_id=1,
        data={},
        summary={},
    )
    item = WebhookDelivery(endpoint_id=endpoint_id, event=event, attempts=len(answers))
    db.session.add(item)
    db.session.flush()
    start = at or utcnow()
    for number, (status, code, error) in enumerate(answers):
        db.session.add(
            WebhookAttempt(
                uid=str(uuid.uuid4()),
                delivery_id=item.id,
                endpoint_id=endpoint_id,
                event_id=event.id,
                status=status,
                response_code=code,
                error=error,
                at=start + dt.timedelta(minutes=number),
            )
        )
    db.session.flush()
    return event
