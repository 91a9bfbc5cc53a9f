"""A small, strict reader of SCIM filters (RFC 7644 §3.4.2.2).

Directories look accounts up one at a time before they create them (Entra ID:
``userName eq "ada@example.org"``, Okta likewise, groups by ``displayName``), so that
is all this reads: one attribute of a short list, ``eq``, one quoted string. Anything
else, ``or``/``and`` included, is refused with 400 ``invalidFilter`` rather than
half-understood: a filter read wrongly would answer the wrong accounts.
"""

from __future__ import annotations

import dataclasses
import json
import re

from .errors import invalid_filter

MAX_LENGTH = 1000
_FILTER = re.compile(
    r'\s*(?P<attribute>[A-Za-z][\w.:$-]*)\s+(?P<operator>[A-Za-z]+)\s+(?P<value>"(?:[^"\\]|\\.)*")\s*'
)


@dataclasses.dataclass(frozen=True)
class Equals:
    """``attribute eq "value"``; ``attribute`` as the resource type spells it."""

    attribute: str
    value: str


def parse(text: str, attributes: tuple[str, ...], schema: str) -> Equals:
    """Read ``text``; ``attributes`` are those a filter may name (in their SCIM
    spelling), ``schema`` the resource's schema URN, which may prefix them."""
    if len(text) > MAX_LENGTH:
        raise invalid_filter(f"The filter is longer than {MAX_LENGTH} characters.")
    match = _FILTER.fullmatch(text)
    if match is None:
        raise invalid_filter(
            'Only filters of the form attribute eq "value" are understood here, '
            f"with one of: {', '.join(attributes)}."
        )
    name = match["attribute"]
    if name.lower().startswith(schema.lower() + ":"):
        name = name[len(schema) + 1 :]
    known = {attribute.lower(): attribute for attribute in attributes}
    if name.lower() not in known:
        raise invalid_filter(
            f"Filtering on {match['attribute']!r} is not supported; use one of: "
            f"{', '.join(attributes)}."
        )
    if match["operator"].lower() != "eq":
        raise invalid_filter(f"The operator {match['operator']!r} is not supported; use eq.")
    try:
        value = json.loads(match["value"])
    except ValueError:
        raise invalid_filter("The filter's value is not a valid quoted string.") from None
    return Equals(known[name.lower()], value)
