"""What typed text may hold: everything but control characters (and lone surrogates).

Tabs and line breaks are text; the other C0 controls and DEL are not. Nobody types
them into a form, PostgreSQL refuses NUL in a text column outright (a 500 instead of
an answer), and an escape sequence stored in a name would later repaint the terminal
of whoever prints it. So they are refused wherever text comes in, with a 422 naming
the field: the query string and form of every page, the query and JSON body of every
API operation (``procure.api.spec.parse``). Everything else — markup, quotes, right-to-
left marks, zero-width characters — is stored as typed and escaped on the way out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask import Flask, render_template, request

from .error_pages import json_error, wants_json
from .security import is_scim_path, scim_error

# And a lone UTF-16 surrogate (JSON's "\ud800"), which is no character at all: no
# database can store it in UTF-8.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def message(char: str) -> str:
    if 0xD800 <= ord(char) <= 0xDFFF:
        return f"Remove U+{ord(char):04X}: half of a character's surrogate pair is no text."
    return (
        f"Remove the control character U+{ord(char):04X}: text may hold tabs and line "
        "breaks, but no other control characters."
    )


def problems(values: Iterable[tuple[str, Any]]) -> dict[str, list[str]]:
    """``{field: [message]}`` for every ``(field, value)`` whose text holds a control
    character; lists, tuples and dicts are looked into (``lines.0.description``)."""
    found: dict[str, list[str]] = {}
    stack = list(values)
    while stack:
        name, value = stack.pop()
        if isinstance(value, str):
            match = CONTROL.search(value)
            if match:
                found.setdefault(name, [message(match.group())])
        elif isinstance(value, dict):
            stack.extend((f"{name}.{key}" if name else str(key), v) for key, v in value.items())
        elif isinstance(value, list | tuple):
            stack.extend((f"{name}.{index}", v) for index, v in enumerate(value))
    return dict(sorted(found.items()))


def in_request() -> dict[str, list[str]]:
    """The problems of the query string and the submitted form (not uploaded files)."""
    fields = [(key, value) for key, value in request.args.items(multi=True)]
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        fields += [(key, value) for key, value in request.form.items(multi=True)]
    return problems(fields)


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_control_characters():  # type: ignore[no-untyped-def]
        found = in_request()
        if not found:
            return None
        first = next(iter(found))
        text = f"{first}: {found[first][0]}"

        if is_scim_path(request.path):
            return scim_error(400, text, "invalidValue")
        if wants_json():
            return json_error(422, "validation_error", text, found)
        return render_template("errors/400.html", title="Not accepted", message=text), 422
