"""Pagination for pages: ``?page=N`` over a query, with the count done in SQL."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import sqlalchemy as sa
from flask import request, url_for

from .extensions import db

PAGE_SIZE = 25


@dataclasses.dataclass
class PageOf:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def url_for_page(self, page: int) -> str:
        args = request.args.to_dict()
        args["page"] = str(page)
        return url_for(request.endpoint, **(request.view_args or {}), **args)


def requested_page() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) <= 1_000_000 else 1


def paginate_page(query: sa.Select[Any], per_page: int = PAGE_SIZE) -> PageOf:
    page = requested_page()
    total = (
        db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
        or 0
    )
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return PageOf(items, page, per_page, total)
