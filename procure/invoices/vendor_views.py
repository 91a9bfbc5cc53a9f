"""The order's invoice link: the vendor's page (the order, what was already invoiced,
the invoice form, an e-invoice upload instead), and procurement re-issuing the link."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import Length

from .. import access, attachments, web
from ..models import PurchaseOrder
from . import links, vendor_einvoice
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


class VendorEinvoiceForm(FlaskForm):
    """Beside the typed form on the vendor's page: its fields are prefixed, so that
    neither form's names nor ids collide."""

    xml = FileField("Your e-invoice (UBL 2.1 or Peppol BIS Billing 3.0 XML)")
    pdf = FileField("Your invoice (PDF)", description="Not needed when the e-invoice carries it.")

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("prefix", "einvoice")
        super().__init__(*args, **kwargs)


def _forms(
    order: PurchaseOrder, page: links.VendorPage, *, posted: str | None = None
) -> tuple[VendorInvoiceForm, VendorEinvoiceForm]:
    """The typed form and the upload, each bound to the request only if it was sent."""
    remaining = {item.line.id: item.remaining for item in page.lines}
    typed = VendorInvoiceForm(**({} if posted == "typed" else {"formdata": None}))
    upload = VendorEinvoiceForm(**({} if posted == "upload" else {"formdata": None}))
    return typed.for_order(order, remaining, []), upload


@bp.errorhandler(links.LinkRefused)
def _refused(exc: links.LinkRefused):  # type: ignore[no-untyped-def]
    """An unknown link, or one whose order can no longer be invoiced."""
    return render_template("invoices/vendor_link_refused.html", message=str(exc)), exc.status


def _page(page: links.VendorPage, forms: tuple, status: int):  # type: ignore[no-untyped-def]
    typed, upload = forms
    return render_template(
        "invoices/vendor_invoice.html", page=page, form=typed, upload=upload
    ), status


@bp.route("/invoice/<token>", methods=["GET", "POST"])
@attachments.accepts_uploads
def vendor_invoice(token: str):
    order = links.order_for_token(token)
    page = links.vendor_page(order)
    if request.method == "GET":
        return _page(page, _forms(order, page), 200)
    form, upload = _forms(order, page, posted="typed")
    if form.validate():
        aliases: dict[str, str] = {}
        with web.form_errors(form, aliases=aliases) as outcome:
            data, found = form.invoice_data(order)
            aliases.update(found)
            data.credit_for = None  # the link sends invoices, never credit notes
            invoice = links.receive(order, data, request.files.get("pdf"))
        if outcome.ok:
            return render_template("invoices/vendor_thanks.html", invoice=invoice)
    return _page(page, (form, upload), 422)


@bp.post("/invoice/<token>/einvoice")
@attachments.accepts_uploads
def vendor_einvoice_upload(token: str):
    order = links.order_for_token(token)
    page = links.vendor_page(order)
    form, upload = _forms(order, page, posted="upload")
    if upload.validate():
        with web.form_errors(upload) as outcome:
            invoice = vendor_einvoice.receive(
                order, request.files.get("einvoice-xml"), request.files.get("einvoice-pdf")
            )
        if outcome.ok:
            return render_template("invoices/vendor_thanks.html", invoice=invoice)
    return _page(page, (form, upload), 422)


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
