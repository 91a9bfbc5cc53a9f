"""The JSON API's basics: tokens, bearer auth, departments, the error format, OpenAPI."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from .factories import PASSWORD

ONE_MIB = 1024 * 1024


def assert_error(response, status: int, code: str) -> dict:
    """The one error shape of API.md; returns the ``error`` object."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["error"]
    error = body["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    if code == "validation_error":
        assert set(error) == {"code", "message", "fields"}
        assert error["fields"]
        for name, messages in error["fields"].items():
            assert isinstance(name, str)
            assert messages and all(isinstance(message, str) for message in messages)
    else:
        assert set(error) == {"code", "message"}
    return error


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# Tokens --------------------------------------------------------------------------------


def test_a_token_for_an_email_and_password(client, make):
    user = make.user(email="script@example.org")

    response = client.post(
        "/api/v1/auth/token", json={"email": "Script@Example.org", "password": PASSWORD}
    )

    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"token"}
    me = client.get("/api/v1/me", headers=bearer(body["token"]))
    assert me.status_code == 200
    assert me.get_json()["email"] == user.email


def test_each_token_request_gives_a_new_token(client, make):
    user = make.user()
    credentials = {"email": user.email, "password": PASSWORD, "name": "nightly sync"}

    first = client.post("/api/v1/auth/token", json=credentials).get_json()["token"]
    second = client.post("/api/v1/auth/token", json=credentials).get_json()["token"]

    assert first != second
    for token in (first, second):
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_a_wrong_password_gets_no_token(client, make):
    user = make.user()

    wrong = client.post("/api/v1/auth/token", json={"email": user.email, "password": "nope"})
    unknown = client.post(
        "/api/v1/auth/token", json={"email": "nobody@example.org", "password": "nope"}
    )

    assert_error(wrong, 401, "unauthorized")
    assert_error(unknown, 401, "unauthorized")
    assert wrong.get_json() == unknown.get_json()


def test_an_inactive_user_gets_no_token(client, make):
    user = make.user(active=False)

    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})

    assert_error(response, 401, "unauthorized")


def test_token_requests_share_the_sign_in_throttle(client, make):
    user = make.user()
    for _ in range(5):
        response = client.post("/api/v1/auth/token", json={"email": user.email, "password": "x"})
        assert_error(response, 401, "unauthorized")

    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})

    error = assert_error(response, 429, "too_many_requests")
    assert "wait" in error["message"].lower()


def test_failed_page_sign_ins_throttle_the_api_too(client, make):
    user = make.user()
    for _ in range(5):
        client.post("/login", data={"email": user.email, "password": "guess again"})

    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})

    assert_error(response, 429, "too_many_requests")


def test_a_token_request_needs_both_fields(client):
    response = client.post("/api/v1/auth/token", json={"email": "someone@example.org"})

    error = assert_error(response, 422, "validation_error")
    assert list(error["fields"]) == ["password"]


# Bearer authentication ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Bearer prc_" + "A" * 43},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Token prc_whatever"},
    ],
    ids=["none", "empty", "no-token", "blank", "garbage", "unknown", "basic", "other-scheme"],
)
def test_no_or_a_bad_token_is_401(client, headers):
    response = client.get("/api/v1/me", headers=headers)

    assert_error(response, 401, "unauthorized")


def test_a_revoked_token_is_401(client, make, db):
    from procure.auth import services

    user = make.user()
    token = make.token(user)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    (record,) = services.tokens_of(user)
    services.revoke_token(record.id, actor=user)
    db.session.commit()

    assert_error(client.get("/api/v1/me", headers=bearer(token)), 401, "unauthorized")


def test_another_users_token_is_theirs_not_mine(client, make):
    mine, theirs = make.user(), make.user()

    response = client.get("/api/v1/me", headers=bearer(make.token(theirs)))

    assert response.get_json()["email"] == theirs.email != mine.email


def test_a_browser_session_is_no_api_credential(client, make):
    """The API reads bearer tokens only, so a signed-in browser cannot be driven
    across sites through it (the API has no CSRF tokens)."""
    admin = make.user(["admin"])
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert client.get("/").status_code == 200

    assert_error(client.get("/api/v1/me"), 401, "unauthorized")
    response = client.post("/api/v1/departments", json={"code": "CSRF", "name": "Forged"})
    assert_error(response, 401, "unauthorized")


def test_the_api_needs_no_csrf_token(client, make, csrf):
    user = make.user(["admin"])

    token = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert token.status_code == 201
    created = client.post(
        "/api/v1/departments",
        json={"code": "OPS", "name": "Operations"},
        headers=bearer(token.get_json()["token"]),
    )
    assert created.status_code == 201


def test_the_scheme_is_not_case_sensitive(client, make):
    token = make.token(make.user())

    response = client.get("/api/v1/me", headers={"Authorization": f"bearer {token}"})

    assert response.status_code == 200


def test_me_describes_the_calling_user(api, make):
    user = make.user(["approver", "requester"], department="OPS", name="Olive Ops")

    response = api(user).get("/api/v1/me")

    assert response.status_code == 200
    assert response.get_json() == {
        "id": user.id,
        "email": user.email,
        "name": "Olive Ops",
        "department": "OPS",
        "roles": ["approver", "requester"],
        "active": True,
    }


# Departments -------------------------------------------------------------------------------


def test_departments_are_listed_in_pages(api, make):
    user = make.user(department="IT")
    for code in ("FIN", "OPS", "PROC"):
        make.department(code)

    first = api(user).get("/api/v1/departments", query_string={"per_page": 2})
    second = api(user).get("/api/v1/departments", query_string={"per_page": 2, "page": 2})

    assert first.status_code == second.status_code == 200
    one, two = first.get_json(), second.get_json()
    assert set(one) == {"items", "page", "per_page", "total"}
    assert (one["page"], one["per_page"], one["total"]) == (1, 2, 4)
    assert (two["page"], two["per_page"], two["total"]) == (2, 2, 4)
    codes = [item["code"] for item in one["items"] + two["items"]]
    assert codes == ["FIN", "IT", "OPS", "PROC"]
    assert set(one["items"][0]) == {"id", "code", "name"}


def test_the_default_page_holds_fifty(api, make):
    response = api(make.user()).get("/api/v1/departments")

    body = response.get_json()
    assert (body["page"], body["per_page"], body["total"]) == (1, 50, 1)


def test_a_page_past_the_end_is_empty(api, make):
    response = api(make.user()).get("/api/v1/departments", query_string={"page": 9})

    assert response.status_code == 200
    assert response.get_json()["items"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"per_page": 201}, "per_page"),
        ({"per_page": 0}, "per_page"),
        ({"page": 0}, "page"),
        ({"page": "first"}, "page"),
        ({"page": "99999999999999999999999"}, "page"),
    ],
)
def test_bad_paging_is_422(api, make, query, field):
    response = api(make.user()).get("/api/v1/departments", query_string=query)

    assert list(assert_error(response, 422, "validation_error")["fields"]) == [field]


def test_the_largest_page_is_allowed(api, make):
    response = api(make.user()).get("/api/v1/departments", query_string={"per_page": 200})

    assert response.get_json()["per_page"] == 200


def test_an_admin_creates_a_department(api, make):
    admin = make.user(["admin"])

    response = api(admin).post("/api/v1/departments", json={"code": "fin", "name": " Finance "})

    assert response.status_code == 201
    created = response.get_json()
    assert created["code"] == "FIN" and created["name"] == "Finance"
    listed = api(admin).get("/api/v1/departments").get_json()["items"]
    assert created in listed


@pytest.mark.parametrize("roles", [["requester"], ["finance"], ["procurement", "executive"]])
def test_only_an_admin_creates_departments(api, make, roles):
    user = make.user(roles)

    response = api(user).post("/api/v1/departments", json={"code": "FIN", "name": "Finance"})

    assert_error(response, 403, "forbidden")
    codes = [d["code"] for d in api(user).get("/api/v1/departments").get_json()["items"]]
    assert "FIN" not in codes


@pytest.mark.parametrize("code", ["IT", "it", " It "])
def test_a_duplicate_code_is_422(api, make, code):
    admin = make.user(["admin"], department="IT")

    response = api(admin).post("/api/v1/departments", json={"code": code, "name": "Again"})

    error = assert_error(response, 422, "validation_error")
    assert list(error["fields"]) == ["code"]
    assert api(admin).get("/api/v1/departments").get_json()["total"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "X1", "name": "n" * 201}, "name"),
        ({"code": "X1", "name": ""}, "name"),
        ({"code": "X1", "name": "   "}, "name"),
        ({"code": "X1"}, "name"),
        ({"code": "X1", "name": None}, "name"),
        ({"code": "X1", "name": 42}, "name"),
        ({"name": "Finance"}, "code"),
        ({"code": "", "name": "Finance"}, "code"),
        ({"code": "C" * 21, "name": "Finance"}, "code"),
        ({"code": "has space", "name": "Finance"}, "code"),
        ({"code": ["FIN"], "name": "Finance"}, "code"),
    ],
)
def test_a_bad_department_is_422(api, make, body, field):
    admin = make.user(["admin"])

    response = api(admin).post("/api/v1/departments", json=body)

    assert field in assert_error(response, 422, "validation_error")["fields"]
    assert api(admin).get("/api/v1/departments").get_json()["total"] == 1


def test_a_name_of_200_characters_is_fine(api, make):
    response = api(make.user(["admin"])).post(
        "/api/v1/departments", json={"code": "LONG", "name": "n" * 200}
    )

    assert response.status_code == 201


def test_unknown_fields_are_ignored(api, make):
    response = api(make.user(["admin"])).post(
        "/api/v1/departments", json={"code": "OPS", "name": "Operations", "id": 999, "x": [1]}
    )

    assert response.status_code == 201
    assert response.get_json()["id"] != 999


# The error format --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"not json", b"{", b"{'code': 'X'}", b"", b"   ", b"\xff\xfe\x00", b"[" * 100_000],
    ids=["text", "truncated", "single-quotes", "empty", "blank", "binary", "deep"],
)
def test_a_body_that_is_not_json_is_400(api, make, data):
    response = api(make.user(["admin"])).post(
        "/api/v1/departments", data=data, content_type="application/json"
    )

    assert_error(response, 400, "bad_request")


@pytest.mark.parametrize(
    "data", [b'[{"code": "X", "name": "Y"}]', b"[]", b'"FIN"', b"42", b"null"]
)
def test_a_body_that_is_not_an_object_is_400(api, make, data):
    response = api(make.user(["admin"])).post(
        "/api/v1/departments", data=data, content_type="application/json"
    )

    assert_error(response, 400, "bad_request")


def test_a_form_post_to_the_api_is_400(api, make):
    response = api(make.user(["admin"])).post(
        "/api/v1/departments", data={"code": "FIN", "name": "Finance"}
    )

    assert_error(response, 400, "bad_request")


def test_a_role_that_may_not_is_403(api, make):
    response = api(make.user()).post("/api/v1/departments", json={"code": "A", "name": "B"})

    assert_error(response, 403, "forbidden")


@pytest.mark.parametrize(
    "path",
    [
        "/api",
        "/api/",
        "/api/v1",
        "/api/v1/",
        "/api/v2/departments",
        "/api/v1/nothing-here",
        "/api/v1/departments/",
        "/api/v1/departments/1",
        "/api/v1/departments/99999999999",
        "/api/v1/departments//99999999999",
        "/api/v1/departments/-1",
        "/api/v1//departments",
        "/api//v1/me",
        "/api/v1/me/",
        "/api/v1/" + "9" * 400,
    ],
)
def test_an_unknown_path_under_the_api_is_404(api, make, path):
    response = api(make.user()).get(path)

    assert_error(response, 404, "not_found")


def _id_routes(app) -> list[tuple[str, object]]:
    return [
        (method, rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and "<int:" in rule.rule
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]


@pytest.mark.parametrize(
    "ident", ["99999999999", "2147483648", "-1", "1.5", "1e3", "%20", "99999999999/"]
)
@pytest.mark.parametrize("double_slash", [False, True], ids=["single", "double-slash"])
def test_no_id_of_any_api_route_is_a_500(app, api, make, ident, double_slash):
    """Every route with an id answers a JSON 404 for ids that cannot exist."""
    caller = api(make.user(["admin", "finance", "procurement", "approver", "requester"]))
    routes = _id_routes(app)
    assert routes, "the API has routes with ids"

    for method, rule in routes:
        path = re.sub(r"/<int:\w+>", ("//" if double_slash else "/") + ident, rule.rule, count=1)
        path = re.sub(r"<int:\w+>", "1", path)
        response = getattr(caller, method.lower())(path, json={})
        assert response.status_code == 404, (method, path, response.get_data(as_text=True))
        assert_error(response, 404, "not_found")


@pytest.mark.parametrize("ident", ["0", "2147483647"])
def test_an_id_that_does_not_exist_is_404_on_every_api_route(app, api, make, ident):
    """An id in range that no row has: 404 (or 422 where the body is checked first)."""
    caller = api(make.user(["admin", "finance", "procurement", "approver", "requester"]))

    for method, rule in _id_routes(app):
        path = re.sub(r"<int:\w+>", ident, rule.rule)
        response = getattr(caller, method.lower())(path, json={})
        if method == "GET" or response.status_code != 422:
            assert response.status_code == 404, (method, path, response.get_data(as_text=True))
            assert_error(response, 404, "not_found")
        else:
            assert_error(response, 422, "validation_error")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("delete", "/api/v1/departments", {"GET", "POST"}),
        ("put", "/api/v1/departments", {"GET", "POST"}),
        ("post", "/api/v1/me", {"GET"}),
        ("get", "/api/v1/auth/token", {"POST"}),
        ("patch", "/api/v1/openapi.json", {"GET"}),
    ],
)
def test_a_wrong_method_is_405(api, make, method, path, allowed):
    response = getattr(api(make.user()), method)(path)

    assert_error(response, 405, "method_not_allowed")
    said = {verb.strip() for verb in response.headers["Allow"].split(",")}
    assert allowed <= said


def test_a_body_over_one_mib_is_413(api, make):
    admin = make.user(["admin"])
    padding = "x" * ONE_MIB
    body = ('{"code": "BIG", "name": "Big", "padding": "' + padding + '"}').encode()

    response = api(admin).post("/api/v1/departments", data=body, content_type="application/json")

    assert_error(response, 413, "payload_too_large")
    codes = [d["code"] for d in api(admin).get("/api/v1/departments").get_json()["items"]]
    assert "BIG" not in codes


def test_a_body_just_under_one_mib_is_read(api, make):
    admin = make.user(["admin"])
    head, tail = '{"code": "BIG", "name": "Big", "padding": "', '"}'
    body = (head + "x" * (ONE_MIB - len(head) - len(tail)) + tail).encode()
    assert len(body) == ONE_MIB

    response = api(admin).post("/api/v1/departments", data=body, content_type="application/json")

    assert response.status_code == 201


def test_a_huge_token_request_is_413(client):
    response = client.post(
        "/api/v1/auth/token",
        data=b"{" + b" " * (2 * ONE_MIB) + b"}",
        content_type="application/json",
    )

    assert_error(response, 413, "payload_too_large")


def test_validation_errors_are_422_with_fields(api, make):
    response = api(make.user(["admin"])).post(
        "/api/v1/departments", json={"code": "", "name": "n" * 201}
    )

    error = assert_error(response, 422, "validation_error")
    assert set(error["fields"]) == {"code", "name"}


# Every answer under /api is JSON --------------------------------------------------------------

REQUESTS = [
    ("get", "/api", None),
    ("get", "/api/", None),
    ("get", "/api/v1/unknown", None),
    ("get", "/api//v1/me", None),
    ("get", "/api/v1//departments", None),
    ("get", "/api/v1/departments//99999999999", None),
    ("get", "/api/v1/departments?page=x", None),
    ("post", "/api/v1/departments", b"nope"),
    ("post", "/api/v1/departments", b"[]"),
    ("post", "/api/v1/departments", b'{"code": "X"}'),
    ("post", "/api/v1/departments", b"{" + b" " * (ONE_MIB + 1) + b"}"),
    ("post", "/api/v1/unknown", b"{}"),
    ("delete", "/api/v1/departments", None),
    ("options", "/api/v1/departments", None),
    ("head", "/api/v1/departments", None),
    ("get", "/api/v1/me", None),
    ("get", "/api/v1/openapi.json", None),
]


@pytest.mark.parametrize(("method", "path", "data"), REQUESTS)
@pytest.mark.parametrize("authenticated", [True, False], ids=["token", "anonymous"])
def test_every_answer_under_the_api_is_json(client, make, method, path, data, authenticated):
    headers = bearer(make.token(make.user())) if authenticated else {}

    response = getattr(client, method)(
        path, data=data, headers=headers, content_type="application/json"
    )

    assert response.mimetype == "application/json", (response.status_code, response.data[:200])
    assert "<html" not in response.get_data(as_text=True).lower()
    if method != "head":
        body = response.get_json()
        assert isinstance(body, dict)
        if response.status_code >= 400:
            assert set(body) == {"error"}
            assert set(body["error"]) - {"fields"} == {"code", "message"}


def test_a_failure_inside_an_api_call_is_a_json_500(api, make, monkeypatch):
    from procure import reference as services

    def explode(*_args, **_kwargs):
        raise RuntimeError("boom")

    admin = make.user(["admin"])
    monkeypatch.setattr(services, "create_department", explode)

    response = api(admin).post("/api/v1/departments", json={"code": "X", "name": "Y"})

    error = assert_error(response, 500, "internal_error")
    assert "boom" not in error["message"]


# OpenAPI -----------------------------------------------------------------------------------


def _openapi(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_the_openapi_document_is_valid(client):
    document = _openapi(client)

    validate(document)
    assert document["openapi"].startswith("3.")


def test_the_openapi_document_needs_no_token(client):
    assert client.get("/api/v1/openapi.json", headers={}).status_code == 200


def test_every_api_route_is_in_the_openapi_document(app, client):
    paths = _openapi(client)["paths"]
    routes = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")]
    assert routes

    for rule in routes:
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
        assert path in paths, f"{rule.rule} is missing from the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], f"{method} {rule.rule} is not documented"


def test_the_openapi_document_describes_the_error_format(client):
    document = _openapi(client)
    create = document["paths"]["/api/v1/departments"]["post"]

    for status in ("201", "400", "401", "403", "422"):
        assert status in create["responses"]
    token = document["paths"]["/api/v1/auth/token"]["post"]
    assert token["security"] == []
    assert "429" in token["responses"]
