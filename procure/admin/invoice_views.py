"""The invoice matching settings on ``/admin/invoices`` (admin only: the blueprint's
guard in ``views.py``): the price tolerance and the categories matched two-way.
``invoices.tolerances.update`` checks them, saves and audits."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField

from .. import reference, web
from ..invoices import tolerances
from . import bp
from .forms import MultiCheckboxField


class ToleranceForm(FlaskForm):
    percent = StringField(
        "Price tolerance, percent",
        description="A unit price or a total may exceed the order's by this share…",
    )
    amount = StringField(
        "Price tolerance, amount",
        description="…and by no more than this amount in the base currency, whichever is less.",
    )
    two_way_categories = MultiCheckboxField(
        "Matched two-way (invoiced against ordered)",
        description="Services and licences are not received at a loading dock: their "
        "invoices are matched against what was ordered. The other categories are "
        "matched three-way, against what was received.",
        validate_choice=False,  # the service names an unknown category beside the field
    )
    submit = SubmitField("Save the matching settings")


def _choices(form: ToleranceForm) -> None:
    form.two_way_categories.choices = [
        (category.name, category.label) for category in reference.list_categories()
    ]


@bp.route("/invoices", methods=["GET", "POST"])
def invoice_settings():
    current = tolerances.current()
    if request.method == "GET":
        form = ToleranceForm(
            data={
                "percent": f"{current.percent.normalize():f}",
                "amount": str(current.amount),
                "two_way_categories": current.two_way_categories,
            }
        )
        _choices(form)
        return render_template("admin/invoices.html", form=form, base=reference.currency())
    form = ToleranceForm()
    _choices(form)
    if form.validate():
        with web.form_errors(form) as outcome:
            tolerances.update(
                form.percent.data,
                form.amount.data,
                form.two_way_categories.data or [],
                actor=current_user,
            )
        if outcome.ok:
            flash(
                "The matching settings are saved: invoices submitted from now on use them.",
                "success",
            )
            return redirect(url_for(".invoice_settings"))
    return render_template(
        "admin/invoices.html", form=form, base=reference.currency()
    ), web.form_status(form)
