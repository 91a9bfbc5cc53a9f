"""The forms of the rates and currencies pages. They carry what was typed; the services
check it (``rates.record``, ``currencies.check_enableable``) and say what is wrong
beside each field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, SubmitField
from wtforms.validators import Optional


class RateForm(FlaskForm):
    # The service says what is wrong with a currency that is not offered, in its words.
    currency = SelectField("Currency", validate_choice=False)
    date = DateField(
        "Date", validators=[Optional()], description="The day the rate is for (YYYY-MM-DD)."
    )
    rate = StringField(
        "Rate",
        description="What one unit of the currency is worth in the base currency, e.g. 1.0825.",
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    record = SubmitField("Record the rate")


class ImportForm(FlaskForm):
    file = FileField(
        "CSV file",
        description="Either date,currency,rate with that header, or the European Central "
        "Bank's historical file (eurofxref-hist.csv) as published.",
    )
    upload = SubmitField("Check and import")


class EnableForm(FlaskForm):
    code = StringField(
        "Currency code",
        description="An ISO 4217 code, e.g. EUR; type it or pick it from the list.",
        render_kw={"list": "iso-currencies", "autocomplete": "off", "maxlength": 3},
    )
    enable = SubmitField("Enable")


class ActionForm(FlaskForm):
    """A button that changes something: the CSRF token alone."""
