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


# On PostgreSQL the database hashes the chain itself: each row's canonical text is built
# in SQL exactly as ``_row_hash_input`` builds it (``to_json`` escapes a string as
# json.dumps does with ensure_ascii=False: the two-character escapes, other control
# characters as lowercase \\u00xx, everything else as it is) and hashed with ``sha256``.
# The hashes are stored as their 32 bytes (``Sha256``), and the text holds the previous
# one in hex as it always has: the digest is compared as bytes, the previous one encoded.
# One statement, so one snapshot, does both halves of the walk: the contents, hashed by
# a parallel scan in any order (each row's hash covers its own text only), and the
# links, which need the order, in one pass along the primary key. Only the first
# failure of each, the count and the last row come back: no row crosses the connection.
# The failing row is then walked here again, so the reason is worded by ``_walk`` alone.
_SQL_ENCODERS = {
    "id": "{c}::text",
    "at": """'"' || to_char({c}, 'YYYY-MM-DD"T"HH24:MI:SS.US') || '"'""",
    "actor_id": "coalesce({c}::text, 'null')",
    "on_behalf_of_id": "coalesce({c}::text, 'null')",
    "entity": "to_json({c})::text",
    "entity_id": "coalesce({c}::text, 'null')",
    "action": "to_json({c})::text",
    "changes": "to_json({c})::text",
    "comment": "to_json({c})::text",
    "remote_addr": "coalesce(to_json({c})::text, 'null')",
    "prev_hash": """'"' || encode({c}, 'hex') || '"'""",
}


def _sql_hash_input() -> str:
    """The SQL expression of an ``audit_events`` row's ``_row_hash_input`` (the names
    are plain words: no quote to escape)."""
    fields = " || ',' || ".join(
        f"""'"{name}":' || """ + _SQL_ENCODERS[name].format(c=name) for name in _CANONICAL_FIELDS
    )
    return "'{' || " + fields + " || '}'"


# ``text`` reads ``:word`` as a parameter; the expression's colons are all literal.
# The statement is built from this module's constants only.
_ESCAPED_HASH_INPUT = _sql_hash_input().replace(":", "\\:")
_WALK_IN_DATABASE = sa.text(
    f"""
    SELECT (
        SELECT min(id) FILTER (
            WHERE sha256(convert_to({_ESCAPED_HASH_INPUT}, 'UTF8')) IS DISTINCT FROM hash
        )
        FROM audit_events
    ) AS first_altered, linked.*
    FROM (
        SELECT count(*) AS count, max(id) AS last_id,
               min(id) FILTER (WHERE broken) AS first_broken,
               max(encode(hash, 'hex')) FILTER (WHERE next_id IS NULL) AS last_hash,
               bool_or(encode(hash, 'hex') = :head_hash) FILTER (WHERE id = :head_seq)
                   AS reached_head
        FROM (
            SELECT id, hash, lead(id) OVER chain AS next_id,
                   lag(id, 1, 0::bigint) OVER chain <> id - 1
                   OR prev_hash IS DISTINCT FROM lag(hash, 1, decode(:genesis, 'hex')) OVER chain
                   AS broken
            FROM audit_events
            WINDOW chain AS (ORDER BY id)
        ) AS walked
    ) AS linked
    """  # noqa: S608
)


def _walk_in_database(head_before: Any, walk: _Walk) -> VerifyResult | None:
    """``_walk`` over the whole chain, done by PostgreSQL in one statement."""
    # The links are read in id order along the primary key, never sorted anew; the
    # setting ends with the transaction, which only reads.
    db.session.execute(sa.text("SET LOCAL enable_sort = off"))
    found = db.session.execute(
        _WALK_IN_DATABASE,
        {
            "genesis": GENESIS,
            "head_seq": head_before.seq if head_before is not None else None,
            "head_hash": head_before.hash if head_before is not None else None,
        },
    ).one()
    failed = [i for i in (found.first_altered, found.first_broken) if i is not None]
    first_bad = min(failed, default=None)
    if first_bad is None:
        walk.count = found.count
        walk.previous_id = found.last_id or 0
        walk.previous_hash = found.last_hash or GENESIS
        walk.reached_head_before = bool(found.reached_head)
        return None
    # Walk the failing row after the good one before it: the same checks, the same words.
    table = AuditEvent.__table__
    columns = (*(table.c[name] for name in _CANONICAL_FIELDS), table.c.hash)
    before = db.session.execute(
        sa.select(*columns).where(table.c.id < first_bad).order_by(table.c.id.desc()).limit(1)
    ).one_or_none()
    failing = db.session.execute(sa.select(*columns).where(table.c.id == first_bad)).one()
    if before is not None:
        walk.previous_id, walk.previous_hash = before[_ID], before[-1]
        walk.count = before[_ID]  # every event up to it held, numbered from 1
    failure = _walk([failing], head_before, walk)
    if failure is None:
        raise AssertionError(f"the database and this process disagree on audit event {first_bad}")
    return failure


def verify(batch_size: int = 5000, *, in_python: bool = False) -> VerifyResult:
    """Walk the whole chain in order; stop at the first event that does not hold.

    On PostgreSQL the database hashes and links the rows itself in one statement
    (``_walk_in_database``), unless ``in_python``. Elsewhere, or then, one
    ordered query is streamed ``batch_size`` rows at a time (a server-side cursor on
    PostgreSQL) and hashed here, which keeps memory flat however long the chain.
    Either query sees the database as it was when it started, not the events appended
    while it runs. So the head is read before the walk as well as after: a walk that
    reached the head as it was before, hash for hash, holds though the head has moved
    on since.
    """
    table = AuditEvent.__table__
    head_before = _read_head()
    walk = _Walk()
    if db.session.get_bind().dialect.name == "postgresql" and not in_python:
        failure = _walk_in_database(head_before, walk)
    else:
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
