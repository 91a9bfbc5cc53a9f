"""How many requests, orders, invoices and assets are in each status, kept beside them
(:class:`~procure.models.DocumentCount`). The API's lists answer an exact ``total``; for
whoever sees every document of a kind, that total is now a sum of a few kept rows where
the list counted every row (900,000 invoices: 28 ms at a million requests).

A flush notes each new document (+1 in its status), each deleted one (−1) and each
whose status changed (−1 in the status it had, +1 in the new one; the workflow marks a
status modified to write its version, which leaves no history of it, so the status it
had is taken as it is set). Just before the transaction commits, the notes are added
to the kept rows in key order, so that two transactions never wait on each other's
rows in opposite orders, and the counts are committed with the documents; a rolled-back
savepoint's notes go with it.

Nothing else writes them: ``seed-bench`` and migration 0034 count the documents
(:func:`rebuild`), and ``verify-totals`` counts them again and names any kept count
that differs (:func:`differences`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from . import access
from .db import dialect_insert
from .extensions import db
from .models import Asset, DocumentCount, Invoice, PurchaseOrder, PurchaseRequest, User
from .transaction_notes import Notes

KINDS: tuple[type, ...] = (PurchaseRequest, PurchaseOrder, Invoice, Asset)

Key = tuple[str, str]  # a kind (its table's name) and a status

_WAS = "procure.counted_status"  # an instance's status before this flush


def _key(model: type, status: Any) -> Key:
    return model.__tablename__, status.value if isinstance(status, enum.Enum) else status


def _plus(moved: dict[Key, int], key: Key, count: int) -> None:
    moved[key] = moved.get(key, 0) + count


def _remember(target: Any, _value: Any, old: Any, _initiator: Any) -> None:
    info = sa.inspect(target).info
    if _WAS not in info and isinstance(old, enum.Enum):
        info[_WAS] = old


for _model in KINDS:
    sa.event.listen(_model.status, "set", _remember, active_history=True)


@sa.event.listens_for(Session, "before_flush")
def _before(session: Session, _context: Any, _instances: Any) -> None:
    moved: dict[Key, int] = {}
    for obj in session.deleted:
        if type(obj) in KINDS:
            _plus(moved, _key(type(obj), sa.inspect(obj).info.pop(_WAS, obj.status)), -1)
    for obj in session.dirty:
        if type(obj) in KINDS:
            was = sa.inspect(obj).info.pop(_WAS, None)
            if was is not None and was != obj.status:
                _plus(moved, _key(type(obj), was), -1)
                _plus(moved, _key(type(obj), obj.status), 1)
    # Counted after the flush: a status left to its column's default is set by then.
    inserted = [obj for obj in session.new if type(obj) in KINDS]
    for obj in inserted:
        sa.inspect(obj).info.pop(_WAS, None)
    if moved or inserted:
        # What the flush moves: counts, and the documents it inserts.
        session.info[NOTES.flushing] = (moved, inserted)


@sa.event.listens_for(Session, "after_flush")
def _after(session: Session, _context: Any) -> None:
    flushing = session.info.pop(NOTES.flushing, None)
    if flushing is None:
        return
    moved, inserted = flushing
    for obj in inserted:
        _plus(moved, _key(type(obj), obj.status), 1)
    moved = {key: count for key, count in moved.items() if count}
    if moved:
        NOTES.note(session, moved)


def _merged(noted: Iterable[tuple[Key, int]]) -> dict[Key, int]:
    merged: dict[Key, int] = {}
    for key, count in noted:
        _plus(merged, key, count)
    return {key: count for key, count in merged.items() if count}


def add(moved: dict[Key, int], session: Session | None = None) -> None:
    """Add ``moved`` to the kept rows, in key order (a row not kept yet starts at it)."""
    if not moved:
        return
    session = session or db.session
    table = DocumentCount.__table__
    insert = dialect_insert(table, session)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["kind", "status"],
            set_={"documents": table.c.documents + insert.excluded.documents},
        ),
        [
            {"kind": kind, "status": status, "documents": count}
            for (kind, status), count in sorted(moved.items())
        ],
    )


NOTES = Notes("count", _merged, add)


# Read ---------------------------------------------------------------------------------------


def total(model: type, user: User, status: Any = None) -> int | None:
    """How many documents of ``model`` are in ``status`` (None: in any), from the kept
    rows and this transaction's notes; None when ``user`` does not see every document of
    ``model`` (the list then counts what it shows them)."""
    if model not in KINDS or not access.sees_every(model, user):
        return None
    kind = model.__tablename__
    wanted = None if status is None else _key(model, status)[1]
    table = DocumentCount.__table__
    query = sa.select(sa.func.coalesce(sa.func.sum(table.c.documents), 0)).where(
        table.c.kind == kind
    )
    if wanted is not None:
        query = query.where(table.c.status == wanted)
    found = int(db.session.scalar(query) or 0)
    for (noted_kind, noted_status), count in NOTES.noted():
        if noted_kind == kind and wanted in (None, noted_status):
            found += count
    return found


# Counted from the documents -----------------------------------------------------------------


def counted() -> dict[Key, int]:
    """The documents of every kept kind per status, counted."""
    found: dict[Key, int] = {}
    for model in KINDS:
        rows = db.session.execute(sa.select(model.status, sa.func.count()).group_by(model.status))
        for status, count in rows:
            found[_key(model, status)] = count
    return found


def kept() -> dict[Key, int]:
    """Every kept count, with what this transaction has changed, that is not zero."""
    table = DocumentCount.__table__
    found = {(row.kind, row.status): row.documents for row in db.session.execute(sa.select(table))}
    for key, count in NOTES.noted():
        _plus(found, key, count)
    return {key: count for key, count in found.items() if count}


def rebuild() -> int:
    """Write every count afresh from the documents (``seed-bench``, after its bulk
    writes); returns how many rows it wrote."""
    found = counted()
    table = DocumentCount.__table__
    db.session.execute(sa.delete(table))
    if found:
        db.session.execute(
            sa.insert(table),
            [{"kind": k, "status": s, "documents": n} for (k, s), n in sorted(found.items())],
        )
    return len(found)


def differences() -> list[str]:
    """Each kept count the documents contradict, in words."""
    has, should = kept(), counted()
    return [
        f"{kind} {status}: {has.get((kind, status), 0)} kept, "
        f"{should.get((kind, status), 0)} counted"
        for kind, status in sorted(has.keys() | should.keys())
        if has.get((kind, status), 0) != should.get((kind, status), 0)
    ]
