"""SCIM 2.0 at /scim/v2, verb by verb: what a directory (Entra ID, Okta) sends, what
Procure answers, and bad input refused in the SCIM error format with nothing changed."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from procure.models import AuditEvent, Role, ScimGroup, User
from procure.scim import tokens
from procure.scim.commands import issue_scim_token_command

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


def created(scim, email="grace@example.org", **extra) -> dict:
    response = scim.post("/Users", new_user(email, **extra))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json(force=True)


def listed(scim, query: str) -> dict:
    response = scim.get("/Users" + query)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json(force=True)
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    return body


def audit_actions(db, user_id: int) -> list[tuple[str, dict]]:
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.entity == "user", AuditEvent.entity_id == user_id)
        .order_by(AuditEvent.id)
    )
    return [(event.action, json.loads(event.changes)) for event in events]


# Reading ---------------------------------------------------------------------------


def test_a_user_reads_back_as_created_with_its_version(scim):
    body = created(scim)

    response = scim.get(f"/Users/{body['id']}")

    assert response.status_code == 200
    read = response.get_json(force=True)
    assert read == body
    assert response.headers["ETag"] == read["meta"]["version"]
    assert read["name"] == {"givenName": "Grace", "familyName": "Hopper"}
    assert read["emails"] == [{"value": "grace@example.org", "type": "work", "primary": True}]


def test_users_lists_local_accounts_too(scim, make):
    local = make.user(["approver"], email="lin@example.org", name="Lin Local")

    found = listed(scim, '?filter=userName eq "lin@example.org"')

    assert found["totalResults"] == 1
    (user,) = found["Resources"]
    assert user["id"] == str(local.id)
    assert user["userName"] == "lin@example.org"
    assert user["displayName"] == "Lin Local"
    assert user["active"] is True
    assert user[ENTERPRISE] == {"department": "IT"}


@pytest.mark.parametrize(
    "query",
    [
        'userName eq "GRACE@example.org"',
        'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "grace@example.org"',
        'externalId eq "ext-grace@example.org"',
        'emails.value eq "grace@example.org"',
        'displayName eq "grace hopper"',
        'USERNAME EQ "grace@example.org"',
    ],
)
def test_each_filter_finds_the_user(scim, query):
    body = created(scim)
    created(scim, "alan@example.org", displayName="Alan Turing")

    found = listed(scim, "?filter=" + query)

    assert [user["id"] for user in found["Resources"]] == [body["id"]]


def test_a_filter_matching_nobody_answers_an_empty_list(scim):
    created(scim)

    found = listed(scim, '?filter=userName eq "nobody@example.org"')

    assert found["totalResults"] == 0
    assert found["Resources"] == []


def test_paging_walks_the_users_in_order(scim, make):
    ids = [int(created(scim, f"p{n}@example.org")["id"]) for n in range(5)]
    total = listed(scim, "")["totalResults"]

    first = listed(scim, "?startIndex=1&count=2")
    later = listed(scim, f"?startIndex={total - 1}&count=10")
    none = listed(scim, "?count=0")

    assert first["totalResults"] == total
    assert (first["startIndex"], first["itemsPerPage"]) == (1, 2)
    assert [int(user["id"]) for user in later["Resources"]] == ids[-2:]
    assert (none["totalResults"], none["Resources"]) == (total, [])


def test_attributes_and_excluded_attributes_shape_the_answer(scim):
    body = created(scim)

    only = scim.get(f"/Users/{body['id']}?attributes=userName,name.givenName").get_json(force=True)
    without = scim.get(f"/Users/{body['id']}?excludedAttributes=emails").get_json(force=True)

    assert only == {
        "schemas": body["schemas"],
        "id": body["id"],
        "userName": "grace@example.org",
        "name": {"givenName": "Grace"},
    }
    assert "emails" not in without and without["userName"] == "grace@example.org"


def test_discovery_describes_users_groups_and_departments(scim):
    config = scim.get("/ServiceProviderConfig").get_json(force=True)
    types = scim.get("/ResourceTypes").get_json(force=True)
    enterprise = scim.get(f"/Schemas/{ENTERPRISE}").get_json(force=True)

    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    assert config["filter"] == {"supported": True, "maxResults": 200}
    assert [t["endpoint"] for t in types["Resources"]] == ["/Users", "/Groups"]
    (department,) = enterprise["attributes"]
    assert {"FIN", "IT"} <= set(department["canonicalValues"])


# Writing ---------------------------------------------------------------------------


def test_replacing_a_user_changes_the_account_and_audits_it(scim, db):
    body = created(scim)
    replacement = new_user("grace.h@example.org", displayName="Rear Admiral Hopper")
    replacement[ENTERPRISE] = {"department": "IT"}

    response = scim.put(f"/Users/{body['id']}", replacement)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json(force=True)["userName"] == "grace.h@example.org"
    user = db.session.get(User, int(body["id"]))
    assert (user.email, user.name, user.department.code) == (
        "grace.h@example.org",
        "Rear Admiral Hopper",
        "IT",
    )
    action, changes = audit_actions(db, user.id)[-1]
    assert action == "update"
    assert changes["email"] == ["grace@example.org", "grace.h@example.org"]
    assert changes["department"] == ["FIN", "IT"]
    assert changes["via"] == "scim"


def test_entra_style_patch_replaces_the_work_email_and_deactivates(scim, db):
    body = created(scim)

    response = scim.patch(
        f"/Users/{body['id']}",
        [
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "gh@example.org"},
            {"op": "Replace", "path": "active", "value": "False"},
        ],
    )

    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json(force=True)
    assert answer["active"] is False
    assert answer["emails"][0]["value"] == "gh@example.org"
    user = db.session.get(User, int(body["id"]))
    assert user.active is False
    assert [action for action, _changes in audit_actions(db, user.id)][-1] == "deactivate"


def test_patch_sets_the_department_through_the_extension(scim, db):
    body = created(scim)

    response = scim.patch(
        f"/Users/{body['id']}",
        [{"op": "add", "path": f"{ENTERPRISE}:department", "value": "IT"}],
    )

    assert response.status_code == 200
    assert db.session.get(User, int(body["id"])).department.code == "IT"


def test_a_user_named_otherwise_takes_the_primary_email(scim, db):
    response = scim.post(
        "/Users",
        {
            "schemas": [USER],
            "userName": "ghopper",
            "emails": [
                {"value": "home@example.net", "type": "home", "primary": False},
                {"value": "grace@example.org", "type": "work", "primary": True},
            ],
        },
    )

    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json(force=True)
    assert body["userName"] == "ghopper"
    assert db.session.get(User, int(body["id"])).email == "grace@example.org"
    assert listed(scim, '?filter=emails.value eq "home@example.net"')["totalResults"] == 1


def test_deleting_a_user_hides_it_and_keeps_the_account_deactivated(scim, db):
    body = created(scim)

    response = scim.delete(f"/Users/{body['id']}")

    assert response.status_code == 204
    scim_error(scim.get(f"/Users/{body['id']}"), 404)
    scim_error(
        scim.patch(f"/Users/{body['id']}", [{"op": "replace", "path": "active", "value": True}]),
        404,
    )
    assert listed(scim, '?filter=userName eq "grace@example.org"')["totalResults"] == 0
    user = db.session.get(User, int(body["id"]))
    assert user is not None and user.active is False
    assert [action for action, _ in audit_actions(db, user.id)] == [
        "create",
        "deactivate",
        "scim_delete",
    ]


# Groups and roles ------------------------------------------------------------------


@pytest.fixture
def roles_from_groups(app, monkeypatch):
    monkeypatch.setitem(app.config, "PROCURE_GROUP_ROLES", "Approvers=approver,Finance=finance")


def test_group_membership_gives_and_takes_roles(scim, db, roles_from_groups):
    grace = created(scim)
    alan = created(scim, "alan@example.org")

    response = scim.post(
        "/Groups",
        {"schemas": [GROUP], "displayName": "Approvers", "members": [{"value": grace["id"]}]},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    group = response.get_json(force=True)
    assert group["members"][0]["value"] == grace["id"]
    assert db.session.get(User, int(grace["id"])).roles == {Role.APPROVER}

    added = scim.patch(
        f"/Groups/{group['id']}",
        [{"op": "Add", "path": "members", "value": [{"value": alan["id"]}]}],
    )
    removed = scim.patch(
        f"/Groups/{group['id']}",
        [{"op": "Remove", "path": "members", "value": [{"value": grace["id"]}]}],
    )

    assert added.status_code == removed.status_code == 200
    assert db.session.get(User, int(alan["id"])).roles == {Role.APPROVER}
    assert db.session.get(User, int(grace["id"])).roles == set()
    roles_events = [c for a, c in audit_actions(db, int(grace["id"])) if "roles" in c]
    assert [c["roles"] for c in roles_events] == [[[], ["approver"]], [["approver"], []]]
    read = scim.get(f"/Users/{alan['id']}").get_json(force=True)
    assert [(g["value"], g["display"]) for g in read["groups"]] == [(group["id"], "Approvers")]


def test_renaming_or_deleting_a_group_recomputes_its_members_roles(scim, db, roles_from_groups):
    grace = created(scim)
    group = scim.post(
        "/Groups",
        {"schemas": [GROUP], "displayName": "Approvers", "members": [{"value": grace["id"]}]},
    ).get_json(force=True)

    scim.patch(
        f"/Groups/{group['id']}", [{"op": "replace", "path": "displayName", "value": "Finance"}]
    )
    assert db.session.get(User, int(grace["id"])).roles == {Role.FINANCE}
    assert scim.delete(f"/Groups/{group['id']}").status_code == 204

    assert db.session.get(User, int(grace["id"])).roles == set()
    scim_error(scim.get(f"/Groups/{group['id']}"), 404)


def test_groups_filter_by_display_name(scim):
    scim.post("/Groups", {"schemas": [GROUP], "displayName": "Approvers"})
    scim.post("/Groups", {"schemas": [GROUP], "displayName": "Finance"})

    found = scim.get('/Groups?filter=displayName eq "finance"').get_json(force=True)

    assert [group["displayName"] for group in found["Resources"]] == ["Finance"]


def test_local_accounts_keep_the_roles_their_admin_gave(scim, db, make, roles_from_groups):
    local = make.user(["admin"])

    scim.post(
        "/Groups",
        {"schemas": [GROUP], "displayName": "Approvers", "members": [{"value": str(local.id)}]},
    )

    assert db.session.get(User, local.id).roles == {Role.ADMIN}


# Bad input: the SCIM error, the right status, nothing changed ---------------------


@pytest.mark.parametrize(
    ("raw", "scim_type"),
    [
        ("{not json", "invalidSyntax"),
        ('["a list"]', "invalidSyntax"),
        (json.dumps({"schemas": [USER], "userName": 5}), "invalidValue"),
        (json.dumps({"schemas": [USER], "userName": "a@example.org", "active": "maybe"}), None),
        (json.dumps({"schemas": [USER], "displayName": "No userName"}), None),
        (json.dumps({"schemas": [USER], "userName": "not-an-address"}), "invalidValue"),
    ],
)
def test_a_malformed_user_is_refused_and_nothing_changes(scim, db, raw, scim_type):
    before = snapshot(db)

    response = scim.call("POST", "/Users", raw=raw)

    scim_error(response, 400, scim_type)
    assert snapshot(db) == before


def test_an_unknown_department_is_refused_naming_the_known_ones(scim, db):
    before = snapshot(db)

    response = scim.post("/Users", new_user(**{ENTERPRISE: {"department": "Marketing"}}))

    body = scim_error(response, 400, "invalidValue")
    assert "Marketing" in body["detail"] and "FIN" in body["detail"]
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "query",
    [
        'userName eq "a" or 1 eq 1',
        'userName eq "a") or (userName pr',
        'title eq "boss"',
        'userName co "a"',
        "userName eq unquoted",
        'userName eq "a" and active eq true',
        'password eq "x"',
    ],
)
def test_a_filter_outside_the_small_grammar_is_refused(scim, query):
    created(scim)

    scim_error(scim.get("/Users?filter=" + query), 400, "invalidFilter")


def test_an_unknown_group_filter_attribute_is_refused(scim):
    scim_error(scim.get('/Groups?filter=members.value eq "1"'), 400, "invalidFilter")


def test_a_duplicate_user_name_is_a_uniqueness_conflict(scim, db, make):
    created(scim)
    make.user(email="local@example.org")
    before = snapshot(db)

    again = scim.post("/Users", new_user("Grace@Example.org"))
    local = scim.post("/Users", new_user("local@example.org"))

    scim_error(again, 409, "uniqueness")
    scim_error(local, 409, "uniqueness")
    assert snapshot(db) == before


def test_a_duplicate_group_name_is_a_uniqueness_conflict(scim, db):
    scim.post("/Groups", {"schemas": [GROUP], "displayName": "Approvers"})
    before = snapshot(db)

    scim_error(
        scim.post("/Groups", {"schemas": [GROUP], "displayName": "approvers"}), 409, "uniqueness"
    )
    assert snapshot(db) == before


def test_a_group_with_an_unknown_member_is_refused(scim, db):
    before = snapshot(db)

    response = scim.post(
        "/Groups", {"schemas": [GROUP], "displayName": "Ghosts", "members": [{"value": "999999"}]}
    )

    scim_error(response, 400, "invalidValue")
    assert snapshot(db) == before


@pytest.mark.parametrize("target", ["/Users/999999", "/Users/abc", "/Groups/999999"])
def test_patch_on_a_missing_resource_is_not_found(scim, db, target):
    before = snapshot(db)

    response = scim.patch(target, [{"op": "replace", "path": "displayName", "value": "x"}])

    scim_error(response, 404)
    assert snapshot(db) == before


def test_a_patch_on_an_unknown_attribute_is_refused(scim, db):
    body = created(scim)
    before = snapshot(db)

    response = scim.patch(
        f"/Users/{body['id']}", [{"op": "replace", "path": "title", "value": "x"}]
    )

    scim_error(response, 400)
    assert snapshot(db) == before


def test_an_outdated_version_is_a_precondition_failure(scim, db):
    body = created(scim)
    stale = body["meta"]["version"]
    scim.patch(f"/Users/{body['id']}", [{"op": "replace", "path": "displayName", "value": "G"}])
    before = snapshot(db)

    response = scim.put(
        f"/Users/{body['id']}", new_user(displayName="Lost update"), headers={"If-Match": stale}
    )

    scim_error(response, 412)
    assert snapshot(db) == before
    current = scim.get(f"/Users/{body['id']}").headers["ETag"]
    fresh = scim.put(
        f"/Users/{body['id']}", new_user(displayName="Fresh"), headers={"If-Match": current}
    )
    assert fresh.status_code == 200


def test_paging_numbers_must_be_whole(scim):
    scim_error(scim.get("/Users?startIndex=one"), 400, "invalidValue")


def test_unknown_paths_and_methods_answer_in_the_scim_format(scim):
    body = created(scim)

    scim_error(scim.get("/Nothing"), 404)
    scim_error(scim.post(f"/Users/{body['id']}", new_user()), 405)
    scim_error(scim.delete("/Schemas"), 405)


# The token ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization", [None, "Bearer ", "Bearer scim_wrong", "Basic dXNlcjpwYXNz", "Bearer prc_x"]
)
def test_without_a_valid_token_the_answer_is_401(client, scim, db, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    before = snapshot(db)

    response = client.post(
        "/scim/v2/Users",
        data=json.dumps(new_user()),
        content_type="application/scim+json",
        headers=headers,
    )

    scim_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert snapshot(db) == before


def test_a_revoked_token_is_refused_and_its_use_recorded_before(scim, db, make):
    created(scim)
    (token,) = tokens.all_tokens()
    assert token.last_used_at is not None

    tokens.revoke(token.id, actor=make.user(["admin"]))
    db.session.commit()

    scim_error(scim.get("/Users"), 401)


def test_tokens_are_stored_hashed(scim, db):
    secret = scim.headers["Authorization"].removeprefix("Bearer ")
    (token,) = tokens.all_tokens()

    assert token.token_hash != secret and secret not in token.token_hash
    assert secret.startswith(token.hint)


def test_admin_issues_a_token_on_a_page_and_revokes_it(client, auth, db, make):
    admin = make.user(["admin"])
    auth.login(admin.email)

    page = client.post("/admin/scim", data={"name": "Entra ID"})

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    secret = html.split('class="new-token user-select-all">', 1)[1].split("<", 1)[0]
    assert secret.startswith("scim_")
    assert "http://procure.test/scim/v2" in html
    directory = Scim(client, secret)
    assert directory.get("/ServiceProviderConfig").status_code == 200
    (token,) = tokens.all_tokens()
    assert secret not in client.get("/admin/scim").get_data(as_text=True)

    revoked = client.post(f"/admin/scim/{token.id}/revoke")

    assert revoked.status_code == 302
    scim_error(directory.get("/Users"), 401)
    events = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.entity == "scim_token")
    ).all()
    assert events == ["issue", "revoke"]


def test_only_admin_sees_the_token_page(client, auth, make):
    auth.login(make.user(["approver"]).email)

    assert client.get("/admin/scim").status_code == 403
    assert client.post("/admin/scim", data={"name": "x"}).status_code == 403
    assert tokens.all_tokens() == []


def test_the_command_prints_a_working_token_and_nothing_else(app, client, runner):
    result = runner.invoke(issue_scim_token_command, ["--name", "Okta"])

    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert result.output == secret + "\n" and secret.startswith("scim_")
    assert Scim(client, secret).get("/ResourceTypes").status_code == 200


def test_an_email_filter_takes_underscores_literally(scim):
    exact = created(scim, "a_b@example.org")
    created(scim, "axb@example.org")

    found = listed(scim, '?filter=emails.value eq "a_b@example.org"')

    assert [user["id"] for user in found["Resources"]] == [exact["id"]]


def test_a_control_character_is_refused_in_the_scim_format(scim, db):
    before = snapshot(db)

    response = scim.post("/Users", new_user(displayName="Grace\u0000Hopper"))

    scim_error(response, 400)
    assert snapshot(db) == before


def test_a_control_character_in_the_query_is_refused_in_the_scim_format(scim, db):
    response = scim.get('/Users?filter=userName eq "a%00b"')

    body = scim_error(response, 400, "invalidValue")
    assert "filter" in body["detail"]


def test_an_untrusted_host_is_refused_in_the_scim_format(scim):
    response = scim.get("/Users", headers={"Host": "evil.example"})

    scim_error(response, 400)


def test_a_body_over_the_size_limit_is_refused_in_the_scim_format(scim, db):
    before = snapshot(db)

    response = scim.post("/Users", new_user(displayName="x" * (2 * 1024 * 1024)))

    scim_error(response, 413)
    assert snapshot(db) == before


def test_okta_style_patches_without_a_path_and_with_a_member_filter(scim, db, roles_from_groups):
    body = created(scim)
    group = scim.post(
        "/Groups",
        {"schemas": [GROUP], "displayName": "Approvers", "members": [{"value": body["id"]}]},
    ).get_json(force=True)

    removed = scim.patch(
        f"/Groups/{group['id']}", [{"op": "remove", "path": f'members[value eq "{body["id"]}"]'}]
    )
    deactivated = scim.patch(
        f"/Users/{body['id']}", [{"op": "replace", "value": {"active": False}}]
    )

    assert removed.status_code == deactivated.status_code == 200
    assert "members" not in removed.get_json(force=True)
    user = db.session.get(User, int(body["id"]))
    assert (user.active, user.roles) == (False, set())


SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


def test_a_search_request_finds_users_and_groups_together(scim):
    grace = created(scim, displayName="Team")
    group = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Team"}).get_json(force=True)

    both = scim.post("/.search", {"schemas": [SEARCH], "filter": 'displayName eq "team"'})
    users_only = scim.post(
        "/.search",
        {"schemas": [SEARCH], "filter": 'userName eq "grace@example.org"', "attributes": ["id"]},
    )
    second = scim.post(
        "/.search",
        {"schemas": [SEARCH], "filter": 'displayName eq "team"', "startIndex": 2, "count": 1},
    )

    assert [r["id"] for r in both.get_json(force=True)["Resources"]] == [grace["id"], group["id"]]
    assert group["id"] != grace["id"]
    assert users_only.get_json(force=True)["Resources"] == [
        {"schemas": grace["schemas"], "id": grace["id"]}
    ]
    page = second.get_json(force=True)
    assert (page["totalResults"], [r["id"] for r in page["Resources"]]) == (2, [group["id"]])


@pytest.mark.parametrize(
    "body",
    [
        {"filter": 'userName eq "a"'},
        {"schemas": [SEARCH], "filter": 'title eq "a"'},
        {"schemas": [SEARCH], "count": "ten"},
        {"schemas": [SEARCH], "attributes": "userName"},
    ],
)
def test_a_malformed_search_request_is_refused(scim, body):
    scim_error(scim.post("/.search", body), 400)
