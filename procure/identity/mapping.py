"""From an identity provider's groups and attributes to Procure's roles and departments.

One mapping serves OpenID Connect, SAML, LDAP and SCIM: a provider group gives one or
more roles; an attribute (``department`` by default) names the department, by code or
name, or through a table of its values. Admin edits it on ``/admin/sign-in`` (the
``signin.mapping`` setting); until then ``PROCURE_GROUP_ROLES`` and
``PROCURE_DEPARTMENT_ATTRIBUTE`` say it. Groups compare without regard to case.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import current_app

from .. import settings
from ..errors import ValidationError
from ..extensions import db
from ..models import Department, Role, User
from ..reference import require_admin
from ..validation import FieldErrors

SETTING = "signin.mapping"
GROUP_MAX = 256
MAX_ROWS = 200


@dataclasses.dataclass(frozen=True)
class Mapping:
    # (group, role) pairs, in the order admin wrote them.
    group_roles: tuple[tuple[str, Role], ...] = ()
    department_attribute: str = "department"
    # (attribute value, department code): where the value is neither a code nor a name.
    department_values: tuple[tuple[str, str], ...] = ()
    # The department of a new account whose attribute is missing or unknown (a code).
    default_department: str = ""
    groups_claim: str = "groups"
    # Link a provider's first sign-in to an existing account with the same, verified e-mail.
    link_by_email: bool = False
    # Whom a person without a role should ask (shown on the refusal page).
    contact: str = ""

    def roles_for(self, groups: Iterable[str]) -> set[Role]:
        held = {group.strip().casefold() for group in groups}
        return {role for group, role in self.group_roles if group.casefold() in held}

    def department_for(self, value: str | None) -> Department | None:
        """The department ``value`` names (a code, a name, or a value of the table), or None."""
        if not value or not value.strip():
            return None
        wanted = value.strip().casefold()
        for given, code in self.department_values:
            if given.casefold() == wanted:
                return _department(code)
        return db.session.scalar(
            sa.select(Department)
            .where(
                sa.or_(
                    sa.func.lower(Department.code) == wanted,
                    sa.func.lower(Department.name) == wanted,
                )
            )
            .order_by(Department.id)
            .limit(1)
        )

    def fallback_department(self) -> Department:
        """Where a new account goes when its attribute names no department."""
        found = _department(self.default_department) if self.default_department else None
        return found or db.session.scalar(sa.select(Department).order_by(Department.id).limit(1))

    def as_setting(self) -> dict[str, Any]:
        return {
            "group_roles": [[group, role.value] for group, role in self.group_roles],
            "department_attribute": self.department_attribute,
            "department_values": [list(pair) for pair in self.department_values],
            "default_department": self.default_department,
            "groups_claim": self.groups_claim,
            "link_by_email": self.link_by_email,
            "contact": self.contact,
        }


def _department(code: str) -> Department | None:
    return db.session.scalar(sa.select(Department).where(Department.code == code.upper()))


def parse_group_roles(
    text: str, field: str = "group_roles", *, separator: str = "\n"
) -> tuple[tuple[str, Role], ...]:
    """``group = role`` pairs, one per line on the page (a group may be an LDAP DN with
    commas), separated by commas in ``PROCURE_GROUP_ROLES``."""
    pairs = []
    entries = [entry.strip() for entry in text.split(separator)]
    known = ", ".join(role.value for role in Role)
    for number, entry in enumerate(filter(None, entries), start=1):
        group, sep, role = entry.rpartition("=")
        group, role = group.strip(), role.strip().lower()
        if not sep or not group:
            raise ValidationError.field(
                field, f"Entry {number} ({entry!r}) is not of the form group = role."
            )
        if len(group) > GROUP_MAX:
            raise ValidationError.field(field, f"Entry {number}: the group name is too long.")
        try:
            pairs.append((group, Role(role)))
        except ValueError:
            raise ValidationError.field(
                field, f"Entry {number}: {role!r} is not a role; one of {known}."
            ) from None
    if len(pairs) > MAX_ROWS:
        raise ValidationError.field(field, f"Give at most {MAX_ROWS} entries.")
    return tuple(dict.fromkeys(pairs))


def from_config() -> Mapping:
    config = current_app.config
    try:
        group_roles = parse_group_roles(config["PROCURE_GROUP_ROLES"] or "", separator=",")
    except ValidationError:
        # check-config names the problem; a broken setting gives no roles rather than wrong ones.
        group_roles = ()
    return Mapping(
        group_roles=group_roles,
        department_attribute=config["PROCURE_DEPARTMENT_ATTRIBUTE"] or "department",
        groups_claim=config["PROCURE_OIDC_GROUPS_CLAIM"] or "groups",
    )


def current() -> Mapping:
    """The mapping admin saved, else the one the settings give."""
    stored = settings.get(SETTING)
    if not stored:
        return from_config()
    return Mapping(
        group_roles=tuple((group, Role(role)) for group, role in stored.get("group_roles", [])),
        department_attribute=stored.get("department_attribute") or "department",
        department_values=tuple(
            (value, code) for value, code in stored.get("department_values", [])
        ),
        default_department=stored.get("default_department") or "",
        groups_claim=stored.get("groups_claim") or "groups",
        link_by_email=bool(stored.get("link_by_email")),
        contact=stored.get("contact") or "",
    )


def update(data: dict[str, Any], *, actor: User | None) -> Mapping:
    """Save the mapping admin edited (every problem at once, by field); audited as a setting."""
    require_admin(actor, "change the sign-in mapping")
    errors = FieldErrors()
    group_roles: tuple[tuple[str, Role], ...] = ()
    with errors.collect():
        group_roles = parse_group_roles(str(data.get("group_roles") or ""))
    attribute = errors.text(
        data.get("department_attribute"), "department_attribute", max_length=100, required=False
    )
    claim = errors.text(data.get("groups_claim"), "groups_claim", max_length=100, required=False)
    contact = errors.text(data.get("contact"), "contact", max_length=300, required=False)
    default = (
        errors.text(data.get("default_department"), "default_department", required=False) or ""
    ).upper()
    if default and _department(default) is None:
        errors.add("default_department", f"There is no department {default}.")
    values = []
    with errors.collect():
        values = _department_values(str(data.get("department_values") or ""))
    errors.raise_if_any()
    mapping = Mapping(
        group_roles=group_roles,
        department_attribute=attribute or "department",
        department_values=tuple(values),
        default_department=default,
        groups_claim=claim or "groups",
        link_by_email=bool(data.get("link_by_email")),
        contact=contact or "",
    )
    settings.put(SETTING, mapping.as_setting(), actor=actor)
    return mapping


def _department_values(text: str) -> list[tuple[str, str]]:
    """``value=CODE`` lines: attribute values that name a department differently."""
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        value, sep, code = line.rpartition("=")
        value, code = value.strip(), code.strip().upper()
        if not sep or not value:
            raise ValidationError.field(
                "department_values", f"Line {number} is not of the form value = DEPARTMENT CODE."
            )
        if _department(code) is None:
            raise ValidationError.field(
                "department_values", f"Line {number}: there is no department {code}."
            )
        pairs.append((value, code))
    return pairs
