"""Reference data the rules and every area read: departments, categories, the
fiscal year, and the installation's settings that the policy and its clocks use.

It sits below the rules (``policy.py``, ``permissions.py``) and below every area,
so that a budget, a vendor or a report asks here for a department or a category,
never the admin pages. Admin edits these through the services below, which check
the role, audit the change and flush; the caller commits.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

import sqlalchemy as sa
from flask import current_app

from . import access, audit, settings
from .errors import ValidationError
from .extensions import db
from .models import Category, Department, Role, User, utcnow
from .validation import text

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,19}$")
CATEGORY_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")

# Settings the policy's clocks read (defaults in settings.py).
SLA_SETTING = "approvals.sla_working_days"
SPLIT_WINDOW_SETTING = "reports.split_window_days"


def require_admin(actor: User | None, action: str) -> None:
    # ``None`` is the command line, run by whoever operates the installation.
    if actor is not None:
        access.require_role(actor, Role.ADMIN, action=action)


def currency() -> str:
    """The installation's currency (``PROCURE_CURRENCY``)."""
    return current_app.config["PROCURE_CURRENCY"]


# Departments ----------------------------------------------------------------------


def department_by_code(code: str) -> Department | None:
    return db.session.scalar(sa.select(Department).where(Department.code == code.strip().upper()))


def list_departments() -> list[Department]:
    return list(db.session.scalars(sa.select(Department).order_by(Department.code)))


def create_department(code: str, name: str, *, actor: User | None) -> Department:
    require_admin(actor, "create departments")
    code = text(code, "code", max_length=20).upper()
    if not CODE_PATTERN.match(code):
        raise ValidationError.field(
            "code", "Use letters, digits, '-' or '_' (up to 20), starting with a letter or digit."
        )
    name = text(name, "name")
    if department_by_code(code) is not None:
        raise ValidationError.field("code", f"Department {code} exists already.")
    department = Department(code=code, name=name)
    db.session.add(department)
    db.session.flush()
    audit.record(
        "department", department.id, "create", actor=actor, changes={"code": code, "name": name}
    )
    return department


def rename_department(department: Department, name: str, *, actor: User) -> None:
    require_admin(actor, "rename departments")
    name = text(name, "name")
    if name != department.name:
        changes = audit.diff({"name": department.name}, {"name": name})
        department.name = name
        audit.record("department", department.id, "update", actor=actor, changes=changes)


# Categories -----------------------------------------------------------------------


def list_categories(*, active_only: bool = False) -> list[Category]:
    query = sa.select(Category).order_by(Category.label)
    if active_only:
        query = query.where(Category.active.is_(True))
    return list(db.session.scalars(query))


def category_names(*, active_only: bool = True) -> list[str]:
    return [category.name for category in list_categories(active_only=active_only)]


def add_category(name: str, label: str, *, actor: User) -> Category:
    require_admin(actor, "add categories")
    name = text(name, "name", max_length=40).lower()
    if not CATEGORY_PATTERN.match(name):
        raise ValidationError.field(
            "name", "Use lower-case letters, digits, '-' or '_', starting with a letter."
        )
    label = text(label, "label")
    if db.session.scalar(sa.select(Category.id).where(Category.name == name)) is not None:
        raise ValidationError.field("name", f"Category {name} exists already.")
    category = Category(name=name, label=label, builtin=False, active=True)
    db.session.add(category)
    db.session.flush()
    audit.record(
        "category", category.id, "create", actor=actor, changes={"name": name, "label": label}
    )
    return category


def set_category_active(category: Category, active: bool, *, actor: User) -> None:
    require_admin(actor, "change categories")
    if category.builtin and not active:
        raise ValidationError.field("name", "The built-in categories cannot be retired.")
    if category.active != active:
        category.active = active
        audit.record(
            "category",
            category.id,
            "update",
            actor=actor,
            changes={"active": [not active, active]},
        )


# The fiscal year ------------------------------------------------------------------


def fiscal_year(day: dt.date) -> int:
    """The fiscal year of a day, named by the calendar year in which it starts."""
    start = int(current_app.config["PROCURE_FISCAL_YEAR_START"])
    return day.year if day.month >= start else day.year - 1


def current_fiscal_year() -> int:
    return fiscal_year(utcnow().date())


# Settings of the policy's clocks --------------------------------------------------


def sla_days() -> int:
    """Working days a step may wait before it is overdue."""
    return int(settings.get(SLA_SETTING))


def split_window_days() -> int:
    """Days within which one department's purchases are looked at together."""
    return int(settings.get(SPLIT_WINDOW_SETTING))


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months, clamped to the month's last day
    (contract terms, warranties)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise ValueError("date out of range")
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))
