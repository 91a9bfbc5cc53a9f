from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    next = HiddenField()
    submit = SubmitField("Sign in")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField(
        "New password", validators=[DataRequired(), Length(min=10, max=200)]
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")],
    )
    submit = SubmitField("Change password")


class TokenForm(FlaskForm):
    name = StringField(
        "Token name",
        validators=[DataRequired(), Length(max=200)],
        description='What the token is for, e.g. "inventory sync".',
    )
    # One use per rendered form: reloading the answer page does not create a second token.
    once = HiddenField()
    submit = SubmitField("Create token")


class RevokeForm(FlaskForm):
    submit = SubmitField("Revoke")


class DelegationForm(FlaskForm):
    delegate = SelectField("Who stands in for you", validators=[DataRequired()])
    starts_on = DateField("From", validators=[DataRequired()])
    ends_on = DateField("Until (inclusive)", validators=[DataRequired()])
    note = StringField(
        "Note",
        validators=[Length(max=10_000)],
        description="For example: on holiday, reachable by phone.",
    )
    submit = SubmitField("Delegate")
