"""The profile page: changing one's password, API tokens."""

from __future__ import annotations

import re

import pytest

from .factories import PASSWORD
from .pages import field_errors, flashes, is_signed_in, text

NEW_PASSWORD = "my new long passphrase"


@pytest.fixture
def user(client, make):
    """A requester, signed in with ``client``."""
    person = make.user(["requester"], name="Pat Profile", department="OPS")
    assert (
        client.post("/login", data={"email": person.email, "password": PASSWORD}).status_code
        == 302
    )
    return person


def sign_in(client, email: str, password: str):
    return client.post("/login", data={"email": email, "password": password})


def change_password(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(
        "/profile/password",
        data={"current_password": current, "new_password": new, "confirm": confirm or new},
    )


def new_token(client, name: str = "inventory sync") -> str:
    response = client.post("/profile/tokens", data={"name": name})
    assert response.status_code == 200
    match = re.search(r'<code class="new-token[^"]*">([^<]+)</code>', response.get_data(True))
    assert match, "the new token is not shown"
    return match.group(1)


def me(client, token: str):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def revoke_urls(client) -> list[str]:
    return re.findall(
        r'action="(/profile/tokens/\d+/revoke)"', client.get("/profile").get_data(True)
    )


def test_the_profile_shows_who_i_am(client, user):
    response = client.get("/profile")

    assert response.status_code == 200
    page = text(response)
    assert "Pat Profile" in page and user.email in page and "OPS" in page and "requester" in page
    assert "You have no API tokens." in page


def test_the_profile_needs_a_sign_in(client):
    response = client.get("/profile")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


# The password ----------------------------------------------------------------------------


def test_changing_the_password(client, user, new_client):
    response = change_password(client)

    assert response.status_code == 302
    assert response.headers["Location"] == "/profile"
    assert any(
        "Your password is changed." in message for message in flashes(client.get("/profile"))
    )
    assert sign_in(new_client(), user.email, PASSWORD).status_code == 200
    assert sign_in(new_client(), user.email, NEW_PASSWORD).status_code == 302


def test_a_wrong_current_password_is_shown_beside_the_field(client, user, new_client):
    response = change_password(client, current="not my password")

    assert response.status_code == 422
    assert field_errors(response, "current_password") == ["This is not your current password."]
    assert field_errors(response, "new_password") == []
    assert is_signed_in(client)
    assert sign_in(new_client(), user.email, PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("new", "confirm", "field"),
    [
        ("short", "short", "new_password"),
        ("", "", "new_password"),
        ("x" * 201, "x" * 201, "new_password"),
        (NEW_PASSWORD, NEW_PASSWORD + "!", "confirm"),
    ],
)
def test_a_bad_new_password_is_shown_beside_the_field(
    client, user, new_client, new, confirm, field
):
    response = client.post(
        "/profile/password",
        data={"current_password": PASSWORD, "new_password": new, "confirm": confirm},
    )

    assert response.status_code == 422
    assert field_errors(response, field)
    assert sign_in(new_client(), user.email, PASSWORD).status_code == 302


def test_a_wrong_current_password_is_not_a_sign_in_attempt(client, user, new_client):
    for _ in range(6):
        change_password(client, current="not my password")

    assert sign_in(new_client(), user.email, PASSWORD).status_code == 302


# API tokens -----------------------------------------------------------------------------


def test_a_new_token_is_shown_once_and_works(client, user):
    token = new_token(client)

    assert token.startswith("prc_")
    response = me(client, token)
    assert response.status_code == 200
    assert response.get_json()["email"] == user.email
    again = client.get("/profile").get_data(as_text=True)
    assert token not in again
    assert "inventory sync" in again
    assert token[:10] in again  # the hint that tells tokens apart


def test_each_token_is_listed_with_its_name(client, user):
    new_token(client, "first script")
    new_token(client, "second script")

    page = text(client.get("/profile"))

    assert "first script" in page and "second script" in page
    assert len(revoke_urls(client)) == 2


def test_a_token_name_is_required(client, user):
    response = client.post("/profile/tokens", data={"name": ""})

    assert response.status_code == 422
    assert field_errors(response, "name")
    assert revoke_urls(client) == []


def test_a_revoked_token_is_refused(client, user):
    token = new_token(client)
    (revoke,) = revoke_urls(client)

    response = client.post(revoke)

    assert response.status_code == 302
    assert "The token is revoked." in flashes(client.get("/profile"))
    refused = me(client, token)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "unauthorized"
    assert revoke_urls(client) == []
    assert "Revoked" in text(client.get("/profile"))


def test_revoking_one_token_leaves_the_others(client, user):
    keep = new_token(client, "keep")
    drop = new_token(client, "drop")
    newest_first = revoke_urls(client)

    client.post(newest_first[0])

    assert me(client, drop).status_code == 401
    assert me(client, keep).status_code == 200


def test_nobody_revokes_another_users_token(client, make, user, new_client):
    token = new_token(client)
    (revoke,) = revoke_urls(client)
    other = new_client()
    sign_in(other, make.user().email, PASSWORD)

    response = other.post(revoke)

    assert response.status_code == 404
    assert me(client, token).status_code == 200


def test_an_unknown_token_is_404(client, user):
    assert client.post("/profile/tokens/999999/revoke").status_code == 404
    assert client.post("/profile/tokens/99999999999/revoke").status_code == 404


def test_signing_out_leaves_tokens_working(client, user):
    token = new_token(client)

    client.post("/logout")

    assert me(client, token).status_code == 200


def test_reloading_the_answer_does_not_create_a_second_token(app, make, db):
    import re

    from procure.models import ApiToken

    user = make.user(["requester"])
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    page = client.get("/profile").get_data(as_text=True)
    once = re.search(r'name="once" type="hidden" value="([^"]+)"', page).group(1)
    first = client.post("/profile/tokens", data={"name": "sync", "once": once})
    assert first.status_code == 200 and "prc_" in first.get_data(as_text=True)
    again = client.post("/profile/tokens", data={"name": "sync", "once": once})
    assert again.status_code == 302
    count = db.session.scalar(
        db.select(db.func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id)
    )
    assert count == 1
