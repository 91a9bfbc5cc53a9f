"""What typed text may hold (``procure/inputs.py``): no control characters other than
tabs and line breaks, on pages and in the API alike; refused with a 422 naming the
field, on SQLite as on PostgreSQL (which cannot store NUL at all)."""

from __future__ import annotations

import pytest

from procure.models import PurchaseRequest, Vendor

from .factories import PASSWORD


@pytest.fixture
def requester(make):
    return make.user(["requester"], department="IT")


def signed_in(app, user):
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client


def request_body(title: str) -> dict:
    return {
        "title": title,
        "lines": [{"description": "Dock", "quantity": "1", "unit_price": "90.00"}],
    }


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x07", "\x7f", "\x0b"])
def test_the_api_refuses_control_characters_naming_the_field(api, db, requester, char):
    response = api(requester).post("/api/v1/requests", json=request_body(f"Dock{char}s"))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == ["title"]
    assert f"U+{ord(char):04X}" in error["message"]
    assert db.session.scalars(db.select(PurchaseRequest)).all() == []


def test_a_lone_surrogate_is_refused_not_a_500(api, db, requester):
    # JSON may spell half a surrogate pair ("\ud800"); it is no character, and no
    # database stores it in UTF-8.
    body = '{"title": "Dock \\ud800s", "lines": []}'
    response = api(requester).post("/api/v1/requests", data=body, content_type="application/json")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert list(error["fields"]) == ["title"] and "U+D800" in error["message"]
    # A character outside the first plane, sent as its pair, is text like any other.
    line = '{"description": "Dock", "quantity": "1", "unit_price": "90.00"}'
    pair = '{"title": "Docks \\ud83d\\udcbb", "lines": [' + line + "]}"
    response = api(requester).post("/api/v1/requests", data=pair, content_type="application/json")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["title"] == "Docks \U0001f4bb"


def test_nested_fields_are_named_by_their_path(api, requester):
    body = request_body("Docks")
    body["lines"][0]["description"] = "Dock\x00"
    response = api(requester).post("/api/v1/requests", json=body)
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["lines.0.description"]


def test_tabs_and_line_breaks_are_text(api, db, requester):
    body = request_body("Docks\tfor the desk")
    body["justification"] = "Line one\r\nline two\n"
    response = api(requester).post("/api/v1/requests", json=body)
    assert response.status_code == 201, response.get_json()
    pr = db.session.get(PurchaseRequest, response.get_json()["id"])
    assert pr.title == "Docks\tfor the desk"
    assert pr.justification == "Line one\r\nline two"  # stripped at the ends, as always


def test_query_parameters_are_checked_too(api, client, requester):
    assert api(requester).get("/api/v1/vendors?q=a%00b").status_code == 422
    signed_in_client = signed_in(client.application, requester)
    page = signed_in_client.get("/vendors?q=a%00b")
    assert page.status_code == 422
    assert "U+0000" in page.get_data(as_text=True)


def test_a_page_form_is_refused_and_nothing_is_stored(app, db, make):
    buyer = make.user(["procurement"], department="PROC")
    client = signed_in(app, buyer)
    response = client.post("/vendors/new", data={"name": "Acme\x1b[31m", "save": "Save vendor"})
    assert response.status_code == 422
    assert "name: Remove the control character U+001B" in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Vendor)).all() == []


@pytest.mark.parametrize("typed", ["9" * 400, "\u0662\u0660\u0662\u0666", "1e3", "20 26"])
def test_whole_numbers_in_forms_are_ascii_and_short(app, db, make, typed):
    # A 400-digit year overflowed WTForms' NumberRange (a 500); Arabic-Indic digits
    # were read as 2026.
    from procure.models import Budget

    make.department("OPS")
    client = signed_in(app, make.user(["finance"], department="FIN"))
    response = client.post(
        "/budgets/", data={"department": "OPS", "fiscal_year": typed, "amount": "5000"}
    )
    assert response.status_code == 422
    assert 'id="fiscal_year-errors"' in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Budget)).all() == []
    assert client.get(f"/budgets/?year={typed}").status_code == 200  # the filter ignores it


def test_admin_numbers_are_checked_the_same_way(app, make):
    client = signed_in(app, make.user(["admin"], department="IT"))
    for path, data in [
        ("/admin/policy/quotes", {"threshold": "10000", "min_quotes": "9" * 400}),
        ("/admin/policy/sla", {"days": "9" * 400}),
        ("/admin/policy/split-window", {"days": "9" * 400}),
        ("/admin/policy", {"step": "it", "role": "approver", "step_order": "9" * 400}),
    ]:
        assert client.post(path, data=data).status_code == 422, path


def test_a_body_nested_thousands_deep_is_refused_for_what_it_is(api, requester):
    for body in ("[" * 10_000 + "]" * 10_000, '{"title": ' + "[" * 10_000 + "]" * 10_000 + "}"):
        response = api(requester).post(
            "/api/v1/requests", data=body, content_type="application/json"
        )
        assert response.status_code == 400
        error = response.get_json()["error"]
        assert error["code"] == "bad_request" and "too deeply" in error["message"]
