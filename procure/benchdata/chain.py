"""The audit events of the generated history, appended to the hash chain in time order.

A document's events are planned with the document, but happen over weeks or months,
interleaved with other documents' events. They wait until every event before them
is known (the requests are planned in the order they were filed), and
are then appended in time order, ids following time as the application's would.

Each event's hash is :func:`procure.audit.compute_hash` of its content, written out
here without building a dict per event: the same canonical JSON (sorted keys, no
spaces, non-ASCII kept), much faster. The tests verify the chain with
``procure.audit.verify``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import operator
from collections.abc import Callable
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from ..models import AuditEvent

COLUMNS = (
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
    "hash",
)
TABLE = AuditEvent.__table__


class Ref:
    """A value in an event's changes known only once ids and numbers are assigned
    (the quote id, the order number): ``value()`` reads it then."""

    __slots__ = ("obj", "attr")

    def __init__(self, obj: Any, attr: str) -> None:
        self.obj = obj
        self.attr = attr

    def value(self) -> Any:
        value = getattr(self.obj, self.attr)
        return value() if callable(value) else value


def _resolve(value: Any) -> Any:
    if isinstance(value, Ref):
        return value.value()
    raise TypeError(f"cannot record {type(value).__name__} in the audit log")


def changes_json(changes: dict[str, Any]) -> str:
    """``procure.audit.canonical_json`` of the changes, references resolved."""
    return json.dumps(
        changes, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_resolve
    )


def _number(value: int | None) -> str:
    return "null" if value is None else str(value)


def event_hash(
    ident: int,
    at: dt.datetime,
    actor_id: int | None,
    on_behalf_of_id: int | None,
    entity: str,
    entity_id: int | None,
    action: str,
    changes: str,
    comment: str,
    remote_addr: str | None,
    prev_hash: str,
) -> str:
    """``procure.audit.compute_hash`` of an event with these fields."""
    text = "".join(
        (
            '{"action":',
            encode_basestring(action),
            ',"actor_id":',
            _number(actor_id),
            ',"at":"',
            at.isoformat(timespec="microseconds"),
            '","changes":',
            encode_basestring(changes),
            ',"comment":',
            encode_basestring(comment),
            ',"entity":',
            encode_basestring(entity),
            ',"entity_id":',
            _number(entity_id),
            ',"id":',
            str(ident),
            ',"on_behalf_of_id":',
            _number(on_behalf_of_id),
            ',"prev_hash":"',
            prev_hash,
            '","remote_addr":',
            "null" if remote_addr is None else encode_basestring(remote_addr),
            "}",
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()


class AuditStream:
    """Events planned per chunk, released in time order once nothing earlier can come.

    Each event carries the number of the batch that writes its document's rows (the
    setup is batch 0, chunk k is batch k + 1). Released events are kept until their
    batch is known to be committed, so that a run stopped half way can still append
    every event of the documents that were written (:meth:`leftovers`)."""

    def __init__(self) -> None:
        self._planned: list[tuple] = []
        # Settled events not yet released, sorted by (time, order of planning).
        self._waiting: list[tuple] = []
        # Released events, per batch, until that batch is committed.
        self._unsure: list[tuple[int, list[tuple]]] = []
        self._sequence = 0

    def add(
        self,
        at: dt.datetime,
        entity: str,
        subject: Any,
        action: str,
        *,
        actor: Any = None,
        on_behalf_of: Any = None,
        changes: dict[str, Any] | str | Callable[[], str] | None = None,
        comment: str = "",
        remote_addr: str | None = None,
    ) -> None:
        """Plan an event about ``subject`` (an object whose ``id`` is given out later).
        ``changes`` may come encoded already, or as a function that encodes them once
        the ids and numbers they mention exist."""
        self._planned.append(
            (at, entity, subject, action, actor, on_behalf_of, changes, comment, remote_addr)
        )

    def settle(self, batch: int) -> None:
        """The planned events' ids and numbers exist now, and ``batch`` writes their
        documents: encode them and queue them."""
        sequence = self._sequence
        waiting = self._waiting
        for at, entity, subject, action, actor, obo, changes, comment, remote in self._planned:
            sequence += 1
            waiting.append(
                (
                    at,
                    sequence,
                    entity,
                    subject.id if subject is not None else None,
                    action,
                    actor.id if actor is not None else None,
                    obo.id if obo is not None else None,
                    changes
                    if isinstance(changes, str)
                    else changes()
                    if callable(changes)
                    else changes_json(changes or {}),
                    comment,
                    remote,
                    batch,
                )
            )
        self._sequence = sequence
        self._planned.clear()
        waiting.sort(key=_order)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def release(self, before: dt.datetime | None, batch: int) -> list[tuple]:
        """The queued events earlier than ``before`` (all with None), oldest first, for
        ``batch`` to write."""
        waiting = self._waiting
        cut = len(waiting) if before is None else bisect.bisect_left(waiting, before, key=_at)
        released = waiting[:cut]
        self._unsure.append((batch, released))
        del waiting[:cut]
        return released

    def committed(self, batches: int) -> None:
        """Batches up to ``batches`` are committed: their events are in the log."""
        self._unsure = [(batch, events) for batch, events in self._unsure if batch > batches]

    def leftovers(self, batches: int) -> list[tuple]:
        """After a stop: the events of the documents of batches up to ``batches`` (those
        committed) that are not in the log yet, oldest first."""
        found = {e[1]: e for e in self._waiting if e[-1] <= batches}
        for batch, events in self._unsure:
            if batch > batches:
                found.update((e[1], e) for e in events if e[-1] <= batches)
        return sorted(found.values(), key=_order)

    def rows(
        self, events: list[tuple], head_seq: int, head_hash: str
    ) -> tuple[list[tuple], int, str]:
        """The audit rows of ``events``, chained onto the head; returns the new head."""
        rows = []
        ident, previous = head_seq, head_hash
        for (
            at,
            _seq,
            entity,
            entity_id,
            action,
            actor_id,
            obo_id,
            changes,
            comment,
            remote,
            _batch,
        ) in events:
            ident += 1
            digest = event_hash(
                ident,
                at,
                actor_id,
                obo_id,
                entity,
                entity_id,
                action,
                changes,
                comment,
                remote,
                previous,
            )
            rows.append(
                (
                    ident,
                    at,
                    actor_id,
                    obo_id,
                    entity,
                    entity_id,
                    action,
                    changes,
                    comment,
                    remote,
                    previous,
                    digest,
                )
            )
            previous = digest
        return rows, ident, previous


_order = operator.itemgetter(0, 1)  # (time, order of planning)
_at = operator.itemgetter(0)
