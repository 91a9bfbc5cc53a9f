"""The request type and its fields on the request form.

The form's class is built for the chosen type: a ``type`` select and, under
``fields``, one input per field of the type (``fields-<name>``). Choosing another type
and pressing "Show its fields" reloads the form with that type's fields, without
JavaScript; the values are checked by the service (``procure/request_types.py``), whose
problems on ``type`` and ``fields.<name>`` land beside those inputs.
"""

from __future__ import annotations

from typing import Any

from flask import request
from wtforms import Form, FormField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import Optional

from .. import request_types
from ..models import PurchaseRequest, RequestType
from .forms import RequestForm

YES_NO = [SelectChoice("", "—"), SelectChoice("yes", "Yes"), SelectChoice("no", "No")]


def _input(field: dict[str, Any]) -> Any:
    label = field["label"] + ("" if field.get("required") else " (optional)")
    if field["kind"] == "yes_no":
        return SelectField(label, choices=YES_NO, validators=[Optional()])
    if field["kind"] == "choice":
        choices = [SelectChoice("", "—")] + [SelectChoice(c, c) for c in field["choices"]]
        return SelectField(label, choices=choices, validators=[Optional()])
    if field["kind"] == "number":
        return StringField(label, description="A number.")
    return StringField(label)


def form_class(request_type: RequestType | None) -> type[RequestForm]:
    """The request form with the type select and ``request_type``'s fields."""
    inputs = {
        field["name"]: _input(field) for field in (request_type.fields if request_type else [])
    }
    fields_form = type("TypeFieldsForm", (Form,), inputs)
    attributes = {
        "type": SelectField(
            "Request type",
            validators=[Optional()],
            description="Some types ask more questions; the approvals may depend on them.",
        ),
        "choose_type": SubmitField("Show its fields"),
        "fields": FormField(fields_form, label="About this request"),
    }
    return type("TypedRequestForm", (RequestForm,), attributes)


def _chosen_code(pr: PurchaseRequest | None) -> str | None:
    if request.method == "POST":
        return request.form.get("type") or None
    if pr is not None:
        return pr.type_code
    return request.args.get("type") or None


def request_form(pr: PurchaseRequest | None = None, **kwargs: Any) -> RequestForm:
    """The form for ``pr`` (a draft being edited) or a new request, with the chosen
    type's fields: on a GET, the draft's values."""
    code = _chosen_code(pr)
    request_type = request_types.by_code(code)
    form = form_class(request_type)(**kwargs)
    offered = request_types.list_types(active_only=True)
    if request_type is not None and request_type not in offered:
        offered.append(request_type)  # a draft keeps a type retired since
    form.type.choices = [SelectChoice("", "No particular type")] + [
        SelectChoice(t.code, t.name) for t in offered
    ]
    if request.method != "POST":
        form.type.data = request_type.code if request_type else ""
        for name, value in ((pr.fields or {}) if pr is not None else {}).items():
            if name in form.fields.form._fields:
                form.fields.form[name].data = value
    return form


def choosing(form: RequestForm) -> bool:
    """The requester pressed "Show its fields": reload the form, save nothing."""
    return bool(form.choose_type.data)


def values(form: RequestForm) -> dict[str, Any]:
    """The type's field values as typed (empty ones left out)."""
    return {
        name: field.data
        for name, field in form.fields.form._fields.items()
        if (field.data or "").strip()
    }
