"""Request types on ``/admin/request-types``: the kinds of request and their extra
fields, listed, defined and switched off (``procure/request_types.py`` does the work).

Without JavaScript a type's fields are typed one a line, ``name; label; kind;
required|optional; choice, choice``, e.g. ``personal_data; Handles personal data;
yes_no; required``."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from .. import request_types, web
from ..errors import ValidationError
from . import bp

FIELDS_HELP = (
    "One field a line: name; label; kind (text, yes_no, number or choice); required or "
    "optional; and for a choice its choices separated by commas. E.g. "
    "personal_data; Handles personal data; yes_no; required"
)


class RequestTypeForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[DataRequired(), Length(max=40)],
        description="Lower-case letters, digits, '-' or '_', e.g. saas.",
    )
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    fields = TextAreaField("Fields", validators=[Length(max=20_000)], description=FIELDS_HELP)
    submit = SubmitField("Add the request type")


class ToggleTypeForm(FlaskForm):
    submit = SubmitField("Change")


def parse_fields(text: str) -> list[dict[str, Any]]:
    """The fields typed one a line, as the service takes them (it checks them)."""
    fields = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(";")]
        parts += [""] * (5 - len(parts))
        name, label, kind, required, choices = parts[:5]
        field: dict[str, Any] = {
            "name": name,
            "label": label,
            "kind": kind,
            "required": required.lower() == "required",
        }
        if choices:
            field["choices"] = [choice.strip() for choice in choices.split(",")]
        fields.append(field)
    return fields


def _fields_errors(exc: ValidationError) -> ValidationError:
    """Problems of ``fields.N.…`` said on the textarea, naming the line."""
    fields: dict[str, list[str]] = {}
    for name, messages in (exc.fields or {}).items():
        parts = name.split(".")
        if parts[0] == "fields" and len(parts) > 1 and parts[1].isdigit():
            line = int(parts[1]) + 1
            fields.setdefault("fields", []).extend(f"Line {line}: {m}" for m in messages)
        else:
            fields.setdefault(name, []).extend(messages)
    return ValidationError(exc.message, fields=fields)


def _render(form: RequestTypeForm, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template(
        "admin/request_types.html",
        form=form,
        types=request_types.list_types(),
        toggle_form=ToggleTypeForm(),
    ), status


@bp.route("/request-types", methods=["GET", "POST"])
def request_types_page():
    form = RequestTypeForm()
    if request.method == "GET":
        return _render(form)
    if form.validate():
        try:
            created = request_types.create(
                form.code.data, form.name.data, parse_fields(form.fields.data), actor=current_user
            )
        except ValidationError as exc:
            web.show_errors(form, _fields_errors(exc))
        else:
            flash(f"The request type {created.name} is added.", "success")
            return redirect(url_for(".request_types_page"))
    return _render(form, 422)


@bp.post("/request-types/<int:type_id>/toggle")
def toggle_request_type(type_id: int):
    request_type = request_types.get(type_id)
    if ToggleTypeForm().validate_on_submit():
        request_types.set_active(request_type, not request_type.active, actor=current_user)
        state = "offered again" if request_type.active else "no longer offered"
        flash(f"{request_type.name} is {state} to new requests.", "success")
    return redirect(url_for(".request_types_page"))
