"""Notes against a session's transaction, for figures kept beside the documents (the
budget sums, the documents' counts): what a flush changed is noted against the
savepoint it happened in, so that a savepoint rolled back takes its notes with it; just
before the transaction commits, the notes are merged and written to the kept rows — at
the very end, so that two transactions wait on those rows only while committing. A
flush during the commit itself writes straight to the rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, SessionTransaction

from .extensions import db

Moved = dict[Any, Any]  # a key of the kept rows -> what to add to it


def within(savepoint: SessionTransaction | None, ended: SessionTransaction) -> bool:
    """Whether ``savepoint`` (None: the transaction) is ``ended`` or inside it."""
    while savepoint is not None:
        if savepoint is ended:
            return True
        savepoint = savepoint.parent
    return False


class Notes:
    """One kind of kept figures' notes. ``merge`` adds up the noted (key, value) pairs
    into what to write, leaving out what adds nothing; ``write`` adds that to the rows.
    ``flushing`` is the key under which the owner keeps, in ``session.info``, what a
    flush touches between its before and after (forgotten on a rollback)."""

    def __init__(
        self,
        name: str,
        merge: Callable[[Iterable[tuple[Any, Any]]], Moved],
        write: Callable[[Moved, Session], None],
    ) -> None:
        self.flushing = f"procure.{name}_flush"
        self._notes = f"procure.{name}_notes"  # [(the savepoint or None, moved)]
        self._committing = f"procure.{name}_committing"
        self._merge, self._write = merge, write
        sa.event.listen(Session, "before_commit", self._before_commit)
        sa.event.listen(Session, "after_commit", self._after_commit)
        sa.event.listen(Session, "after_soft_rollback", self._after_soft_rollback)

    def note(self, session: Session, moved: Moved) -> None:
        """What a flush changed: written at once during the commit, else noted against
        the savepoint the flush happened in."""
        if session.info.get(self._committing):
            self._write(moved, session)
        else:
            session.info.setdefault(self._notes, []).append(
                (session.get_nested_transaction(), moved)
            )

    def noted(self, session: Session | None = None) -> Iterator[tuple[Any, Any]]:
        """What this transaction has changed and not yet written to the kept rows."""
        for _savepoint, moved in (session or db.session).info.get(self._notes, ()):
            yield from moved.items()

    def _before_commit(self, session: Session) -> None:
        if session.in_nested_transaction():
            return  # a savepoint's notes wait for the transaction
        session.flush()
        session.info[self._committing] = True
        merged = self._merge(self.noted(session))
        session.info.pop(self._notes, None)
        self._write(merged, session)

    def _after_commit(self, session: Session) -> None:
        if not session.in_nested_transaction():
            session.info.pop(self._committing, None)

    def _after_soft_rollback(self, session: Session, ended: SessionTransaction) -> None:
        session.info.pop(self.flushing, None)
        if not ended.nested:
            session.info.pop(self._notes, None)
            session.info.pop(self._committing, None)
            return
        notes = session.info.get(self._notes, [])
        notes[:] = [(point, moved) for point, moved in notes if not within(point, ended)]
