"""Request types (standard hardware, SaaS…): the extra fields admin defines for a kind of
request, and the values a request gives them.

A type's ``fields`` are a list of ``{"name", "label", "kind", "required", "choices"}``;
``kind`` is ``text``, ``yes_no``, ``number`` or ``choice`` (``choices`` only and always
for a choice). A request keeps its type's code in ``type_code`` and the values in
``fields``, each as a string (a yes/no as ``"yes"`` or ``"no"``), which is what the
approval policy (``procure/policy.py``) compares a rule's ``field_value`` with.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from . import access, audit
from .errors import NotFound
from .extensions import db
from .models import RequestType, User
from .validation import FieldErrors

KINDS = ("text", "yes_no", "number", "choice")
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
FIELD_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS = 30
MAX_CHOICES = 50
LABEL_MAX = 200
TEXT_MAX = 1000
YES = ("yes", "true", "1", "y", "on")
NO = ("no", "false", "0", "n", "off")


def list_types(*, active_only: bool = False) -> list[RequestType]:
    query = sa.select(RequestType).order_by(RequestType.active.desc(), RequestType.code)
    if active_only:
        query = query.where(RequestType.active.is_(True))
    return list(db.session.scalars(query))


def by_code(code: str | None) -> RequestType | None:
    if not code:
        return None
    return db.session.scalar(sa.select(RequestType).where(RequestType.code == code))


def get(type_id: int) -> RequestType:
    request_type = db.session.get(RequestType, type_id)
    if request_type is None:
        raise NotFound("No such request type.")
    return request_type


# Defining a type ---------------------------------------------------------------------------


def _clean_field(raw: Any, prefix: str, errors: FieldErrors) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        errors.add(prefix, "Give each field as an object with a name, label and kind.")
        return None
    name = raw.get("name")
    if not isinstance(name, str) or not FIELD_PATTERN.match(name.strip()):
        errors.add(
            f"{prefix}.name", "Use lower-case letters, digits or '_' (up to 40), e.g. users."
        )
        name = ""
    label = raw.get("label")
    label = label.strip() if isinstance(label, str) else ""
    if not label:
        label = name.strip().replace("_", " ").capitalize()
    if len(label) > LABEL_MAX:
        errors.add(f"{prefix}.label", f"Use at most {LABEL_MAX} characters.")
    kind = raw.get("kind")
    if kind not in KINDS:
        errors.add(f"{prefix}.kind", "Choose text, yes_no, number or choice.")
    required = raw.get("required", False)
    if not isinstance(required, bool):
        errors.add(f"{prefix}.required", "Give true or false.")
    choices = raw.get("choices")
    clean_choices: list[str] = []
    if kind == "choice":
        if not isinstance(choices, list) or not choices:
            errors.add(f"{prefix}.choices", "A choice field needs its choices.")
        elif len(choices) > MAX_CHOICES or not all(
            isinstance(c, str) and c.strip() and len(c.strip()) <= LABEL_MAX for c in choices
        ):
            errors.add(
                f"{prefix}.choices",
                f"Give up to {MAX_CHOICES} non-empty choices of at most {LABEL_MAX} characters.",
            )
        else:
            clean_choices = [c.strip() for c in choices]
            if len(set(clean_choices)) != len(clean_choices):
                errors.add(f"{prefix}.choices", "Each choice once.")
    elif choices not in (None, []):
        errors.add(f"{prefix}.choices", "Only a choice field has choices.")
    return {
        "name": name.strip(),
        "label": label,
        "kind": kind,
        "required": required is True,
        "choices": clean_choices if kind == "choice" else None,
    }


def clean_definition(code: Any, name: Any, fields: Any) -> tuple[str, str, list[dict]]:
    """A type's code, name and fields checked; every problem at once, by field."""
    errors = FieldErrors()
    code = code.strip() if isinstance(code, str) else ""
    if not CODE_PATTERN.match(code):
        errors.add("code", "Use lower-case letters, digits, '-' or '_' (up to 40), e.g. saas.")
    elif by_code(code) is not None:
        errors.add("code", f"There is already a request type {code!r}.")
    name = errors.text(name if isinstance(name, str) else "", "name", required=True)
    clean: list[dict] = []
    if not isinstance(fields, list):
        errors.add("fields", "Give the fields as a list.")
    elif len(fields) > MAX_FIELDS:
        errors.add("fields", f"A request type has at most {MAX_FIELDS} fields.")
    else:
        seen: set[str] = set()
        for index, raw in enumerate(fields):
            field = _clean_field(raw, f"fields.{index}", errors)
            if field is None or not field["name"]:
                continue
            if field["name"] in seen:
                errors.add(f"fields.{index}.name", f"There is already a field {field['name']!r}.")
            seen.add(field["name"])
            clean.append(field)
    errors.raise_if_any()
    return code, name, clean


def create(code: Any, name: Any, fields: Any, *, actor: User) -> RequestType:
    access.require(actor, "administer", action="define request types")
    code, name, clean = clean_definition(code, name, fields)
    request_type = RequestType(code=code, name=name, fields=clean, active=True)
    db.session.add(request_type)
    db.session.flush()
    audit.record(
        "request_type",
        request_type.id,
        "create",
        actor=actor,
        changes={"code": code, "name": name, "fields": clean},
    )
    return request_type


def set_active(request_type: RequestType, active: bool, *, actor: User) -> None:
    """A type no longer offered to new requests (its requests keep it)."""
    access.require(actor, "administer", action="change request types")
    if request_type.active != active:
        request_type.active = active
        db.session.flush()
        audit.record(
            "request_type",
            request_type.id,
            "update",
            actor=actor,
            changes={"active": [not active, active]},
        )


# A request's values ------------------------------------------------------------------------


def field_value(field: dict[str, Any], raw: Any) -> tuple[str | None, str | None]:
    """(the value as stored, None) or (None, the problem); (None, None) when empty."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    kind = field["kind"]
    if kind == "yes_no":
        if isinstance(raw, bool):
            return ("yes" if raw else "no"), None
        if isinstance(raw, str) and raw.strip().lower() in YES + NO:
            return ("yes" if raw.strip().lower() in YES else "no"), None
        return None, "Answer yes or no."
    if kind == "number":
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            return None, "Give a number."
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            return None, "Give a number."
        if not number.is_finite() or abs(number) >= Decimal("1e12"):
            return None, "Give a number."
        text = f"{number.normalize():f}"
        return text, None
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        return None, "Give a text."
    text = str(raw).strip()
    if kind == "choice":
        if text not in (field.get("choices") or []):
            return None, "Choose one of: " + ", ".join(field.get("choices") or []) + "."
        return text, None
    if len(text) > TEXT_MAX:
        return None, f"Use at most {TEXT_MAX:,} characters."
    return text, None


def check_values(
    code: str | None, values: dict[str, Any] | None, errors: FieldErrors, *, current: str | None
) -> tuple[str | None, dict[str, str]]:
    """The request's type code and its field values as stored; problems on ``type`` and
    ``fields.<name>``. An inactive type is refused unless the request already has it
    (``current``)."""
    values = values or {}
    request_type = None
    if code:
        request_type = by_code(code)
        if request_type is None or (not request_type.active and code != current):
            errors.add("type", f"There is no request type {code!r}.")
            request_type = None
    if not isinstance(values, dict):
        errors.add("fields", "Give the fields as an object of names and values.")
        return (request_type.code if request_type else None), {}
    defined = {field["name"]: field for field in (request_type.fields if request_type else [])}
    clean: dict[str, str] = {}
    for name in values:
        if name not in defined:
            what = f"request type {request_type.code!r}" if request_type else "no request type"
            errors.add(f"fields.{name}"[:200], f"There is no field {name!r} for {what}.")
    for name, field in defined.items():
        value, problem = field_value(field, values.get(name))
        if problem:
            errors.add(f"fields.{name}", problem)
        elif value is None:
            if field.get("required"):
                errors.add(f"fields.{name}", f"Give {field['label']}.")
        else:
            clean[name] = value
    return (request_type.code if request_type else None), clean


def labelled(request_type: RequestType | None, values: dict[str, Any] | None) -> list:
    """The request's field values as (label, value) pairs in the type's order, for pages."""
    values = values or {}
    if request_type is None:
        return sorted(values.items())
    return [
        (field["label"], values[field["name"]])
        for field in request_type.fields
        if field["name"] in values
    ]
