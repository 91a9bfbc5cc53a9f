"""Pagination for pages: a query cut into pages of ``PAGE_SIZE`` rows.

Lists ordered newest first by id page by keyset (``?after=ID`` / ``?before=ID``): the
database seeks to the id through the index, so the thousandth page costs what the
first does, where ``OFFSET`` would read and throw away every row before it. Other
lists page by ``?page=N``. Counting stops at ``COUNT_LIMIT`` rows ("10,000+"), so a
list of a million rows is not counted on every page view.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import sqlalchemy as sa
from flask import request, url_for
from sqlalchemy.ext.compiler import compiles

from .extensions import db

PAGE_SIZE = 25
COUNT_LIMIT = 10_000
MAX_PAGE = 1_000_000


@dataclasses.dataclass
class PageOf:
    items: list[Any]
    page: int
    per_page: int
    total: int
    # The count stopped at COUNT_LIMIT: there are more rows than ``total``.
    capped: bool = False
    # Keyset pages: the ids beside this page, None at either end of the list.
    after: int | None = None
    before: int | None = None
    keyset: bool = False

    @property
    def pages(self) -> int | None:
        if self.capped:
            return None
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.before is not None if self.keyset else self.page > 1

    @property
    def has_next(self) -> bool:
        if self.keyset:
            return self.after is not None
        if self.capped:
            # How many pages is not known: a short page is the last one.
            return len(self.items) == self.per_page
        return self.page < (self.pages or 1)

    @property
    def several(self) -> bool:
        return self.has_prev or self.has_next

    def url_for_page(self, page: int) -> str:
        return self._url(page=str(page))

    @property
    def prev_url(self) -> str | None:
        if not self.has_prev:
            return None
        if self.keyset:
            if self.page <= 2:
                return self._url()  # the first page: no cursor at all
            return self._url(page=str(self.page - 1), before=str(self.before))
        return self.url_for_page(self.page - 1)

    @property
    def next_url(self) -> str | None:
        if not self.has_next:
            return None
        if self.keyset:
            return self._url(page=str(self.page + 1), after=str(self.after))
        return self.url_for_page(self.page + 1)

    def _url(self, **cursor: str) -> str:
        args = {
            k: v for k, v in request.args.to_dict().items() if k not in ("page", "after", "before")
        }
        args.update(cursor)
        return url_for(request.endpoint, **(request.view_args or {}), **args)


def _positive(name: str, limit: int = MAX_PAGE) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and 0 < int(raw) <= limit else None


def requested_page() -> int:
    return _positive("page") or 1


def bounded_count(
    query: sa.Select[Any], limit: int | None = None, *, by_index: bool = False
) -> tuple[int, bool]:
    """``(count, capped)``: the rows of ``query``, counting no further than ``limit``
    (``COUNT_LIMIT`` by default). ``by_index``: a search the indexes serve, counted
    through them unless its matches are dense (``_through_indexes``)."""
    limit = COUNT_LIMIT if limit is None else limit
    # Count bare rows: not the columns of the entity and of its eager joins.
    rows = query.order_by(None).with_only_columns(sa.literal(1), maintain_column_froms=True)
    counting = sa.select(sa.func.count()).select_from(rows.limit(limit + 1).subquery())
    if by_index and _through_indexes(rows, limit):
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        counted = db.session.scalar(counting)
        db.session.execute(sa.text("SET LOCAL enable_seqscan = DEFAULT"))
    else:
        counted = db.session.scalar(counting)
    counted = counted or 0
    return min(counted, limit), counted > limit


def _through_indexes(rows: sa.Select[Any], limit: int) -> bool:
    """Whether to keep PostgreSQL from scanning the table for a search's capped count.
    Its planner takes a scan that stops at the limit's match, and so it is where the
    matches are spread evenly; where they gather late (a model bought in recent years)
    the scan reads most of the table: "macbo" at a million requests (6.9 M assets,
    23,000 matches) read 277,032 rows, 246 ms, and 17 ms through the trigram indexes'
    bitmaps. A bitmap holds every match, though: "wirel" (a million matches) took
    89 ms through it and 7 ms by the scan. So the indexes are taken when the matches
    the planner expects are fewer than the rows a scan would read to reach the limit
    among them evenly spread (fewer than the square root of limit × table rows)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return False
    froms = rows.get_final_froms()
    if len(froms) != 1 or not isinstance(froms[0], sa.Table):
        return True
    matches = _planned_rows(rows)
    table = _planned_rows(sa.select(sa.literal(1)).select_from(froms[0]))
    return matches * matches <= (limit + 1) * table


class _Explain(sa.sql.expression.Executable, sa.sql.expression.ClauseElement):
    """``EXPLAIN (FORMAT JSON)`` of a statement, its parameters bound as they are."""

    inherit_cache = False

    def __init__(self, statement: sa.Select[Any]) -> None:
        self.statement = statement


@compiles(_Explain, "postgresql")
def _explain(element: _Explain, compiler: Any, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


def _planned_rows(statement: sa.Select[Any]) -> float:
    """The rows PostgreSQL's planner expects ``statement`` to give."""
    plan = db.session.execute(_Explain(statement)).scalar_one()
    return float(plan[0]["Plan"]["Plan Rows"])


def paginate_page(
    query: sa.Select[Any],
    per_page: int = PAGE_SIZE,
    *,
    key: sa.ColumnElement[int] | None = None,
    count_limit: int | None = None,
    count_by_index: bool = False,
) -> PageOf:
    """One page of ``query``. Pass ``key`` (the id column the query is ordered by,
    descending) to page by keyset, ``count_limit`` to count no further than that
    (``COUNT_LIMIT`` by default), ``count_by_index`` to count through indexes (a search
    the trigram indexes serve: ``bounded_count``)."""
    page = requested_page()
    total, capped = bounded_count(query, count_limit, by_index=count_by_index)
    if key is None:
        items = list(
            db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique()
        )
        return PageOf(items, page, per_page, total, capped)
    after, before = _positive("after", 2**63 - 1), _positive("before", 2**63 - 1)
    if after is not None:
        rows = _rows(query.where(key < after), per_page + 1)
        more_after, more_before = len(rows) > per_page, True
        rows = rows[:per_page]
    elif before is not None:
        rows = _rows(query.where(key > before).order_by(None).order_by(key.asc()), per_page + 1)
        more_after, more_before = True, len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
    else:
        # An old ?page=N link still works, by offset; the links this page makes seek.
        rows = _rows(query.offset((page - 1) * per_page), per_page + 1)
        more_after, more_before = len(rows) > per_page, page > 1
        rows = rows[:per_page]
    if before is not None and not more_before:
        page = 1
    ids = [_id_of(row) for row in rows]
    if not ids:
        # Past the end (a stale link): the way back is the page before the cursor.
        back = after if after is not None else None
        return PageOf([], page, per_page, total, capped, before=back, keyset=True)
    return PageOf(
        rows,
        page,
        per_page,
        total,
        capped,
        after=ids[-1] if more_after else None,
        before=ids[0] if more_before else None,
        keyset=True,
    )


def _rows(query: sa.Select[Any], limit: int) -> list[Any]:
    return list(db.session.scalars(query.limit(limit)).unique())


def _id_of(row: Any) -> int:
    return row.id
