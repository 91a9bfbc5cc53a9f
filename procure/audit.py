"""The audit log: append-only events, each chained to the one before by SHA-256.

``record`` adds an event to the current transaction; ``verify`` walks the chain
and names the first event that does not match.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from .extensions import db
from .models import AuditEvent, AuditHead, User, utcnow

GENESIS = "0" * 64
HASHED_FIELDS = (
    "id",
    "at",
    "actor_id",
    "on_behalf_of_id",
    "entity",
    "entity_id",
    "action",
    "changes",
    "comment",
    "remote_addr",
    "prev_hash",
)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot record {type(value).__name__} in the audit log")


def canonical_json(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    )


def _hash_input(event: AuditEvent) -> str:
    payload = {name: getattr(event, name) for name in HASHED_FIELDS}
    payload["at"] = event.at.isoformat(timespec="microseconds")
    return canonical_json(payload)


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(_hash_input(event).encode()).hexdigest()


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields whose value changed."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def record(
    entity: str,
    entity_id: int | None,
    action: str,
    *,
    actor: User | None,
    on_behalf_of: User | None = None,
    changes: Mapping[str, Any] | None = None,
    comment: str = "",
    remote_addr: str | None = None,
) -> AuditEvent:
    """Append an event in the current transaction (flushes; never commits)."""
    if remote_addr is None:
        remote_addr = _current_remote_addr()
    # Taking the head row first serialises appenders: the second waits for the
    # first to commit and then sees its hash, so the chain cannot fork.
    head = db.session.execute(
        sa.update(AuditHead.__table__)
        .where(AuditHead.__table__.c.id == 1)
        .values(seq=AuditHead.__table__.c.seq + 1)
        .returning(AuditHead.__table__.c.seq, AuditHead.__table__.c.hash)
    ).one()
    event = AuditEvent(
        id=head.seq,
        at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        on_behalf_of_id=on_behalf_of.id if on_behalf_of is not None else None,
        entity=entity,
        entity_id=entity_id,
        action=action,
        changes=canonical_json(dict(changes or {})),
        comment=comment or "",
        remote_addr=remote_addr,
        prev_hash=head.hash,
    )
    event.hash = compute_hash(event)
    db.session.add(event)
    db.session.execute(
        sa.update(AuditHead.__table__).where(AuditHead.__table__.c.id == 1).values(hash=event.hash)
    )
    db.session.flush()
    return event


def _current_remote_addr() -> str | None:
    from flask import has_request_context, request

    return request.remote_addr if has_request_context() else None


@dataclasses.dataclass
class VerifyResult:
    ok: bool
    count: int
    bad_event_id: int | None = None
    reason: str = ""


def verify(batch_size: int = 5000) -> VerifyResult:
    """Walk the whole chain in order; stop at the first event that does not hold."""
    previous_hash = GENESIS
    previous_id = 0
    count = 0
    last_id = 0
    while True:
        events = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.id > last_id)
            .order_by(AuditEvent.id)
            .limit(batch_size)
            .execution_options(populate_existing=True)
        ).all()
        if not events:
            break
        for event in events:
            if event.id != previous_id + 1:
                # The first bad event is the one that should be here.
                missing = previous_id + 1
                return VerifyResult(False, count, missing, f"event {missing} is missing")
            if event.prev_hash != previous_hash:
                return VerifyResult(
                    False, count, event.id, "its previous hash does not match the event before it"
                )
            if compute_hash(event) != event.hash:
                return VerifyResult(False, count, event.id, "its content does not match its hash")
            previous_hash, previous_id = event.hash, event.id
            count += 1
        last_id = events[-1].id
        for event in events:  # keep memory flat on long chains
            db.session.expunge(event)
    head = db.session.get(AuditHead, 1, populate_existing=True)
    if head is None:
        return VerifyResult(False, count, None, "the audit head is missing")
    if head.seq != previous_id or head.hash != previous_hash:
        return VerifyResult(
            False,
            count,
            previous_id + 1,
            f"events after {previous_id} were removed (the head records {head.seq})",
        )
    return VerifyResult(True, count)


def events_for(entity: str, entity_id: int) -> sa.Select[tuple[AuditEvent]]:
    return (
        sa.select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.id)
    )
