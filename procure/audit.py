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
import operator
from collections.abc import Iterable, Mapping, Sequence
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


# The chain walk reads rows, not ORM objects: at millions of events the identity map
# and per-object bookkeeping cost more than the hashing. The columns are selected in
# the order canonical JSON writes their keys (sorted), and each value is written as
# json.dumps would write it (``_encode_string`` is the function json.dumps uses with
# ensure_ascii=False, ints are written with ``int.__repr__`` as json.dumps does), so
# one template turns a row into exactly the text ``_hash_input`` builds from an event.
# The columns hold only integers, strings and times: a value of another type raises
# TypeError rather than hash differently (but for a bool, which json writes as true
# and no integer column returns).
_CANONICAL_FIELDS = tuple(sorted(HASHED_FIELDS))
_CANONICAL_TEMPLATE = "{" + ",".join(f"{json.dumps(name)}:%s" for name in _CANONICAL_FIELDS) + "}"
_encode_string = json.encoder.encode_basestring


def _encode_optional_int(value: int | None) -> str:
    return "null" if value is None else int.__repr__(value)


def _encode_optional_string(value: str | None) -> str:
    return "null" if value is None else _encode_string(value)


def _encode_at(value: dt.datetime) -> str:
    return _encode_string(value.isoformat(timespec="microseconds"))


_ENCODERS = {
    "id": int.__repr__,
    "at": _encode_at,
    "actor_id": _encode_optional_int,
    "on_behalf_of_id": _encode_optional_int,
    "entity": _encode_string,
    "entity_id": _encode_optional_int,
    "action": _encode_string,
    "changes": _encode_string,
    "comment": _encode_string,
    "remote_addr": _encode_optional_string,
    "prev_hash": _encode_string,
}
_CANONICAL_ENCODERS = tuple(_ENCODERS[name] for name in _CANONICAL_FIELDS)
_ID = _CANONICAL_FIELDS.index("id")
_PREV_HASH = _CANONICAL_FIELDS.index("prev_hash")


def _row_hash_input(values: Sequence[Any]) -> str:
    """``_hash_input`` of the event whose ``_CANONICAL_FIELDS`` are ``values``."""
    return _CANONICAL_TEMPLATE % tuple(map(operator.call, _CANONICAL_ENCODERS, values))


def _row_hash(values: Sequence[Any]) -> str:
    """``compute_hash`` of the event whose ``_CANONICAL_FIELDS`` are ``values``."""
    return hashlib.sha256(_row_hash_input(values).encode()).hexdigest()


def _read_head() -> sa.Row[tuple[int, str]] | None:
    table = AuditHead.__table__
    query = sa.select(table.c.seq, table.c.hash).where(table.c.id == 1)
    return db.session.execute(query).one_or_none()


@dataclasses.dataclass
class _Walk:
    """Where the walk has got to: the last good event and how many held."""

    previous_id: int = 0
    previous_hash: str = GENESIS
    count: int = 0
    reached_head_before: bool = False


def _walk(rows: Iterable[Sequence[Any]], head_before: Any, walk: _Walk) -> VerifyResult | None:
    """Check each row against the one before; the first failure, or None."""
    for row in rows:
        event_id, event_hash = row[_ID], row[-1]
        if event_id != walk.previous_id + 1:
            # The first bad event is the one that should be here.
            missing = walk.previous_id + 1
            return VerifyResult(False, walk.count, missing, f"event {missing} is missing")
        if row[_PREV_HASH] != walk.previous_hash:
            return VerifyResult(
                False, walk.count, event_id, "its previous hash does not match the event before it"
            )
        if _row_hash(row[:-1]) != event_hash:
            return VerifyResult(False, walk.count, event_id, "its content does not match its hash")
        if head_before is not None and event_id == head_before.seq:
            walk.reached_head_before = event_hash == head_before.hash
        walk.previous_hash, walk.previous_id = event_hash, event_id
        walk.count += 1
    return None


def verify(batch_size: int = 5000) -> VerifyResult:
    """Walk the whole chain in order; stop at the first event that does not hold.

    One ordered query, streamed ``batch_size`` rows at a time (a server-side cursor on
    PostgreSQL), keeps memory flat however long the chain. That query sees the
    database as it was when it started, not the events appended while it runs. So the
    head is read before the walk as well as after: a walk that reached the head as it
    was before, hash for hash, holds though the head has moved on since.
    """
    table = AuditEvent.__table__
    head_before = _read_head()
    walk = _Walk()
    rows = db.session.execute(
        sa.select(*(table.c[name] for name in _CANONICAL_FIELDS), table.c.hash)
        .order_by(table.c.id)
        .execution_options(yield_per=batch_size)
    )
    try:
        failure = _walk(rows, head_before, walk)
    finally:
        rows.close()
    if failure is not None:
        return failure
    head = _read_head()
    if head is None:
        return VerifyResult(False, walk.count, None, "the audit head is missing")
    if (head.seq, head.hash) == (walk.previous_id, walk.previous_hash):
        return VerifyResult(True, walk.count)
    if walk.reached_head_before and head.seq > walk.previous_id:
        return VerifyResult(True, walk.count)  # the rest was appended while we walked
    return VerifyResult(
        False,
        walk.count,
        walk.previous_id + 1,
        f"events after {walk.previous_id} were removed (the head records {head.seq})",
    )


def events_for(entity: str, entity_id: int) -> sa.Select[tuple[AuditEvent]]:
    return (
        sa.select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.id)
    )
