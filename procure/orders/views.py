from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import web
from ..assets import pages as register
from ..errors import ValidationError
from ..forms import submitted_version
from ..models import OrderStatus, PurchaseOrder
from ..pagination import paginate_page
from . import after_page, bp, revisions, services
from .forms import ActionForm, DraftForm, receive_form


@bp.get("/")
@login_required
def index():
    status = request.args.get("status") or None
    if status not in {s.value for s in OrderStatus}:
        status = None
    vendor = request.args.get("vendor_id", "")
    awaiting = request.args.get("awaiting") == "receipt"
    page = paginate_page(
        services.list_query(
            current_user,
            status=status,
            vendor_id=int(vendor) if vendor.isdigit() else None,
            awaiting_receipt=awaiting,
        ),
        key=PurchaseOrder.id,
    )
    return render_template(
        "orders/index.html",
        page=page,
        status=status,
        awaiting=awaiting,
        statuses=[s.value for s in OrderStatus],
    )


def _render(order, *, draft_form=None, receive=None, action_form=None, status=200):
    page = services.order_page(order, current_user)
    return render_template(
        "orders/detail.html",
        page=page,
        after=after_page.of(order, page.actions),
        register=register.order_note(order, current_user),
        order=order,
        draft_form=draft_form or DraftForm(obj=order, version=order.version),
        receive_form=receive or receive_form(order, version=order.version),
        action_form=action_form or ActionForm(version=order.version),
    ), status


@bp.get("/<int:order_id>")
@login_required
def detail(order_id: int):
    return _render(services.get(order_id, current_user))


@bp.post("/<int:order_id>/edit")
@login_required
def edit(order_id: int):
    order = services.get(order_id, current_user)
    form = DraftForm()
    if form.validate():
        with web.form_errors(form) as outcome:
            services.update_draft(
                order,
                form.draft_data(),
                actor=current_user,
                expected_version=submitted_version(form),
            )
        if outcome.ok:
            flash("The draft is saved.", "success")
            return redirect(url_for(".detail", order_id=order.id))
    return _render(order, draft_form=form, status=422)


@bp.post("/<int:order_id>/issue")
@login_required
def issue(order_id: int):
    order = services.get(order_id, current_user)
    form = ActionForm()
    if not form.validate():
        abort(400)
    services.issue(order, actor=current_user, expected_version=submitted_version(form))
    flash(f"{order.number} is issued. Its PDF is frozen and on its way to the vendor.", "success")
    return redirect(url_for(".detail", order_id=order.id))


@bp.post("/<int:order_id>/receive")
@login_required
def receive(order_id: int):
    order = services.get(order_id, current_user)
    form = receive_form(order)
    if form.validate():
        lines = form.receipt_lines()
        with web.form_errors(form, aliases=form.error_fields(lines)) as outcome:
            receipt = services.receive(
                order,
                lines,
                received_on=form.received_on.data,
                note=form.note.data or "",
                actor=current_user,
                expected_version=submitted_version(form),
            )
        if outcome.ok:
            made = register.made_by(receipt.id)
            assets = f" It made {made} asset{'' if made == 1 else 's'}." if made else ""
            flash(f"The receipt is recorded.{assets}", "success")
            return redirect(url_for(".detail", order_id=order.id))
    return _render(order, receive=form, status=422)


@bp.post("/<int:order_id>/<any(close, cancel):action>")
@login_required
def act(order_id: int, action: str):
    order = services.get(order_id, current_user)
    form = ActionForm()
    if not form.validate():
        abort(400)
    with web.form_errors(form) as outcome:
        getattr(services, action)(
            order,
            actor=current_user,
            comment=form.comment.data or "",
            expected_version=submitted_version(form),
        )
    if not outcome.ok:
        return _render(order, action_form=form, status=422)
    flash(f"The order is {'closed' if action == 'close' else 'cancelled'}.", "success")
    return redirect(url_for(".detail", order_id=order.id))


@bp.get("/<int:order_id>/pdf")
@login_required
def pdf(order_id: int):
    order = services.get(order_id, current_user)
    asked = request.args.get("revision")
    number = None
    if asked is not None:
        # An issued revision's frozen PDF; a number the order never had is a 404.
        if not asked.isdigit() or len(asked) > 6:
            abort(404)
        number = int(asked)
    try:
        data, filename = revisions.get_document(order, number)
    except ValidationError:
        abort(404)
    response = Response(data, mimetype="application/pdf")
    disposition = "inline" if request.args.get("inline") else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    revision = revisions.of_number(order, number) if number is not None else None
    sha256 = revision.pdf_sha256 if revision is not None else order.pdf_sha256
    if sha256:
        response.headers["ETag"] = f'"{sha256}"'
    return response
