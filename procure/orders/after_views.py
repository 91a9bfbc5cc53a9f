"""The order's pages after issue: revising it (a change order), sending goods back,
reversing a wrong receipt. Each form is procurement's (the services say so: 403 for
others); a refused input shows beside its field with 422 and changes nothing."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import currencies, web
from ..errors import InvalidTransition
from ..forms import submitted_version
from ..models import RevisionStatus
from ..money import format_date, format_money
from ..workflow import OrderAction
from . import after_page, bp, returns, revisions, services
from .after_forms import NEW_ROWS, ReverseForm, return_form, revision_form


@bp.route("/<int:order_id>/revise", methods=["GET", "POST"])
@login_required
def revise(order_id: int):
    order = services.get(order_id, current_user)
    after_page.require(order, OrderAction.REVISE, current_user)
    if request.method == "GET":
        form = revision_form(order, initial=True)
        return render_template("orders/revise.html", order=order, form=form, new_rows=NEW_ROWS)
    form = revision_form(order)
    if form.validate():
        data, aliases = form.revision_data(order)
        with web.form_errors(form, aliases=aliases) as outcome:
            revision = revisions.revise(
                order, data, actor=current_user, expected_version=submitted_version(form)
            )
        if outcome.ok:
            if revision.status == RevisionStatus.ISSUED:
                flash(
                    f"{revisions.label(order, revision.revision)} is issued and sent to the "
                    "vendor.",
                    "success",
                )
            else:
                increase = format_money(after_page.increase_of(revision), currencies.base())
                flash(
                    f"The revision of {order.number} waits for approval of the increase of "
                    f"{increase} on {order.request.number}.",
                    "success",
                )
            return redirect(url_for(".detail", order_id=order.id))
    return render_template(
        "orders/revise.html", order=order, form=form, new_rows=NEW_ROWS
    ), web.form_status(form)


@bp.route("/<int:order_id>/return", methods=["GET", "POST"])
@login_required
def send_back(order_id: int):
    order = services.get(order_id, current_user)
    after_page.require(order, OrderAction.RETURN, current_user)
    lines = after_page.returnable(order)
    if request.method == "GET":
        form = return_form(order, formdata=None, data={"version": order.version})
        return render_template("orders/return.html", order=order, form=form, lines=lines)
    form = return_form(order)
    if form.validate():
        chosen = form.return_lines()
        with web.form_errors(form, aliases=form.error_fields(chosen)) as outcome:
            returns.record_return(
                order,
                chosen,
                returned_on=form.returned_on.data,
                reason=form.reason.data or "",
                rma=form.rma.data or "",
                actor=current_user,
                expected_version=submitted_version(form),
            )
        if outcome.ok:
            flash("The return is recorded; what is received went down.", "success")
            return redirect(url_for(".detail", order_id=order.id))
    return render_template(
        "orders/return.html", order=order, form=form, lines=lines
    ), web.form_status(form)


@bp.route("/<int:order_id>/receipts/<int:receipt_id>/reverse", methods=["GET", "POST"])
@login_required
def reverse(order_id: int, receipt_id: int):
    order = services.get(order_id, current_user)
    receipt = returns.receipt_of(order, receipt_id)
    if receipt is None:
        abort(404)
    after_page.require(order, OrderAction.REVERSE_RECEIPT, current_user)
    page = after_page.reverse_page(order, receipt)
    if request.method == "GET":
        form = ReverseForm(formdata=None, data={"version": order.version})
        status = 409 if receipt.reversed_at else 200
        return render_template("orders/reverse.html", order=order, form=form, page=page), status
    form = ReverseForm()
    status = 422
    if form.validate():
        try:
            with web.form_errors(form) as outcome:
                returns.reverse_receipt(
                    order,
                    receipt,
                    reason=form.reason.data or "",
                    actor=current_user,
                    expected_version=submitted_version(form),
                )
        except InvalidTransition as refused:
            form.form_errors.append(refused.message)
            status = 409
        else:
            if outcome.ok:
                flash(
                    f"The receipt of {format_date(receipt.received_on)} is reversed; record "
                    "the right one anew.",
                    "success",
                )
                return redirect(url_for(".detail", order_id=order.id))
    return render_template("orders/reverse.html", order=order, form=form, page=page), status
