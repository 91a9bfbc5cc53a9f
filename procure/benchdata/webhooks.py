"""Webhook endpoints and their delivery log, as ``send-notifications`` and ``prune``
would have left them after years of use.

A few endpoints, registered by admin over the history and audited as
``webhooks.endpoints.create`` audits them: signed JSON ones (an integration with a few
events, a data warehouse with all of them), a Slack, a Teams and a Mattermost preset,
and one JSON endpoint deleted (disabled) some weeks before now, audited as ``delete``
audits it.

Every audit event of the history that is a transition the services announce
(``webhooks.events._type_of``: a request submitted, approved, rejected or returned, an
RFQ awarded, an order issued or received, an invoice held, approved or paid) becomes
an event with one delivery per endpoint that wanted its type then (registered before
it, not deleted yet), each with its attempts as the sender makes them: most
delivered at the first attempt, some after failed ones one minute apart doubling
(``outbox.retry_delay``), a few failed after ``delivery.MAX_ATTEMPTS``; those still due
at the end are pending, and those of the deleted endpoint left unfinished were given
up on ("the endpoint was deleted"). Only the retention window of the log is written
(``PROCURE_RETENTION_DAYS``, 90 days by default): ``prune`` deletes older attempts,
then the finished deliveries and the events left without any, so a five-year history
keeps its last months, and ``prune`` run on the seeded database deletes nothing.

An event's ``data`` is the document reduced to its id and status, and its chat summary
names the document by its page (the API's full ``GET`` answer of every document would
cost the generator a serialiser per event). Not generated: ``contract.notice_due``,
sent by the contract reminders rather than by a transition.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import json
import operator
import random
import uuid

from ..models import (
    AttemptStatus,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from ..outbox import retry_delay
from ..webhooks.delivery import MAX_ATTEMPTS
from ..webhooks.endpoints import seal
from ..webhooks.events import TYPES
from .chain import AuditStream
from .clock import Clock
from .organisation import Ids, Person
from .rows import Spec, spec

ENDPOINTS = spec(
    WebhookEndpoint,
    "id url kind events description secret_sealed created_by_id created_at deleted_at",
)
EVENTS = spec(WebhookEvent, "id uid type occurred_at entity entity_id data summary")
DELIVERIES = spec(
    WebhookDelivery,
    "id endpoint_id event_id status attempts next_attempt_at claimed_at delivered_at last_error",
)
ATTEMPTS = spec(
    WebhookAttempt,
    "id uid delivery_id endpoint_id event_id at status response_code error duration_ms",
)
TABLES = (ENDPOINTS[0], EVENTS[0], DELIVERIES[0], ATTEMPTS[0])

REQUEST_EVENTS = ["request.submitted", "request.approved", "request.rejected", "request.returned"]
INVOICE_EVENTS = ["invoice.on_hold", "invoice.approved", "invoice.paid"]
# (description, kind, url, events, signed, registered at this share of the history,
#  deleted this many days before now or None, share of deliveries that fail for good)
PLAN: list[tuple[str, str, str, list[str], bool, float, int | None, float]] = [
    (
        "ERP integration", "json", "https://erp.example.org/procure/webhooks",
        ["order.issued", "order.received", "invoice.approved", "invoice.paid"], True, 0.02,
        None, 0.01,
    ),
    (
        "#purchasing", "slack", "https://hooks.slack.com/services/T0BENCH00/B0BENCH00/benchbenchbench",
        REQUEST_EVENTS, False, 0.05, None, 0.01,
    ),
    (
        "Finance channel", "teams",
        "https://example.webhook.office.com/webhookb2/bench/IncomingWebhook/bench",
        INVOICE_EVENTS, False, 0.3, None, 0.01,
    ),
    (
        "Buyers", "mattermost", "https://chat.example.org/hooks/benchbuyers",
        ["rfq.awarded", "order.issued"], False, 0.5, None, 0.02,
    ),
    (
        "Data warehouse", "json", "https://dwh.example.org/ingest/procure",
        [t for t in TYPES if t != "contract.notice_due"], True, 0.7, None, 0.005,
    ),
    (
        "Old ERP connector", "json", "https://legacy-erp.example.org/hooks",
        ["order.issued", "invoice.paid"], True, 0.01, 40, 0.15,
    ),
]  # fmt: skip
FIRST_ATTEMPT_OK = 0.93  # of the deliveries that do not fail for good
PAGES = {"request": "requests", "rfq": "rfqs", "order": "orders", "invoice": "invoices"}
SAID = {
    "request.submitted": "was submitted for approval",
    "request.approved": "was approved",
    "request.rejected": "was rejected",
    "request.returned": "was returned for changes",
    "rfq.awarded": "was awarded",
    "order.issued": "was issued",
    "order.received": "was received",
    "invoice.on_hold": "is on hold",
    "invoice.approved": "is approved for payment",
    "invoice.paid": "is paid",
}
ERRORS = [
    (503, "answered 503: Service Unavailable"),
    (500, "answered 500: Internal Server Error"),
    (502, "answered 502: Bad Gateway"),
    (None, "no answer within 10 s"),
    (None, "could not connect: Connection refused"),
]
DELETED = "the endpoint was deleted"


@dataclasses.dataclass
class Endpoint:
    id: int
    description: str
    kind: str
    url: str
    events: list[str]
    signed: bool
    created_at: dt.datetime
    deleted_at: dt.datetime | None
    fails: float


def webhook_type(entity: str, action: str, changes: str) -> str | None:
    """The webhook event an audit event of a transition is (``events._type_of``)."""
    if entity == "request":
        if action == "submit":
            return "request.submitted"
        if action in ("reject", "return"):
            return f"request.{action}ed"
        if action == "approve" and json.loads(changes)["status"][1] == "approved":
            return "request.approved"
        return None
    if entity == "rfq":
        return "rfq.awarded" if action == "award" else None
    if entity == "order":
        return {"issue": "order.issued", "receive": "order.received"}.get(action)
    if entity == "invoice" and action != "create":
        old, new = json.loads(changes)["status"]
        if new != old:
            return {
                "on_hold": "invoice.on_hold",
                "approved": "invoice.approved",
                "paid": "invoice.paid",
            }.get(new)
    return None


class Planner:
    """The endpoints (at setup) and, batch by batch, the log of the events released."""

    def __init__(
        self,
        seed: int,
        clock: Clock,
        ids: Ids,
        stream: AuditStream,
        admin: Person,
        now: dt.datetime,
        retention_days: int,
        base_url: str,
    ) -> None:
        self.rng = random.Random(f"{seed}:webhooks")  # noqa: S311 -- test data, not secrets
        self.ids = ids
        self.now = now
        self.cutoff = now - dt.timedelta(days=retention_days)
        self.base_url = base_url.rstrip("/")
        self.endpoints: list[Endpoint] = []
        span = now - clock.start
        for description, kind, url, events, signed, share, deleted, fails in PLAN:
            created = clock.working(clock.start + span * share)
            self.endpoints.append(
                Endpoint(
                    ids.next(ENDPOINTS[0].name),
                    description,
                    kind,
                    url,
                    list(events),
                    signed,
                    created,
                    clock.working(now - dt.timedelta(days=deleted)) if deleted else None,
                    fails,
                )
            )
        for endpoint in self.endpoints:
            stream.add(
                endpoint.created_at,
                "webhook",
                endpoint,
                "create",
                actor=admin,
                remote_addr=admin.ip,
                changes={
                    "url": endpoint.url,
                    "kind": endpoint.kind,
                    "events": endpoint.events,
                    "signed": endpoint.signed,
                },
            )
            if endpoint.deleted_at is not None:
                stream.add(
                    endpoint.deleted_at,
                    "webhook",
                    endpoint,
                    "delete",
                    actor=admin,
                    remote_addr=admin.ip,
                    changes={"url": endpoint.url},
                )
        self._admin = admin

    def endpoint_rows(self) -> list[tuple]:
        return [
            (
                e.id,
                e.url,
                e.kind,
                json.dumps(e.events),
                e.description,
                seal(self._uid()) if e.signed else "",
                self._admin.id,
                e.created_at,
                e.deleted_at,
            )
            for e in self.endpoints
        ]

    def _uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def rows(self, released: list[tuple]) -> list[tuple[Spec, list[tuple]]]:
        """The log of the released audit events (oldest first) that fall in the
        retention window: events, deliveries, attempts."""
        start = bisect.bisect_left(released, self.cutoff, key=_at)
        events, deliveries, attempts = [], [], []
        for audit in released[start:]:
            at, _seq, entity, entity_id, action, _actor, _obo, changes = audit[:8]
            if entity not in PAGES:
                continue
            type_ = webhook_type(entity, action, changes)
            if type_ is None:
                continue
            wanting = [
                e
                for e in self.endpoints
                if type_ in e.events
                and e.created_at <= at
                and (e.deleted_at is None or at < e.deleted_at)
            ]
            if not wanting:
                continue
            event_id = self.ids.next(EVENTS[0].name)
            status = json.loads(changes).get("status", [None, None])[1] if changes else None
            link = f"{self.base_url}/{PAGES[entity]}/{entity_id}"
            events.append(
                (
                    event_id,
                    self._uid(),
                    type_,
                    at,
                    entity,
                    entity_id,
                    json.dumps({"id": entity_id, "status": status}),
                    json.dumps(
                        {
                            "title": f"{entity.capitalize()} {entity_id} {SAID[type_]}",
                            "amount": "",
                            "requester": "",
                            "link": link,
                        }
                    ),
                )
            )
            for endpoint in wanting:
                delivery_id = self.ids.next(DELIVERIES[0].name)
                delivery, tried = self._deliver(endpoint, at, delivery_id, event_id)
                deliveries.append(delivery)
                attempts += tried
        return [(EVENTS, events), (DELIVERIES, deliveries), (ATTEMPTS, attempts)]

    def _deliver(
        self, endpoint: Endpoint, at: dt.datetime, delivery_id: int, event_id: int
    ) -> tuple[tuple, list[tuple]]:
        """One delivery and its attempts, as the sender (run every minute) made them."""
        rng = self.rng
        if rng.random() < endpoint.fails:
            failures = MAX_ATTEMPTS
        elif rng.random() < FIRST_ATTEMPT_OK:
            failures = 0
        else:
            failures = rng.choice((1, 1, 1, 2, 2, 3, 5))
        stop = min(self.now, endpoint.deleted_at or self.now)
        moment = at + dt.timedelta(seconds=rng.uniform(2, 70))
        tried: list[tuple] = []
        status, delivered_at, error = DeliveryStatus.PENDING, None, ""
        while moment <= stop:
            number = len(tried) + 1
            ok = number > failures
            code, said = (rng.choice((200, 200, 200, 204)), "") if ok else rng.choice(ERRORS)
            took = rng.randint(40, 900) if code is not None else rng.choice((10_000, 3))
            tried.append(
                (
                    self.ids.next(ATTEMPTS[0].name),
                    self._uid(),
                    delivery_id,
                    endpoint.id,
                    event_id,
                    moment,
                    AttemptStatus.DELIVERED.value if ok else AttemptStatus.FAILED.value,
                    code,
                    said,
                    took,
                )
            )
            if ok:
                status, delivered_at, error = DeliveryStatus.DELIVERED, moment, ""
                break
            error = said
            moment += retry_delay(number) + dt.timedelta(seconds=rng.uniform(0, 60))
            if number >= MAX_ATTEMPTS:
                status = DeliveryStatus.FAILED
                break
        if status == DeliveryStatus.PENDING and endpoint.deleted_at is not None and moment > stop:
            # Due after its endpoint was deleted: the sender gave it up without trying.
            status, error = DeliveryStatus.FAILED, DELETED
        row = (
            delivery_id,
            endpoint.id,
            event_id,
            status.value,
            len(tried),
            moment if status != DeliveryStatus.DELIVERED else tried[-1][5],
            None,
            delivered_at,
            error,
        )
        return row, tried


_at = operator.itemgetter(0)
