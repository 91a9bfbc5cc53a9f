"""Helpers every area's forms share."""

from __future__ import annotations

from flask_wtf import FlaskForm

from .errors import ValidationError


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
