from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional


class LineForm(Form):
    # Amounts are parsed by procure.money in the view, for exact Decimal and clear
    # messages ("at most 2 decimal places"), not by WTForms' float-friendly fields.
    description = StringField("Description", validators=[Length(max=10_000)])
    category = SelectField("Category", default="other")
    quantity = StringField("Quantity", default="1")
    unit = StringField("Unit", default="each", validators=[Length(max=200)])
    unit_price = StringField("Unit price")
    # An item of the catalogue (an active agreement's): its price is the agreed one.
    catalogue_item_id = HiddenField()


class RequestForm(FlaskForm):
    title = StringField(
        "Title", validators=[DataRequired(message="Give the request a title."), Length(max=200)]
    )
    justification = TextAreaField(
        "Justification",
        validators=[Length(max=10_000)],
        description="Why is this needed? Approvers read this first.",
    )
    needed_by = DateField("Needed by", validators=[Optional()])
    # The enabled currencies (``currencies.choices()``, set by the view); amounts are
    # estimated in it and converted to the base currency at submit.
    currency = SelectField(
        "Currency",
        description="Estimate in the vendor's currency if you know it; approvals and "
        "budgets see the base amount at the rate of the submit date.",
    )
    lines = FieldList(FormField(LineForm), min_entries=1, max_entries=1000)
    version = HiddenField()
    add_line = SubmitField("Add a line")
    save = SubmitField("Save draft")


class DecisionForm(FlaskForm):
    comment = TextAreaField("Comment", validators=[Length(max=10_000)])
    version = HiddenField()


class ListFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField("Status", validators=[Optional()])
    mine = SelectField(
        "Whose",
        choices=[SelectChoice("", "All I may see"), SelectChoice("1", "Mine")],
        validators=[Optional()],
    )
