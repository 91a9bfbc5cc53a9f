"""The vendor pages: ``/vendors`` (list, search, export), ``/vendors/<id>`` (detail,
scorecard, documents, actions), the form, the CSV import, and the admin setting of
the documents every vendor must hold."""

from __future__ import annotations

import json

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from wtforms import SelectChoice

from .. import access, attachments
from ..errors import ValidationError
from ..extensions import db
from ..forms import apply_errors, submitted_version
from ..models import Role, User
from ..pagination import paginate_page
from ..reference import list_categories
from . import bp, csvio, services
from .forms import (
    ActionForm,
    DocumentForm,
    ImportForm,
    ListFilterForm,
    RequiredDocumentsForm,
    VendorForm,
)

ACTION_MESSAGES = {
    "approve": "is approved: it can now be invited to quote and receive orders.",
    "suspend": "is suspended.",
    "reinstate": "is approved again.",
    "block": "is blocked.",
}
ACTION_LABELS = {
    "approve": ("Approve", "success"),
    "reinstate": ("Reinstate", "success"),
    "suspend": ("Suspend", "outline-warning"),
    "block": ("Block", "outline-danger"),
}


@bp.before_request
@login_required
def _signed_in_only() -> None:
    """Every page here is for signed-in users (vendors are visible to all of them)."""


# The list --------------------------------------------------------------------------


def _filters() -> tuple[ListFilterForm, dict]:
    form = ListFilterForm(request.args)
    form.category.choices = [SelectChoice("", "Any category")] + [
        SelectChoice(c.name, c.label) for c in list_categories()
    ]
    if not form.validate():
        form.status.data = form.category.data = form.flagged.data = ""
    q = (form.q.data or "").strip()[:200]
    return form, {
        "q": q or None,
        "status": form.status.data or None,
        "category": form.category.data or None,
        "flagged": {"1": True, "0": False}.get(form.flagged.data or ""),
    }


@bp.get("/vendors")
def index():
    form, filters = _filters()
    page = paginate_page(services.list_query(**filters))
    return render_template(
        "vendors/index.html",
        page=page,
        form=form,
        flags=services.flags(page.items),
        may_manage=services.may_manage(current_user),
        export_args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.get("/vendors/export.csv")
def export():
    _form, filters = _filters()
    text = csvio.export_csv(services.list_query(**filters))
    day = services.today().isoformat()
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv",
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="vendors-{day}.csv"'},
    )


# Creating and editing ----------------------------------------------------------------


def _prepare(form: VendorForm, vendor=None) -> None:  # type: ignore[no-untyped-def]
    choices = [SelectChoice(c.name, c.label) for c in list_categories(active_only=True)]
    names = {choice.value for choice in choices}
    for name in vendor.categories if vendor is not None else ():
        if name not in names:  # retired since: still shown where it is set
            choices.append(SelectChoice(name, name.capitalize()))
    form.categories.choices = choices


def _contact_editing(form: VendorForm) -> bool:
    """Add or remove a contact row without JavaScript; True when that was the request."""
    if form.add_contact.data:
        form.contacts.append_entry()
        return True
    remove = request.form.get("remove_contact")
    if remove is not None and remove.isdigit():
        index = int(remove)
        if 0 <= index < len(form.contacts.entries):
            del form.contacts.entries[index]
        if not form.contacts.entries:
            form.contacts.append_entry()
        return True
    return False


def _vendor_data(form: VendorForm) -> tuple[services.VendorData, list[int]]:
    """The form as the service's input; the form row of each contact sent (blank
    rows are left out)."""
    contacts, rows = [], []
    for index, entry in enumerate(form.contacts.entries):
        sub = entry.form
        values = [sub.name.data, sub.title.data, sub.email.data, sub.phone.data]
        if not any((value or "").strip() for value in values):
            continue
        contacts.append(
            services.ContactData(
                name=sub.name.data or "",
                title=sub.title.data or "",
                email=sub.email.data or "",
                phone=sub.phone.data or "",
                is_primary=bool(sub.is_primary.data),
            )
        )
        rows.append(index)
    raw_rating = (form.rating.data or "").strip()
    rating: int | str | None = int(raw_rating) if raw_rating.isdigit() else raw_rating or None
    data = services.VendorData(
        name=form.name.data or "",
        legal_name=form.legal_name.data or "",
        tax_id=form.tax_id.data or "",
        address=form.address.data or "",
        website=form.website.data or "",
        email=form.email.data or "",
        phone=form.phone.data or "",
        categories=list(form.categories.data or []),
        rating=rating,  # type: ignore[arg-type]
        notes=form.notes.data or "",
        contacts=contacts,
    )
    return data, rows


def _show_errors(form: VendorForm, exc: ValidationError, rows: list[int]) -> None:
    for name, messages in exc.fields.items():
        parts = name.split(".")
        if parts[0] == "contacts" and len(parts) == 3 and parts[1].isdigit():
            index = int(parts[1])
            if index < len(rows):
                field = form.contacts.entries[rows[index]].form[parts[2]]
                field.errors = list(field.errors) + messages
                continue
        field = getattr(form, parts[0], None)
        if field is not None and hasattr(field, "errors") and parts[0] != "contacts":
            field.errors = list(field.errors) + messages
        else:
            form.form_errors.extend(messages)


def _edit_page(form: VendorForm, vendor=None, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template("vendors/edit.html", form=form, vendor=vendor), status


@bp.route("/vendors/new", methods=["GET", "POST"])
def new():
    services.require_manager(current_user, "add vendors")
    form = VendorForm()
    _prepare(form)
    if request.method == "GET" or _contact_editing(form):
        return _edit_page(form)
    if not form.validate():
        return _edit_page(form, status=422)
    data, rows = _vendor_data(form)
    try:
        vendor = services.create_vendor(data, actor=current_user)
    except ValidationError as exc:
        db.session.rollback()
        _show_errors(form, exc, rows)
        return _edit_page(form, status=422)
    db.session.commit()
    flash(f"{vendor.name} is added as a prospect. Approve it before inviting it.", "success")
    return redirect(url_for(".detail", vendor_id=vendor.id))


@bp.route("/vendors/<int:vendor_id>/edit", methods=["GET", "POST"])
def edit(vendor_id: int):
    vendor = services.get(vendor_id, current_user, change=True)
    if request.method == "GET":
        form = VendorForm(obj=vendor, version=vendor.version)
        form.rating.data = "" if vendor.rating is None else str(vendor.rating)
        form.categories.data = list(vendor.categories)
        _prepare(form, vendor)
        return _edit_page(form, vendor)
    form = VendorForm()
    _prepare(form, vendor)
    if _contact_editing(form):
        return _edit_page(form, vendor)
    if not form.validate():
        return _edit_page(form, vendor, 422)
    data, rows = _vendor_data(form)
    version = submitted_version(form)
    try:
        services.update_vendor(vendor, data, actor=current_user, expected_version=version)
    except ValidationError as exc:
        db.session.rollback()
        vendor = services.get(vendor_id, current_user, change=True)
        _show_errors(form, exc, rows)
        return _edit_page(form, vendor, 422)
    db.session.commit()
    flash("Saved.", "success")
    return redirect(url_for(".detail", vendor_id=vendor.id))


# The vendor's page --------------------------------------------------------------------


TIMELINE_LABELS = {
    "create": ("Added", "default"),
    "update": ("Edited", "default"),
    "approve": ("Approved", "success"),
    "suspend": ("Suspended", "warning"),
    "reinstate": ("Reinstated", "success"),
    "block": ("Blocked", "danger"),
    "add_document": ("Document added", "default"),
    "remove_document": ("Document removed", "warning"),
}


def _timeline(vendor) -> list[dict]:  # type: ignore[no-untyped-def]
    events = services.history(vendor)
    ids = {e.actor_id for e in events} | {e.on_behalf_of_id for e in events}
    ids.discard(None)
    people = (
        {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_(ids)))}
        if ids
        else {}
    )
    items = []
    for event in events:
        label, style = TIMELINE_LABELS.get(event.action, (event.action.capitalize(), "default"))
        changes = json.loads(event.changes or "{}")
        if event.action in ("add_document", "remove_document") and changes.get("title"):
            label = f"{label}: {changes['title']}"
        elif event.action == "update":
            label = f"{label}: " + ", ".join(k.replace("_", " ") for k in sorted(changes))
        who = people[event.actor_id].name if event.actor_id in people else "Procure"
        items.append(
            {"what": label, "who": who, "at": event.at, "note": event.comment, "style": style}
        )
    return items


def _detail_page(  # type: ignore[no-untyped-def]
    vendor, document_form: DocumentForm | None = None, status: int = 200
):
    return render_template(
        "vendors/detail.html",
        vendor=vendor,
        reasons=services.flag_reasons(vendor),
        required=services.required_documents(),
        card=services.scorecard(vendor),
        actions=services.allowed_actions(vendor, current_user),
        action_labels=ACTION_LABELS,
        may_manage=services.may_manage(current_user),
        action_form=ActionForm(version=vendor.version),
        document_form=document_form or DocumentForm(),
        timeline=_timeline(vendor),
        is_expired=services.is_expired,
        kind_label=services.kind_label,
    ), status


@bp.get("/vendors/<int:vendor_id>")
def detail(vendor_id: int):
    return _detail_page(services.get(vendor_id, current_user))


@bp.post("/vendors/<int:vendor_id>/<action>")
def act(vendor_id: int, action: str):
    if action not in services.ACTIONS:
        abort(404)
    vendor = services.get(vendor_id, current_user)
    form = ActionForm()
    if not form.validate():
        flash("The form has expired; please try again.", "danger")
        return redirect(url_for(".detail", vendor_id=vendor.id))
    version = submitted_version(form)
    services.act(
        vendor,
        action,
        actor=current_user,
        comment=form.comment.data or "",
        expected_version=version,
    )
    db.session.commit()
    flash(f"{vendor.name} {ACTION_MESSAGES[action]}", "success")
    return redirect(url_for(".detail", vendor_id=vendor.id))


# Documents ----------------------------------------------------------------------------


@bp.post("/vendors/<int:vendor_id>/documents")
@attachments.accepts_uploads
def upload_document(vendor_id: int):
    vendor = services.get(vendor_id, current_user)
    services.require_manager(current_user, "add vendor documents")
    form = DocumentForm()
    if form.validate():
        try:
            document = services.add_document(
                vendor,
                form.file.data,
                kind=form.kind.data or "",
                title=form.title.data or "",
                expires_on=form.expires_on.data,
                actor=current_user,
            )
        except ValidationError as exc:
            db.session.rollback()
            vendor = services.get(vendor_id, current_user)
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(f"{document.title} is filed.", "success")
            return redirect(url_for(".detail", vendor_id=vendor.id, _anchor="documents"))
    return _detail_page(vendor, form, 422)


@bp.get("/vendors/<int:vendor_id>/documents/<int:document_id>")
def document(vendor_id: int, document_id: int):
    vendor = services.get(vendor_id, current_user)
    found = services.get_document(vendor, document_id)
    if found.attachment is None:
        abort(404)
    return attachments.send(found.attachment)


@bp.post("/vendors/<int:vendor_id>/documents/<int:document_id>/remove")
def remove_document(vendor_id: int, document_id: int):
    vendor = services.get(vendor_id, current_user)
    found = services.get_document(vendor, document_id)
    if ActionForm().validate():
        services.remove_document(vendor, found, actor=current_user)
        db.session.commit()
        flash(f"{found.title} is removed.", "success")
    return redirect(url_for(".detail", vendor_id=vendor.id, _anchor="documents"))


# CSV import ----------------------------------------------------------------------------


@bp.route("/vendors/import", methods=["GET", "POST"])
@attachments.accepts_uploads
def import_csv():
    services.require_manager(current_user, "import vendors")
    form = ImportForm()
    problems: list[csvio.Problem] = []
    if request.method == "POST" and form.validate():
        upload = form.file.data
        try:
            if upload is None or not upload.filename:
                raise ValidationError.field("file", "Choose the CSV file to import.")
            limit = current_app.config["MAX_UPLOAD_BYTES"]
            data = upload.stream.read(limit + 1)
            if len(data) > limit:
                raise ValidationError.field(
                    "file", f"The file is larger than {limit // (1024 * 1024)} MB."
                )
            vendors = csvio.import_text(csvio.decode(data), actor=current_user)
        except csvio.ImportRefused as exc:
            db.session.rollback()
            problems = exc.problems
            form.form_errors.append(exc.message)
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(
                f"Imported {len(vendors)} vendor{'s' if len(vendors) != 1 else ''} as prospects.",
                "success",
            )
            return redirect(url_for(".index"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "vendors/import.html", form=form, problems=problems, columns=csvio.IMPORT_COLUMNS
    ), status


# The admin setting ----------------------------------------------------------------------


@bp.route("/admin/vendors", methods=["GET", "POST"])
def required_documents():
    access.require_role(current_user, Role.ADMIN, action="open the administration")
    form = RequiredDocumentsForm()
    if request.method == "GET":
        form.kinds.data = services.required_documents()
    elif form.validate():
        try:
            services.set_required_documents(form.kinds.data or [], actor=current_user)
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash("Saved: vendors missing one of these documents are now flagged.", "success")
            return redirect(url_for(".required_documents"))
    flagged = db.session.scalar(
        db.select(db.func.count()).select_from(
            services.list_query(flagged=True).order_by(None).subquery()
        )
    )
    return render_template(
        "vendors/admin.html",
        form=form,
        flagged=flagged or 0,
    ), 422 if form.errors else 200
