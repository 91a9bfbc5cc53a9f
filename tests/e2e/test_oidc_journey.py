"""Signing in with the company's OpenID Connect provider, in the browser: the real
oidc-provider (Node.js) and a live Procure, on either database."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from ..oidc_support import NodeProvider, free_port, procure_settings
from .live import LOGIN_PATH, start_live_server

pytestmark = [pytest.mark.e2e, pytest.mark.every_database]

BUTTON = "Sign in with Example Corp sign-in"


@pytest.fixture(scope="module")
def provider_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory, database_for, provider_port):
    """A Procure of this module's own, whose provider is the one below (its address is
    chosen first: Procure needs the issuer, the provider Procure's redirect URIs)."""
    server = start_live_server(
        tmp_path_factory.mktemp("oidc-live"),
        config=procure_settings(f"http://127.0.0.1:{provider_port}"),
        database_uri=database_for("oidc_journey"),
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def provider(tmp_path_factory, live_server, provider_port):
    started = NodeProvider(
        tmp_path_factory.mktemp("oidc-provider"),
        redirect_uris=[live_server.url + "/login/oidc/callback"],
        post_logout_redirect_uris=[live_server.url + "/login"],
        port=provider_port,
    ).start()
    yield started
    started.stop()


def sign_in_with_provider(page: Page, live_server, login: str) -> None:
    """What a person does: the button on Procure's sign-in page, then the provider's form."""
    page.goto(live_server.url + "/login")
    page.get_by_role("link", name=BUTTON).click()
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_label("Username").fill(login)
    page.get_by_label("Password").fill("provider-password")
    page.get_by_role("button", name="Sign in").click()


def open_account_menu(page: Page, name: str) -> None:
    page.wait_for_load_state("load")
    page.get_by_role("navigation", name="Main").get_by_role("button", name=name).click()


def test_people_sign_in_with_the_provider_and_keep_its_groups_roles(
    new_page, live_server, provider
) -> None:
    provider.set_account(
        "olga.approver",
        name="Olga Approver",
        groups=["procure-requesters", "procure-approvers"],
        department="IT",
    )
    page = new_page()
    sign_in_with_provider(page, live_server, "olga.approver")

    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Good to see you, Olga")
    expect(page.get_by_text("Information Technology · approver, requester")).to_be_visible()
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Approvals")).to_be_visible()

    # Moved out of the approvers at the provider: the next sign-in takes the role away.
    provider.set_account(
        "olga.approver", name="Olga Approver", groups=["procure-requesters"], department="IT"
    )
    later = new_page()
    sign_in_with_provider(later, live_server, "olga.approver")
    expect(later).to_have_url(live_server.url + "/")
    expect(later.get_by_text("Information Technology · requester")).to_be_visible()
    navigation = later.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Approvals")).to_have_count(0)


def test_signing_out_ends_the_session_at_procure_and_at_the_provider(
    page: Page, live_server, provider
) -> None:
    provider.set_account("sam.leaving", name="Sam Leaving", groups=["procure-requesters"])
    sign_in_with_provider(page, live_server, "sam.leaving")
    expect(page).to_have_url(live_server.url + "/")

    open_account_menu(page, "Sam Leaving")
    page.get_by_role("button", name="Sign out").click()
    # The provider's end-session page asks before it signs out there too.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Sign out of the test identity provider?"
    )
    page.get_by_role("button", name="Yes, sign me out").click()
    expect(page).to_have_url(live_server.url + "/login")
    page.goto(live_server.url + "/")
    expect(page).to_have_url(LOGIN_PATH)
    # Signed out at the provider as well: signing in again asks for the password.
    page.goto(live_server.url + "/login")
    page.get_by_role("link", name=BUTTON).click()
    expect(page.get_by_label("Password")).to_be_visible()


def test_someone_without_a_role_is_told_whom_to_ask(page: Page, live_server, provider) -> None:
    provider.set_account("nico.nogroup", groups=["marketing"])
    sign_in_with_provider(page, live_server, "nico.nogroup")

    expect(page.get_by_role("heading", level=1)).to_have_text("No access yet")
    expect(page.get_by_role("alert")).to_contain_text(
        "Please ask your IT service desk or a Procure administrator"
    )
    page.goto(live_server.url + "/")
    expect(page).to_have_url(LOGIN_PATH)
