"""The order's invoice link: the vendor's page (the order, what was already invoiced,
the invoice form), and procurement re-issuing the link."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import Length

from .. import access, attachments, web
from ..models import PurchaseOrder
from . import links
from .forms import InvoiceForm
from .vendor import bp


class VendorInvoiceForm(InvoiceForm):
    """What procurement types, in the vendor's words, less its buttons; the page shows
    no credit-note choice, and whatever is posted for it is ignored."""

    vendor_invoice_number = StringField("Your invoice number", validators=[Length(max=100)])
    total = StringField("Total on your invoice")
    pdf = FileField("Your invoice (PDF)")
    save = None
    save_submit = None


def _form(order: PurchaseOrder, page: links.VendorPage) -> VendorInvoiceForm:
    remaining = {item.line.id: item.remaining for item in page.lines}
    return VendorInvoiceForm().for_order(order, remaining, [])


@bp.route("/invoice/<token>", methods=["GET", "POST"])
@attachments.accepts_uploads
def vendor_invoice(token: str):
    try:
        order = links.order_for_token(token)
    except links.LinkRefused as exc:
        return render_template("invoices/vendor_link_refused.html", message=str(exc)), exc.status
    page = links.vendor_page(order)
    form = _form(order, page)
    if request.method == "POST" and form.validate():
        aliases: dict[str, str] = {}
        with web.form_errors(form, aliases=aliases) as outcome:
            data, found = form.invoice_data(order)
            aliases.update(found)
            data.credit_for = None  # the link sends invoices, never credit notes
            invoice = links.receive(order, data, request.files.get("pdf"))
        if outcome.ok:
            return render_template("invoices/vendor_thanks.html", invoice=invoice, page=page)
    status = 422 if request.method == "POST" else 200
    return render_template("invoices/vendor_invoice.html", page=page, form=form), status


@bp.post("/orders/<int:order_id>/invoice-link")
@login_required
def reissue(order_id: int):
    """A new link for the vendor (the earlier one leaked, or was lost); the earlier one
    stops working. Procurement sends it on: the order page shows it."""
    order = access.load(PurchaseOrder, order_id, current_user, change=True)
    link = links.reissue_link(order, actor=current_user)
    flash(
        f"{order.vendor.name}'s new invoice link for {order.number}: {link} "
        "(the earlier one no longer works).",
        "success",
    )
    return redirect(url_for("orders.detail", order_id=order.id), 303)
