"""The buying organisation's details and the agreements' standard clauses, on
``/admin/organisation`` (admin only: the blueprint's guard in ``views.py``).

The forms only carry the text: ``organisation.update`` and
``organisation.update_agreement_clauses`` check it (every problem beside its field),
change the setting and audit it."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, SubmitField, TextAreaField

from .. import organisation, web
from . import bp


class OrganisationForm(FlaskForm):
    name = StringField("Name", description="As vendors know you: printed on every document.")
    address = TextAreaField("Address", render_kw={"rows": 4})
    phone = StringField("Phone")
    email = EmailField("E-mail", description="Where vendors write to the buyer.")
    tax_id = StringField("Tax id", description="VAT or tax registration number.")
    bill_to = TextAreaField(
        "Invoice (bill-to) address",
        render_kw={"rows": 4},
        description="Where vendors send invoices; leave empty to use the address.",
    )
    terms = TextAreaField(
        "General terms of purchase",
        render_kw={"rows": 8},
        description="Printed on every purchase order and agreement.",
    )
    save_details = SubmitField("Save the organisation's details")


class AgreementForm(FlaskForm):
    save_clauses = SubmitField("Save the agreement clauses")


# One text area per clause, under the heading the agreement prints.
for _key, _heading in organisation.CLAUSES:
    setattr(AgreementForm, _key, TextAreaField(_heading, render_kw={"rows": 4}))


def _render(details: OrganisationForm | None = None, agreement: AgreementForm | None = None):  # type: ignore[no-untyped-def]
    """The page; a form given is the one that was posted, shown with its errors."""
    if details is None:
        details = OrganisationForm(data=organisation.current().as_dict())
    if agreement is None:
        agreement = AgreementForm(
            data={clause.key: clause.text for clause in organisation.agreement_clauses()}
        )
    posted = agreement if request.endpoint == "admin.agreement" else details
    return render_template(
        "admin/organisation.html",
        form=details,
        agreement_form=agreement,
        clause_fields=[agreement[key] for key, _heading in organisation.CLAUSES],
    ), web.form_status(posted)


@bp.route("/organisation", methods=["GET", "POST"])
def organisation_details():
    form = OrganisationForm()
    if request.method == "GET":
        return _render()
    if form.validate():
        with web.form_errors(form) as outcome:
            organisation.update(
                {name: form[name].data for name in organisation.FIELDS}, actor=current_user
            )
        if outcome.ok:
            flash("The organisation's details are saved: new documents show them.", "success")
            return redirect(url_for(".organisation_details"))
    return _render(details=form)


@bp.post("/organisation/agreement")
def agreement():
    form = AgreementForm()
    if form.validate():
        with web.form_errors(form) as outcome:
            organisation.update_agreement_clauses(
                {key: form[key].data for key, _heading in organisation.CLAUSES},
                actor=current_user,
            )
        if outcome.ok:
            flash(
                "The agreement clauses are saved: agreements printed from now on use them.",
                "success",
            )
            return redirect(url_for(".organisation_details", _anchor="agreement"))
    return _render(agreement=form)
