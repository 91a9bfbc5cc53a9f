"""Managing people (departments and categories: ``procure/reference.py``). Every change is
audited; nothing commits."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import selectinload

from .. import audit, reference
from ..auth.services import check_new_password, end_sessions
from ..errors import Forbidden, NotFound, ValidationError
from ..extensions import db
from ..identity import accounts, lifecycle
from ..models import AccountSource, Category, Department, Role, User
from ..reference import require_admin
from ..validation import text


def normalise_email(value: str | None) -> str:
    address = text(value, "email", max_length=254)
    try:
        # No deliverability check: that would need the network, and mail for
        # internal addresses may not resolve from here.
        result = validate_email(address, check_deliverability=False)
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
    require_admin(actor, "create users")
    email = normalise_email(email)
    name = text(name, "name")
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
    require_admin(actor, "change users")
    if user.id == actor.id and (not active or Role.ADMIN not in roles):
        raise Forbidden("You cannot deactivate yourself or take away your own admin role.")
    before = _user_snapshot(user)
    user.name = text(name, "name")
    user.department = department
    user.set_roles(roles)
    changes = audit.diff(before, {**_user_snapshot(user), "active": before["active"]})
    if changes:
        audit.record("user", user.id, "update", actor=actor, changes=changes)
    # A leaver loses sessions, tokens and delegations at once; a returner only signs in.
    if before["active"] and not active:
        lifecycle.deactivate(user, actor=actor, via="admin")
    elif active and not before["active"]:
        lifecycle.reactivate(user, actor=actor, via="admin")


def reset_password(user: User, password: str, *, actor: User) -> None:
    require_admin(actor, "reset passwords")
    check_new_password(password, "password")
    user.set_password(password)
    end_sessions(user)
    audit.record("user", user.id, "reset_password", actor=actor, changes={"password": "reset"})


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


@dataclasses.dataclass(frozen=True)
class UserListing:
    """A user as admin's list shows them: where the account comes from (``users.source``)
    and the providers it is linked to besides, so that admin knows who keeps it."""

    user: User
    source: str  # "Local", "OIDC", "SAML", "SCIM", "LDAP"
    linked: tuple[str, ...]  # other providers linked to it, e.g. a local account's OIDC


def _source_label(source: str | None) -> str:
    try:
        return AccountSource(source or "local").label
    except ValueError:
        return str(source)


def list_users() -> list[UserListing]:
    users = list(
        db.session.scalars(
            sa.select(User)
            .options(selectinload(User.role_rows))
            .order_by(User.active.desc(), User.name)
        )
    )
    links = accounts.sources_of(users)
    listings = []
    for user in users:
        source = _source_label(user.source)
        linked = {_source_label(other) for other in links.get(user.id, [])} - {source}
        listings.append(UserListing(user, source, tuple(sorted(linked))))
    return listings


def get_department(department_id: int) -> Department:
    department = db.session.get(Department, department_id)
    if department is None:
        raise NotFound("No such department.")
    return department


def get_category(category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound("No such category.")
    return category


@dataclasses.dataclass(frozen=True)
class Overview:
    """What the administration's front page lists."""

    users: list[UserListing]
    departments: list[Department]
    categories: list[Category]


def overview() -> Overview:
    return Overview(list_users(), reference.list_departments(), reference.list_categories())
