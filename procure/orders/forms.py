from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional


class DraftForm(FlaskForm):
    delivery_address = TextAreaField("Delivery address", validators=[Length(max=10_000)])
    needed_by = DateField("Needed by", validators=[Optional()])
    payment_terms = StringField("Payment terms", validators=[Length(max=200)])
    terms = TextAreaField(
        "Terms",
        validators=[Length(max=10_000)],
        description="Printed on the order, e.g. delivery and invoicing terms.",
    )
    version = HiddenField()
    submit = SubmitField("Save draft")


class ReceiveForm(FlaskForm):
    received_on = DateField("Received on", validators=[Optional()])
    note = StringField("Note", validators=[Length(max=10_000)])
    version = HiddenField()
    submit = SubmitField("Record receipt")


class ActionForm(FlaskForm):
    comment = TextAreaField("Reason", validators=[Length(max=10_000)])
    version = HiddenField()
