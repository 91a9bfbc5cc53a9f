"""Reading what a directory sends into the resources of ``resources.py``.

Directories send more than Procure keeps (Entra ID's default mapping has title, phone
numbers, addresses, the manager...): attributes Procure has no place for are left out
before the body is read, as RFC 7644 §3.3 allows, rather than failing the whole user.
What Procure keeps is checked strictly: a wrong type is 400 ``invalidValue``.
"""

from __future__ import annotations

import json
from typing import Any

from scim2_models import Context, PatchOp

from ..models import ScimAccount, ScimGroup, User
from . import groups, users
from .errors import invalid_syntax
from .protocol import validate
from .resources import ENTERPRISE_SCHEMA, Group
from .resources import User as ScimUser

USER_ATTRIBUTES = {"schemas", "id", "externalid", "meta", "username", "name", "displayname"}
USER_ATTRIBUTES |= {"active", "emails", "groups", ENTERPRISE_SCHEMA.lower()}
SUB_ATTRIBUTES = {
    "name": {"formatted", "familyname", "givenname"},
    "emails": {"value", "type", "primary"},
    ENTERPRISE_SCHEMA.lower(): {"department"},
}


def _prune(value: Any, keep: set[str]) -> Any:
    if isinstance(value, dict):
        return {key: item for key, item in value.items() if key.lower() in keep}
    if isinstance(value, list):
        return [_prune(item, keep) for item in value]
    return value


def _known(data: dict[str, Any]) -> dict[str, Any]:
    kept = {}
    for key, value in data.items():
        if key.lower() not in USER_ATTRIBUTES:
            continue
        keep = SUB_ATTRIBUTES.get(key.lower())
        kept[key] = _prune(value, keep) if keep else value
    return kept


def _with_email(data: dict[str, Any]) -> dict[str, Any]:
    """A userName that is an address stands for the work e-mail when none is sent."""
    user_name = data.get("userName")
    if not data.get("emails") and isinstance(user_name, str) and "@" in user_name:
        data["emails"] = [{"value": user_name, "type": "work", "primary": True}]
    return data


def new_user(data: dict[str, Any]) -> ScimUser:
    data = _with_email(_known(data))
    data.setdefault("active", True)
    return validate(ScimUser, data, Context.RESOURCE_CREATION_REQUEST)


def replacing_user(data: dict[str, Any], user: User) -> ScimUser:
    data = _with_email(_known(data))
    data.setdefault("active", user.active)
    return validate(ScimUser, data, Context.RESOURCE_REPLACEMENT_REQUEST)


def _operations(data: dict[str, Any]) -> list[Any]:
    operations = data.get("Operations")
    if not isinstance(operations, list) or not operations:
        raise invalid_syntax("A PATCH body needs a list of Operations.")
    return operations


def patched_user(data: dict[str, Any], user: User, account: ScimAccount | None) -> ScimUser:
    _operations(data)
    patch = validate(PatchOp[ScimUser], data, Context.RESOURCE_PATCH_REQUEST)
    model = users.model_of(user, account)
    patch.patch(model)
    return model


def new_group(data: dict[str, Any]) -> Group:
    return validate(Group, data, Context.RESOURCE_CREATION_REQUEST)


def replacing_group(data: dict[str, Any]) -> Group:
    return validate(Group, data, Context.RESOURCE_REPLACEMENT_REQUEST)


def _member_removals(operation: Any) -> list[Any]:
    """Entra ID removes members with a value (``"path": "members", "value": [{"value":
    id}]``) where RFC 7644 selects them with a filter: the same, said the RFC's way."""
    if not (
        isinstance(operation, dict)
        and str(operation.get("op", "")).lower() == "remove"
        and str(operation.get("path", "")).lower() == "members"
        and isinstance(operation.get("value"), list)
    ):
        return [operation]
    removals = []
    for member in operation["value"]:
        if not isinstance(member, dict) or not isinstance(member.get("value"), str):
            raise invalid_syntax("Each member to remove needs a value (the user's id).")
        removals.append(
            {"op": "remove", "path": f"members[value eq {json.dumps(member['value'])}]"}
        )
    return removals


def patched_group(data: dict[str, Any], group: ScimGroup) -> Group:
    operations = [one for operation in _operations(data) for one in _member_removals(operation)]
    patch = validate(
        PatchOp[Group], {**data, "Operations": operations}, Context.RESOURCE_PATCH_REQUEST
    )
    model = groups.model_of(group)
    patch.patch(model)
    return model
