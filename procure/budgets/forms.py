from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import IntegerField


class BudgetForm(FlaskForm):
    department = SelectField("Department", validators=[DataRequired()])
    fiscal_year = IntegerField("Fiscal year", validators=[DataRequired(), NumberRange(2000, 2999)])
    category = SelectField(
        "Category",
        validators=[Optional()],
        description="Leave as 'Whole department' for the department's total.",
    )
    amount = StringField("Amount", validators=[DataRequired(), Length(max=20)])
    submit = SubmitField("Add budget")


class AmountForm(FlaskForm):
    amount = StringField("New amount", validators=[DataRequired(), Length(max=20)])
    version = HiddenField()
    submit = SubmitField("Save")


class YearForm(FlaskForm):
    class Meta:
        csrf = False

    year = IntegerField("Fiscal year", validators=[Optional(), NumberRange(2000, 2999)])
