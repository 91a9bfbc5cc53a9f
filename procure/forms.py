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
