"""The approval policy: which steps a request needs, and why.

The policy is data (``PolicyRule`` rows, edited by admin). A request needs a step
when any active rule of that step matches it; a rule matches when all of its
conditions hold (minimum total, category, department, over budget). Steps are
computed at submission and stored with the request, so a later policy change
does not move requests already in flight.
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal

import sqlalchemy as sa

from . import access, audit, reference
from .errors import NotFound, ValidationError
from .extensions import db
from .models import PolicyRule, PurchaseRequest, Role, User
from .money import format_money

STEP_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

DECIDING_ROLES = (Role.APPROVER, Role.FINANCE, Role.EXECUTIVE, Role.PROCUREMENT)


@dataclasses.dataclass(frozen=True)
class PlannedStep:
    name: str
    role: Role
    order: int
    reasons: tuple[str, ...]

    @property
    def reason(self) -> str:
        """The reasons as one sentence: "Total … is at least …; it exceeds …"."""
        text = "; ".join(self.reasons)
        return text[:1].upper() + text[1:]


def active_rules() -> list[PolicyRule]:
    return list(
        db.session.scalars(
            sa.select(PolicyRule)
            .where(PolicyRule.active.is_(True))
            .order_by(PolicyRule.step_order, PolicyRule.id)
        )
    )


def rule_reason(
    rule: PolicyRule, pr: PurchaseRequest, over_budget: str | None = None
) -> str | None:
    """Why ``rule`` applies to ``pr``, or None when it does not."""
    reasons = []
    if rule.min_total is not None:
        if pr.total < rule.min_total:
            return None
        reasons.append(
            f"total {format_money(pr.total, pr.currency)} is at least "
            f"{format_money(rule.min_total, pr.currency)}"
        )
    if rule.category is not None:
        if not any(line.category == rule.category for line in pr.lines):
            return None
        reasons.append(f"it includes {rule.category} lines")
    if rule.department_id is not None:
        if pr.department_id != rule.department_id:
            return None
        reasons.append(f"it is filed for {rule.department.code}")
    if rule.when_over_budget:
        if over_budget is None:
            return None
        reasons.append(over_budget)
    if not reasons:
        if rule.role == Role.APPROVER:
            return f"every request is signed off by an approver of {pr.department.code}"
        return "always required"
    return " and ".join(reasons)


def steps_for(
    pr: PurchaseRequest, rules: list[PolicyRule] | None = None, *, over_budget: str | None = None
) -> list[PlannedStep]:
    """The steps ``pr`` needs under the current policy, in order, with the reasons.

    ``over_budget`` says why the request exceeds its budget (None: it does not)."""
    planned: dict[str, PlannedStep] = {}
    for rule in rules if rules is not None else active_rules():
        reason = rule_reason(rule, pr, over_budget)
        if reason is None:
            continue
        step = planned.get(rule.step)
        if step is None:
            planned[rule.step] = PlannedStep(rule.step, rule.role, rule.step_order, (reason,))
        else:
            planned[rule.step] = dataclasses.replace(
                step, order=min(step.order, rule.step_order), reasons=step.reasons + (reason,)
            )
    return sorted(planned.values(), key=lambda step: (step.order, step.name))


# Editing the policy (admin) ----------------------------------------------------------


@dataclasses.dataclass
class RuleData:
    step: str
    role: Role
    step_order: int = 10
    min_total: Decimal | None = None
    category: str | None = None
    department_code: str | None = None
    when_over_budget: bool = False


def _rule_snapshot(rule: PolicyRule) -> dict:
    return {
        "step": rule.step,
        "role": rule.role.value,
        "step_order": rule.step_order,
        "min_total": str(rule.min_total) if rule.min_total is not None else None,
        "category": rule.category,
        "department": rule.department.code if rule.department else None,
        "when_over_budget": rule.when_over_budget,
        "active": rule.active,
    }


def _apply_rule_data(rule: PolicyRule, data: RuleData) -> None:
    errors: dict[str, list[str]] = {}
    step = (data.step or "").strip().lower()
    if not STEP_PATTERN.match(step):
        errors["step"] = ["Use lower-case letters, digits or '_' (up to 40), e.g. security."]
    if data.role not in DECIDING_ROLES:
        errors["role"] = ["Steps are decided by approver, finance, executive or procurement."]
    if not 1 <= data.step_order <= 999:
        errors["step_order"] = ["Use an order between 1 and 999."]
    if data.min_total is not None and data.min_total < 0:
        errors["min_total"] = ["The minimum total must not be negative."]
    if data.category and data.category not in reference.category_names(active_only=False):
        errors["category"] = [f"There is no category {data.category!r}."]
    department = None
    if data.department_code:
        department = reference.department_by_code(data.department_code)
        if department is None:
            errors["department"] = [f"There is no department {data.department_code!r}."]
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], fields=errors)
    rule.step = step
    rule.role = data.role
    rule.step_order = data.step_order
    rule.min_total = data.min_total
    rule.category = data.category or None
    rule.department = department
    rule.when_over_budget = data.when_over_budget


def list_rules() -> list[PolicyRule]:
    return list(
        db.session.scalars(
            sa.select(PolicyRule).order_by(
                PolicyRule.active.desc(), PolicyRule.step_order, PolicyRule.id
            )
        )
    )


def add_rule(data: RuleData, *, actor: User) -> PolicyRule:
    access.require_role(actor, Role.ADMIN, action="change the approval policy")
    rule = PolicyRule(active=True)
    _apply_rule_data(rule, data)
    db.session.add(rule)
    db.session.flush()
    audit.record("policy", rule.id, "create", actor=actor, changes=_rule_snapshot(rule))
    return rule


def update_rule(rule: PolicyRule, data: RuleData, *, actor: User) -> None:
    access.require_role(actor, Role.ADMIN, action="change the approval policy")
    before = _rule_snapshot(rule)
    _apply_rule_data(rule, data)
    db.session.flush()
    changes = audit.diff(before, _rule_snapshot(rule))
    if changes:
        audit.record("policy", rule.id, "update", actor=actor, changes=changes)


def set_rule_active(rule: PolicyRule, active: bool, *, actor: User) -> None:
    access.require_role(actor, Role.ADMIN, action="change the approval policy")
    if rule.active != active:
        rule.active = active
        audit.record(
            "policy", rule.id, "update", actor=actor, changes={"active": [not active, active]}
        )


def get_rule(rule_id: int) -> PolicyRule:
    rule = db.session.get(PolicyRule, rule_id)
    if rule is None:
        raise NotFound("No such policy rule.")
    return rule


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
    who = (
        "an approver of the request's department"
        if rule.role == Role.APPROVER
        else rule.role.value
    )
    when = " and ".join(conditions) if conditions else "always"
    return f"{rule.step} step, decided by {who}: {when}"
