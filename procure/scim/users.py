"""SCIM Users: every account, local ones included, as the directory sees it.

``userName`` is the account's e-mail address; a directory whose userNames are not
addresses (some Okta set-ups) must send a primary e-mail, which then is the account's.
What the directory sent (name, e-mails, department) is kept as sent in ``scim_users``
and answered back; the account takes its name, e-mail and department from it. An
account the directory DELETEs is deactivated and hidden from SCIM (404), never removed:
its requests, decisions and audit trail stay.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from .. import audit
from ..extensions import db
from ..identity import lifecycle, mapping
from ..models import Department, ScimAccount, ScimGroup, ScimMember, User, utcnow
from . import filters, resources
from . import groups as groups_module
from .errors import invalid_value, not_found, uniqueness
from .resources import EnterpriseUser, Name, UserEmail

FILTERABLE = ("userName", "externalId", "emails.value", "displayName")
VIA = "scim"


def _visible() -> sa.Select:
    return (
        sa.select(User, ScimAccount)
        .outerjoin(ScimAccount, ScimAccount.user_id == User.id)
        .where(ScimAccount.deleted_at.is_(None))
    )


def get(resource_id: str) -> tuple[User, ScimAccount | None]:
    """The account ``resource_id`` names, unless SCIM deleted it (404 either way)."""
    if not resource_id.isdigit() or len(resource_id) > 9:
        raise not_found("user")
    row = db.session.execute(_visible().where(User.id == int(resource_id))).first()
    if row is None:
        raise not_found("user")
    return row[0], row[1]


def _condition(found: filters.Equals) -> sa.ColumnElement[bool]:
    value = found.value
    if found.attribute == "externalId":
        return User.external_id == value
    key = value.strip().lower()
    if found.attribute == "userName":
        return sa.or_(
            ScimAccount.user_name_key == key,
            sa.and_(ScimAccount.user_id.is_(None), User.email == key),
        )
    if found.attribute == "displayName":
        return sa.or_(
            sa.func.lower(ScimAccount.display_name) == key,
            sa.and_(ScimAccount.user_id.is_(None), sa.func.lower(User.name) == key),
        )
    # emails.value: the account's address, or one of the others the directory sent.
    quoted = json.dumps(key)
    return sa.or_(
        User.email == key, sa.func.lower(ScimAccount.emails_json).contains(quoted, autoescape=True)
    )


def search(filter_text: str | None, start: int, count: int) -> tuple[int, list[dict[str, Any]]]:
    """(total, one page of resources) in the order of their ids."""
    query = _visible()
    if filter_text is not None:
        query = query.where(
            _condition(filters.parse(filter_text, FILTERABLE, resources.USER_SCHEMA))
        )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(query.order_by(User.id).offset(start - 1).limit(count)).all()
    groups = _groups_of([user.id for user, _account in rows])
    return total, [represent(user, account, groups[user.id]) for user, account in rows]


def _groups_of(user_ids: list[int]) -> dict[int, list[ScimGroup]]:
    """Each account's groups, for a whole page in one query."""
    found: dict[int, list[ScimGroup]] = {user_id: [] for user_id in user_ids}
    if user_ids:
        rows = db.session.execute(
            sa.select(ScimMember.user_id, ScimGroup)
            .join(ScimGroup, ScimMember.group_id == ScimGroup.id)
            .where(ScimMember.user_id.in_(user_ids))
            .order_by(ScimGroup.id)
        )
        for user_id, group in rows:
            found[user_id].append(group)
    return found


def model_of(user: User, account: ScimAccount | None) -> resources.User:
    """The account as a SCIM User, without ``meta`` (what PATCH starts from)."""
    if account is None:
        model = resources.User(
            user_name=user.email,
            display_name=user.name,
            emails=[UserEmail(value=user.email, type="work", primary=True)],
        )
        model[EnterpriseUser] = EnterpriseUser(department=user.department.code)
    else:
        name = json.loads(account.name_json or "{}")
        emails = json.loads(account.emails_json or "[]")
        model = resources.User(
            user_name=account.user_name,
            display_name=account.display_name,
            name=Name.model_validate(name) if name else None,
            emails=[UserEmail.model_validate(email) for email in emails] or None,
        )
        if account.department is not None:
            model[EnterpriseUser] = EnterpriseUser(department=account.department)
    model.id = str(user.id)
    model.external_id = user.external_id
    model.active = user.active
    return model


def represent(
    user: User, account: ScimAccount | None, groups: list[ScimGroup] | None = None
) -> dict[str, Any]:
    model = model_of(user, account)
    if groups is None:
        groups = _groups_of([user.id])[user.id]
    model.groups = [
        resources.GroupMembership(
            value=groups_module.scim_id(group),
            ref=resources.location("Groups", groups_module.scim_id(group)),
            display=group.display_name,
            type="direct",
        )
        for group in groups
    ] or None
    modified = account.updated_at if account is not None else user.created_at
    return resources.with_meta(model, "User", "Users", created=user.created_at, modified=modified)


# Writing ---------------------------------------------------------------------------


def _address(value: str) -> str | None:
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def _account_email(model: resources.User) -> str:
    """userName when it is an address, else the primary (or first) e-mail sent."""
    found = _address(model.user_name or "")
    if found:
        return found
    emails = model.emails or []
    chosen = next((email for email in emails if email.primary), emails[0] if emails else None)
    if chosen is not None and chosen.value:
        found = _address(chosen.value)
        if found:
            return found
        raise invalid_value(f"The e-mail address {chosen.value!r} is not valid.")
    raise invalid_value(
        "userName must be the person's e-mail address, or a primary e-mail must be given."
    )


def _check_unique(user_name_key: str, email: str, user: User | None) -> None:
    others = sa.select(User.id).outerjoin(ScimAccount, ScimAccount.user_id == User.id)
    if user is not None:
        others = others.where(User.id != user.id)
    if db.session.scalar(
        others.where(
            sa.or_(ScimAccount.user_name_key == user_name_key, User.email == user_name_key)
        ).limit(1)
    ):
        raise uniqueness(f"The userName {user_name_key!r} belongs to another account.")
    if db.session.scalar(others.where(User.email == email).limit(1)):
        raise uniqueness(f"Another account has the e-mail address {email!r}.")


def _department(model: resources.User) -> tuple[str | None, Department | None]:
    """(the value sent, the department it names); refuses a value naming none."""
    extension = model[EnterpriseUser]
    value = extension.department if extension is not None else None
    if value is None or not value.strip():
        return None, None
    department = mapping.current().department_for(value)
    if department is None:
        codes = db.session.scalars(sa.select(Department.code).order_by(Department.code))
        raise invalid_value(
            f"The department {value!r} is not one of Procure's departments "
            f"({', '.join(codes)}) nor a value the sign-in mapping translates."
        )
    return value.strip(), department


def _display(model: resources.User) -> str:
    name = model.name
    candidates = [
        model.display_name,
        name.formatted if name else None,
        " ".join(part for part in (name.given_name, name.family_name) if part) if name else None,
        model.user_name,
    ]
    return next(candidate.strip() for candidate in candidates if candidate and candidate.strip())[
        :200
    ]


def _snapshot(user: User, account: ScimAccount | None) -> dict[str, Any]:
    return {
        "email": user.email,
        "name": user.name,
        "department": user.department.code if user.department else None,
        "external_id": user.external_id,
        "user_name": account.user_name if account is not None else None,
    }


def _dump(value: Any) -> Any:
    return value.model_dump(exclude_none=True, by_alias=True) if value is not None else None


def _write(user: User, account: ScimAccount, model: resources.User) -> None:
    """Put what ``model`` says on the account and on the directory's record of it."""
    if len(model.user_name or "") > 254:
        raise invalid_value("userName is longer than 254 characters.")
    if model.external_id is not None and len(model.external_id) > 255:
        raise invalid_value("externalId is longer than 255 characters.")
    email = _account_email(model)
    key = model.user_name.strip().lower()  # type: ignore[union-attr]
    _check_unique(key, email, user if user.id is not None else None)
    sent_department, department = _department(model)
    account.user_name = model.user_name.strip()  # type: ignore[union-attr]
    account.user_name_key = key
    account.display_name = (model.display_name or None) and model.display_name[:200]
    account.name_json = json.dumps(_dump(model.name) or {})
    account.emails_json = json.dumps([_dump(email) for email in model.emails or []])
    account.department = sent_department
    account.updated_at = utcnow()
    user.email = email
    user.name = _display(model)
    user.external_id = model.external_id
    if department is not None:
        user.department = department
    user.synced_at = account.updated_at


def create(model: resources.User) -> dict[str, Any]:
    _require_user_name(model)
    fallback = mapping.current().fallback_department()
    if fallback is None:
        raise invalid_value("Procure has no department yet: create one before provisioning.")
    user = User(active=True, source="scim", department=fallback, password_hash=None)
    user.set_roles(set())
    account = ScimAccount(user=user)
    _write(user, account, model)
    if model.active is False:
        user.active = False
    db.session.add_all([user, account])
    db.session.flush()
    audit.record(
        "user",
        user.id,
        "create",
        actor=None,
        changes={**_snapshot(user, account), "active": user.active, "via": VIA},
    )
    return represent(user, account)


def _require_user_name(model: resources.User) -> None:
    if not (model.user_name or "").strip():
        raise invalid_value("userName is required.")


def replace(user: User, account: ScimAccount | None, model: resources.User) -> dict[str, Any]:
    """PUT and PATCH: the account becomes what ``model`` says; ``active`` left out keeps
    the account as it is."""
    _require_user_name(model)
    before = _snapshot(user, account)
    fresh = account is None
    if account is None:
        account = ScimAccount(user=user, created_at=utcnow())
    _write(user, account, model)
    if fresh:
        # Added once written: the checks above query, and a half-made row would flush.
        db.session.add(account)
    db.session.flush()
    changes = audit.diff(before, _snapshot(user, account))
    if changes:
        audit.record("user", user.id, "update", actor=None, changes={**changes, "via": VIA})
    if model.active is False:
        lifecycle.deactivate(user, actor=None, via=VIA)
    elif model.active is True:
        lifecycle.reactivate(user, actor=None, via=VIA)
    return represent(user, account)


def delete(user: User, account: ScimAccount | None) -> None:
    """Deactivate the account and hide it from SCIM; it stays, with its history."""
    if account is None:
        account = ScimAccount(
            user=user,
            user_name=user.email,
            user_name_key=user.email,
            display_name=user.name,
            emails_json=json.dumps([{"value": user.email, "type": "work", "primary": True}]),
        )
        db.session.add(account)
    account.deleted_at = account.updated_at = utcnow()
    db.session.execute(sa.delete(ScimMember).where(ScimMember.user_id == user.id))
    lifecycle.deactivate(user, actor=None, via=VIA)
    audit.record("user", user.id, "scim_delete", actor=None, changes={"via": VIA})
