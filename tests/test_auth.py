"""Signing in and out through the pages, sessions, and the security headers."""

from __future__ import annotations

import pytest

from .factories import PASSWORD
from .pages import csrf_token, field_errors, flashes, is_signed_in, text

NEW_PASSWORD = "a brand new passphrase"


def sign_in(client, email: str, password: str = PASSWORD, next: str = ""):
    return client.post("/login", data={"email": email, "password": password, "next": next})


# Signing in -----------------------------------------------------------------------


def test_good_credentials_land_on_the_dashboard(client, make):
    user = make.user(["requester"], name="Grace Hopper")

    response = sign_in(client, user.email)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert "Good to see you, Grace" in text(dashboard)


def test_the_email_address_is_not_case_sensitive(client, make):
    user = make.user(email="mixed.case@example.org")

    response = sign_in(client, "  Mixed.Case@EXAMPLE.org ")

    assert response.status_code == 302
    assert is_signed_in(client)
    assert user.email == "mixed.case@example.org"


def test_the_sign_in_page_shows_the_form(client):
    response = client.get("/login")

    assert response.status_code == 200
    page = text(response)
    assert "Sign in to Procure" in page
    assert "E-mail" in page and "Password" in page


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make):
    user = make.user()

    wrong_password = sign_in(client, user.email, "not the password")
    unknown_email = sign_in(client, "nobody@example.org", "not the password")

    assert wrong_password.status_code == unknown_email.status_code == 200
    message = field_errors(wrong_password, "password")
    assert message, "the page must say that signing in failed"
    assert field_errors(unknown_email, "password") == message
    assert field_errors(wrong_password, "email") == field_errors(unknown_email, "email") == []
    said = " ".join(message).lower()
    assert "e-mail" in said and "password" in said  # one message that names neither alone
    for telltale in ("unknown", "no such", "does not exist", "not registered", "wrong password"):
        assert telltale not in said
    assert not is_signed_in(client)


def test_a_sign_in_without_the_csrf_token_is_refused(app, client, make, csrf):
    user = make.user()

    response = sign_in(client, user.email)

    assert response.status_code == 400
    assert "form has expired" in text(response)
    assert not is_signed_in(client)


def test_a_sign_in_with_the_csrf_token_works(client, make, csrf):
    user = make.user()
    token = csrf_token(client.get("/login"))

    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )

    assert response.status_code == 302
    assert is_signed_in(client)


def test_a_csrf_token_from_another_browser_is_refused(client, new_client, make, csrf):
    user = make.user()
    foreign_token = csrf_token(new_client().get("/login"))
    client.get("/login")

    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": foreign_token}
    )

    assert response.status_code == 400
    assert not is_signed_in(client)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "http://evil.example",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "evil.example",
    ],
)
def test_a_foreign_next_redirects_home(client, make, target):
    user = make.user()

    response = sign_in(client, user.email, next=target)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert is_signed_in(client)


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/"])
def test_a_foreign_next_is_ignored_when_already_signed_in(client, make, target):
    user = make.user()
    sign_in(client, user.email)

    response = client.get("/login", query_string={"next": target})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/admin", "/profile?tab=tokens"])
def test_a_local_next_is_honoured(client, make, target):
    user = make.user(["admin"])

    response = sign_in(client, user.email, next=target)

    assert response.status_code == 302
    assert response.headers["Location"] == target


def test_the_next_of_a_protected_page_survives_the_sign_in_form(client, make):
    user = make.user(["admin"])

    bounced = client.get("/admin/")
    assert bounced.status_code == 302
    form = client.get(bounced.headers["Location"])
    assert 'name="next" type="hidden" value="/admin/"' in form.get_data(as_text=True)

    assert sign_in(client, user.email, next="/admin/").headers["Location"] == "/admin/"


# The throttle ------------------------------------------------------------------------


def test_after_five_failures_even_the_right_password_must_wait(client, make):
    user = make.user()
    for _ in range(5):
        assert sign_in(client, user.email, "guess again").status_code == 200

    response = sign_in(client, user.email, PASSWORD)

    assert response.status_code == 429
    message = " ".join(field_errors(response, "password"))
    assert "wait" in message.lower()
    assert not is_signed_in(client)


def test_the_throttle_applies_to_unknown_addresses_too(client):
    for _ in range(5):
        assert sign_in(client, "ghost@example.org", "guess again").status_code == 200

    response = sign_in(client, "ghost@example.org", "guess again")

    assert response.status_code == 429
    assert "wait" in " ".join(field_errors(response, "password")).lower()


def test_the_throttle_counts_an_address_whatever_its_case(client, make):
    user = make.user(email="casey@example.org")
    for attempt in range(5):
        email = "CASEY@example.org" if attempt % 2 else "casey@EXAMPLE.org"
        sign_in(client, email, "guess again")

    assert sign_in(client, user.email).status_code == 429


def test_the_throttle_holds_back_one_account_not_everyone(client, new_client, make):
    victim, bystander = make.user(), make.user()
    for _ in range(6):
        sign_in(client, victim.email, "guess again")

    other = new_client()
    response = sign_in(other, bystander.email)

    assert response.status_code == 302
    assert is_signed_in(other)


def test_four_failures_do_not_lock_out_the_owner(client, make):
    user = make.user()
    for _ in range(4):
        sign_in(client, user.email, "guess again")

    assert sign_in(client, user.email).status_code == 302
    assert is_signed_in(client)


# Inactive users ----------------------------------------------------------------------


def test_an_inactive_user_cannot_sign_in(client, make):
    user = make.user(active=False)
    unknown = sign_in(client, "nobody@example.org", PASSWORD)

    response = sign_in(client, user.email, PASSWORD)

    assert response.status_code == 200
    assert field_errors(response, "password") == field_errors(unknown, "password")
    assert not is_signed_in(client)


def test_an_inactive_user_cannot_use_an_api_token(client, make, db):
    user = make.user()
    token = make.token(user)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    user.active = False
    db.session.commit()
    response = client.get("/api/v1/me", headers=headers)

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


# The session cookie, signing out ----------------------------------------------------------


def test_the_session_cookie_is_httponly_and_samesite_lax(client, make):
    user = make.user()

    response = sign_in(client, user.email)

    cookies = [
        value
        for value in response.headers.getlist("Set-Cookie")
        if value.startswith("procure_session=")
    ]
    assert len(cookies) == 1
    attributes = {part.strip().lower() for part in cookies[0].split(";")[1:]}
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes


def test_a_fresh_session_at_every_sign_in(client, make):
    """Whatever the browser carried before signing in is not the signed-in session."""
    user = make.user()
    client.get("/login")
    before = client.get_cookie("procure_session")

    sign_in(client, user.email)

    after = client.get_cookie("procure_session")
    assert after is not None
    assert before is None or before.value != after.value


def test_signing_out_is_a_post(client, make):
    user = make.user()
    sign_in(client, user.email)

    page = client.get("/logout")

    assert page.status_code == 200
    assert "Sign out of Procure?" in text(page)
    assert is_signed_in(client)


def test_signing_out_ends_the_session(client, make):
    user = make.user()
    sign_in(client, user.email)

    response = client.post("/logout")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "You are signed out." in flashes(client.get("/login"))
    assert not is_signed_in(client)


def test_signing_out_needs_the_csrf_token(client, make, csrf):
    """Another site cannot sign you out: the sign-out form carries the token."""
    user = make.user()
    client.post(
        "/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": csrf_token(client.get("/login")),
        },
    )
    assert is_signed_in(client)

    forged = client.post("/logout")
    assert forged.status_code == 400
    assert is_signed_in(client)

    real = client.post("/logout", data={"csrf_token": csrf_token(client.get("/logout"))})
    assert real.status_code == 302
    assert not is_signed_in(client)


def test_a_copied_session_cookie_stops_working_after_sign_out(client, new_client, make):
    user = make.user()
    sign_in(client, user.email)
    stolen = client.get_cookie("procure_session").value
    thief = new_client()
    thief.set_cookie("procure_session", stolen)
    assert is_signed_in(thief), "the copy works while the session lasts"

    client.post("/logout")

    assert not is_signed_in(thief)
    assert thief.get("/profile").status_code == 302


def test_changing_the_password_ends_the_other_sessions_only(client, new_client, make):
    user = make.user()
    laptop, phone = client, new_client()
    sign_in(laptop, user.email)
    sign_in(phone, user.email)

    response = laptop.post(
        "/profile/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert sign_in(new_client(), user.email, PASSWORD).status_code == 200
    assert sign_in(new_client(), user.email, NEW_PASSWORD).status_code == 302


def _edit_user(admin_client, user, **overrides):
    data = {
        "name": user.name,
        "department": user.department.code,
        "roles": sorted(role.value for role in user.roles),
        "active": "y",
    }
    data.update(overrides)
    return admin_client.post(f"/admin/users/{user.id}", data={k: v for k, v in data.items() if v})


def test_deactivating_a_user_ends_their_sessions(client, new_client, make):
    admin, user = make.user(["admin"]), make.user()
    sign_in(client, user.email)
    admin_browser = new_client()
    sign_in(admin_browser, admin.email)

    response = _edit_user(admin_browser, user, active=None)

    assert response.status_code == 302
    assert not is_signed_in(client)
    assert sign_in(client, user.email).status_code == 200


def test_resetting_a_password_ends_the_users_sessions(client, new_client, make):
    admin, user = make.user(["admin"]), make.user()
    sign_in(client, user.email)
    admin_browser = new_client()
    sign_in(admin_browser, admin.email)

    response = admin_browser.post(
        f"/admin/users/{user.id}/password", data={"password": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert not is_signed_in(client)
    assert sign_in(client, user.email, NEW_PASSWORD).status_code == 302


def test_editing_a_users_roles_keeps_them_signed_in(client, new_client, make):
    admin, user = make.user(["admin"]), make.user(["requester"])
    sign_in(client, user.email)
    admin_browser = new_client()
    sign_in(admin_browser, admin.email)

    _edit_user(admin_browser, user, roles=["requester", "approver"])

    assert is_signed_in(client)


# Security headers ----------------------------------------------------------------------


def _assert_security_headers(response) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {
        part.strip().split(" ", 1)[0]: part.strip() for part in policy.split(";") if part.strip()
    }
    assert "default-src" in directives
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'"
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    assert response.headers.get("Referrer-Policy") in {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }


@pytest.mark.parametrize("path", ["/login", "/", "/profile", "/no-such-page", "/healthz"])
def test_pages_carry_the_security_headers(client, make, path):
    sign_in(client, make.user().email)

    _assert_security_headers(client.get(path))


def test_a_signed_out_redirect_carries_the_security_headers(client):
    _assert_security_headers(client.get("/"))


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/me", 200),
        ("get", "/api/v1/departments", 200),
        ("get", "/api/v1/openapi.json", 200),
        ("get", "/api/v1/no-such-thing", 404),
        ("delete", "/api/v1/me", 405),
    ],
)
def test_api_answers_carry_the_security_headers(client, make, method, path, status):
    headers = {"Authorization": f"Bearer {make.token(make.user())}"}

    response = getattr(client, method)(path, headers=headers)

    assert response.status_code == status
    _assert_security_headers(response)


def test_an_api_error_without_a_token_carries_the_security_headers(client):
    response = client.get("/api/v1/me")

    assert response.status_code == 401
    _assert_security_headers(response)
