from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from .. import permissions
from ..errors import ValidationError
from ..extensions import db
from ..forms import submitted_version
from ..models import PurchaseRequest, RequestStatus, User
from ..money import MoneyError, parse_money, parse_quantity
from ..pagination import paginate_page
from ..reference import list_categories
from ..reports import splits
from . import bp, services
from .forms import DecisionForm, ListFilterForm, RequestForm

ACTION_MESSAGES = {
    "submit": "Submitted for approval.",
    "approve": "Approved.",
    "reject": "Rejected; the requester is told why.",
    "return": "Returned to the requester for changes.",
    "cancel": "The request is cancelled.",
}


@bp.get("/requests")
@login_required
def index():
    form = ListFilterForm(request.args)
    form.status.choices = [SelectChoice("", "Any status")] + [
        SelectChoice(status.value, status.value.replace("_", " ").capitalize())
        for status in RequestStatus
    ]
    if not form.validate():
        form.status.data, form.mine.data = "", ""
    query = services.list_query(
        current_user, status=form.status.data or None, mine=form.mine.data == "1"
    )
    page = paginate_page(query, key=PurchaseRequest.id)
    return render_template("purchasing/index.html", page=page, form=form)


@bp.get("/approvals")
@login_required
def approvals():
    page = paginate_page(services.awaiting(current_user))
    return render_template(
        "purchasing/approvals.html", page=page, waiting_since=services.waiting_since
    )


def _category_choices() -> list[tuple[str, str]]:
    return [SelectChoice(c.name, c.label) for c in list_categories(active_only=True)]


def _prepare(form: RequestForm) -> None:
    choices = _category_choices()
    for entry in form.lines:
        entry.form.category.choices = choices


def _line_editing(form: RequestForm) -> bool:
    """Add or remove a line row without JavaScript; True when that was the request."""
    if form.add_line.data:
        form.lines.append_entry()
        _prepare(form)
        return True
    remove = request.form.get("remove_line")
    if remove is not None and remove.isdigit():
        index = int(remove)
        if 0 <= index < len(form.lines.entries) and len(form.lines.entries) > 1:
            del form.lines.entries[index]
        return True
    return False


def _request_data(form: RequestForm) -> tuple[services.RequestData, dict[str, list[str]]]:
    """Translate the form into the service's input, with the amounts that do not parse."""
    errors: dict[str, list[str]] = {}
    lines = []
    for index, entry in enumerate(form.lines):
        values = {}
        for name, parse in (("quantity", parse_quantity), ("unit_price", parse_money)):
            raw = entry.form[name].data
            try:
                values[name] = parse(raw)
            except MoneyError as exc:
                label = "Quantity" if name == "quantity" else "Unit price"
                message = f"{label} is required." if not (raw or "").strip() else f"{label} {exc}."
                errors.setdefault(f"lines.{index}.{name}", []).append(message)
        lines.append(
            services.LineData(
                description=entry.form.description.data or "",
                category=entry.form.category.data or "other",
                unit=entry.form.unit.data or "each",
                quantity=values.get("quantity"),  # type: ignore[arg-type]
                unit_price=values.get("unit_price"),  # type: ignore[arg-type]
            )
        )
    data = services.RequestData(
        title=form.title.data or "",
        justification=form.justification.data or "",
        needed_by=form.needed_by.data,
        lines=lines,
    )
    return data, errors


def _checked(form: RequestForm) -> services.RequestData | None:
    """Every problem of the form at once, beside its field; the data when there is none."""
    form_ok = form.validate()
    data, errors = _request_data(form)
    try:
        services.validate(data, current_user)
    except ValidationError as exc:
        for name, messages in exc.fields.items():
            errors.setdefault(name, messages)
    if errors:
        # WTForms has already said what it found about the header fields.
        errors = {
            name: messages
            for name, messages in errors.items()
            if not getattr(getattr(form, name, None), "errors", None)
        }
        _show_errors(form, ValidationError("Some fields are not valid.", fields=errors))
        return None
    return data if form_ok else None


def _show_errors(form: RequestForm, exc: ValidationError) -> None:
    for name, messages in exc.fields.items():
        parts = name.split(".")
        if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit():
            index = int(parts[1])
            if index < len(form.lines.entries):
                field = form.lines.entries[index].form[parts[2]]
                field.errors = list(field.errors) + messages
                continue
        field = getattr(form, parts[0], None)
        if field is not None and hasattr(field, "errors") and parts[0] != "lines":
            field.errors = list(field.errors) + messages
        else:
            form.form_errors.extend(messages)


def _edit_form(template: str, form: RequestForm, status: int = 200, **context):
    return render_template(template, form=form, **context), status


@bp.route("/requests/new", methods=["GET", "POST"])
@login_required
def new():
    services.require_filer(current_user)
    form = RequestForm()
    _prepare(form)
    if request.method == "GET":
        return _edit_form("purchasing/edit.html", form, pr=None)
    if _line_editing(form):
        return _edit_form("purchasing/edit.html", form, pr=None)
    data = _checked(form)
    if data is None:
        return _edit_form("purchasing/edit.html", form, 422, pr=None)
    pr = services.create_request(data, actor=current_user)
    db.session.commit()
    flash(f"{pr.number} is saved as a draft. Submit it when it is complete.", "success")
    return redirect(url_for(".detail", pr_id=pr.id))


@bp.route("/requests/<int:pr_id>/edit", methods=["GET", "POST"])
@login_required
def edit(pr_id: int):
    pr = services.get(pr_id, current_user, change=True)
    if request.method == "GET":
        form = RequestForm(obj=pr, version=pr.version)
        _prepare(form)
        return _edit_form("purchasing/edit.html", form, pr=pr)
    form = RequestForm()
    _prepare(form)
    if _line_editing(form):
        return _edit_form("purchasing/edit.html", form, pr=pr)
    data = _checked(form)
    if data is None:
        return _edit_form("purchasing/edit.html", form, 422, pr=pr)
    version = submitted_version(form)
    services.update_request(pr, data, actor=current_user, expected_version=version)
    db.session.commit()
    flash("Saved.", "success")
    return redirect(url_for(".detail", pr_id=pr.id))


@bp.get("/requests/<int:pr_id>")
@login_required
def detail(pr_id: int):
    pr = services.get(pr_id, current_user)
    return _render_detail(pr, DecisionForm(version=pr.version))


def _render_detail(pr, form: DecisionForm, status: int = 200):
    events = services.history(pr)
    people_ids = {e.actor_id for e in events} | {e.on_behalf_of_id for e in events}
    people_ids.discard(None)
    people = (
        {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(people_ids)))}
        if people_ids
        else {}
    )
    actions = services.allowed_actions(pr, current_user)
    draft = pr.status == RequestStatus.DRAFT
    preview = services.preview_steps(pr) if draft else []
    budget_warning = services.budget_check(pr).message if draft else None
    from ..models import PurchaseOrder, Rfq

    rfqs = list(db.session.scalars(db.select(Rfq).where(Rfq.request_id == pr.id).order_by(Rfq.id)))
    orders = list(
        db.session.scalars(
            db.select(PurchaseOrder)
            .where(PurchaseOrder.request_id == pr.id)
            .order_by(PurchaseOrder.id)
        )
    )
    return render_template(
        "purchasing/detail.html",
        pr=pr,
        rfqs=rfqs,
        orders=orders,
        can_source=pr.status == RequestStatus.APPROVED
        and current_user.has_role("procurement")
        and not any(r.status.value in ("draft", "open") for r in rfqs),
        form=form,
        actions=actions,
        preview=preview,
        budget_warning=budget_warning,
        split_flags=splits.flag_for(pr, current_user),
        timeline=[_timeline_item(event, people) for event in events],
        on_behalf_of=permissions.decision_capacity(current_user, pr)[0]
        if "approve" in actions
        else None,
        decision_reason=None
        if any(a in actions for a in ("approve", "reject", "return"))
        else _why_not_decide(pr),
    ), status


def _why_not_decide(pr) -> str | None:
    if pr.status != RequestStatus.PENDING_APPROVAL:
        return None
    return permissions.may_decide(current_user, pr)


TIMELINE_LABELS = {
    "create": ("Created", "default"),
    "update": ("Edited", "default"),
    "submit": ("Submitted for approval", "warning"),
    "approve": ("Approved", "success"),
    "reject": ("Rejected", "danger"),
    "return": ("Returned for changes", "warning"),
    "cancel": ("Cancelled", "danger"),
    "order": ("Ordered", "success"),
    "reopen": ("Order cancelled; open again", "warning"),
    "close": ("Closed", "default"),
}


def _timeline_item(event, people: dict) -> dict:
    import json

    label, style = TIMELINE_LABELS.get(event.action, (event.action.capitalize(), "default"))
    changes = json.loads(event.changes or "{}")
    if changes.get("step"):
        label = f"{label} — {changes['step']} step"
    who = people.get(event.actor_id).name if event.actor_id in people else "Procure"
    if event.on_behalf_of_id in people:
        who = f"{who} on behalf of {people[event.on_behalf_of_id].name}"
    return {"what": label, "who": who, "at": event.at, "note": event.comment, "style": style}


@bp.post("/requests/<int:pr_id>/<action>")
@login_required
def act(pr_id: int, action: str):
    if action not in services.ACTIONS:
        abort(404)
    pr = services.get(pr_id, current_user)
    form = DecisionForm()
    if not form.validate():
        return _render_detail(pr, form, 422)
    version = submitted_version(form)
    try:
        services.act(
            pr,
            action,
            actor=current_user,
            comment=form.comment.data or "",
            expected_version=version,
        )
    except ValidationError as exc:
        db.session.rollback()
        pr = services.get(pr_id, current_user)
        for name, messages in exc.fields.items():
            target = getattr(form, name, None)
            if target is not None and hasattr(target, "errors"):
                target.errors = list(target.errors) + messages
        if not exc.fields or "comment" not in exc.fields:
            form.form_errors.append(exc.message)
        return _render_detail(pr, form, 422)
    db.session.commit()
    flash(f"{pr.number}: {ACTION_MESSAGES[action]}", "success")
    if action in ("approve", "reject", "return"):
        return redirect(url_for(".approvals"))
    return redirect(url_for(".detail", pr_id=pr.id))
