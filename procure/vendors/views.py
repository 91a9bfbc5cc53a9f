"""The vendor pages: ``/vendors`` (list, search, export), ``/vendors/<id>`` (detail,
scorecard, documents, actions), the form, the CSV import, and the admin setting of
the documents every vendor must hold."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from wtforms import SelectChoice

from .. import attachments, web
from ..errors import ValidationError
from ..forms import submitted_version
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


def _contact_rows(rows: list[int]) -> dict[str, str]:
    """The service numbers the contacts it was sent; the form numbers every row, blank
    ones included: ``contacts.1.email`` of the service may be row 3 of the form."""
    return {
        f"contacts.{index}.{name}": f"contacts.{row}.{name}"
        for index, row in enumerate(rows)
        for name in ("name", "title", "email", "phone")
    }


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
    with web.form_errors(form, aliases=_contact_rows(rows)) as outcome:
        vendor = services.create_vendor(data, actor=current_user)
    if not outcome.ok:
        return _edit_page(form, status=422)
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
    with web.form_errors(form, aliases=_contact_rows(rows)) as outcome:
        services.update_vendor(vendor, data, actor=current_user, expected_version=version)
    if not outcome.ok:
        return _edit_page(form, vendor, 422)
    flash("Saved.", "success")
    return redirect(url_for(".detail", vendor_id=vendor.id))


# The vendor's page --------------------------------------------------------------------


def _detail_page(  # type: ignore[no-untyped-def]
    vendor, document_form: DocumentForm | None = None, status: int = 200
):
    return render_template(
        "vendors/detail.html",
        page=services.vendor_page(vendor, current_user),
        vendor=vendor,
        action_labels=ACTION_LABELS,
        document_form=document_form or DocumentForm(),
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
        with web.form_errors(form) as outcome:
            document = services.add_document(
                vendor,
                form.file.data,
                kind=form.kind.data or "",
                title=form.title.data or "",
                expires_on=form.expires_on.data,
                actor=current_user,
            )
        if outcome.ok:
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
        with web.form_errors(form) as outcome:
            try:
                vendors = csvio.import_upload(form.file.data, actor=current_user)
            except csvio.ImportRefused as exc:
                # The lines to correct are listed beside the form, not beside its field.
                problems = exc.problems
                raise ValidationError(exc.message) from None
        if outcome.ok:
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
    services.require_admin(current_user)
    form = RequiredDocumentsForm()
    if request.method == "GET":
        form.kinds.data = services.required_documents()
    elif form.validate():
        with web.form_errors(form) as outcome:
            services.set_required_documents(form.kinds.data or [], actor=current_user)
        if outcome.ok:
            flash("Saved: vendors missing one of these documents are now flagged.", "success")
            return redirect(url_for(".required_documents"))
    return render_template(
        "vendors/admin.html", form=form, flagged=services.flagged_count()
    ), web.form_status(form)
