"""The administration pages: users, departments, categories."""

from __future__ import annotations

import re

import pytest

from .factories import PASSWORD
from .pages import field_errors, flashes, is_signed_in, text

NEW_PASSWORD = "another long passphrase"


@pytest.fixture
def admin(client, make):
    """An admin, signed in with ``client``."""
    user = make.user(["admin"], name="Adam Admin")
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    )
    return user


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def admin_page(client) -> str:
    response = client.get("/admin/")
    assert response.status_code == 200
    return text(response)


def user_row(client, email: str) -> str | None:
    """The row of the users table that shows ``email``, as text."""
    body = client.get("/admin/").get_data(as_text=True)
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        if re.search(rf"<td[^>]*>{re.escape(email)}</td>", row):
            return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
    return None


def category_row(client, name: str) -> str | None:
    body = client.get("/admin/").get_data(as_text=True)
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        if f"<code>{name}</code>" in row:
            return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
    return None


def category_id(client, name: str) -> int:
    body = client.get("/admin/").get_data(as_text=True)
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        if f"<code>{name}</code>" in row:
            match = re.search(r"/admin/categories/(\d+)/toggle", row)
            assert match, f"category {name} has no retire/restore button"
            return int(match.group(1))
    raise AssertionError(f"no category {name}")


def department_id(client, code: str) -> int:
    body = client.get("/admin/").get_data(as_text=True)
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        if f"<code>{code}</code>" in row:
            return int(re.search(r"/admin/departments/(\d+)", row).group(1))
    raise AssertionError(f"no department {code}")


def new_user_form(**overrides) -> dict:
    data = {
        "name": "Nora New",
        "email": "nora@example.org",
        "department": "IT",
        "password": "a long enough password",
        "roles": ["requester"],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def me(client, user, make) -> dict:
    return client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {make.token(user)}"}
    ).get_json()


# Who may enter ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "roles", [["requester"], ["approver"], ["finance"], ["executive"], ["procurement"]]
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/admin/"),
        ("get", "/admin/users/new"),
        ("post", "/admin/users/new"),
        ("post", "/admin/departments"),
        ("post", "/admin/categories"),
    ],
)
def test_admin_is_403_for_everybody_else(client, make, roles, method, path):
    user = make.user(roles)
    sign_in(client, user.email)

    response = getattr(client, method)(path, data=new_user_form(email="sneaky@example.org"))

    assert response.status_code == 403


def test_a_non_admin_cannot_create_a_user(client, make, new_client):
    sign_in(client, make.user(["finance", "approver"]).email)

    client.post("/admin/users/new", data=new_user_form())

    assert sign_in(new_client(), "nora@example.org", "a long enough password").status_code == 200


def test_admin_asks_a_stranger_to_sign_in(client):
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_the_admin_page_lists_users_departments_and_categories(client, make, admin):
    make.user(["finance"], department="FIN", name="Fiona Finance")

    page = admin_page(client)

    for expected in ("Users", "Departments", "Categories", "Fiona Finance", "FIN", "Hardware"):
        assert expected in page


def test_admin_has_no_menu_item_for_others(client, make):
    sign_in(client, make.user(["finance"]).email)

    assert 'href="/admin/"' not in client.get("/").get_data(as_text=True)


def test_admin_has_a_menu_item_for_admins(client, admin):
    assert 'href="/admin/"' in client.get("/").get_data(as_text=True)


# Users ----------------------------------------------------------------------------------


def test_an_admin_creates_a_user_who_can_sign_in(client, make, admin, new_client):
    make.department("OPS")

    response = client.post(
        "/admin/users/new",
        data=new_user_form(department="OPS", roles=["requester", "approver"]),
    )

    assert response.status_code == 302
    assert "Nora New can now sign in as nora@example.org." in flashes(client.get("/admin/"))
    row = user_row(client, "nora@example.org")
    assert row is not None
    assert "OPS" in row and "approver" in row and "requester" in row and "Active" in row
    browser = new_client()
    assert sign_in(browser, "Nora@Example.org", "a long enough password").status_code == 302
    assert is_signed_in(browser)


def test_the_new_user_form_offers_departments_and_roles(client, make, admin):
    make.department("OPS", "Operations")

    page = client.get("/admin/users/new")

    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert '<option value="OPS">OPS — Operations</option>' in body
    for role in ("requester", "approver", "finance", "executive", "procurement", "admin"):
        assert f'value="{role}"' in body


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "TAKEN@Example.ORG"}, "email"),
        ({"email": "taken@example.org"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "123456789"}, "password"),
        ({"password": None}, "password"),
        ({"roles": None}, "roles"),
        ({"roles": ["emperor"]}, "roles"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "two@@example.org"}, "email"),
        ({"email": None}, "email"),
        ({"name": None}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 201}, "name"),
        ({"department": "NOPE"}, "department"),
    ],
)
def test_bad_input_for_a_new_user_is_shown_beside_the_field(client, make, admin, overrides, field):
    make.user(email="taken@example.org")
    before = admin_page(client)

    response = client.post("/admin/users/new", data=new_user_form(**overrides))

    assert response.status_code == 422
    assert field_errors(response, field), f"no error beside {field}"
    assert admin_page(client) == before
    assert user_row(client, "nora@example.org") is None


def test_a_refused_new_user_keeps_what_was_typed(client, admin):
    response = client.post("/admin/users/new", data=new_user_form(password="short"))

    body = response.get_data(as_text=True)
    assert 'value="nora@example.org"' in body
    assert 'value="Nora New"' in body
    assert "a long enough password" not in body


def test_an_admin_changes_roles_and_department(client, make, admin):
    user = make.user(["requester"], department="IT")
    make.department("FIN")

    response = client.post(
        f"/admin/users/{user.id}",
        data={"name": "Renamed Person", "department": "FIN", "roles": ["finance"], "active": "y"},
    )

    assert response.status_code == 302
    described = me(client, user, make)
    assert described["department"] == "FIN"
    assert described["roles"] == ["finance"]
    assert described["name"] == "Renamed Person"
    assert "Renamed Person is saved." in flashes(client.get("/admin/"))


def test_the_edit_page_shows_the_users_current_roles(client, make, admin):
    user = make.user(["approver", "requester"], department="OPS")

    body = client.get(f"/admin/users/{user.id}").get_data(as_text=True)

    assert re.search(r'<input checked[^>]*value="approver"', body)
    assert re.search(r'<input checked[^>]*value="requester"', body)
    assert not re.search(r'<input checked[^>]*value="finance"', body)
    assert '<option selected value="OPS">' in body


def test_taking_all_roles_away_is_refused(client, make, admin):
    user = make.user(["approver"])

    response = client.post(
        f"/admin/users/{user.id}", data={"name": user.name, "department": "IT", "active": "y"}
    )

    assert response.status_code == 422
    assert field_errors(response, "roles")
    assert me(client, user, make)["roles"] == ["approver"]


def test_an_admin_deactivates_a_user(client, make, admin, new_client):
    user = make.user(["requester"])

    response = client.post(
        f"/admin/users/{user.id}",
        data={"name": user.name, "department": "IT", "roles": ["requester"]},
    )

    assert response.status_code == 302
    assert "Inactive" in user_row(client, user.email)
    assert sign_in(new_client(), user.email).status_code == 200


def test_an_admin_reactivates_a_user(client, make, admin, new_client):
    user = make.user(["requester"], active=False)

    client.post(
        f"/admin/users/{user.id}",
        data={"name": user.name, "department": "IT", "roles": ["requester"], "active": "y"},
    )

    assert "Active" in user_row(client, user.email)
    assert sign_in(new_client(), user.email).status_code == 302


def test_an_admin_cannot_deactivate_themselves(client, admin):
    response = client.post(
        f"/admin/users/{admin.id}",
        data={"name": admin.name, "department": "IT", "roles": ["admin"]},
    )

    assert response.status_code == 403
    assert is_signed_in(client)
    assert "Active" in user_row(client, admin.email)


def test_an_admin_cannot_drop_their_own_admin_role(client, admin):
    response = client.post(
        f"/admin/users/{admin.id}",
        data={"name": admin.name, "department": "IT", "roles": ["requester"], "active": "y"},
    )

    assert response.status_code == 403
    assert admin_page(client)


def test_an_admin_resets_a_password(client, make, admin, new_client):
    user = make.user()

    response = client.post(f"/admin/users/{user.id}/password", data={"password": NEW_PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    assert sign_in(new_client(), user.email, PASSWORD).status_code == 200
    assert sign_in(new_client(), user.email, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize("password", ["short", "", "x" * 201])
def test_a_bad_reset_password_is_shown_beside_the_field(client, make, admin, new_client, password):
    user = make.user()

    response = client.post(f"/admin/users/{user.id}/password", data={"password": password})

    assert response.status_code == 422
    assert field_errors(response, "password")
    assert sign_in(new_client(), user.email, PASSWORD).status_code == 302


@pytest.mark.parametrize("path", ["/admin/users/999999", "/admin/users/99999999999"])
def test_an_unknown_user_is_404(client, admin, path):
    assert client.get(path).status_code == 404
    assert client.post(path + "/password", data={"password": NEW_PASSWORD}).status_code == 404


# Departments ----------------------------------------------------------------------------


def test_an_admin_adds_a_department(client, admin):
    response = client.post("/admin/departments", data={"code": "ops", "name": "Operations"})

    assert response.status_code == 302
    page = admin_page(client)
    assert "OPS Operations" in page
    assert "Department OPS is added." in page


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"code": "IT", "name": "Again"}, "code"),
        ({"code": "it", "name": "Again"}, "code"),
        ({"code": "has space", "name": "Spaced"}, "code"),
        ({"code": "C" * 21, "name": "Long"}, "code"),
        ({"code": "", "name": "Nameless"}, "code"),
        ({"code": "NEW", "name": ""}, "name"),
        ({"code": "NEW", "name": "n" * 201}, "name"),
    ],
)
def test_a_bad_department_is_shown_beside_the_field(client, admin, data, field):
    before = admin_page(client)

    response = client.post("/admin/departments", data=data)

    assert response.status_code == 422
    assert field_errors(response, field)
    assert admin_page(client) == before


def test_an_admin_renames_a_department(client, make, admin):
    make.department("OPS", "Ops")
    department = department_id(client, "OPS")

    form = client.get(f"/admin/departments/{department}")
    response = client.post(f"/admin/departments/{department}", data={"name": "Operations"})

    assert form.status_code == 200 and 'value="Ops"' in form.get_data(as_text=True)
    assert response.status_code == 302
    assert "OPS Operations" in admin_page(client)


def test_renaming_to_nothing_is_refused(client, make, admin):
    make.department("OPS", "Ops")
    department = department_id(client, "OPS")

    response = client.post(f"/admin/departments/{department}", data={"name": "  "})

    assert response.status_code == 422
    assert field_errors(response, "name")
    assert "OPS Ops" in admin_page(client)


def test_an_unknown_department_is_404(client, admin):
    assert client.get("/admin/departments/999999").status_code == 404
    assert client.get("/admin/departments/99999999999").status_code == 404


# Categories ---------------------------------------------------------------------------------


def test_an_admin_adds_a_category(client, admin):
    response = client.post("/admin/categories", data={"name": "Networking", "label": "Networking"})

    assert response.status_code == 302
    assert category_row(client, "networking") == "networking Networking In use Retire"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "hardware", "label": "Again"}, "name"),
        ({"name": "HARDWARE", "label": "Again"}, "name"),
        ({"name": "with space", "label": "Spaced"}, "name"),
        ({"name": "9lives", "label": "Digits first"}, "name"),
        ({"name": "", "label": "Nameless"}, "name"),
        ({"name": "fine", "label": ""}, "label"),
    ],
)
def test_a_bad_category_is_shown_beside_the_field(client, admin, data, field):
    before = admin_page(client)

    response = client.post("/admin/categories", data=data)

    assert response.status_code == 422
    assert field_errors(response, f"category-{field}")  # ids of its own beside the departments'
    assert admin_page(client) == before


def test_an_admin_retires_and_restores_a_category(client, admin):
    client.post("/admin/categories", data={"name": "networking", "label": "Networking"})
    category = category_id(client, "networking")

    retired = client.post(f"/admin/categories/{category}/toggle")
    assert retired.status_code == 302
    assert category_row(client, "networking") == "networking Networking Retired Restore"

    restored = client.post(f"/admin/categories/{category}/toggle")
    assert restored.status_code == 302
    assert category_row(client, "networking") == "networking Networking In use Retire"


def test_built_in_categories_offer_no_retire_button(client, admin):
    assert category_row(client, "hardware") == "hardware Hardware built-in In use"


@pytest.mark.parametrize("referrer", [None, "http://localhost/admin/"])
def test_a_built_in_category_cannot_be_retired(client, db, admin, referrer):
    from procure.models import Category

    hardware = db.session.scalar(db.select(Category).filter_by(name="hardware"))
    headers = {"Referer": referrer} if referrer else {}

    response = client.post(
        f"/admin/categories/{hardware.id}/toggle", headers=headers, follow_redirects=True
    )

    assert response.status_code == 200
    assert "The built-in categories cannot be retired." in flashes(response)
    assert category_row(client, "hardware") == "hardware Hardware built-in In use"


def test_an_unknown_category_is_404(client, admin):
    assert client.post("/admin/categories/999999/toggle").status_code == 404


# Ids that cannot exist ------------------------------------------------------------------


@pytest.mark.parametrize("ident", ["99999999999", "2147483648", "-1"])
def test_no_page_with_an_id_is_a_500_or_a_405(app, client, make, ident):
    """Every page route with an id answers 404 for an id no row can have."""
    everything = make.user(["admin", "finance", "procurement", "approver", "requester"])
    sign_in(client, everything.email)
    routes = [
        (method, rule)
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith("/api/") and "<int:" in rule.rule
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]
    assert routes

    for method, rule in routes:
        path = re.sub(r"<int:\w+>", ident, rule.rule)
        path = re.sub(r"<(?:\w+:)?\w+>", "approve", path)
        response = getattr(client, method.lower())(path, data={})
        assert response.status_code == 404, (method, path, response.status_code)
        assert "Nothing here" in text(response)
