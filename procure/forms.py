"""Helpers every area's forms share."""

from __future__ import annotations

import re

import wtforms
from flask_wtf import FlaskForm

from .errors import ValidationError

_INTEGER = re.compile(r"[+-]?\d{1,15}", re.ASCII)


class IntegerField(wtforms.IntegerField):
    """An integer as people type it: ASCII digits, at most 15 of them.

    WTForms' own reads any digits Python does (Arabic-Indic "١٢٣" is 123) of any
    length, and its NumberRange then turns a 400-digit number into a float, which
    overflows: a 500 instead of "not a valid number"."""

    def process_formdata(self, valuelist: list) -> None:
        if valuelist and valuelist[0] not in ("", None):
            if not _INTEGER.fullmatch(str(valuelist[0]).strip()):
                self.data = None
                raise ValueError(self.gettext("Give a whole number of at most 15 digits."))
        super().process_formdata(valuelist)


def apply_errors(form: FlaskForm, exc: ValidationError) -> None:
    """Put a service's validation errors beside the form's fields."""
    placed = False
    for name, messages in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + list(messages)
            placed = True
    if not placed:
        form.form_errors.append(exc.message)


def submitted_version(form: FlaskForm) -> int | None:
    """The document version a form was rendered with (its hidden ``version`` field),
    so that a change made meanwhile by someone else is refused, not overwritten."""
    raw = (form.version.data or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None
