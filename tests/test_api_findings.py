"""What the API fuzzing (tests/test_api_fuzz.py) found, each pinned by a test."""

from __future__ import annotations

import datetime as dt

import jsonschema

from procure import demo


def _operation(client, path: str, method: str) -> dict:
    return client.get("/api/v1/openapi.json").get_json()["paths"][path][method]


def test_api_times_carry_their_utc_zone(client, make, api, db):
    """RFC 3339 (the OpenAPI "date-time" format) wants a zone: the API answered naive times."""
    demo.seed_all()
    db.session.commit()
    caller = api(make.user(roles=["admin", "procurement", "finance"], department="IT"))
    seen = 0
    for path, field in [
        ("/api/v1/requests", "created_at"),
        ("/api/v1/requests", "updated_at"),
        ("/api/v1/vendors", "created_at"),
        ("/api/v1/orders", "created_at"),
        ("/api/v1/rfqs", "created_at"),
        ("/api/v1/contracts", "created_at"),
        ("/api/v1/budgets", "updated_at"),
    ]:
        items = caller.get(path).get_json()["items"]
        assert items, path
        for item in items:
            value = item[field]
            assert value.endswith("Z"), (path, field, value)
            assert dt.datetime.fromisoformat(value).utcoffset() == dt.timedelta(0)
            seen += 1
    assert seen > 10


def test_api_times_validate_as_date_time(client, make, api):
    caller = api(make.user(roles=["procurement"], department="IT"))
    vendor = caller.post("/api/v1/vendors", json={"name": "Zoned Supplies"}).get_json()
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    for field in ("created_at", "updated_at"):
        assert checker.conforms(vendor[field], "date-time"), vendor[field]
        assert not checker.conforms(vendor[field].removesuffix("Z"), "date-time")


def test_the_history_of_a_missing_document_is_a_documented_404(client, make, api):
    caller = api(make.user(roles=["finance"], department="FIN"))
    response = caller.get("/api/v1/audit", query_string={"entity": "contract", "entity_id": 2001})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert "404" in _operation(client, "/api/v1/audit", "get")["responses"]


def test_a_wrong_password_for_a_token_is_a_documented_401(client, make):
    make.user(email="someone@example.org")
    response = client.post(
        "/api/v1/auth/token", json={"email": "someone@example.org", "password": "wrong"}
    )
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert "401" in _operation(client, "/api/v1/auth/token", "post")["responses"]
