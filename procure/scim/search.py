"""``POST /.search`` (RFC 7644 §3.4.3): one query over users and groups together, with
the query's parameters in the body. The filter keeps its small grammar; it searches the
resource types whose attributes it names (``displayName``, ``externalId``: both)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from . import filters, groups, users
from .errors import ScimError, invalid_filter, invalid_value
from .protocol import Shape
from .resources import GROUP_SCHEMA, MAX_RESULTS, USER_SCHEMA

SEARCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

Search = Callable[[str | None, int, int], tuple[int, list[dict[str, Any]]]]
SOURCES: tuple[tuple[Search, tuple[str, ...], str], ...] = (
    (users.search, users.FILTERABLE, USER_SCHEMA),
    (groups.search, groups.FILTERABLE, GROUP_SCHEMA),
)


@dataclasses.dataclass(frozen=True)
class SearchRequest:
    filter: str | None
    start: int
    count: int
    shape: Shape


def _names(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise invalid_value(f"{key} must be a list of attribute names.")
    return tuple(value)


def _whole(data: dict[str, Any], key: str, default: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_value(f"{key} must be a whole number.")
    return value


def read(data: dict[str, Any]) -> SearchRequest:
    if SEARCH_SCHEMA not in (data.get("schemas") or []):
        raise ScimError(
            400, f"A search request names the schema {SEARCH_SCHEMA}.", "invalidSyntax"
        )
    filter_text = data.get("filter")
    if filter_text is not None and not isinstance(filter_text, str):
        raise invalid_filter("The filter must be a string.")
    start = max(_whole(data, "startIndex", 1), 1)
    count = min(max(_whole(data, "count", MAX_RESULTS), 0), MAX_RESULTS)
    return SearchRequest(
        filter_text,
        start,
        count,
        Shape(_names(data, "attributes"), _names(data, "excludedAttributes")),
    )


def _applies(filter_text: str | None, attributes: tuple[str, ...], schema: str) -> bool:
    if filter_text is None:
        return True
    try:
        filters.parse(filter_text, attributes, schema)
    except ScimError:
        return False
    return True


def everything(query: SearchRequest) -> tuple[int, list[dict[str, Any]]]:
    """(total, one page): the users, then the groups, each in the order of their ids."""
    sources = [
        search for search, names, schema in SOURCES if _applies(query.filter, names, schema)
    ]
    if not sources:
        # Said as the users' grammar says it: the message names what a filter may hold.
        filters.parse(query.filter or "", users.FILTERABLE + groups.FILTERABLE, USER_SCHEMA)
    total, found = 0, []
    skip, room = query.start - 1, query.count
    for search in sources:
        size, _none = search(query.filter, 1, 0)
        if skip < size and room > 0:
            _size, page = search(query.filter, skip + 1, room)
            found.extend(page)
            room -= len(page)
        skip = max(skip - size, 0)
        total += size
    return total, found
