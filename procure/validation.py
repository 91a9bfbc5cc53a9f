"""Collecting what is wrong with an input, field by field.

A service checks everything it was given and reports every problem at once,
each beside its field (``title``, ``lines.3.unit_price``)::

    errors = FieldErrors()
    title = errors.text(data.title, "title", max_length=200, required=True)
    if data.end < data.start:
        errors.add("end_date", "The end date is before the start date.")
    errors.raise_if_any()

``raise_if_any`` raises one :class:`~procure.errors.ValidationError` whose
message is the first problem and whose ``fields`` hold them all: the API answers
them as API.md's ``fields``, pages show each beside its field (``procure.web``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from email_validator import EmailNotValidError, validate_email

from .errors import ValidationError


class FieldErrors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def __contains__(self, field: str) -> bool:
        return field in self.fields

    @contextlib.contextmanager
    def collect(self) -> Iterator[None]:
        """Gather the problems a check raises instead of stopping at the first field."""
        try:
            yield
        except ValidationError as exc:
            for field, messages in (exc.fields or {"": [exc.message]}).items():
                for message in messages:
                    self.add(field, message)

    def raise_if_any(self) -> None:
        if self.fields:
            first = next(iter(self.fields.values()))[0]
            raise ValidationError(first, fields=self.fields)

    def text(
        self,
        value: str | None,
        field: str,
        *,
        max_length: int = 200,
        required: bool = False,
        missing: str = "This field is required.",
    ) -> str:
        """``value`` stripped; an error when required and empty, or too long."""
        text = (value or "").strip()
        if required and not text:
            self.add(field, missing)
        elif len(text) > max_length:
            self.add(field, f"Use at most {max_length:,} characters.")
        return text

    def email(self, value: str | None, field: str, *, required: bool = False) -> str:
        """An e-mail address, normalised; an error when it is not one."""
        text = self.text(value, field, max_length=254, required=required)
        if not text or field in self:
            return text
        try:
            # No deliverability check: that needs the network, and mail for internal
            # addresses may not resolve from here.
            return validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            self.add(field, f"This is not a valid e-mail address: {exc}")
            return text


def text(value: str | None, field: str, *, max_length: int = 200, required: bool = True) -> str:
    """One text field on its own: stripped, or a ``ValidationError`` naming the field."""
    errors = FieldErrors()
    cleaned = errors.text(value, field, max_length=max_length, required=required)
    errors.raise_if_any()
    return cleaned
