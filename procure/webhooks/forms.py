"""The admin's form to add a webhook endpoint. It only reads what was typed: the
checks (a public http(s) URL, a known event, the secret's length) are the service's,
``endpoints.create``, so that the page and the API refuse the same things."""

from flask_wtf import FlaskForm
from wtforms import (
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..models import WEBHOOK_KINDS
from .endpoints import KIND_NAMES, SECRET_MIN
from .events import TYPES

SECRET_HELP = (
    f"At least {SECRET_MIN} characters; the receiver checks each delivery's signature with "
    'it. Generate one with: python3 -c "import secrets; print(secrets.token_urlsafe(32))". '
    "It is not shown again. A chat endpoint may leave it empty."
)


class EventsField(SelectMultipleField):
    """The event types as a group of checkboxes (the template renders each with its
    description). Unknown values are left to the service, which names them."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: object) -> None:
        pass


class WebhookForm(FlaskForm):
    url = StringField("URL", description="Where each event is POSTed: http or https.")
    kind = SelectField(
        "Kind",
        choices=[SelectChoice(kind, KIND_NAMES[kind]) for kind in WEBHOOK_KINDS],
        default="json",
        validate_choice=False,
    )
    secret = PasswordField("Secret", description=SECRET_HELP)
    events = EventsField(
        "Events", choices=[SelectChoice(name, said) for name, said in TYPES.items()]
    )
    description = StringField("Description", description="What it is for, e.g. the service desk.")
    submit = SubmitField("Add the endpoint")


class DeleteForm(FlaskForm):
    submit = SubmitField("Delete the endpoint")
