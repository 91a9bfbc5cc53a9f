"""SCIM 2.0 at /scim/v2, verb by verb: what a directory (Entra ID, Okta) sends, what
Procure answers, and bad input refused in the SCIM error format with nothing changed."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from procure.models import AuditEvent, ScimGroup, User
from procure.scim import tokens

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


class Scim:
    """The test client speaking SCIM with a bearer token."""

    def __init__(self, client, secret: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"}

    def call(self, method: str, path: str, body=None, headers=None, raw: str | None = None):
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return self.client.open(
            "/scim/v2" + path,
            method=method,
            data=data,
            content_type="application/scim+json",
            headers={**self.headers, **(headers or {})},
        )

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("PUT", path, body, **kw)

    def patch(self, path, operations, **kw):
        return self.call("PATCH", path, {"schemas": [PATCH], "Operations": operations}, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


@pytest.fixture
def scim(client, db, make):
    make.department("IT")
    make.department("FIN")
    _token, secret = tokens.issue("Entra ID", actor=None)
    db.session.commit()
    return Scim(client, secret)


def new_user(email="grace@example.org", **extra):
    return {
        "schemas": [USER, ENTERPRISE],
        "userName": email,
        "name": {"givenName": "Grace", "familyName": "Hopper"},
        "displayName": "Grace Hopper",
        "emails": [{"value": email, "type": "work", "primary": True}],
        "externalId": "ext-" + email,
        ENTERPRISE: {"department": "FIN"},
        **extra,
    }


def scim_error(response, status: int, scim_type: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/scim+json"
    body = response.get_json(force=True)
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    if scim_type:
        assert body["scimType"] == scim_type
    assert body["detail"]
    return body


def snapshot(db) -> tuple:
    """What a refused request must leave as it was."""
    users = db.session.execute(
        sa.select(User.id, User.email, User.name, User.active, User.department_id).order_by(
            User.id
        )
    ).all()
    groups = db.session.execute(sa.select(ScimGroup.id, ScimGroup.display_name)).all()
    events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    return users, groups, events


def test_creating_a_user_makes_an_account_without_password(scim, db):
    response = scim.post("/Users", new_user())

    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.mimetype == "application/scim+json"
    body = response.get_json(force=True)
    assert body["userName"] == "grace@example.org"
    assert body["active"] is True
    assert body[ENTERPRISE] == {"department": "FIN"}
    assert body["meta"]["resourceType"] == "User"
    assert body["meta"]["location"].endswith(f"/scim/v2/Users/{body['id']}")
    assert response.headers["Location"] == body["meta"]["location"]
    assert response.headers["ETag"] == body["meta"]["version"]
    user = db.session.get(User, int(body["id"]))
    assert (user.email, user.name, user.department.code) == (
        "grace@example.org",
        "Grace Hopper",
        "FIN",
    )
    assert user.source == "scim"
    assert user.synced_at is not None
    assert user.password_hash is None
    assert user.external_id == "ext-grace@example.org"
