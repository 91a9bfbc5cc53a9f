"""The budget sums kept per budget key (:class:`~procure.models.BudgetSum`), so that
``/budgets``, the finance dashboard and a request's budget check read a few rows where
they summed a fiscal year of orders and invoices (seconds at a million requests).

What a budget key holds is what its documents add up to now —
``budget_contributions.py`` says it in SQL. The sums follow the documents
by difference: before a flush writes a request, an order, an invoice or one of their
lines, the contributions of the requests it belongs to are read; after the flush they
are read again, and the difference is noted against the transaction (a savepoint's
notes go when it is rolled back). Just before the transaction commits, the notes are
added to the kept rows in key order, so that two transactions never wait on each
other's sums in opposite orders, and the sums are committed with the documents.

Nothing else writes them: ``seed-bench`` and migration 0027 build them from the
documents (:func:`rebuild`), and ``verify-totals`` recomputes every key and names any
that differs (:func:`differences`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .budget_contributions import ZERO, Amounts, Key, difference, plus, summed
from .db import dialect_insert
from .extensions import db
from .models import (
    BudgetSum,
    Invoice,
    InvoiceLine,
    OrderLine,
    PurchaseOrder,
    PurchaseRequest,
    RequestLine,
    RequestStatus,
)
from .transaction_notes import Notes

# Following the documents --------------------------------------------------------------------

# What a document's contributions depend on, per kind; its owner on the way to its request.
_WATCHED: dict[type, tuple[str, ...]] = {
    PurchaseRequest: ("status", "department_id", "fiscal_year", "total", "total_base", "rate"),
    RequestLine: ("request_id", "category", "total"),
    PurchaseOrder: ("request_id", "status", "rate", "total", "total_base", "received_value"),
    OrderLine: ("order_id", "request_line_id", "total", "received_value"),
    Invoice: ("order_id", "status", "rate", "paid_rate", "total", "total_base", "paid_base"),
    InvoiceLine: ("invoice_id", "order_line_id", "total"),
}
_OWNER: dict[type, tuple[str, str, type]] = {  # relationship, its foreign key, its class
    RequestLine: ("request", "request_id", PurchaseRequest),
    PurchaseOrder: ("request", "request_id", PurchaseRequest),
    OrderLine: ("order", "order_id", PurchaseOrder),
    Invoice: ("order", "order_id", PurchaseOrder),
    InvoiceLine: ("invoice", "invoice_id", Invoice),
}


def _request_of(session: Session, obj: Any) -> PurchaseRequest | None:
    """The request ``obj`` belongs to, through its parents (or their ids, where a new
    row was given only those)."""
    while obj is not None and not isinstance(obj, PurchaseRequest):
        relationship, foreign_key, parent = _OWNER[type(obj)]
        owner = getattr(obj, relationship)
        if owner is None and getattr(obj, foreign_key) is not None:
            owner = session.get(parent, getattr(obj, foreign_key))
        obj = owner
    return obj


def _changed(obj: Any) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in _WATCHED[type(obj)])


def _touched(session: Session) -> Iterator[PurchaseRequest]:
    for obj in (*session.new, *session.deleted, *session.dirty):
        if type(obj) in _WATCHED and (obj not in session.dirty or _changed(obj)):
            request = _request_of(session, obj)
            if request is not None:
                yield request


@sa.event.listens_for(Session, "before_flush")
def _before(session: Session, _context: Any, _instances: Any) -> None:
    touched = set(_touched(session))
    requests = {request for request in touched if not _quiet(request, now=True)}
    known = {r.id for r in requests if r.id is not None and not _quiet(r, now=False)}
    for request in touched:
        sa.inspect(request).info.pop(_WAS, None)  # the flush makes the status the old one
    if requests:
        # The requests the flush touches, and their sums before it.
        session.info[NOTES.flushing] = (requests, summed(known, session) if known else {})


# A request in these has never been approved: it adds nothing to a budget, and no order
# or invoice of it can (the workflow reaches them only from a draft).
_QUIET = (RequestStatus.DRAFT, RequestStatus.PENDING_APPROVAL, RequestStatus.REJECTED)


_WAS = "procure.status_before_flush"


@sa.event.listens_for(PurchaseRequest.status, "set", active_history=True)
def _note_status(request: PurchaseRequest, _value: Any, old: Any, _initiator: Any) -> None:
    """The status a request had before this flush (the workflow marks the status
    modified to write its version, which leaves no history of it)."""
    info = sa.inspect(request).info
    if _WAS not in info and isinstance(old, RequestStatus):
        info[_WAS] = old


def _quiet(request: PurchaseRequest, *, now: bool) -> bool:
    """Whether ``request`` adds nothing to any budget before this flush (``now``: before
    and after it) — so that filing, submitting and the steps before the last approval
    cost no reads here."""
    state = sa.inspect(request)
    if state.pending:
        before = None
    elif _WAS in state.info:
        before = state.info[_WAS]
    else:
        unchanged = state.attrs.status.history.unchanged
        if not unchanged:
            return False  # not loaded: not known
        before = unchanged[0]
    quiet_before = before is None or before in _QUIET
    return quiet_before and (not now or request.status in _QUIET)


@sa.event.listens_for(Session, "after_flush")
def _after(session: Session, _context: Any) -> None:
    flushing = session.info.pop(NOTES.flushing, None)
    if flushing is None:
        return
    requests, before = flushing
    moved = difference(before, summed({request.id for request in requests}, session))
    if moved:
        NOTES.note(session, moved)


def _merged(noted: Iterable[tuple[Key, Amounts]]) -> dict[Key, Amounts]:
    merged: dict[Key, Amounts] = {}
    for key, amounts in noted:
        merged[key] = plus(merged.get(key), amounts)
    return {key: amounts for key, amounts in merged.items() if any(amounts)}


# A key's columns, in the order of :data:`Key`.
_KEY_COLUMNS = tuple(column.name for column in BudgetSum.__table__.primary_key.columns)


def _rows(sums: dict[Key, Amounts]) -> list[dict[str, Any]]:
    return [
        {
            **dict(zip(_KEY_COLUMNS, key, strict=True)),
            "total": amounts[0],
            "received": amounts[1],
            "paid": amounts[2],
        }
        for key, amounts in sorted(sums.items())
    ]


def add(moved: dict[Key, Amounts], session: Session | None = None) -> None:
    """Add ``moved`` to the kept rows, in key order (a row not kept yet starts at it)."""
    if not moved:
        return
    session = session or db.session
    table = BudgetSum.__table__
    insert = dialect_insert(table, session)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=list(_KEY_COLUMNS),
            set_={
                name: table.c[name] + insert.excluded[name]
                for name in ("total", "received", "paid")
            },
        ),
        _rows(moved),
    )


NOTES = Notes("budget_sum", _merged, add)


def read(
    departments: Iterable[int],
    years: Iterable[int],
    category_departments: Iterable[int] = (),
    categories: Iterable[str] = (),
) -> Iterator[tuple[Key, Amounts]]:
    """The sums of the departments' and years' whole budget keys, and of ``categories``
    in ``category_departments``: the kept rows, and what this transaction has changed
    and not yet added to them (a budget check sees the approvals before it)."""
    departments, years, categories = set(departments), set(years), set(categories)
    category_departments = set(category_departments)

    def wanted(key: Key) -> bool:
        department, year, category = key[:3]
        if department not in departments or year not in years:
            return False
        return not category or (category in categories and department in category_departments)

    table = BudgetSum.__table__
    wanted_category = sa.and_(
        table.c.department_id.in_(category_departments),
        table.c.category.in_(categories),
    )
    yield from _stored(
        (
            table.c.department_id.in_(departments),
            table.c.fiscal_year.in_(years),
            sa.or_(table.c.category == "", wanted_category),
        ),
        wanted,
    ).items()


def _stored(
    where: Iterable[Any] = (), wanted: Callable[[Key], bool] | None = None
) -> dict[Key, Amounts]:
    """The kept rows ``where`` selects, with this transaction's notes of the keys
    ``wanted`` accepts (None: all) added."""
    table = BudgetSum.__table__
    found = {
        tuple(row[: len(_KEY_COLUMNS)]): (row.total, row.received, row.paid)
        for row in db.session.execute(sa.select(table).where(*where))
    }
    for key, amounts in NOTES.noted():
        if wanted is None or wanted(key):
            found[key] = plus(found.get(key), amounts)
    return found


# Built and checked from the documents -------------------------------------------------------


def kept() -> dict[Key, Amounts]:
    """Every kept row, with what this transaction has changed, that is not all zeros."""
    return {key: amounts for key, amounts in _stored().items() if any(amounts)}


def rebuild() -> int:
    """Write every budget key's sums afresh from the documents (``seed-bench``, after its
    bulk writes); returns how many rows it wrote."""
    sums = summed()
    db.session.execute(sa.delete(BudgetSum.__table__))
    if sums:
        db.session.execute(sa.insert(BudgetSum.__table__), _rows(sums))
    return len(sums)


def differences() -> list[str]:
    """Each budget key whose kept sums the documents contradict, in words."""
    found, actual = kept(), summed()
    words = []
    for key in sorted(found.keys() | actual.keys()):
        has, should = found.get(key, (ZERO,) * 3), actual.get(key, (ZERO,) * 3)
        if has != should:
            department, year, category, source, status, rate, paid_rate = key
            words.append(
                f"budget sums of department #{department} {year} "
                f"{category or '(whole)'}, {source}s {status} at rate {rate.normalize()}"
                f"{f' paid at {paid_rate.normalize()}' if paid_rate else ''}: kept "
                f"{'/'.join(str(a) for a in has)}, from the documents "
                f"{'/'.join(str(a) for a in should)} (total/received/paid)"
            )
    return words
