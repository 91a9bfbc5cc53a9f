"""Sessions, headers, GET without side effects, and the security log (ASVS V7, V3,
V8, V16): the session is a new one at sign-in and dies with sign-out, deactivation and
a password change (a copied cookie too); every answer carries the security headers;
no GET changes anything; refused and failed actions are logged, one line each."""

from __future__ import annotations

import logging
import re

import pytest
import sqlalchemy as sa

from procure.extensions import db as _db
from procure.models import AuditHead, PolicyRule, Role
from procure.notifications import services as notifications

from .documents import issued_order
from .factories import PASSWORD
from .pages import csrf_token, is_signed_in

NEW_PASSWORD = "another long passphrase"


def sign_in(client, email: str, password: str = PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


def session_key(app, client) -> str | None:
    """The server-side session id the cookie carries (None when signed out)."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return None
    data = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    return data.get("_user_id")


def copy_cookie(app, source, target) -> None:
    name = app.config["SESSION_COOKIE_NAME"]
    target.set_cookie(name, source.get_cookie(name).value)


# The session ------------------------------------------------------------------------------


def test_every_sign_in_gets_a_new_session_id(app, client, make):
    user = make.user()
    sign_in(client, user.email)
    first = session_key(app, client)
    client.post("/logout")
    assert session_key(app, client) is None

    sign_in(client, user.email)

    second = session_key(app, client)
    assert first and second and first != second


def test_a_cookie_planted_before_sign_in_is_not_signed_in_after(
    app, client, new_client, make, csrf
):
    """Session fixation: the anonymous cookie an attacker hands a victim is worthless."""
    user = make.user()
    token = csrf_token(client.get("/login"))
    planted = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert session_key(app, client) is None

    sign_in(client, user.email, csrf_token=token)

    assert is_signed_in(client)
    assert client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value != planted
    attacker = new_client()
    attacker.set_cookie(app.config["SESSION_COOKIE_NAME"], planted)
    assert not is_signed_in(attacker)


def test_a_copied_cookie_dies_when_the_user_is_deactivated(app, client, new_client, make):
    admin, user = make.user(["admin"]), make.user()
    sign_in(client, user.email)
    thief = new_client()
    copy_cookie(app, client, thief)
    assert is_signed_in(thief)
    admin_browser = new_client()
    sign_in(admin_browser, admin.email)

    response = admin_browser.post(
        f"/admin/users/{user.id}",
        data={"name": user.name, "department": user.department.code, "roles": ["requester"]},
    )

    assert response.status_code == 302
    assert not is_signed_in(thief)
    assert not is_signed_in(client)
    assert thief.get("/profile").status_code == 302


def test_a_password_change_rotates_this_session_and_kills_its_copies(
    app, client, new_client, make
):
    user = make.user()
    sign_in(client, user.email)
    before = session_key(app, client)
    thief = new_client()
    copy_cookie(app, client, thief)
    assert is_signed_in(thief)

    response = client.post(
        "/profile/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert is_signed_in(client), "the person who changed it stays signed in"
    after = session_key(app, client)
    assert after and after != before
    assert not is_signed_in(thief)
    assert thief.get("/profile").status_code == 302


def test_a_refused_password_change_keeps_the_session(app, client, make):
    user = make.user()
    sign_in(client, user.email)
    before = session_key(app, client)

    response = client.post(
        "/profile/password",
        data={"current_password": "not it at all", "new_password": NEW_PASSWORD},
    )

    assert response.status_code == 422
    assert session_key(app, client) == before
    assert is_signed_in(client)


# Every route of the URL map ------------------------------------------------------------------


@pytest.fixture
def world(app, db, make):
    """A user with every role and a document of each kind, so most pages answer 200."""
    admin = make.user([role.value for role in Role], department="IT", name="Ada Admin")
    order = issued_order(make)
    note = notifications.queue(admin, "welcome", path="/")
    db.session.commit()
    return {
        "admin": admin,
        "token": make.token(admin),
        "ids": {
            "pr_id": order.request_id,
            "request_id": order.request_id,
            "order_id": order.id,
            "rfq_id": order.rfq_id,
            "quote_id": order.quote_id,
            "vendor_id": order.vendor_id,
            "notification_id": note.id,
            "user_id": admin.id,
            "department_id": admin.department_id,
            "rule_id": db.session.scalar(sa.select(sa.func.min(PolicyRule.id))),
            "filename": "css/app.css",
        },
    }


def _get_urls(app, ids: dict, *, api: bool) -> list[str]:
    adapter = app.url_map.bind("procure.test")
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if "GET" not in rule.methods or rule.rule.startswith("/api") != api:
            continue
        values = {}
        for name in rule.arguments:
            converter = rule._converters[name]
            values[name] = ids.get(name, 1 if hasattr(converter, "num_convert") else "x")
        urls.append(adapter.build(rule.endpoint, values, method="GET"))
    return urls


def fetch(client, url: str, **kwargs):
    """GET ``url`` and close the answer (static files are streamed from disk)."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def assert_security_headers(response, url: str) -> None:
    where = f"{url} ({response.status_code})"
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name] = value
    assert "default-src" in directives, where
    script = directives.get("script-src", directives["default-src"])
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, where
    frame_ancestors = directives.get("frame-ancestors") == "'none'"
    assert frame_ancestors or response.headers.get("X-Frame-Options") == "DENY", where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Cross-Origin-Resource-Policy") == "same-origin", where
    if not url.startswith("/static/"):
        assert response.headers.get("Cache-Control") == "private, no-store", where
    assert response.headers.get("Referrer-Policy") in {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }, where


def test_the_url_map_is_walked_whole(app, world):
    pages = _get_urls(app, world["ids"], api=False)
    api = _get_urls(app, world["ids"], api=True)
    gets = [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods]

    assert len(pages) + len(api) == len(gets)
    assert "/static/css/app.css" in pages and "/api/v1/openapi.json" in api


def test_every_page_carries_the_security_headers(app, client, world):
    sign_in(client, world["admin"].email)
    statuses = {}
    for url in _get_urls(app, world["ids"], api=False):
        response = fetch(client, url)
        statuses[url] = response.status_code
        assert_security_headers(response, url)
    # the walk reached real pages, not just errors
    assert sum(status == 200 for status in statuses.values()) > len(statuses) // 2, statuses


def test_every_page_signed_out_carries_the_security_headers(app, client, world):
    for url in _get_urls(app, world["ids"], api=False):
        assert_security_headers(fetch(client, url), url)


def test_every_api_answer_carries_the_security_headers(app, client, world):
    bearer = {"Authorization": f"Bearer {world['token']}"}
    for url in _get_urls(app, world["ids"], api=True):
        assert_security_headers(fetch(client, url, headers=bearer), url)
        assert_security_headers(fetch(client, url), url)  # 401 without the token


def test_error_pages_carry_the_security_headers(app, client, world, monkeypatch):
    sign_in(client, world["admin"].email)
    assert_security_headers(client.get("/no-such-page"), "404 page")
    assert_security_headers(client.delete("/requests"), "405 page")
    assert_security_headers(client.get("/api/v1/no-such-thing"), "404 JSON")

    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setitem(app.view_functions, "main.healthz", broken)
    monkeypatch.setattr(logging.getLogger("procure"), "disabled", True)
    failed = client.get("/healthz")
    assert failed.status_code == 500
    assert_security_headers(failed, "500 page")


# No state change on GET -------------------------------------------------------------------


def _state(db) -> dict:
    """Every row of every table, and the audit head."""
    tables = {}
    for table in _db.metadata.sorted_tables:
        columns = [c for c in table.columns if (table.name, c.name) not in BOOKKEEPING]
        rows = db.session.execute(sa.select(*columns)).all()
        tables[table.name] = sorted(map(repr, rows))
    head = db.session.get(AuditHead, 1, populate_existing=True)
    return {"tables": tables, "audit_head": (head.seq, head.hash)}


# When an API token was last used: noted on a GET (in a short transaction of its own), as
# bookkeeping, not a change to anything a person made.
BOOKKEEPING = {("api_tokens", "last_used_at")}


def test_no_get_changes_anything(app, client, db, world):
    sign_in(client, world["admin"].email)
    bearer = {"Authorization": f"Bearer {world['token']}"}
    client.get("/api/v1/me", headers=bearer)
    before = _state(db)

    answered = []
    for url in _get_urls(app, world["ids"], api=False):
        answered.append((url, fetch(client, url).status_code))
    for url in _get_urls(app, world["ids"], api=True):
        answered.append((url, fetch(client, url, headers=bearer).status_code))
    db.session.expire_all()
    after = _state(db)

    assert after["audit_head"] == before["audit_head"]
    changed = [
        name for name in before["tables"] if before["tables"][name] != after["tables"][name]
    ]
    assert changed == [], f"GET changed {changed}"
    assert all(status < 500 for _url, status in answered), answered


def test_opening_a_notification_is_a_post(app, client, world):
    sign_in(client, world["admin"].email)
    note_id = world["ids"]["notification_id"]

    page = client.get("/notifications").get_data(as_text=True)

    form = re.search(rf'<form method="post" action="/notifications/{note_id}"', page)
    assert form, "each notification opens through a small form"
    assert client.get(f"/notifications/{note_id}").status_code == 405
    opened = client.post(f"/notifications/{note_id}")
    assert opened.status_code == 303 and opened.location == "/"


# The security log ----------------------------------------------------------------------------


@pytest.fixture
def security_log(caplog):
    caplog.set_level(logging.INFO, logger="procure.security")

    def lines() -> list[str]:
        return [
            record.getMessage() for record in caplog.records if record.name == "procure.security"
        ]

    return lines


LINE = re.compile(
    r"event=(?P<event>\w+) at=(?P<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) "
    r"user=(?P<user>\S+) remote=(?P<remote>\S+) request='(?P<request>[^']*)'(?P<details>.*)"
)


def _parsed(lines: list[str], event: str) -> list[dict]:
    found = []
    for line in lines:
        assert "\n" not in line and "\r" not in line, line
        match = LINE.fullmatch(line)
        assert match, line
        if match["event"] == event:
            found.append(match.groupdict())
    return found


def test_a_failed_sign_in_is_logged_without_the_password(client, make, security_log):
    user = make.user()

    sign_in(client, user.email, "my secret guess 123", environ_base={"REMOTE_ADDR": "x"})
    client.post(
        "/login",
        data={"email": user.email, "password": "my secret guess 123"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )

    (_, event) = _parsed(security_log(), "sign_in_failed")
    assert event["user"] == "anonymous"
    assert event["remote"] == "198.51.100.7"
    assert event["request"] == "POST /login"
    assert f"email={user.email!r}" in event["details"]
    assert all("my secret guess" not in line for line in security_log())


def test_a_throttled_sign_in_is_logged_as_such(client, make, security_log):
    user = make.user()
    for _ in range(6):
        sign_in(client, user.email, "guess again")

    assert len(_parsed(security_log(), "sign_in_failed")) == 5
    (throttled,) = _parsed(security_log(), "sign_in_throttled")
    assert user.email in throttled["details"]


def test_an_api_sign_in_failure_is_logged(client, make, security_log):
    user = make.user()

    response = client.post(
        "/api/v1/auth/token", json={"email": user.email, "password": "wrong one", "name": "x"}
    )

    assert response.status_code == 401
    (event,) = _parsed(security_log(), "sign_in_failed")
    assert event["request"] == "POST /api/v1/auth/token" and user.email in event["details"]


def test_a_control_character_cannot_forge_a_log_line(client, security_log):
    sign_in(client, "mallory@example.org\nevent=sign_in_ok user=1:admin@example.org", "x")

    lines = security_log()
    assert len(lines) == 1
    (event,) = _parsed(lines, "sign_in_failed")
    assert "\\n" in event["details"]


def test_a_refused_page_action_is_logged_with_who(client, make, security_log):
    requester = make.user(["requester"])
    sign_in(client, requester.email)

    assert client.get("/budgets/").status_code == 403

    (event,) = _parsed(security_log(), "forbidden")
    assert event["user"] == f"{requester.id}:{requester.email}"
    assert event["request"] == "GET /budgets/"
    assert event["remote"] == "127.0.0.1"
    assert "Budgets are for" in event["details"]


def test_a_refused_api_call_is_logged_with_who(client, make, api, security_log):
    requester = make.user(["requester"])

    assert api(requester).get("/api/v1/audit").status_code == 403

    (event,) = _parsed(security_log(), "forbidden")
    assert event["user"] == f"{requester.id}:{requester.email}"
    assert event["request"] == "GET /api/v1/audit"


def test_a_csrf_failure_is_logged(client, make, csrf, security_log):
    user = make.user()

    assert sign_in(client, user.email).status_code == 400

    (event,) = _parsed(security_log(), "csrf_failed")
    assert event["user"] == "anonymous" and event["request"] == "POST /login"


def test_an_invalid_or_missing_token_is_logged(client, make, security_log):
    secret = make.token(make.user())

    client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-real-token"})
    client.get("/api/v1/me")

    events = _parsed(security_log(), "invalid_token")
    assert [e["request"] for e in events] == ["GET /api/v1/me"] * 2
    assert all(e["user"] == "anonymous" for e in events)
    assert all("not-a-real-token" not in line and secret not in line for line in security_log())
