"""The confirmation form of an e-mail's decision link (``/act/<token>``)."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length

from .services import TEXT_MAX


class LinkDecisionForm(FlaskForm):
    """The decision the link names (sent back to be checked against it) and the
    comment; CSRF stays on, from the session cookie the confirmation page set."""

    decision = HiddenField()
    comment = TextAreaField("Comment", validators=[Length(max=TEXT_MAX)])
