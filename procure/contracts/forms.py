from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..forms import IntegerField
from ..models import BillingPeriod, ContractKind


class ContractForm(FlaskForm):
    vendor_id = SelectField("Vendor", coerce=int, validators=[InputRequired()])
    title = StringField("Title", validators=[InputRequired(), Length(max=200)])
    kind = SelectField(
        "Kind", choices=[SelectChoice(k.value, k.value.capitalize()) for k in ContractKind]
    )
    start_date = DateField("Start date", validators=[InputRequired()])
    end_date = DateField("End date", validators=[InputRequired()])
    value = DecimalField("Value for the term", places=None, validators=[Optional()])
    # The enabled currencies; the view fills the choices (``currencies.choices``).
    currency = SelectField("Currency", validate_choice=False)
    billing_period = SelectField(
        "Billing",
        choices=[
            SelectChoice(b.value, b.value.replace("_", "-").capitalize()) for b in BillingPeriod
        ],
        default="yearly",
    )
    auto_renew = BooleanField("Renews automatically")
    notice_days = IntegerField("Notice period (days)", default=0, validators=[Optional()])
    renewal_term_months = IntegerField(
        "Renewal term (months)", default=12, validators=[Optional()]
    )
    sla_response_hours = IntegerField("SLA response (hours)", validators=[Optional()])
    sla_resolution_hours = IntegerField("SLA resolution (hours)", validators=[Optional()])
    covered_items = TextAreaField("Covered items", description="One per line.")
    terms = TextAreaField("Terms", validators=[Length(max=10_000)])
    order_id = HiddenField()
    version = HiddenField()
    submit = SubmitField("Save draft")


class ActionForm(FlaskForm):
    comment = TextAreaField("Reason", validators=[Length(max=10_000)])
    end_date = DateField("New end date", validators=[Optional()])
    version = HiddenField()


class FilterDays(FlaskForm):
    notice_within = IntegerField("Notice within (days)", validators=[Optional(), NumberRange(0)])
