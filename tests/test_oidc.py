"""Signing in through OpenID Connect, against the real oidc-provider (Node.js) and
against a rogue provider whose ID tokens the tests shape."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
import sqlalchemy as sa
from markupsafe import escape

from procure.auth import oidc_views
from procure.identity import oidc
from procure.models import AuditEvent, ExternalIdentity, Role, User

from .oidc_support import (
    CLIENT_ID,
    NodeProvider,
    RogueProvider,
    free_port,
    procure_settings,
    sign_in_at_provider,
)

# The test app's PROCURE_BASE_URL (tests/conftest.py).
CALLBACK = "http://procure.test/login/oidc/callback"
AFTER_SIGN_OUT = "http://procure.test/login"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    started = NodeProvider(
        tmp_path_factory.mktemp("oidc"),
        redirect_uris=[CALLBACK],
        post_logout_redirect_uris=[AFTER_SIGN_OUT],
    ).start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def rogue():
    started = RogueProvider().start()
    yield started
    started.stop()


@contextlib.contextmanager
def settings(app, values):
    saved = {key: app.config[key] for key in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(saved)


@pytest.fixture
def at_provider(app, provider, make):
    make.department("IT")
    make.department("FIN")
    with settings(app, procure_settings(provider.issuer)):
        yield provider


@pytest.fixture
def at_rogue(app, rogue, make):
    make.department("IT")
    rogue.reset()
    with settings(app, procure_settings(rogue.issuer)):
        yield rogue


@pytest.fixture
def security_log(caplog):
    caplog.set_level(logging.INFO, logger="procure.security")

    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "procure.security"]

    return lines


def begin(client, next_url: str | None = None) -> str:
    """Press the provider's button; the provider's address the browser is sent to."""
    response = client.get("/login/oidc" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def call_back(client, callback_url: str):
    """Follow the provider's redirect back to Procure, as the browser does."""
    parts = urlsplit(callback_url)
    assert parts.path == "/login/oidc/callback"
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(client, provider: NodeProvider, login: str, next_url: str | None = None):
    return call_back(client, sign_in_at_provider(begin(client, next_url), login))


def user_by_email(db, email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_oidc_paths_are_not_found_when_oidc_is_not_configured(client):
    assert client.get("/login/oidc").status_code == 404
    assert client.get("/login/oidc/callback?code=x&state=y").status_code == 404


def test_the_sign_in_request_uses_pkce_state_and_nonce(client, at_provider):
    query = parse_qs(urlsplit(begin(client)).query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [CALLBACK]
    assert query["code_challenge_method"] == ["S256"]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32


def test_a_first_sign_in_creates_the_account_with_the_roles_of_its_groups(
    client, db, at_provider, security_log
):
    account = at_provider.set_account(
        "ada.first", groups=["procure-requesters", "procure-approvers"], department="FIN"
    )
    response = sign_in(client, at_provider, "ada.first", next_url="/profile")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/profile")
    user = user_by_email(db, account["email"])
    assert user is not None and user.active
    assert set(user.roles) == {Role.REQUESTER, Role.APPROVER}
    assert user.department.code == "FIN"
    assert user.name == "Ada First"
    assert user.password_hash is None
    assert user.source == "oidc"
    link = db.session.scalar(
        sa.select(ExternalIdentity).where(ExternalIdentity.user_id == user.id)
    )
    assert (link.issuer, link.subject) == (at_provider.issuer, account["sub"])
    # Signed in: the profile page shows who.
    page = client.get("/profile")
    assert page.status_code == 200 and account["email"] in page.text
    assert any("event=sign_in " in line and "'oidc'" in line for line in security_log())
    with client.session_transaction() as session:
        assert session["oidc_id_token"].count(".") == 2


def test_a_second_sign_in_after_a_group_change_updates_the_roles_audited(client, db, at_provider):
    at_provider.set_account("bob.mover", groups=["procure-requesters", "procure-approvers"])
    assert sign_in(client, at_provider, "bob.mover").status_code == 302
    client.post("/logout")
    # Moved out of the approvers, and a new address at the provider: the same account.
    account = at_provider.set_account(
        "bob.mover", groups=["procure-requesters"], email="robert.mover@corp.example"
    )
    assert sign_in(client, at_provider, "bob.mover").status_code == 302
    user = user_by_email(db, "robert.mover@corp.example")
    assert set(user.roles) == {Role.REQUESTER}
    assert user_by_email(db, "bob.mover@corp.example") is None
    link = db.session.scalar(
        sa.select(ExternalIdentity).where(ExternalIdentity.user_id == user.id)
    )
    assert link.subject == account["sub"]
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.entity == "user", AuditEvent.entity_id == user.id)
        .order_by(AuditEvent.id)
    ).all()
    last = json.loads(events[-1].changes)
    assert events[-1].action == "sync" and last["via"] == "oidc"
    assert last["roles"] == [["approver", "requester"], ["requester"]]
    assert last["email"] == ["bob.mover@corp.example", "robert.mover@corp.example"]


def test_a_next_address_on_another_site_is_not_followed(client, at_provider):
    at_provider.set_account("hal.next", groups=["procure-requesters"])
    response = sign_in(client, at_provider, "hal.next", next_url="https://evil.example/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/"
    assert "evil.example" not in response.headers["Location"]


def test_someone_whose_groups_give_no_role_is_told_whom_to_ask(client, db, at_provider):
    account = at_provider.set_account("carl.nobody", groups=["marketing"])
    response = sign_in(client, at_provider, "carl.nobody")
    assert response.status_code == 403
    assert "none of your groups gives you a role" in response.text
    # The account is made (it may be given a role later) but nobody is signed in.
    user = user_by_email(db, account["email"])
    assert user is not None and set(user.roles) == set()
    assert client.get("/profile").status_code == 302


def test_a_state_that_does_not_match_is_refused_and_logged(client, db, at_provider, security_log):
    account = at_provider.set_account("dora.state", groups=["procure-requesters"])
    callback = sign_in_at_provider(begin(client), "dora.state")
    parts = urlsplit(callback)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    query["state"] = "not-the-state-this-browser-was-given"
    response = client.get(f"{parts.path}?{urlencode(query)}")
    assert response.status_code == 400
    assert "does not belong to a sign-in started in this browser" in response.text
    assert user_by_email(db, account["email"]) is None
    assert any("sign_in_refused" in line and "'bad_state'" in line for line in security_log())
    # The attempt is spent: the right state does not work afterwards either.
    assert call_back(client, callback).status_code == 400


def test_a_callback_no_sign_in_started_is_refused(client, at_provider, new_client):
    at_provider.set_account("eve.other", groups=["procure-requesters"])
    callback = sign_in_at_provider(begin(client), "eve.other")
    # Another browser (no pending sign-in in its session) brings the same answer.
    assert call_back(new_client(), callback).status_code == 400


def test_a_refusal_at_the_provider_is_shown_clearly(client, db, at_provider, security_log):
    state = parse_qs(urlsplit(begin(client)).query)["state"][0]
    query = urlencode({"error": "access_denied", "state": state, "iss": at_provider.issuer})
    response = client.get(f"/login/oidc/callback?{query}")
    assert response.status_code == 400
    assert "did not sign you in (access denied)" in response.text
    assert any("'provider_error'" in line for line in security_log())


def test_a_provider_that_cannot_be_reached_gives_a_page_not_an_error(app, client, make):
    unreachable = f"http://127.0.0.1:{free_port()}"
    with settings(app, procure_settings(unreachable)):
        response = client.get("/login/oidc")
    assert response.status_code == 502
    assert '<h1 class="h4 mb-3">Sign-in unavailable</h1>' in response.text
    assert "The company sign-in service cannot be used just now" in response.text


def test_a_discovery_document_of_another_issuer_is_not_trusted(app, client, make):
    impostor = RogueProvider().start()
    impostor.discovery_overrides["issuer"] = "https://login.example.com"
    try:
        with settings(app, procure_settings(impostor.issuer)):
            response = client.get("/login/oidc")
    finally:
        impostor.stop()
    assert response.status_code == 502
    assert "did not answer, or not as expected" in response.text


def test_a_code_is_exchanged_once(app, client, db, at_provider, security_log):
    at_provider.set_account("gus.twice", groups=["procure-requesters"])
    authorize = begin(client)
    copied = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    callback = sign_in_at_provider(authorize, "gus.twice")
    assert call_back(client, callback).status_code == 302
    client.post("/logout")
    # The same answer again, with a copy of the session that started it: the provider
    # itself refuses a code it has already exchanged.
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], copied)
    response = call_back(client, callback)
    assert response.status_code == 400
    assert "The provider refused the sign-in code (invalid_grant)" in response.text
    assert any("'bad_code'" in line for line in security_log())


def test_sign_out_at_the_provider_carries_the_id_token_hint(app, client, at_provider):
    at_provider.set_account("fay.out", groups=["procure-requesters"])
    browser = requests.Session()
    call_back(client, sign_in_at_provider(begin(client), "fay.out", browser=browser))
    with client.session_transaction() as session:
        id_token = session["oidc_id_token"]
    with app.test_request_context():
        url = oidc.end_session_url(id_token, AFTER_SIGN_OUT)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == at_provider.issuer
    query = parse_qs(parts.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == [AFTER_SIGN_OUT]
    # The provider accepts it: it asks the person to confirm, then sends them back.
    page = browser.get(url, timeout=10)
    assert page.status_code == 200 and "Sign out of the test identity provider?" in page.text
    action = page.text.split('action="', 1)[1].split('"', 1)[0]
    xsrf = page.text.split('name="xsrf" value="', 1)[1].split('"', 1)[0]
    confirmed = browser.post(
        action, data={"xsrf": xsrf, "logout": "yes"}, allow_redirects=False, timeout=10
    )
    assert confirmed.is_redirect and confirmed.headers["Location"] == AFTER_SIGN_OUT


def test_the_page_after_sign_out_moves_on_to_the_provider(app, at_provider):
    with app.test_request_context():
        page = oidc_views.leave_at_provider("header.claims.signature")
        assert oidc_views.leave_at_provider(None) is None
    url = oidc.end_session_url("header.claims.signature", AFTER_SIGN_OUT)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # It moves on by itself, and offers the link (escaped in the page).
    assert f'http-equiv="refresh" content="0; url={escape(url)}"' in html
    assert "Continue to sign out of Example Corp sign-in" in html


def test_no_provider_sign_out_without_oidc(app):
    with app.test_request_context():
        assert oidc.end_session_url("a.b.c", AFTER_SIGN_OUT) is None
        assert oidc_views.leave_at_provider("a.b.c") is None


# --- A provider that misbehaves ------------------------------------------------------


def sign_in_at_rogue(client):
    authorize = begin(client)
    answer = requests.get(authorize, allow_redirects=False, timeout=10)
    return call_back(client, answer.headers["Location"])


def expired(rogue):
    now = int(time.time())
    rogue.claims.update(iat=now - 7200, exp=now - 3600)


def from_the_future(rogue):
    now = int(time.time())
    rogue.claims.update(iat=now + 3600, exp=now + 7200)


TAMPERING = {
    "signed by another key under the published key id": (
        lambda rogue: rogue.sign_with_unpublished_key("rogue-1"),
        "bad_signature",
    ),
    "signed by a key the provider does not publish": (
        lambda rogue: rogue.sign_with_unpublished_key("attacker"),
        "bad_signature",
    ),
    "not signed (alg none)": (lambda rogue: setattr(rogue, "signer", None), "bad_signature"),
    "for another audience": (
        lambda rogue: rogue.claims.update(aud="another-app"),
        "bad_audience",
    ),
    "for several audiences, issued to another": (
        lambda rogue: rogue.claims.update(aud=[CLIENT_ID, "another-app"], azp="another-app"),
        "bad_audience",
    ),
    "expired": (expired, "expired_token"),
    "dated in the future": (from_the_future, "bad_token"),
    "from another issuer": (
        lambda rogue: rogue.claims.update(iss="https://evil.example"),
        "bad_issuer",
    ),
    "for another sign-in (nonce)": (
        lambda rogue: rogue.claims.update(nonce="a-nonce-of-another-sign-in"),
        "bad_nonce",
    ),
}


@pytest.mark.parametrize("tamper", TAMPERING.values(), ids=list(TAMPERING))
def test_a_tampered_id_token_is_refused_nothing_created_and_logged(
    client, db, at_rogue, security_log, tamper
):
    change, reason = tamper
    change(at_rogue)
    users, links = count(db, User), count(db, ExternalIdentity)
    response = sign_in_at_rogue(client)
    assert response.status_code == 400, response.text
    assert "Start the sign-in again" in response.text
    assert (count(db, User), count(db, ExternalIdentity)) == (users, links)
    assert client.get("/profile").status_code == 302
    assert any("sign_in_refused" in line and f"'{reason}'" in line for line in security_log()), (
        security_log()
    )


def test_a_replayed_nonce_is_refused(app, client, db, at_rogue, security_log):
    authorize = begin(client)
    # A copy of this browser's cookie while the sign-in is under way: what an attacker
    # who saw both the cookie and the answer could replay.
    copied = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    callback = requests.get(authorize, allow_redirects=False, timeout=10).headers["Location"]
    assert call_back(client, callback).status_code == 302
    users, links = count(db, User), count(db, ExternalIdentity)
    client.post("/logout")
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], copied)
    # The rogue provider takes its code again and issues a new token with the same nonce.
    response = call_back(client, callback)
    assert response.status_code == 400
    assert "already used" in response.text
    assert (count(db, User), count(db, ExternalIdentity)) == (users, links)
    assert any("'replay'" in line for line in security_log())


def test_a_new_key_id_fetches_the_keys_again_and_is_accepted(client, new_client, db, at_rogue):
    assert sign_in_at_rogue(client).status_code == 302
    fetched = at_rogue.jwks_requests
    # The keys are kept: a second sign-in with the same key fetches nothing.
    at_rogue.subject = "same-key-subject"
    assert sign_in_at_rogue(new_client()).status_code == 302
    assert at_rogue.jwks_requests == fetched
    at_rogue.rotate("rogue-2")
    at_rogue.subject = "rotated-subject"
    assert sign_in_at_rogue(new_client()).status_code == 302
    assert at_rogue.jwks_requests == fetched + 1
    assert user_by_email(db, "rotated-subject@corp.example") is not None


def test_a_token_without_a_key_id_is_tried_against_each_signing_key(client, db, at_rogue):
    """Some providers name no key; the JWKS may also hold keys Procure cannot use."""
    at_rogue.published = [RogueProvider._new_key("other"), at_rogue.key]
    at_rogue.extra_jwks = [
        {"kty": "unknown-kind", "kid": "odd"},
        {"kty": "RSA", "use": "enc", "kid": "for-encryption", "n": "AQAB", "e": "AQAB"},
    ]
    at_rogue.with_kid = False
    assert sign_in_at_rogue(client).status_code == 302
    assert user_by_email(db, f"{at_rogue.subject}@corp.example") is not None


@pytest.mark.parametrize(
    ("answer", "status", "reason"),
    [
        ((200, {"access_token": "x", "token_type": "Bearer"}), 400, "bad_token"),
        ((200, ["not", "a", "token", "response"]), 502, "provider_unreachable"),
        (
            (200, {"access_token": "x", "token_type": "Bearer", "expires_in": [1]}),
            502,
            "provider_unreachable",
        ),
        ((500, {"message": "down for maintenance"}), 502, "provider_unreachable"),
    ],
    ids=["no ID token", "not an object", "nonsense expiry", "server error"],
)
def test_a_token_endpoint_answering_nonsense_gives_a_page(
    client, db, at_rogue, security_log, answer, status, reason
):
    at_rogue.token_answer = answer
    users = count(db, User)
    response = sign_in_at_rogue(client)
    assert response.status_code == status
    assert count(db, User) == users
    assert any(f"'{reason}'" in line for line in security_log())
