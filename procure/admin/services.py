"""Managing people and reference data. Every change is audited; nothing commits."""

from __future__ import annotations

import re

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import selectinload

from .. import access, audit
from ..auth.services import check_new_password, end_sessions
from ..errors import Forbidden, NotFound, ValidationError
from ..extensions import db
from ..models import Category, Department, Role, User

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,19}$")
CATEGORY_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def _require_admin(actor: User | None, action: str) -> None:
    # ``None`` is the command line, run by whoever operates the installation.
    if actor is not None:
        access.require_role(actor, Role.ADMIN, action=action)


def _text(value: str | None, field: str, *, max_length: int = 200, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError.field(field, "This field is required.")
    if len(text) > max_length:
        raise ValidationError.field(field, f"Use at most {max_length} characters.")
    return text


def normalise_email(value: str | None) -> str:
    text = _text(value, "email", max_length=254)
    try:
        # No deliverability check: that would need the network, and mail for
        # internal addresses may not resolve from here.
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError.field("email", str(exc)) from None
    return result.normalized.lower()


def parse_roles(values: list[str] | set[str]) -> set[Role]:
    roles = set()
    for value in values:
        try:
            roles.add(Role(value))
        except ValueError:
            known = ", ".join(role.value for role in Role)
            raise ValidationError.field(
                "roles", f"Unknown role {value!r}; one of {known}."
            ) from None
    if not roles:
        raise ValidationError.field("roles", "Give the user at least one role.")
    return roles


# Departments ----------------------------------------------------------------------


def department_by_code(code: str) -> Department | None:
    return db.session.scalar(sa.select(Department).where(Department.code == code.strip().upper()))


def create_department(code: str, name: str, *, actor: User | None) -> Department:
    _require_admin(actor, "create departments")
    code = _text(code, "code", max_length=20).upper()
    if not CODE_PATTERN.match(code):
        raise ValidationError.field(
            "code", "Use letters, digits, '-' or '_' (up to 20), starting with a letter or digit."
        )
    name = _text(name, "name")
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
    _require_admin(actor, "rename departments")
    name = _text(name, "name")
    if name != department.name:
        changes = audit.diff({"name": department.name}, {"name": name})
        department.name = name
        audit.record("department", department.id, "update", actor=actor, changes=changes)


def list_departments() -> list[Department]:
    return list(db.session.scalars(sa.select(Department).order_by(Department.code)))


# Users ----------------------------------------------------------------------------


def _user_snapshot(user: User) -> dict:
    return {
        "email": user.email,
        "name": user.name,
        "department": user.department.code if user.department else None,
        "roles": sorted(role.value for role in user.roles),
        "active": user.active,
    }


def create_user(
    email: str,
    *,
    name: str,
    password: str,
    department: Department,
    roles: set[Role],
    actor: User | None,
) -> User:
    _require_admin(actor, "create users")
    email = normalise_email(email)
    name = _text(name, "name")
    check_new_password(password, "password")
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise ValidationError.field("email", "A user with this e-mail address exists already.")
    user = User(email=email, name=name, department=department, active=True)
    user.set_password(password)
    user.set_roles(roles)
    db.session.add(user)
    db.session.flush()
    audit.record("user", user.id, "create", actor=actor, changes=_user_snapshot(user))
    return user


def update_user(
    user: User,
    *,
    name: str,
    department: Department,
    roles: set[Role],
    active: bool,
    actor: User,
) -> None:
    _require_admin(actor, "change users")
    if user.id == actor.id and (not active or Role.ADMIN not in roles):
        raise Forbidden("You cannot deactivate yourself or take away your own admin role.")
    before = _user_snapshot(user)
    user.name = _text(name, "name")
    user.department = department
    user.set_roles(roles)
    user.active = active
    after = _user_snapshot(user)
    changes = audit.diff(before, after)
    if not changes:
        return
    if before["active"] and not active:
        end_sessions(user)
    audit.record(
        "user",
        user.id,
        "deactivate" if "active" in changes and not active else "update",
        actor=actor,
        changes=changes,
    )


def reset_password(user: User, password: str, *, actor: User) -> None:
    _require_admin(actor, "reset passwords")
    check_new_password(password, "password")
    user.set_password(password)
    end_sessions(user)
    audit.record("user", user.id, "reset_password", actor=actor, changes={"password": "reset"})


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def list_users() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .options(selectinload(User.role_rows))
            .order_by(User.active.desc(), User.name)
        )
    )


# Categories -----------------------------------------------------------------------


def list_categories(*, active_only: bool = False) -> list[Category]:
    query = sa.select(Category).order_by(Category.label)
    if active_only:
        query = query.where(Category.active.is_(True))
    return list(db.session.scalars(query))


def category_names(*, active_only: bool = True) -> list[str]:
    return [category.name for category in list_categories(active_only=active_only)]


def add_category(name: str, label: str, *, actor: User) -> Category:
    _require_admin(actor, "add categories")
    name = _text(name, "name", max_length=40).lower()
    if not CATEGORY_PATTERN.match(name):
        raise ValidationError.field(
            "name", "Use lower-case letters, digits, '-' or '_', starting with a letter."
        )
    label = _text(label, "label")
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
    _require_admin(actor, "change categories")
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
