"""The invoice pages: /invoices (the list, and paying a batch), /invoices/new (record
an invoice against an issued order), /invoices/import (an e-invoice), /invoices/<id>
(the invoice, its three columns, its exceptions, and what people do to it)."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import attachments, web
from ..forms import submitted_version
from ..models import InvoiceStatus
from . import actions, bp, invoice_page, pages, services
from .forms import (
    ACTION_ALIASES,
    ACTION_FORMS,
    BatchPayForm,
    ImportForm,
    InvoiceForm,
)

# What the page says after each action.
DONE = {
    "release": "released from its hold and approved",
    "approve": "approved",
    "reject": "rejected",
    "cancel": "cancelled",
    "pay": "paid",
}


def _filters() -> pages.Filters:
    args = request.args
    status = args.get("status") or None
    if status not in {s.value for s in InvoiceStatus}:
        status = None
    vendor = args.get("vendor_id", "")
    named = " ".join(args.get("vendor", "").split())[:200] or None
    quick = args.get("quick") or None
    try:
        due_before = dt.date.fromisoformat(args.get("due_before", ""))
    except ValueError:
        due_before = None
    return pages.Filters(
        status=status,
        vendor_id=int(vendor) if vendor.isdigit() and len(vendor) < 12 else None,
        vendor=named,
        due_before=due_before,
        quick=quick if quick in pages.QUICK_FILTERS else None,
    )


def _list(pay_form: BatchPayForm | None = None, status: int = 200):
    return render_template(
        "invoices/index.html",
        list=pages.list_page(current_user, _filters()),
        quick_filters=pages.QUICK_FILTERS,
        pay_form=pay_form or BatchPayForm(),
    ), status


@bp.get("/")
@login_required
def index():
    return _list()


@bp.post("/pay")
@login_required
def pay_batch():
    form = BatchPayForm()
    if form.validate():
        with web.form_errors(form) as outcome:
            paid = pages.pay_chosen(form.chosen_ids(), form.payment(), actor=current_user)
        if outcome.ok:
            flash(f"{len(paid)} invoice{'s' if len(paid) != 1 else ''} marked paid.", "success")
            return redirect(url_for(".index", status="paid"))
    return _list(form, 422)


# Recording ---------------------------------------------------------------------------


def _new(order, form: InvoiceForm, status: int = 200):
    page = pages.new_invoice_page(order)
    form.for_order(order, page.remaining, page.creditable)
    return render_template("invoices/new.html", page=page, order=order, form=form), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
@attachments.accepts_uploads
def new():
    order = pages.order_to_invoice(request.args.get("order_id"), current_user)
    form = InvoiceForm()
    if request.method == "GET":
        return _new(order, form)
    form.for_order(order, {}, pages.creditable(order))
    if form.validate():
        with web.form_errors(form) as parsed:
            data, aliases = form.invoice_data(order)
        if parsed.ok:
            with web.form_errors(form, aliases=aliases) as outcome:
                invoice = pages.record(
                    order,
                    data,
                    form.pdf.data,
                    actor=current_user,
                    submit=bool(form.save_submit.data),
                )
            if outcome.ok:
                flash(_recorded(invoice), "success")
                return redirect(url_for(".detail", invoice_id=invoice.id))
    return _new(order, form, 422)


def _recorded(invoice) -> str:
    if invoice.status == InvoiceStatus.DRAFT:
        return f"{invoice.number} is saved as a draft."
    if invoice.status == InvoiceStatus.MATCHED:
        return f"{invoice.number} is recorded and matches the order."
    return f"{invoice.number} is recorded and held: see its exceptions below."


# One invoice -------------------------------------------------------------------------


def _render(invoice, forms: dict | None = None, status: int = 200):
    given = forms or {}
    shown = {
        action: given.get(action) or form_class(version=invoice.version)
        for action, form_class in ACTION_FORMS.items()
    }
    return render_template(
        "invoices/detail.html",
        page=invoice_page.invoice_page(invoice, current_user),
        invoice=invoice,
        forms=shown,
    ), status


@bp.get("/<int:invoice_id>")
@login_required
def detail(invoice_id: int):
    return _render(services.get(invoice_id, current_user))


@bp.post("/<int:invoice_id>/<any(submit, resolve, release, approve, reject, cancel, pay):action>")
@login_required
def act(invoice_id: int, action: str):
    invoice = services.get(invoice_id, current_user)
    form = ACTION_FORMS[action]()
    if not form.validate():
        if form.errors.get("csrf_token"):
            abort(400)
        return _render(invoice, {action: form}, 422)
    version = submitted_version(form)
    with web.form_errors(form, aliases=ACTION_ALIASES.get(action)) as outcome:
        if action in {"submit", "approve"}:
            getattr(actions, action)(invoice, actor=current_user, expected_version=version)
        elif action == "resolve":
            actions.resolve(
                invoice, form.reason.data or "", actor=current_user, expected_version=version
            )
        elif action == "release":
            actions.release(
                invoice,
                form.justification.data or "",
                actor=current_user,
                expected_version=version,
            )
        elif action == "reject":
            actions.reject(
                invoice, form.comment.data or "", actor=current_user, expected_version=version
            )
        elif action == "cancel":
            actions.cancel(
                invoice,
                form.cancel_reason.data or "",
                actor=current_user,
                expected_version=version,
            )
        else:
            actions.pay(invoice, form.payment(), actor=current_user, expected_version=version)
    if not outcome.ok:
        return _render(invoice, {action: form}, 422)
    if action in {"submit", "resolve"}:
        if invoice.status == InvoiceStatus.MATCHED:
            flash(f"{invoice.number} matches the order and waits for approval.", "success")
        else:
            flash(f"{invoice.number} is on hold: see its exceptions.", "warning")
    else:
        flash(f"{invoice.number} is {DONE[action]}.", "success")
    return redirect(url_for(".detail", invoice_id=invoice.id))


@bp.get("/<int:invoice_id>/pdf")
@login_required
def pdf(invoice_id: int):
    invoice = services.get(invoice_id, current_user)
    response = attachments.send(
        invoice_page.vendor_pdf(invoice), inline=bool(request.args.get("inline"))
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# An e-invoice ------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@login_required
@attachments.accepts_uploads
def import_einvoice():
    pages.may_import(current_user)
    form = ImportForm()
    if request.method == "GET":
        return render_template("invoices/import.html", form=form)
    if form.validate():
        with web.form_errors(form) as outcome:
            invoice = pages.import_upload(form.file.data, actor=current_user)
        if outcome.ok:
            flash(f"{invoice.number} is imported as a draft: check it, then submit it.", "success")
            return redirect(url_for(".detail", invoice_id=invoice.id))
    return render_template("invoices/import.html", form=form), 422
