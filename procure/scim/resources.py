"""The SCIM resources Procure serves, as scim2-models classes, and the discovery
documents (RFC 7643 §5-7) built from them.

The published schemas name only the attributes Procure keeps, so that a directory (and
the compliance checker) never writes an attribute that would silently be dropped.
``active`` is published as required: an account is active or not, it cannot be
unassigned; a request that leaves it out keeps the account as it is (new: active).
``emails`` likewise: every account has an address; a userName that is an address
stands for the work e-mail when a request sends none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    Context,
    Email,
    ETag,
    Extension,
    Filter,
    GroupMembership,
    Meta,
    Mutability,
    Patch,
    Reference,
    Required,
    Resource,
    ResourceType,
    Schema,
    SchemaExtension,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

from ..extensions import db
from ..models import Department
from ..security import external_url

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
MAX_RESULTS = 200


class EnterpriseUser(Extension):
    """The enterprise extension's ``department``: a Procure department code (or a
    name, or a value the sign-in mapping translates)."""

    __schema__ = URN(ENTERPRISE_SCHEMA)

    department: str | None = None


class Name(ComplexAttribute):
    formatted: str | None = None
    family_name: str | None = None
    given_name: str | None = None


class UserEmail(ComplexAttribute):
    value: Annotated[str | None, Required.true] = None
    type: Email.Type | None = None
    primary: bool | None = None


class User(Resource[EnterpriseUser]):
    __schema__ = URN(USER_SCHEMA)

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    """The account's e-mail address (Entra ID's UPN, Okta's login)."""
    name: Name | None = None
    display_name: str | None = None
    active: Annotated[bool | None, Required.true] = None
    # Every account has an address: required, though a userName that is an address is
    # taken as the work e-mail when none is sent.
    emails: Annotated[list[UserEmail] | None, Required.true] = None
    groups: Annotated[list[GroupMembership] | None, Mutability.read_only] = None


class GroupMember(ComplexAttribute):
    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    ref: Annotated[Reference[User] | None, Mutability.immutable] = Field(
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    type: Annotated[str | None, Mutability.immutable] = Field(None, examples=["User"])


class Group(Resource[Any]):
    __schema__ = URN(GROUP_SCHEMA)

    display_name: Annotated[str | None, Required.true] = None
    """What the sign-in mapping turns into roles (group = role)."""
    members: list[GroupMember] | None = None


def location(kind: str, resource_id: str) -> str:
    endpoint = "scim.user_resource" if kind == "Users" else "scim.group_resource"
    return external_url(endpoint, resource_id=resource_id)


def service_provider_config() -> dict[str, Any]:
    config = ServiceProviderConfig(
        documentation_uri=None,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="Bearer token",
                description="A token issued by a Procure admin (Admin → SCIM tokens, or "
                "flask --app wsgi issue-scim-token), sent as 'Authorization: Bearer <token>'.",
                primary=True,
            )
        ],
    )
    config.meta = _meta("ServiceProviderConfig", external_url("scim.service_provider_config"))
    return _dump(config)


def _meta(resource_type: str, where: str) -> Any:
    return Meta(resource_type=resource_type, location=where)


def _dump(model: Any) -> dict[str, Any]:
    return model.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def resource_types() -> list[dict[str, Any]]:
    found = []
    for model, endpoint in ((User, "/Users"), (Group, "/Groups")):
        resource_type = ResourceType.from_resource(model)
        resource_type.endpoint = endpoint
        resource_type.schema_extensions = (
            [SchemaExtension(schema_=ENTERPRISE_SCHEMA, required=False)] if model is User else None
        )
        resource_type.meta = _meta(
            "ResourceType",
            external_url("scim.resource_type", type_id=resource_type.id),
        )
        found.append(_dump(resource_type))
    return found


def _departments() -> list[str]:
    return list(db.session.scalars(sa.select(Department.code).order_by(Department.code)))


def schemas() -> list[dict[str, Any]]:
    """The schemas of the resources served, and of the discovery resources themselves.
    ``department`` lists the department codes as its canonical values."""
    found = []
    for model in (User, Group, EnterpriseUser, ServiceProviderConfig, ResourceType, Schema):
        schema = model.to_schema()
        if model is EnterpriseUser:
            schema.name = "EnterpriseUser"
            schema.description = "Enterprise User"
            for attribute in schema.attributes or []:
                if attribute.name == "department":
                    attribute.canonical_values = _departments() or None
        schema.meta = _meta("Schema", external_url("scim.schema", schema_id=schema.id))
        found.append(_dump(schema))
    return found


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC)


def with_meta(
    model: Resource[Any],
    resource_type: str,
    kind: str,
    *,
    created: dt.datetime,
    modified: dt.datetime,
) -> dict[str, Any]:
    """The resource's JSON with ``meta``; its version (the ETag) is a digest of the rest,
    so that it changes exactly when what the client sees does. The resource is dumped
    once and its ``meta`` added beside (dumping a User takes a millisecond or two: twice
    per user made the SCIM list a third slower)."""
    body = _dump(model)
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:20]
    model.meta = Meta(
        resource_type=resource_type,
        created=_utc(created),
        last_modified=_utc(max(created, modified)),
        location=location(kind, str(model.id)),
        version=f'W/"{digest}"',
    )
    body["meta"] = _dump(model.meta)
    return body
