"""The approval policy on ``/admin/policy``."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from .. import reference, request_types, web
from ..forms import IntegerField
from ..models import Role
from . import bp, policy


class RuleForm(FlaskForm):
    step = StringField(
        "Step",
        validators=[DataRequired(), Length(max=40)],
        description="A short name: department, finance, security…",
    )
    role = SelectField(
        "Decided by", choices=[SelectChoice(r.value, r.label) for r in policy.DECIDING_ROLES]
    )
    step_order = IntegerField(
        "Order",
        default=10,
        validators=[NumberRange(1, 999)],
        description="Steps are decided in this order, lowest first.",
    )
    min_total = StringField(
        "Minimum total",
        validators=[Optional(), Length(max=20)],
        description="Leave empty for any total.",
    )
    category = SelectField("Only with lines of category", validators=[Optional()])
    department = SelectField("Only for department", validators=[Optional()])
    when_over_budget = BooleanField("Only when the request exceeds its department's budget")
    request_type = SelectField("Only for requests of type", validators=[Optional()])
    field_name = StringField(
        "Only when the type's field",
        validators=[Optional(), Length(max=40)],
        description="A field name of the type, e.g. personal_data; leave empty for any.",
    )
    field_value = StringField(
        "has the value",
        validators=[Optional(), Length(max=200)],
        description="yes or no for a yes/no field.",
    )
    skip_for_catalogue = BooleanField(
        "Skip when every line is a catalogue item (never the department step)"
    )
    submit = SubmitField("Save rule")


class QuoteRuleForm(FlaskForm):
    threshold = StringField("From a request total of", validators=[DataRequired(), Length(max=20)])
    min_quotes = IntegerField(
        "an award needs at least this many quotes", validators=[NumberRange(1, 20)]
    )
    two_to_open = BooleanField("Sealed bids are opened by two procurement users")
    submit = SubmitField("Save the quote rules")


class SlaForm(FlaskForm):
    days = IntegerField(
        "Working days a step may wait",
        validators=[NumberRange(1, 30, message="Give a number of working days from 1 to 30.")],
    )
    submit = SubmitField("Save the service level")


class SplitWindowForm(FlaskForm):
    days = IntegerField(
        "Days between requests looked at together",
        validators=[NumberRange(1, 365, message="Give a number of days from 1 to 365.")],
    )
    submit = SubmitField("Save the split-purchase window")


class ToggleRuleForm(FlaskForm):
    submit = SubmitField("Change")


def _choices(form: RuleForm) -> None:
    form.category.choices = [SelectChoice("", "Any category")] + [
        SelectChoice(c.name, c.label) for c in reference.list_categories()
    ]
    form.department.choices = [SelectChoice("", "Any department")] + [
        SelectChoice(d.code, f"{d.code} — {d.name}") for d in reference.list_departments()
    ]
    form.request_type.choices = [SelectChoice("", "Any type")] + [
        SelectChoice(t.code, f"{t.name} ({t.code})") for t in request_types.list_types()
    ]


def _rule_data(form: RuleForm) -> policy.RuleData:
    return policy.RuleData(
        step=form.step.data,
        role=Role(form.role.data),
        step_order=form.step_order.data,
        min_total=policy.minimum_total(form.min_total.data),
        category=form.category.data or None,
        department_code=form.department.data or None,
        when_over_budget=form.when_over_budget.data,
        request_type=form.request_type.data or None,
        field_name=form.field_name.data or None,
        field_value=form.field_value.data or None,
        skip_for_catalogue=form.skip_for_catalogue.data,
    )


def _render(form: RuleForm | None = None, *, quote_form=None, sla_form=None, split_form=None):  # type: ignore[no-untyped-def]
    """The policy page; a form given is the one that failed, shown with its errors."""
    if form is None:
        form = RuleForm()
        _choices(form)
    page = policy.page()
    failed = next((f for f in (quote_form, sla_form, split_form) if f is not None), form)
    return render_template(
        "admin/policy.html",
        page=page,
        form=form,
        toggle_form=ToggleRuleForm(),
        quote_form=quote_form
        or QuoteRuleForm(
            threshold=page.quote_threshold,
            min_quotes=page.min_quotes,
            two_to_open=page.two_to_open,
        ),
        sla_form=sla_form or SlaForm(days=page.sla_days),
        split_form=split_form or SplitWindowForm(days=page.split_window_days),
    ), web.form_status(failed)


@bp.route("/policy", methods=["GET", "POST"])
def policy_rules():
    form = RuleForm()
    _choices(form)
    if request.method == "POST":
        if form.validate():
            with web.form_errors(form) as outcome:
                policy.add_rule(_rule_data(form), actor=current_user)
            if outcome.ok:
                flash("The rule is added. Requests submitted from now on follow it.", "success")
                return redirect(url_for(".policy_rules"))
    return _render(form)


@bp.route("/policy/<int:rule_id>", methods=["GET", "POST"])
def edit_rule(rule_id: int):
    rule = policy.get_rule(rule_id)
    form = RuleForm(obj=rule) if request.method == "GET" else RuleForm()
    _choices(form)
    if request.method == "GET":
        form.role.data = rule.role.value
        form.min_total.data = f"{rule.min_total:.2f}" if rule.min_total is not None else ""
        form.category.data = rule.category or ""
        form.department.data = rule.department.code if rule.department else ""
        form.request_type.data = rule.request_type or ""
    elif form.validate():
        with web.form_errors(form) as outcome:
            policy.update_rule(rule, _rule_data(form), actor=current_user)
        if outcome.ok:
            flash("The rule is saved. Requests already in flight keep their steps.", "success")
            return redirect(url_for(".policy_rules"))
    return render_template("admin/policy_rule.html", rule=rule, form=form), web.form_status(form)


@bp.post("/policy/<int:rule_id>/toggle")
def toggle_rule(rule_id: int):
    rule = policy.get_rule(rule_id)
    if ToggleRuleForm().validate_on_submit():
        policy.set_rule_active(rule, not rule.active, actor=current_user)
        flash(f"The rule is {'active' if rule.active else 'switched off'}.", "success")
    return redirect(url_for(".policy_rules"))


@bp.post("/policy/quotes")
def quote_rule():
    """The quote-count rule: from a total, an award needs N quotes unless it carries a
    single-source justification."""
    form = QuoteRuleForm()
    if form.validate():
        with web.form_errors(form) as outcome:
            policy.set_quote_rule(
                form.threshold.data,
                form.min_quotes.data,
                actor=current_user,
                two_to_open=form.two_to_open.data,
            )
        if outcome.ok:
            flash("The quote rules are saved.", "success")
            return redirect(url_for(".policy_rules", _anchor="quote-rule"))
    return _render(quote_form=form)


@bp.post("/policy/sla")
def approval_sla():
    """The approval service level: a step waiting longer is overdue, and its deciders
    are reminded daily."""
    form = SlaForm()
    if form.validate():
        policy.set_approval_sla(form.days.data, actor=current_user)
        flash("The approval service level is saved.", "success")
        return redirect(url_for(".policy_rules", _anchor="sla"))
    return _render(sla_form=form)


@bp.post("/policy/split-window")
def split_window():
    """How far apart requests may be created and still count as one split purchase."""
    form = SplitWindowForm()
    if form.validate():
        policy.set_split_window(form.days.data, actor=current_user)
        flash("The split-purchase window is saved.", "success")
        return redirect(url_for(".policy_rules", _anchor="split-window"))
    return _render(split_form=form)
