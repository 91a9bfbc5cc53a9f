"""A vendor's bank details: ``/vendors/<id>/bank-details`` shows them masked with their
history, takes a change (procurement or finance) and its confirmation by a second
person (finance). ``services/bank.py`` checks, changes and audits."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField

from .. import web
from . import bp, services
from .forms import ActionForm
from .services import bank


class BankForm(FlaskForm):
    iban = StringField("IBAN", description="Spaces allowed; the check digits are verified.")
    bic = StringField("BIC", description="Found from the IBAN's bank code when left empty.")
    account_number = StringField("Account number", description="Outside IBAN countries.")
    routing_number = StringField("Routing number", description="The 9-digit ABA number.")
    submit = SubmitField("Enter these details")


def _page(vendor, form: BankForm | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template(
        "vendors/bank.html",
        page=bank.page(vendor, current_user),
        form=form or BankForm(),
        confirm_form=ActionForm(),
    ), status


@bp.get("/vendors/<int:vendor_id>/bank-details")
def bank_details(vendor_id: int):
    return _page(services.get(vendor_id, current_user))


@bp.post("/vendors/<int:vendor_id>/bank-details")
def change_bank_details(vendor_id: int):
    vendor = services.get(vendor_id, current_user)
    form = BankForm()
    if form.validate():
        with web.form_errors(form) as outcome:
            bank.change(
                vendor,
                bank.BankData(
                    form.iban.data or "",
                    form.bic.data or "",
                    form.account_number.data or "",
                    form.routing_number.data or "",
                ),
                actor=current_user,
            )
        if outcome.ok:
            flash(
                f"{vendor.name}'s new bank details wait for a second person in finance to "
                "confirm them; payments still go to the details in use.",
                "success",
            )
            return redirect(url_for(".bank_details", vendor_id=vendor.id))
    return _page(vendor, form, web.form_status(form))


@bp.post("/vendors/<int:vendor_id>/bank-details/confirm")
def confirm_bank_details(vendor_id: int):
    vendor = services.get(vendor_id, current_user)
    if not ActionForm().validate():
        flash("The form has expired; please try again.", "danger")
        return redirect(url_for(".bank_details", vendor_id=vendor.id))
    bank.confirm_pending(vendor, actor=current_user)
    flash(f"{vendor.name}'s bank details are confirmed; the vendor is told by e-mail.", "success")
    return redirect(url_for(".bank_details", vendor_id=vendor.id))
