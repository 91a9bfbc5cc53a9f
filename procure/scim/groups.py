"""SCIM Groups: the directory's groups and their members; a member's roles are what
the sign-in mapping gives their groups' names (``/admin/sign-in``), recomputed and
audited whenever a membership or a group's name changes.

Roles follow groups for the accounts the directory made (``source`` "scim"): a local
account a directory happens to list keeps the roles its admin gave it, and an account
of OpenID Connect or SAML takes its roles from its own sign-in.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .. import audit
from ..extensions import db
from ..identity import mapping
from ..models import ScimAccount, ScimGroup, ScimMember, User, utcnow
from . import filters, resources
from .errors import invalid_value, not_found, uniqueness
from .resources import GroupMember

FILTERABLE = ("displayName", "externalId")
VIA = "scim"


# A SCIM id is unique across users and groups together (RFC 7643 §3.1): a user's is
# the account's number, a group's is prefixed.
PREFIX = "group-"


def scim_id(group: ScimGroup) -> str:
    return f"{PREFIX}{group.id}"


def get(resource_id: str) -> ScimGroup:
    number = resource_id.removeprefix(PREFIX) if resource_id.startswith(PREFIX) else ""
    group = (
        db.session.get(ScimGroup, int(number)) if number.isdigit() and len(number) <= 9 else None
    )
    if group is None:
        raise not_found("group")
    return group


def search(filter_text: str | None, start: int, count: int) -> tuple[int, list[dict[str, Any]]]:
    query = sa.select(ScimGroup)
    if filter_text is not None:
        found = filters.parse(filter_text, FILTERABLE, resources.GROUP_SCHEMA)
        if found.attribute == "displayName":
            query = query.where(ScimGroup.display_key == found.value.strip().lower())
        else:
            query = query.where(ScimGroup.external_id == found.value)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    groups = db.session.scalars(query.order_by(ScimGroup.id).offset(start - 1).limit(count))
    return total, [represent(group) for group in groups]


def model_of(group: ScimGroup) -> resources.Group:
    model = resources.Group(
        id=scim_id(group),
        display_name=group.display_name,
        external_id=group.external_id,
        members=[
            GroupMember(
                value=str(member.user_id),
                ref=resources.location("Users", str(member.user_id)),
                type="User",
            )
            for member in group.members
        ]
        or None,
    )
    return model


def represent(group: ScimGroup) -> dict[str, Any]:
    return resources.with_meta(
        model_of(group), "Group", "Groups", created=group.created_at, modified=group.updated_at
    )


def _member_ids(model: resources.Group) -> list[int]:
    """The accounts ``model`` lists, each checked: only users SCIM still shows."""
    wanted: list[int] = []
    for member in model.members or []:
        if member.type not in (None, "User"):
            raise invalid_value("Only users can be members of a group here, not nested groups.")
        value = member.value or ""
        if not value.isdigit() or len(value) > 9:
            raise invalid_value(f"No user with the id {value!r}.")
        if int(value) not in wanted:
            wanted.append(int(value))
    if wanted:
        found = set(
            db.session.scalars(
                sa.select(User.id)
                .outerjoin(ScimAccount, ScimAccount.user_id == User.id)
                .where(User.id.in_(wanted), ScimAccount.deleted_at.is_(None))
            )
        )
        missing = [str(user_id) for user_id in wanted if user_id not in found]
        if missing:
            raise invalid_value(f"No user with the id {', '.join(missing)}.")
    return wanted


def _write(group: ScimGroup, model: resources.Group) -> set[int]:
    """Put ``model`` on ``group``; returns the accounts whose roles may have changed."""
    display = (model.display_name or "").strip()
    if not display:
        raise invalid_value("displayName is required.")
    if len(display) > 256:
        raise invalid_value("displayName is longer than 256 characters.")
    if model.external_id is not None and len(model.external_id) > 255:
        raise invalid_value("externalId is longer than 255 characters.")
    clash = sa.select(ScimGroup.id).where(ScimGroup.display_key == display.lower())
    if group.id is not None:
        clash = clash.where(ScimGroup.id != group.id)
    if db.session.scalar(clash.limit(1)) is not None:
        raise uniqueness(f"A group named {display!r} exists already.")
    wanted = _member_ids(model)
    before = {member.user_id for member in group.members}
    renamed = group.display_name != display
    group.display_name = display
    group.display_key = display.lower()
    group.external_id = model.external_id
    group.members = [member for member in group.members if member.user_id in wanted]
    group.members.extend(
        ScimMember(user_id=user_id) for user_id in wanted if user_id not in before
    )
    group.updated_at = utcnow()
    after = set(wanted)
    return (before | after) if renamed else (before ^ after)


def _emails(user_ids: set[int]) -> list[str]:
    if not user_ids:
        return []
    return sorted(db.session.scalars(sa.select(User.email).where(User.id.in_(user_ids))))


def _audit(group: ScimGroup, action: str, before: set[int], name: str | None) -> None:
    after = {member.user_id for member in group.members}
    changes: dict[str, Any] = {"display_name": group.display_name, "via": VIA}
    if name is not None and name != group.display_name:
        changes["renamed_from"] = name
    if after - before:
        changes["members_added"] = _emails(after - before)
    if before - after:
        changes["members_removed"] = _emails(before - after)
    audit.record("scim_group", group.id, action, actor=None, changes=changes)


def recompute_roles(user_ids: set[int]) -> None:
    """Give each account the directory made the roles its groups map to, audited."""
    if not user_ids:
        return
    db.session.flush()
    current = mapping.current()
    users = db.session.scalars(
        sa.select(User).where(User.id.in_(user_ids), User.source == "scim").order_by(User.id)
    )
    for user in users:
        names = list(
            db.session.scalars(
                sa.select(ScimGroup.display_name)
                .join(ScimMember, ScimMember.group_id == ScimGroup.id)
                .where(ScimMember.user_id == user.id)
                .order_by(ScimGroup.display_name)
            )
        )
        wanted = current.roles_for(names)
        before = sorted(role.value for role in user.roles)
        if set(before) == {role.value for role in wanted}:
            continue
        user.set_roles(wanted)
        audit.record(
            "user",
            user.id,
            "update",
            actor=None,
            changes={
                "roles": [before, sorted(role.value for role in wanted)],
                "groups": names,
                "via": VIA,
            },
        )


def create(model: resources.Group) -> dict[str, Any]:
    group = ScimGroup(created_at=utcnow())
    affected = _write(group, model)
    db.session.add(group)
    db.session.flush()
    _audit(group, "create", set(), None)
    recompute_roles(affected)
    return represent(group)


def replace(group: ScimGroup, model: resources.Group) -> dict[str, Any]:
    before = {member.user_id for member in group.members}
    name = group.display_name
    affected = _write(group, model)
    db.session.flush()
    _audit(group, "update", before, name)
    recompute_roles(affected)
    return represent(group)


def delete(group: ScimGroup) -> None:
    members = {member.user_id for member in group.members}
    audit.record(
        "scim_group",
        group.id,
        "delete",
        actor=None,
        changes={"display_name": group.display_name, "members": _emails(members), "via": VIA},
    )
    db.session.delete(group)
    db.session.flush()
    recompute_roles(members)
