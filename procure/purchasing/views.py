"""The purchase-request pages: parse the form, call a service, render.

Each page view runs as one transaction (``procure.web``): nothing here commits."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from .. import access, currencies, web
from ..errors import ValidationError
from ..forms import submitted_version
from ..models import PurchaseRequest, RequestStatus
from ..money import MoneyError, parse_money, parse_quantity
from ..pagination import paginate_page
from ..reference import list_categories
from . import bp, forms_catalogue, forms_types, services
from .forms import DecisionForm, ListFilterForm, RequestForm


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
    return render_template(
        "purchasing/index.html",
        page=page,
        form=form,
        can_file=access.may(current_user, "file_requests"),
        base_note=services.base_note,
    )


@bp.get("/approvals")
@login_required
def approvals():
    page = services.inbox_page(current_user)
    return render_template(
        "purchasing/approvals.html",
        page=page,
        waiting_since=services.waiting_since,
        base_note=services.base_note,
    )


def _request_form(pr: PurchaseRequest | None = None, **kwargs) -> RequestForm:
    form = forms_types.request_form(pr, **kwargs)
    _offer_categories(form)
    form.currency.choices = [SelectChoice(code, label) for code, label in currencies.choices()]
    if not form.currency.data:
        form.currency.data = currencies.base()
    return form


def _offer_categories(form: RequestForm) -> None:
    choices = [SelectChoice(c.name, c.label) for c in list_categories(active_only=True)]
    for entry in form.lines:
        entry.form.category.choices = choices


def _line_editing(form: RequestForm) -> bool:
    """Add or remove a line row, or show another type's fields, without JavaScript;
    True when that was the request."""
    if forms_types.choosing(form):
        return True
    if form.add_line.data:
        form.lines.append_entry()
        _offer_categories(form)
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
    # Prices in the chosen currency's minor units (a currency not offered is said
    # beside its field; the prices are read in the base currency meanwhile).
    chosen = form.currency.data if currencies.is_enabled(form.currency.data) else None
    currency = (chosen or currencies.base()).upper()
    parsers = (
        ("quantity", parse_quantity),
        ("unit_price", lambda raw: parse_money(raw, currency=currency)),
    )
    for index, entry in enumerate(form.lines):
        values = {}
        item_id = _catalogue_item_id(entry.form.catalogue_item_id.data)
        if item_id == 0:
            errors.setdefault(f"lines.{index}.catalogue_item_id", []).append(
                "There is no such catalogue item."
            )
        for name, parse in parsers:
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
                catalogue_item_id=item_id or None,
            )
        )
    data = services.RequestData(
        title=form.title.data or "",
        justification=form.justification.data or "",
        needed_by=form.needed_by.data,
        currency=form.currency.data or None,
        lines=lines,
        type_code=form.type.data or None,
        fields=forms_types.values(form),
    )
    return data, errors


def _catalogue_item_id(raw: str | None) -> int | None:
    """The catalogue item a line names: None for none, 0 for what names no item."""
    raw = (raw or "").strip()
    if not raw:
        return None
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0


def _from_catalogue(form: RequestForm) -> RequestForm:
    """The catalogue item ``?item=<id>&quantity=N`` names, added to the form's lines."""
    if "item" not in request.args:
        return form
    item = forms_catalogue.orderable_item(request.args.get("item"))
    if item is None:
        form.form_errors.append("That catalogue item cannot be ordered now.")
    else:
        forms_catalogue.add_item(form, item, request.args.get("quantity"))
        _offer_categories(form)
    return form


def _checked(form: RequestForm, pr: PurchaseRequest | None = None) -> services.RequestData | None:
    """Every problem of the form at once, beside its field; the data when there is none."""
    form_ok = form.validate()
    data, errors = _request_data(form)
    current_type = pr.type_code if pr is not None else None
    for name, messages in services.problems(data, current_user, current_type).items():
        errors.setdefault(name, messages)  # an amount that does not parse says so only
    # WTForms has already said what it found about the header fields.
    unsaid = {
        name: messages
        for name, messages in errors.items()
        if not getattr(getattr(form, name, None), "errors", None)
    }
    if unsaid:
        web.show_errors(form, ValidationError("Some fields are not valid.", fields=unsaid))
    return data if form_ok and not errors else None


@bp.route("/requests/new", methods=["GET", "POST"])
@login_required
def new():
    services.require_filer(current_user)
    form = _request_form()
    if request.method == "GET":
        return _edit_page(_from_catalogue(form), None)
    if _line_editing(form):
        return _edit_page(form, None)
    data = _checked(form)
    if data is None:
        return _edit_page(form, None, 422)
    pr = services.create_request(data, actor=current_user)
    flash(f"{pr.number} is saved as a draft. Submit it when it is complete.", "success")
    return redirect(url_for(".detail", pr_id=pr.id))


@bp.route("/requests/<int:pr_id>/edit", methods=["GET", "POST"])
@login_required
def edit(pr_id: int):
    pr = services.get(pr_id, current_user, change=True)
    if request.method == "GET":
        return _edit_page(_from_catalogue(_request_form(pr, obj=pr, version=pr.version)), pr)
    form = _request_form(pr)
    if _line_editing(form):
        return _edit_page(form, pr)
    data = _checked(form, pr)
    if data is None:
        return _edit_page(form, pr, 422)
    services.update_request(pr, data, actor=current_user, expected_version=submitted_version(form))
    flash("Saved.", "success")
    return redirect(url_for(".detail", pr_id=pr.id))


def _edit_page(form: RequestForm, pr: PurchaseRequest | None, status: int = 200):
    return render_template("purchasing/edit.html", form=form, pr=pr), status


@bp.get("/requests/<int:pr_id>")
@login_required
def detail(pr_id: int):
    pr = services.get(pr_id, current_user)
    return _render_detail(pr, DecisionForm(version=pr.version))


def _render_detail(pr: PurchaseRequest, form: DecisionForm, status: int = 200):
    page = services.detail(pr, current_user)
    return render_template(
        "purchasing/detail.html",
        page=page,
        pr=pr,
        split_flags=page.split_flags,
        form=form,
        base_note=services.base_note(pr),
        draft_estimate=services.draft_estimate(pr, page.todays_rate) if page.todays_rate else None,
        call_off_from=forms_catalogue.call_off_from(pr, current_user),
    ), status


@bp.post("/requests/<int:pr_id>/<action>")
@login_required
def act(pr_id: int, action: str):
    if action not in services.ACTIONS:
        abort(404)
    pr = services.get(pr_id, current_user)
    form = DecisionForm()
    if form.validate():
        with web.form_errors(form) as outcome:
            # What happened and what comes next: "PR-2026-00012: the department step
            # is approved; the finance step now waits for finance."
            said = services.act(
                pr,
                action,
                actor=current_user,
                comment=form.comment.data or "",
                expected_version=submitted_version(form),
            )
        if outcome.ok:
            flash(said, "success")
            if action in ("approve", "reject", "return"):
                return redirect(url_for(".approvals"))
            return redirect(url_for(".detail", pr_id=pr.id))
    return _render_detail(pr, form, 422)
