from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    FieldList,
    FileField,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import IntegerField


class VendorChoices(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RfqForm(FlaskForm):
    vendors = VendorChoices(
        "Vendors to invite",
        coerce=int,
        validators=[DataRequired(message="Invite at least one vendor.")],
    )
    due_date = DateField("Quotes due by", validators=[DataRequired()])
    weight_price = DecimalField("Price", places=3, default=0.6, validators=[NumberRange(0, 1)])
    weight_lead_time = DecimalField(
        "Lead time", places=3, default=0.2, validators=[NumberRange(0, 1)]
    )
    weight_rating = DecimalField("Rating", places=3, default=0.2, validators=[NumberRange(0, 1)])
    weight_warranty = DecimalField("Warranty", places=3, default=0, validators=[NumberRange(0, 1)])
    notes = TextAreaField("Notes for the vendors", validators=[Length(max=10_000)])
    submit = SubmitField("Create RFQ")


class QuoteLineForm(Form):
    request_line_id = HiddenField()
    unit_price = StringField("Unit price")


class QuoteForm(FlaskForm):
    vendor_id = SelectField("Vendor", coerce=int, validators=[DataRequired()])
    lines = FieldList(FormField(QuoteLineForm), min_entries=0, max_entries=1000)
    shipping = StringField("Shipping", default="0.00")
    tax = StringField("Tax", default="0.00")
    lead_time_days = IntegerField(
        "Lead time (days)",
        validators=[InputRequired(message="Give the lead time."), NumberRange(0, 3650)],
    )
    warranty_months = IntegerField(
        "Warranty (months)", default=0, validators=[Optional(), NumberRange(0, 600)]
    )
    payment_terms = StringField(
        "Payment terms", validators=[Length(max=200)], default="30 days net"
    )
    valid_until = DateField("Valid until", validators=[DataRequired()])
    notes = TextAreaField("Notes", validators=[Length(max=10_000)])
    attachment = FileField("Quote document (PDF or image)")
    submit = SubmitField("Save quote")


class AwardForm(FlaskForm):
    quote_id = HiddenField(validators=[DataRequired()])
    justification = TextAreaField("Justification", validators=[Length(max=10_000)])
    version = HiddenField()
    submit = SubmitField("Award")


class ActionForm(FlaskForm):
    comment = TextAreaField("Comment", validators=[Length(max=10_000)])
    version = HiddenField()
