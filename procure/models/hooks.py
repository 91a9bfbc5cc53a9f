"""Reaching people and systems outside the app: decisions from an e-mail's links, and
webhooks (endpoints, the events queued for them, each delivery and its attempts)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import enum_column, utcnow
from .users import User

LINK_ACTIONS = ("approve", "reject", "return")
WEBHOOK_KINDS = ("json", "slack", "teams", "mattermost")


class ActionLink(db.Model):
    """One decision a person may take from an e-mail: that person, that step, that
    version of the request. Only the token's SHA-256 is kept; ``used_at`` makes it
    single-use."""

    __tablename__ = "action_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("purchase_requests.id"), index=True)
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("approval_steps.id"))
    action: Mapped[str] = mapped_column(sa.String(10))
    # The request's version when the e-mail was written: any change since makes it stale.
    request_version: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "action IN ('approve', 'reject', 'return')", name="action_is_a_decision"
        ),
    )


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # due at next_attempt_at
    SENDING = "sending"  # claimed by a sender
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after the last attempt


class AttemptStatus(enum.StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookEndpoint(db.Model):
    """Where admin asked Procure to tell of events. The secret signs each delivery, so
    it cannot be hashed: it is kept encrypted with a key derived from ``SECRET_KEY``."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    kind: Mapped[str] = mapped_column(sa.String(20), default="json")
    events: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    secret_sealed: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Deleted endpoints keep their delivery log; nothing more is sent to them.
    deleted_at: Mapped[dt.datetime | None]

    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('json', 'slack', 'teams', 'mattermost')", name="kind_is_known"
        ),
    )


class WebhookEvent(db.Model):
    """Something that happened, queued in the transaction of the change: the document
    as its ``GET`` answered then (``data``), and what a chat message says (``summary``)."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The public id: the same on every attempt to every endpoint.
    uid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    type: Mapped[str] = mapped_column(sa.String(40))
    occurred_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    entity: Mapped[str] = mapped_column(sa.String(20))
    entity_id: Mapped[int]
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class WebhookDelivery(db.Model):
    """One event to one endpoint, until it is delivered or given up on."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_endpoints.id"))
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_events.id"))
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus, "webhook_delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[dt.datetime | None]
    delivered_at: Mapped[dt.datetime | None]
    last_error: Mapped[str] = mapped_column(sa.Text, default="")

    endpoint: Mapped[WebhookEndpoint] = relationship()
    event: Mapped[WebhookEvent] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_once"),
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )


class WebhookAttempt(db.Model):
    """One POST to an endpoint and its answer: the delivery log of the endpoint's page."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Sent as X-Procure-Delivery.
    uid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    delivery_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_deliveries.id"))
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_endpoints.id"))
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_events.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    status: Mapped[AttemptStatus] = mapped_column(
        enum_column(AttemptStatus, "webhook_attempt_status")
    )
    response_code: Mapped[int | None]
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    duration_ms: Mapped[int] = mapped_column(default=0)

    event: Mapped[WebhookEvent] = relationship()

    __table_args__ = (sa.Index("ix_webhook_attempts_endpoint", "endpoint_id", "id"),)
