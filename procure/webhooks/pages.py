"""What the admin's webhook pages (and the API's list) show beyond the endpoints
themselves: each endpoint's latest delivery attempt, read for a whole list at once."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from ..extensions import db
from ..models import User, WebhookAttempt, WebhookEndpoint
from ..pagination import PageOf, paginate_page
from . import endpoints
from .events import TYPES


def last_attempts(rows: list[WebhookEndpoint]) -> dict[int, WebhookAttempt | None]:
    """Each endpoint's latest attempt (None before the first), in one query."""
    found: dict[int, WebhookAttempt | None] = {endpoint.id: None for endpoint in rows}
    if not found:
        return found
    latest = (
        sa.select(sa.func.max(WebhookAttempt.id))
        .where(WebhookAttempt.endpoint_id.in_(list(found)))
        .group_by(WebhookAttempt.endpoint_id)
    )
    for attempt in db.session.scalars(
        sa.select(WebhookAttempt).where(WebhookAttempt.id.in_(latest))
    ):
        found[attempt.endpoint_id] = attempt
    return found


@dataclasses.dataclass
class Listed:
    endpoint: WebhookEndpoint
    event_names: list[str]
    last: WebhookAttempt | None


def listing(actor: User) -> list[Listed]:
    """Every endpoint not deleted, with its events' descriptions and latest attempt
    (admin only: ``endpoints.list_query`` refuses others)."""
    rows = list(db.session.scalars(endpoints.list_query(actor)))
    last = last_attempts(rows)
    return [
        Listed(endpoint, endpoints.event_names(endpoint.events or []), last[endpoint.id])
        for endpoint in rows
    ]


@dataclasses.dataclass
class Detail:
    endpoint: WebhookEndpoint
    # The endpoint's event types and what each means.
    events: dict[str, str]
    kind_name: str
    log: PageOf


def detail(endpoint_id: int, actor: User) -> Detail:
    """One endpoint and a page of its delivery log, latest first (by keyset)."""
    endpoint = endpoints.get(endpoint_id, actor)
    log = paginate_page(endpoints.attempts_query(endpoint), key=WebhookAttempt.id)
    return Detail(
        endpoint,
        {name: TYPES.get(name, "") for name in endpoint.events or []},
        endpoints.KIND_NAMES.get(endpoint.kind, endpoint.kind),
        log,
    )
