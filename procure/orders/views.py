from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import audit
from ..errors import ValidationError
from ..extensions import db
from ..forms import apply_errors, submitted_version
from ..models import OrderStatus, PurchaseOrder, User
from ..money import MoneyError, parse_quantity
from ..pagination import paginate_page
from . import bp, services
from .forms import ActionForm, DraftForm, ReceiveForm


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


def _render(order, *, draft_form=None, receive_form=None, action_form=None, status=200):
    events = list(db.session.scalars(audit.events_for("order", order.id)))
    people = {
        u.id: u
        for u in db.session.scalars(
            db.select(User).where(User.id.in_({e.actor_id for e in events if e.actor_id}))
        )
    }
    timeline = [
        {
            "what": e.action.capitalize(),
            "at": e.at,
            "note": e.comment,
            "who": people[e.actor_id].name if e.actor_id in people else "Procure",
            "style": {"issue": "success", "cancel": "danger", "receive": "success"}.get(
                e.action, "default"
            ),
        }
        for e in events
    ]
    return render_template(
        "orders/detail.html",
        order=order,
        actions=services.allowed_actions(order, current_user),
        draft_form=draft_form or DraftForm(obj=order, version=order.version),
        receive_form=receive_form or ReceiveForm(version=order.version),
        action_form=action_form or ActionForm(version=order.version),
        timeline=timeline,
        received_value=services.received_value(order),
        issued_by=services.issued_by(order),
        changes_of=lambda e: json.loads(e.changes),
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
        try:
            services.update_draft(
                order,
                services.DraftData(
                    delivery_address=form.delivery_address.data or "",
                    needed_by=form.needed_by.data,
                    payment_terms=form.payment_terms.data or "",
                    terms=form.terms.data or "",
                ),
                actor=current_user,
                expected_version=submitted_version(form),
            )
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash("The draft is saved.", "success")
            return redirect(url_for(".detail", order_id=order.id))
    return _render(services.get(order_id, current_user), draft_form=form, status=422)


@bp.post("/<int:order_id>/issue")
@login_required
def issue(order_id: int):
    order = services.get(order_id, current_user)
    form = ActionForm()
    if not form.validate():
        abort(400)
    services.issue(order, actor=current_user, expected_version=submitted_version(form))
    db.session.commit()
    flash(f"{order.number} is issued. Its PDF is frozen and on its way to the vendor.", "success")
    return redirect(url_for(".detail", order_id=order.id))


@bp.post("/<int:order_id>/receive")
@login_required
def receive(order_id: int):
    order = services.get(order_id, current_user)
    form = ReceiveForm()
    lines, errors = [], {}
    for line in order.lines:
        raw = (request.form.get(f"line-{line.id}") or "").strip()
        if not raw or raw in {"0", "0.0", "0.00"}:
            continue
        try:
            lines.append(services.ReceiptLineData(line_id=line.id, quantity=parse_quantity(raw)))
        except MoneyError as exc:
            errors[f"line-{line.id}"] = f"Quantity {exc}."
    if form.validate() and not errors:
        try:
            services.receive(
                order,
                lines,
                received_on=form.received_on.data,
                note=form.note.data or "",
                actor=current_user,
                expected_version=submitted_version(form),
            )
        except ValidationError as exc:
            db.session.rollback()
            for name, messages in exc.fields.items():
                parts = name.split(".")
                if (
                    parts[0] == "lines"
                    and len(parts) == 3
                    and parts[1].isdigit()
                    and int(parts[1]) < len(lines)
                ):
                    errors[f"line-{lines[int(parts[1])].line_id}"] = " ".join(messages)
                elif hasattr(getattr(form, name, None), "errors"):
                    getattr(form, name).errors = list(getattr(form, name).errors) + messages
                else:
                    form.form_errors.extend(messages)
        else:
            db.session.commit()
            flash("The receipt is recorded.", "success")
            return redirect(url_for(".detail", order_id=order.id))
    order = services.get(order_id, current_user)
    form.line_errors = errors
    return _render(order, receive_form=form, status=422)


@bp.post("/<int:order_id>/<any(close, cancel):action>")
@login_required
def act(order_id: int, action: str):
    order = services.get(order_id, current_user)
    form = ActionForm()
    if not form.validate():
        abort(400)
    try:
        getattr(services, action)(
            order,
            actor=current_user,
            comment=form.comment.data or "",
            expected_version=submitted_version(form),
        )
    except ValidationError as exc:
        db.session.rollback()
        form.comment.errors = list(exc.fields.get("comment", [exc.message]))
        return _render(services.get(order_id, current_user), action_form=form, status=422)
    db.session.commit()
    flash(f"The order is {'closed' if action == 'close' else 'cancelled'}.", "success")
    return redirect(url_for(".detail", order_id=order.id))


@bp.get("/<int:order_id>/pdf")
@login_required
def pdf(order_id: int):
    order = services.get(order_id, current_user)
    data, filename = services.document(order)
    response = Response(data, mimetype="application/pdf")
    disposition = "inline" if request.args.get("inline") else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    if order.pdf_sha256:
        response.headers["ETag"] = f'"{order.pdf_sha256}"'
    return response
