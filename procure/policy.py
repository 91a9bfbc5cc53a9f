"""The approval policy: which steps a request needs, and why.

The policy is data (``PolicyRule`` rows, edited by admin through
``admin/policy.py``). A request needs a step when any active rule of that step
matches it; a rule matches when all of its conditions hold (minimum total,
category, department, over budget, request type, one field of the type equal to a
value). A rule marked ``skip_for_catalogue`` does not apply to a request whose lines
are all catalogue items (pre-approved); the department step is never so marked.
Steps are computed at submission and stored with the request, so a later policy
change does not move requests already in flight.
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal

import sqlalchemy as sa

from .extensions import db
from .models import PolicyRule, PurchaseRequest, Role
from .money import base_currency, format_money

# What a step's name and its deciding role may be (``admin/policy.py`` checks rules
# against them).
STEP_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

DECIDING_ROLES = (Role.APPROVER, Role.FINANCE, Role.EXECUTIVE, Role.PROCUREMENT, Role.SECURITY)


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


def _total_words(pr: PurchaseRequest, total_base: Decimal) -> str:
    """The request's total as a reason names it: "$5,280.00", or for a foreign currency
    "€4,800.00 (≈ $5,280.00)": the thresholds are in the base currency."""
    base = base_currency()
    if pr.currency == base:
        return format_money(total_base, base)
    return f"{format_money(pr.total, pr.currency)} (≈ {format_money(total_base, base)})"


def rule_reason(
    rule: PolicyRule,
    pr: PurchaseRequest,
    over_budget: str | None = None,
    total_base: Decimal | None = None,
    total_words: str | None = None,
    *,
    catalogue: bool = True,
) -> str | None:
    """Why ``rule`` applies to ``pr``, or None when it does not (nor when it is skipped
    for a request of catalogue items, unless ``catalogue`` is False). Minimum totals are in
    the base currency and compared with ``total_base`` (the request's total at the rate
    of its submit date); without it ``pr.total`` is taken as a base amount."""
    if catalogue and skippable(rule) and all_catalogue(pr):
        return None
    reasons = []
    if rule.min_total is not None:
        base_total = total_base if total_base is not None else pr.total
        if base_total < rule.min_total:
            return None
        words = total_words or f"total {_total_words(pr, base_total)}"
        reasons.append(f"{words} is at least {format_money(rule.min_total, base_currency())}")
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
    typed = _type_words(rule, pr)
    if typed is None:
        return None
    if typed:
        reasons.append(typed)
    if not reasons:
        if rule.role == Role.APPROVER:
            return f"every request is signed off by an approver of {pr.department.code}"
        return "always required"
    return " and ".join(reasons)


def all_catalogue(pr: PurchaseRequest) -> bool:
    """Every line of ``pr`` is a catalogue item (pre-approved under an agreement)."""
    return bool(pr.lines) and all(line.catalogue_item_id is not None for line in pr.lines)


def skippable(rule: PolicyRule) -> bool:
    """Whether ``rule`` may be skipped for a catalogue request: never the department
    step (its approvers always sign off)."""
    return rule.skip_for_catalogue and rule.role != Role.APPROVER and rule.step != "department"


def _type_words(rule: PolicyRule, pr: PurchaseRequest) -> str | None:
    """The request type and field conditions in words ("request type saas and
    personal_data = yes"), "" when the rule has none, None when they do not hold."""
    words = []
    if rule.request_type:
        if pr.type_code != rule.request_type:
            return None
        words.append(f"request type {rule.request_type}")
    if rule.field_name:
        value = (pr.fields or {}).get(rule.field_name)
        wanted = (rule.field_value or "").strip().lower()
        if value is None or str(value).strip().lower() != wanted:
            return None
        words.append(f"{rule.field_name} = {rule.field_value}")
    return " and ".join(words)


def skipped_for_catalogue(
    pr: PurchaseRequest,
    rules: list[PolicyRule] | None = None,
    *,
    over_budget: str | None = None,
    total_base: Decimal | None = None,
) -> list[str]:
    """The steps ``pr`` would need were its lines not all catalogue items: the preview
    says they are skipped for that reason."""
    if not all_catalogue(pr):
        return []
    needed = {
        step.name for step in steps_for(pr, rules, over_budget=over_budget, total_base=total_base)
    }
    skipped = []
    for rule in rules if rules is not None else active_rules():
        if (
            skippable(rule)
            and rule.step not in needed
            and rule.step not in skipped
            and rule_reason(rule, pr, over_budget, total_base, None, catalogue=False)
        ):
            skipped.append(rule.step)
    return skipped


def steps_for(
    pr: PurchaseRequest,
    rules: list[PolicyRule] | None = None,
    *,
    over_budget: str | None = None,
    total_base: Decimal | None = None,
    total_words: str | None = None,
) -> list[PlannedStep]:
    """The steps ``pr`` needs under the current policy, in order, with the reasons.

    ``over_budget`` says why the request exceeds its budget (None: it does not);
    ``total_base`` is its total in the base currency, which the thresholds see (an
    order's increase, ``total_words`` naming it so in the reasons)."""
    planned: dict[str, PlannedStep] = {}
    for rule in rules if rules is not None else active_rules():
        reason = rule_reason(rule, pr, over_budget, total_base, total_words)
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
