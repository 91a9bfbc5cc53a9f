"""Signing in through SAML in the browser: the button on /login, the identity provider's
page (pysaml2's IdP on loopback, tests/idp/saml), back to Procure's dashboard with the
roles of the person's groups; the groups change, the next sign-in follows; sign-out."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from ..idp.saml import SamlIdentityProvider
from ..saml_support import (  # noqa: F401 -- the saml_idp fixture
    BUTTON_NAME,
    live_settings,
    person,
    saml_idp_fixture,
)
from .live import LOGIN_PATH, LiveServer, start_live_server

pytestmark = [pytest.mark.e2e, pytest.mark.every_database]


@pytest.fixture(scope="module")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, database_for, saml_idp: SamlIdentityProvider
) -> Iterator[LiveServer]:
    """A Procure of this module's own, signing in through the IdP; the IdP reads its
    metadata from the server, as one registered with the URL would."""
    server = start_live_server(
        tmp_path_factory.mktemp("saml_live"),
        config=live_settings(saml_idp),
        database_uri=database_for("saml_journey"),
    )
    saml_idp.sp_metadata = server.url + "/saml/metadata"
    yield server
    server.stop()


def grace(groups: list[str]) -> dict:
    return {
        "grace": person(
            "grace-7f3a",
            mail="grace.hopper@corp.example",
            name="Grace Hopper",
            groups=groups,
            department="IT",
        )
    }


def sign_in_at_the_idp(
    page: Page, live_server: LiveServer, idp: SamlIdentityProvider, username: str = "grace"
) -> None:
    """Press the SAML button on /login and sign in at the IdP's page as ``username``;
    the IdP's page posts the answer back to Procure by itself."""
    page.goto(live_server.url + "/login")
    page.get_by_role("link", name=f"Sign in with {BUTTON_NAME}").click()
    expect(page).to_have_url(re.compile(re.escape(idp.url + "/sso/redirect?")))
    page.get_by_label("Username").fill(username)
    page.get_by_role("button", name="Sign in at the IdP").click()


def sign_out(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Grace Hopper").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("alert")).to_contain_text("You are signed out.")


def test_a_person_signs_in_through_saml_and_keeps_in_step_with_their_groups(
    page: Page, live_server: LiveServer, saml_idp: SamlIdentityProvider
) -> None:
    saml_idp.set_users(grace(["procure-approvers"]))
    sign_in_at_the_idp(page, live_server, saml_idp)
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Good to see you, Grace")
    expect(page.get_by_text("Information Technology · approver")).to_be_visible()

    sign_out(page)
    expect(page).to_have_url(LOGIN_PATH)
    page.goto(live_server.url + "/")
    expect(page).to_have_url(LOGIN_PATH)

    # Moved from the approvers to the requesters at the IdP: the next sign-in follows.
    saml_idp.set_users(grace(["procure-requesters"]))
    sign_in_at_the_idp(page, live_server, saml_idp)
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_text("Information Technology · requester")).to_be_visible()
    expect(page.get_by_text("Information Technology · approver")).to_have_count(0)


def test_a_person_whose_groups_give_no_role_is_told_so_and_not_signed_in(
    page: Page, live_server: LiveServer, saml_idp: SamlIdentityProvider
) -> None:
    saml_idp.set_users(
        {
            "linus": person(
                "linus-0b1c", mail="linus@corp.example", name="Linus Nobody", groups=["marketing"]
            )
        }
    )
    sign_in_at_the_idp(page, live_server, saml_idp, "linus")

    expect(page.get_by_role("heading", level=1)).to_have_text("No access yet")
    page.goto(live_server.url + "/")
    expect(page).to_have_url(LOGIN_PATH)
