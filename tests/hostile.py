"""The hostile input corpus, and the checks of what becomes of it.

Classes of input, each a few concrete values (the first packs several attacks into one
string, so that a field given one value of each class meets them all):

- ``markup``: script tags, attribute break-outs, event handlers, ``javascript:`` links,
  tags that make a renderer fetch a URL;
- ``template``: server-side template syntax (Jinja and others);
- ``sql``: quotes, comments and ``LIKE`` wildcards;
- ``control``: NUL, CR/LF, escape sequences and the other C0 controls;
- ``bidi``: right-to-left overrides and isolates;
- ``zero_width``: zero-width spaces and joiners, a byte-order mark;
- ``formula``: what a spreadsheet runs when a CSV cell starts with = + - @;
- ``unicode``: a lone surrogate, combining marks, non-characters;
- ``number``: 1e308, 10**400, -1, NaN and Infinity (as JSON), their spellings as text;
- ``wrong_type``: null, booleans, arrays and objects where a scalar belongs;
- ``nesting``: arrays nested 200 deep in a field, and 10,000 deep as a whole body;
- ``huge``: a 1 MB string (under the 1 MiB body limit) and a body over the limit.

Everything is deterministic: which value of a class a field gets rotates with the
field's position, so the corpus is spread over the fields without randomness.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

LONG = 1_000_000  # characters: a body with it stays under MAX_CONTENT_LENGTH (1 MiB)
OVER_LIMIT = 1024 * 1024 + 1  # bytes of padding: any body with it is over the limit
DEEP = 10_000


@dataclasses.dataclass(frozen=True)
class Payload:
    kind: str
    value: Any  # a JSON value; a ``str`` for forms

    @property
    def text(self) -> bool:
        return isinstance(self.value, str)


TEXT: dict[str, list[str]] = {
    "markup": [
        '<script>alert("hx")</script>"><img src=x onerror=alert(1)></textarea>'
        "<svg/onload=alert(2)>",
        '<a href="javascript:alert(3)">x</a><iframe srcdoc="<script>alert(4)</script>">',
        "<img src=\"http://127.0.0.1:9/hx.png\"><link rel=stylesheet href='file:///etc/passwd'>"
        "<style>@import url(http://127.0.0.1:9/hx.css)</style>",
    ],
    "template": ["{{7*7}} {{ config }} {% raw %}", "${7*7} #{7*7} <%= 7*7 %> {{'a'|upper}}"],
    "sql": ["' OR 1=1 --", "\"; DROP TABLE users; -- 100%_\\'"],
    "control": ["nul\x00 cr\r\nlf esc\x1b[31m bell\x07 del\x7f", "vt\x0b ff\x0c bs\x08 nul\x00"],
    "bidi": ["invoice\u202egnp.exe", "\u2067isolate\u2069 \u202dlro\u202c"],
    "zero_width": ["zero\u200bwidth\u200c\u200d", "\ufeffbom\u2060joiner"],
    "formula": ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1:A9)"],
    "unicode": ["lone \ud800 surrogate", "e\u0301 \U0001f600 \uffff\ufffe"],
}
NUMBERS: list[Any] = [
    1e308,
    10**400,
    -1,
    float("nan"),
    float("inf"),
    float("-inf"),
    "1e308",
    "9" * 400,
    "-1",
    "NaN",
    "Infinity",
    "\u0661\u0662\u0663",  # Arabic-Indic digits: int() reads them, people do not mean them
]
WRONG_TYPES: list[Any] = [None, True, [], {}, ["a", 1], {"a": 1}, "text", 12]
FORM_NUMBERS = [n for n in NUMBERS if isinstance(n, str)]


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def deep_body(depth: int = DEEP) -> str:
    """A JSON text nested ``depth`` deep: valid JSON that naive parsers recurse over."""
    return "[" * depth + "]" * depth


def dumps(value: Any) -> str:
    """JSON as an attacker writes it: NaN and Infinity literals, 400-digit integers."""
    return json.dumps(value, allow_nan=True)


def _pick(values: list[Any], index: int) -> Any:
    return values[index % len(values)]


def for_json_field(index: int, kind: str) -> list[Payload]:
    """One value of every class for the ``index``-th field (of ``kind``) of an API body."""
    payloads = [Payload(name, _pick(values, index)) for name, values in TEXT.items()]
    payloads.append(Payload("number", _pick(NUMBERS, index)))
    payloads.append(Payload("wrong_type", _pick(WRONG_TYPES, index)))
    payloads.append(Payload("nesting", nested(200)))
    if kind == "text":
        payloads.append(Payload("huge", "x" * LONG))
    return payloads


def for_form_field(index: int, kind: str) -> list[Payload]:
    """The same for a form field, where everything arrives as text (``wrong_type`` is the
    field sent twice)."""
    payloads = [Payload(name, _pick(values, index)) for name, values in TEXT.items()]
    payloads.append(Payload("number", _pick(FORM_NUMBERS, index)))
    payloads.append(Payload("wrong_type", ["first", "second"]))
    if kind == "text":
        payloads.append(Payload("huge", "x" * LONG))
    return payloads


def json_fields(schema: dict[str, Any], defs: dict[str, Any], prefix=()) -> list[tuple]:
    """Every field of a JSON schema object, nested ones included: ``(path, kind)`` where
    a path is a tuple of names and list indexes, and ``kind`` is ``text`` for free text
    (the one place markup could be stored) or the schema's type otherwise."""
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[1]]
    fields = []
    for name, prop in schema.get("properties", {}).items():
        path = (*prefix, name)
        options = prop.get("anyOf", [prop])
        options = [defs[o["$ref"].rsplit("/", 1)[1]] if "$ref" in o else o for o in options]
        kinds = {o.get("type") for o in options} - {"null"}
        model = next((o for o in options if o.get("properties")), None)
        array = next((o for o in options if o.get("type") == "array"), None)
        if model is not None:
            fields.append((path, "object"))
            fields.extend(json_fields(model, defs, path))
        elif array is not None:
            fields.append((path, "array"))
            items = array.get("items", {})
            if "$ref" in items or items.get("properties"):
                fields.extend(json_fields(items, defs, (*path, 0)))
            elif items.get("type") == "string":
                fields.append(((*path, 0), "text"))
        elif kinds == {"string"} and not any(
            o.get("format") or o.get("pattern") or o.get("enum") for o in options
        ):
            fields.append((path, "text"))
        else:
            fields.append((path, "/".join(sorted(k or "any" for k in kinds))))
    return fields


def with_value(body: Any, path: tuple, value: Any) -> Any:
    """A deep copy of ``body`` with ``path`` set to ``value`` (missing parents created)."""
    copy = json.loads(json.dumps(body))
    target = copy
    for step, following in zip(path, path[1:], strict=False):
        if isinstance(step, int):
            while len(target) <= step:
                target.append({})
            target = target[step]
        else:
            if not isinstance(target.get(step), list | dict):
                target[step] = [] if isinstance(following, int) else {}
            target = target[step]
    last = path[-1]
    if isinstance(last, int):
        while len(target) <= last:
            target.append(None)
    target[last] = value
    return copy


# What must never come out -------------------------------------------------------------

# Tags and attributes of the markup class as a browser would act on them; escaped, they
# read "&lt;script" and never match.
ACTIVE_MARKUP = re.compile(
    r"<script>alert|<img src=x onerror|<svg/onload|<iframe srcdoc|<a href=\"javascript:"
    r"|<img src=\"http://127\.0\.0\.1|<link rel=stylesheet href='file:|<style>@import",
    re.IGNORECASE,
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def active_markup(html: str) -> list[str]:
    """The hostile markup that reached ``html`` unescaped (empty: none)."""
    return sorted(set(ACTIVE_MARKUP.findall(html)))


def evaluated_template(html: str) -> bool:
    """Whether template syntax typed by a user was evaluated (``{{7*7}}`` became 49)."""
    return "49 {{ config }}" in html or "49 <Config" in html or "'A'" in html
