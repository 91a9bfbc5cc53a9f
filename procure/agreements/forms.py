"""The forms of the agreement pages. Amounts are parsed by procure.money in the view,
for exact Decimals and clear messages, not by WTForms' float-friendly fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional


class ItemForm(Form):
    description = StringField("Description", validators=[Length(max=10_000)])
    category = SelectField("Category", default="other")
    unit = StringField("Unit", default="each", validators=[Length(max=200)])
    unit_price = StringField("Unit price")
    max_quantity = StringField("Max quantity", description="Empty: rate only.")


class AgreementForm(FlaskForm):
    # The vendors and the enabled currencies: the view fills the choices.
    vendor_id = SelectField("Vendor", validate_choice=False)
    title = StringField(
        "Title", validators=[InputRequired(message="Give it a title."), Length(max=200)]
    )
    start_date = DateField(
        "Start date", validators=[InputRequired(message="Give the date it starts.")]
    )
    end_date = DateField("End date", validators=[InputRequired(message="Give the date it ends.")])
    currency = SelectField("Currency", validate_choice=False)
    ceiling = StringField("Ceiling", description="The most to call off in all; empty: none.")
    rfq_id = StringField("RFQ", description="The number of the RFQ it came from, if any.")
    terms = TextAreaField("Terms", validators=[Length(max=10_000)])
    items = FieldList(FormField(ItemForm), min_entries=1, max_entries=500)
    add_item = SubmitField("Add a row")
    save = SubmitField("Save draft")


class ActionForm(FlaskForm):
    comment = TextAreaField("Reason", validators=[Optional(), Length(max=10_000)])
    version = HiddenField()


class CallOffForm(FlaskForm):
    request_number = StringField(
        "Approved request",
        validators=[Length(max=40)],
        description="Its number, e.g. PR-2026-00012: every line an item of this agreement.",
    )
    request_id = HiddenField()
