"""The asset register's forms: an asset's moves and corrections, a licence's seats, the
register's settings. The services check what matters; these read what was typed."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from .registry import LOCATION_MAX

# Location fields suggest the places the register knows (a <datalist> on the page).
PLACES = {"list": "asset-locations", "autocomplete": "off"}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DeployForm(FlaskForm):
    holder = StringField(
        "Give it to (e-mail)",
        validators=[DataRequired("Say who gets it."), Length(max=320)],
    )
    location = StringField("Location", validators=[Length(max=LOCATION_MAX)], render_kw=PLACES)
    comment = TextAreaField("Comment", validators=[Length(max=2000)])
    version = HiddenField()
    submit = SubmitField("Deploy")


class MoveForm(FlaskForm):
    """Return, repair, retire, dispose: a comment, and where it is now."""

    location = StringField("Location", validators=[Length(max=LOCATION_MAX)], render_kw=PLACES)
    comment = TextAreaField("Comment", validators=[Length(max=2000)], render_kw={"rows": 2})
    version = HiddenField()


class EditForm(FlaskForm):
    serial = StringField("Serial number", validators=[Length(max=100)])
    tag = StringField(
        "Asset tag", validators=[DataRequired("An asset keeps a tag."), Length(max=40)]
    )
    location = StringField("Location", validators=[Length(max=LOCATION_MAX)], render_kw=PLACES)
    warranty_end = DateField("Warranty ends", validators=[Optional()])
    version = HiddenField()
    submit = SubmitField("Save")


class AssignForm(FlaskForm):
    user = StringField(
        "Give a seat to (e-mail)",
        validators=[DataRequired("Say who gets the seat."), Length(max=320)],
    )
    version = HiddenField()
    submit = SubmitField("Assign a seat")


class TermForm(FlaskForm):
    """A pool's term and the contract it renews under."""

    start_date = DateField("Term starts", validators=[Optional()])
    end_date = DateField("Term ends", validators=[Optional()])
    contract = StringField(
        "Renews under contract",
        description="Its number (CT-2026-00012); empty for none. Its dates are taken "
        "unless you give dates too.",
        validators=[Length(max=40)],
    )
    version = HiddenField()
    submit = SubmitField("Save the term")


class ReleaseForm(FlaskForm):
    user_id = HiddenField()
    version = HiddenField()


class RegistryForm(FlaskForm):
    hardware_categories = MultiCheckboxField(
        "Categories that become assets",
        description="Receiving a line of one of them makes one asset per unit.",
    )
    licence_categories = MultiCheckboxField(
        "Categories that become licence pools",
        description="Receiving a line of one of them makes (or grows) a pool of seats.",
    )
    locations = TextAreaField(
        "Locations",
        description="One per line: offered when an asset is deployed or moved.",
        validators=[Length(max=50_000)],
    )
    warranty_reminder_days = StringField(
        "Warranty reminder, days before the end", validators=[Length(max=10)]
    )
    submit = SubmitField("Save the register's settings")

    def location_list(self) -> list[str]:
        return [line for line in (self.locations.data or "").splitlines() if line.strip()]


class CoverageForm(FlaskForm):
    assets = MultiCheckboxField("Covered assets", coerce=int, validate_choice=False)
    submit = SubmitField("Save what it covers")
