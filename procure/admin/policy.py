"""Editing the approval policy (``/admin/policy``): its rules and the settings of its
clocks and of sourcing. ``procure/policy.py`` answers which steps a request needs;
this module changes what it reads. Every change checks the role, audits and
flushes; the request commits.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa

from .. import access, audit, reference, request_types, settings
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import PolicyRule, Role, User
from ..money import MoneyError, format_money, parse_money
from ..policy import DECIDING_ROLES, STEP_PATTERN
from ..validation import FieldErrors

QUOTE_THRESHOLD_SETTING = "sourcing.quote_threshold"
MIN_QUOTES_SETTING = "sourcing.min_quotes"
TWO_TO_OPEN_SETTING = "sourcing.two_to_open"


def _require_admin(actor: User) -> None:
    access.require(actor, "administer", action="change the approval policy")


@dataclasses.dataclass
class RuleData:
    step: str
    role: Role
    step_order: int = 10
    min_total: Decimal | None = None
    category: str | None = None
    department_code: str | None = None
    when_over_budget: bool = False
    request_type: str | None = None
    field_name: str | None = None
    field_value: str | None = None
    skip_for_catalogue: bool = False


def minimum_total(value: str | None) -> Decimal | None:
    """A rule's minimum total as typed: empty for any total."""
    if not (value or "").strip():
        return None
    try:
        return parse_money(value)
    except MoneyError as exc:
        raise ValidationError.field("min_total", f"The minimum total {exc}.") from None


def _rule_snapshot(rule: PolicyRule) -> dict:
    return {
        "step": rule.step,
        "role": rule.role.value,
        "step_order": rule.step_order,
        "min_total": str(rule.min_total) if rule.min_total is not None else None,
        "category": rule.category,
        "department": rule.department.code if rule.department else None,
        "when_over_budget": rule.when_over_budget,
        "request_type": rule.request_type,
        "field_name": rule.field_name,
        "field_value": rule.field_value,
        "skip_for_catalogue": rule.skip_for_catalogue,
        "active": rule.active,
    }


def _apply_rule_data(rule: PolicyRule, data: RuleData) -> None:
    errors = FieldErrors()
    step = (data.step or "").strip().lower()
    if not STEP_PATTERN.match(step):
        errors.add("step", "Use lower-case letters, digits or '_' (up to 40), e.g. security.")
    if data.role not in DECIDING_ROLES:
        errors.add(
            "role", "Steps are decided by approver, finance, executive, procurement or security."
        )
    if not 1 <= data.step_order <= 999:
        errors.add("step_order", "Use an order between 1 and 999.")
    if data.min_total is not None and data.min_total < 0:
        errors.add("min_total", "The minimum total must not be negative.")
    if data.category and data.category not in reference.category_names(active_only=False):
        errors.add("category", f"There is no category {data.category!r}.")
    department = None
    if data.department_code:
        department = reference.department_by_code(data.department_code)
        if department is None:
            errors.add("department", f"There is no department {data.department_code!r}.")
    type_code, field_name, field_value = _type_condition(data, errors)
    if data.skip_for_catalogue and (data.role == Role.APPROVER or step == "department"):
        errors.add(
            "skip_for_catalogue",
            "The department step is never skipped: its approvers sign off every request.",
        )
    errors.raise_if_any()
    rule.step = step
    rule.role = data.role
    rule.step_order = data.step_order
    rule.min_total = data.min_total
    rule.category = data.category or None
    rule.department = department
    rule.when_over_budget = data.when_over_budget
    rule.request_type = type_code
    rule.field_name = field_name
    rule.field_value = field_value
    rule.skip_for_catalogue = data.skip_for_catalogue


def _type_condition(
    data: RuleData, errors: FieldErrors
) -> tuple[str | None, str | None, str | None]:
    """The rule's request type and field condition, checked against the type's fields:
    a field needs its type, and its value must be one the field accepts."""
    code = (data.request_type or "").strip() or None
    name = (data.field_name or "").strip() or None
    value = (data.field_value or "").strip() or None
    request_type = request_types.by_code(code) if code else None
    if code and request_type is None:
        errors.add("request_type", f"There is no request type {code!r}.")
        return None, None, None
    if name is None:
        if value is not None:
            errors.add("field_name", "Name the field the value is for.")
        return code, None, None
    if request_type is None:
        errors.add("request_type", "Choose the request type whose field the rule reads.")
        return None, None, None
    field = next((f for f in request_type.fields if f["name"] == name), None)
    if field is None:
        errors.add("field_name", f"Request type {code!r} has no field {name!r}.")
        return code, None, None
    if value is None:
        errors.add("field_value", "Give the value the field must have.")
        return code, name, None
    stored, problem = request_types.field_value(field, value)
    if problem:
        errors.add("field_value", problem)
    return code, name, stored


# The rules -----------------------------------------------------------------------------


def list_rules() -> list[PolicyRule]:
    return list(
        db.session.scalars(
            sa.select(PolicyRule).order_by(
                PolicyRule.active.desc(), PolicyRule.step_order, PolicyRule.id
            )
        )
    )


def get_rule(rule_id: int) -> PolicyRule:
    rule = db.session.get(PolicyRule, rule_id)
    if rule is None:
        raise NotFound("No such policy rule.")
    return rule


def add_rule(data: RuleData, *, actor: User) -> PolicyRule:
    _require_admin(actor)
    rule = PolicyRule(active=True)
    _apply_rule_data(rule, data)
    db.session.add(rule)
    db.session.flush()
    audit.record("policy", rule.id, "create", actor=actor, changes=_rule_snapshot(rule))
    return rule


def update_rule(rule: PolicyRule, data: RuleData, *, actor: User) -> None:
    _require_admin(actor)
    before = _rule_snapshot(rule)
    _apply_rule_data(rule, data)
    db.session.flush()
    changes = audit.diff(before, _rule_snapshot(rule))
    if changes:
        audit.record("policy", rule.id, "update", actor=actor, changes=changes)


def set_rule_active(rule: PolicyRule, active: bool, *, actor: User) -> None:
    _require_admin(actor)
    if rule.active != active:
        rule.active = active
        audit.record(
            "policy", rule.id, "update", actor=actor, changes={"active": [not active, active]}
        )


def describe(rule: PolicyRule) -> str:
    """A rule in words, for the admin page."""
    conditions = []
    if rule.min_total is not None:
        conditions.append(
            f"the total is at least {format_money(rule.min_total, reference.currency())}"
        )
    if rule.category:
        conditions.append(f"it includes {rule.category} lines")
    if rule.department:
        conditions.append(f"it is filed for {rule.department.code}")
    if rule.when_over_budget:
        conditions.append("it exceeds its department's remaining budget")
    if rule.request_type:
        conditions.append(f"it is of request type {rule.request_type}")
    if rule.field_name:
        conditions.append(f"its {rule.field_name} is {rule.field_value}")
    who = (
        "an approver of the request's department"
        if rule.role == Role.APPROVER
        else rule.role.value
    )
    when = " and ".join(conditions) if conditions else "always"
    skip = "; not for requests of catalogue items only" if rule.skip_for_catalogue else ""
    return f"{rule.step} step, decided by {who}: {when}{skip}"


# The settings beside the rules -----------------------------------------------------------


def set_quote_rule(
    threshold: str, min_quotes: int, *, actor: User, two_to_open: bool | None = None
) -> None:
    """From a request total of ``threshold``, an award needs ``min_quotes`` quotes
    unless it carries a single-source justification; with ``two_to_open``, a sealed
    RFQ's bids are opened by two procurement users."""
    _require_admin(actor)
    try:
        amount = parse_money(threshold)
    except MoneyError as exc:
        raise ValidationError.field("threshold", f"The amount {exc}.") from None
    settings.put(QUOTE_THRESHOLD_SETTING, f"{amount:.2f}", actor=actor)
    settings.put(MIN_QUOTES_SETTING, min_quotes, actor=actor)
    if two_to_open is not None:
        settings.put(TWO_TO_OPEN_SETTING, bool(two_to_open), actor=actor)


def set_approval_sla(days: int, *, actor: User) -> None:
    """Working days a step may wait before it is overdue (the form checks the range)."""
    _require_admin(actor)
    settings.put(reference.SLA_SETTING, days, actor=actor)


def set_split_window(days: int, *, actor: User) -> None:
    """Days within which one department's requests count as one split purchase."""
    _require_admin(actor)
    settings.put(reference.SPLIT_WINDOW_SETTING, days, actor=actor)


# The page ----------------------------------------------------------------------------------


class RuleLine(NamedTuple):
    rule: PolicyRule
    description: str


@dataclasses.dataclass(frozen=True)
class PolicyPage:
    """What ``/admin/policy`` shows: the rules in words and the settings beside them."""

    rules: list[RuleLine]
    quote_threshold: str
    min_quotes: int
    two_to_open: bool
    sla_days: int
    split_window_days: int


def page() -> PolicyPage:
    return PolicyPage(
        rules=[RuleLine(rule, describe(rule)) for rule in list_rules()],
        quote_threshold=str(settings.get(QUOTE_THRESHOLD_SETTING)),
        min_quotes=int(settings.get(MIN_QUOTES_SETTING)),
        two_to_open=bool(settings.get(TWO_TO_OPEN_SETTING)),
        sla_days=reference.sla_days(),
        split_window_days=reference.split_window_days(),
    )
