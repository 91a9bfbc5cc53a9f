"""The order revision setting on ``/admin/orders`` (admin only: the admin blueprint's
guard): how far a revision may raise an order before the request's approvers must
approve the increase. ``orders.tolerances.update`` checks, saves and audits.

It lives here rather than in ``admin/``: the admin area may not import the orders area
(orders → sourcing → vendors → admin would close a circle)."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField

from .. import currencies, web
from ..admin import bp as admin_bp
from . import tolerances


class RevisionToleranceForm(FlaskForm):
    percent = StringField(
        "Revision tolerance, percent",
        description="A revision may raise an order above the approved amount by this share…",
    )
    amount = StringField("Revision tolerance, amount")
    submit = SubmitField("Save the revision settings")


def _render(form: RevisionToleranceForm):  # type: ignore[no-untyped-def]
    return render_template("admin/orders.html", form=form, base=currencies.base())


@admin_bp.route("/orders", methods=["GET", "POST"])
def order_settings():
    if request.method == "GET":
        current = tolerances.current()
        form = RevisionToleranceForm(
            formdata=None,
            data={"percent": f"{current.percent.normalize():f}", "amount": str(current.amount)},
        )
        return _render(form)
    form = RevisionToleranceForm()
    if form.validate():
        with web.form_errors(form) as outcome:
            tolerances.update(form.percent.data, form.amount.data, actor=current_user)
        if outcome.ok:
            flash(
                "The revision settings are saved: revisions proposed from now on use them.",
                "success",
            )
            return redirect(url_for(".order_settings"))
    return _render(form), web.form_status(form)
