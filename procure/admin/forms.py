from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..models import Role

ROLE_CHOICES = [SelectChoice(role.value, role.label) for role in Role]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    department = SelectField("Department", validators=[DataRequired()])
    roles = MultiCheckboxField(
        "Roles",
        choices=ROLE_CHOICES,
        validators=[DataRequired(message="Choose at least one role.")],
    )
    active = BooleanField("Active", default=True)
    submit = SubmitField("Save")


class NewUserForm(UserForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        "Initial password",
        validators=[DataRequired(), Length(max=200)],
        description="At least 10 characters; the user can change it.",
    )


class ResetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Reset password")


class DepartmentForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[DataRequired(), Length(max=20)],
        description="Short and stable, e.g. IT or FIN.",
    )
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Add department")


class RenameDepartmentForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Rename")


class CategoryForm(FlaskForm):
    name = StringField(
        "Key",
        validators=[DataRequired(), Length(max=40)],
        description="Lower-case, used in the API, e.g. networking.",
    )
    label = StringField("Label", validators=[DataRequired(), Length(max=200)])
    submit = SubmitField("Add category")


class ToggleForm(FlaskForm):
    submit = SubmitField("Change")
