"""The auditor's export: the audit events of a period as JSON lines, checkable offline.

The first line is a header; every other line is one event with exactly the fields
its hash covers (``audit.HASHED_FIELDS``, ``at`` written as it is hashed and
``changes`` as the canonical JSON text it is stored as) and its ``hash``::

    {"format": "procure-audit-export/1", "from": "2026-01-01", "to": "2026-03-31",
     "prev_hash": "…", "first_id": 1201, "last_id": 4388, "count": 3188, ...}
    {"id": 1201, "at": "2026-01-02T08:14:03.120911", ..., "prev_hash": "…", "hash": "…"}

Anyone can then re-compute each hash from the line's fields and the hash before it,
starting from the header's ``prev_hash`` (the hash of the event before the period, or
64 zeros at the very start): docs/operations.md gives the few lines of Python. The
period's events are exported as one unbroken run of the chain: from the first event
recorded on or after ``from`` to the last one recorded on or before ``to`` (UTC days),
with every event between them, so a clock that stepped back cannot leave a hole.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import TextIO

import sqlalchemy as sa

from .audit import GENESIS, HASHED_FIELDS, canonical_json
from .extensions import db
from .models import AuditEvent, utcnow

FORMAT = "procure-audit-export/1"


@dataclasses.dataclass(frozen=True)
class Exported:
    count: int
    first_id: int | None
    last_id: int | None
    prev_hash: str
    last_hash: str


def period_bounds(start: dt.date | None, end: dt.date | None) -> list[sa.ColumnElement[bool]]:
    """Conditions on ``AuditEvent.at`` for the UTC days ``start`` to ``end``, inclusive."""
    conditions = []
    if start is not None:
        conditions.append(AuditEvent.at >= dt.datetime.combine(start, dt.time()))
    if end is not None and end < dt.date.max:
        conditions.append(
            AuditEvent.at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
        )
    return conditions


def event_line(event: AuditEvent) -> dict[str, object]:
    """The fields of ``event`` its hash covers, as ``audit.compute_hash`` reads them."""
    line: dict[str, object] = {name: getattr(event, name) for name in HASHED_FIELDS}
    line["at"] = event.at.isoformat(timespec="microseconds")
    line["hash"] = event.hash
    return line


def export(out: TextIO, start: dt.date, end: dt.date, *, batch_size: int = 5000) -> Exported:
    """Write the header and the events of ``start`` .. ``end`` to ``out``."""
    bounds = period_bounds(start, end)
    first_id, last_id = db.session.execute(
        sa.select(sa.func.min(AuditEvent.id), sa.func.max(AuditEvent.id)).where(*bounds)
    ).one()
    prev_hash = GENESIS
    if first_id is not None and first_id > 1:
        prev_hash = db.session.scalar(
            sa.select(AuditEvent.hash).where(AuditEvent.id == first_id - 1)
        ) or db.session.scalar(
            # The event before is missing: take what the first one says, and let the
            # offline check (or verify-audit) tell.
            sa.select(AuditEvent.prev_hash).where(AuditEvent.id == first_id)
        )
    count = 0 if first_id is None else last_id - first_id + 1
    header = {
        "format": FORMAT,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "exported_at": utcnow().isoformat(timespec="seconds") + "Z",
        "prev_hash": prev_hash,
        "first_id": first_id,
        "last_id": last_id,
        "count": count,
        "hashed_fields": list(HASHED_FIELDS),
    }
    out.write(canonical_json(header) + "\n")
    last_hash = prev_hash
    written = 0
    after = (first_id or 1) - 1
    while first_id is not None:
        events = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.id > after, AuditEvent.id <= last_id)
            .order_by(AuditEvent.id)
            .limit(batch_size)
        ).all()
        if not events:
            break
        for event in events:
            out.write(json.dumps(event_line(event), ensure_ascii=False) + "\n")
            last_hash = event.hash
            written += 1
        after = events[-1].id
        for event in events:  # keep memory flat on a long period
            db.session.expunge(event)
    return Exported(written, first_id, last_id, prev_hash, last_hash)
