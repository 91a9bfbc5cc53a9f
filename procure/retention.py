"""Retention: what ``flask --app wsgi prune`` deletes, and what it never touches.

Deleted once older than ``PROCURE_RETENTION_DAYS`` (90 by default): sessions that
ended (signed out, replaced, or ended by a password change), sign-in throttle rows
whose last failure is that old and that block nobody now, notifications that were
delivered, e-mail decision links that expired that long ago, and webhook delivery
attempts, then deliveries finished and events with nothing left to deliver; and,
whatever their age, the single-use values of sign-in protocols that have expired
(``identity/replay.py``). Pending and failed notifications stay (someone must look at
them), and so does every session still open.

The audit log is never pruned: it is the organisation's record, and its hash chain
would no longer verify. docs/operations.md says how it grows and how to archive it.

Each kind is deleted in batches, each batch its own transaction, so that a large
backlog neither holds long locks nor one huge transaction; a run interrupted half-way
has deleted whole batches, and the next run goes on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa

from .extensions import db
from .identity import replay
from .models import (
    ActionLink,
    DeliveryStatus,
    LoginAttempt,
    Notification,
    NotificationStatus,
    UserSession,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    utcnow,
)

DEFAULT_BATCH_SIZE = 1000


@dataclasses.dataclass(frozen=True)
class Removed:
    kind: str
    count: int

    def line(self) -> str:
        return f"removed {self.count} {self.kind}"


def prune(
    *, days: int, batch_size: int = DEFAULT_BATCH_SIZE, now: dt.datetime | None = None
) -> list[Removed]:
    """Delete what is older than ``days``; commits each batch. One entry per kind."""
    if days < 1:
        raise ValueError("PROCURE_RETENTION_DAYS must be at least 1")
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=days)
    kinds: list[tuple[str, Any, Any]] = [
        (
            "sessions",
            UserSession.id,
            sa.and_(UserSession.ended_at.is_not(None), UserSession.ended_at < cutoff),
        ),
        (
            "sign-in attempts",
            LoginAttempt.email,
            sa.and_(
                sa.or_(
                    LoginAttempt.last_failure_at.is_(None), LoginAttempt.last_failure_at < cutoff
                ),
                sa.or_(LoginAttempt.blocked_until.is_(None), LoginAttempt.blocked_until <= now),
            ),
        ),
        (
            "notifications",
            Notification.id,
            sa.and_(Notification.status == NotificationStatus.SENT, Notification.sent_at < cutoff),
        ),
        ("e-mail decision links", ActionLink.id, ActionLink.expires_at < cutoff),
        ("webhook attempts", WebhookAttempt.id, WebhookAttempt.at < cutoff),
        (
            "webhook deliveries",
            WebhookDelivery.id,
            sa.and_(
                WebhookDelivery.status.in_([DeliveryStatus.DELIVERED, DeliveryStatus.FAILED]),
                sa.func.coalesce(WebhookDelivery.delivered_at, WebhookDelivery.next_attempt_at)
                < cutoff,
                ~sa.exists().where(WebhookAttempt.delivery_id == WebhookDelivery.id),
            ),
        ),
        (
            "webhook events",
            WebhookEvent.id,
            sa.and_(
                WebhookEvent.occurred_at < cutoff,
                ~sa.exists().where(WebhookDelivery.event_id == WebhookEvent.id),
                ~sa.exists().where(WebhookAttempt.event_id == WebhookEvent.id),
            ),
        ),
    ]
    removed = [
        Removed(kind, _delete_in_batches(key, condition, batch_size))
        for kind, key, condition in kinds
    ]
    nonces = replay.prune(now)
    db.session.commit()
    return [*removed, Removed("sign-in nonces", nonces)]


def _delete_in_batches(key: Any, condition: Any, batch_size: int) -> int:
    table = key.class_.__table__
    column = table.c[key.key]
    removed = 0
    while True:
        keys = db.session.scalars(
            sa.select(key).where(condition).order_by(key).limit(batch_size)
        ).all()
        if not keys:
            return removed
        # Still matching at the delete: a concurrent sign-in may just have renewed a row.
        result = db.session.execute(sa.delete(table).where(column.in_(keys), condition))
        db.session.commit()
        removed += result.rowcount
