"""Signing in and out, the admin's users, API tokens: through the real pages."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from procure.security import CONTENT_SECURITY_POLICY

from .live import LOGIN_PATH, fill_sign_in, sign_in

pytestmark = pytest.mark.e2e

WRONG_CREDENTIALS = "The e-mail address or the password is not right."
PHONE = {"width": 390, "height": 844}


def main_navigation(page: Page):
    return page.get_by_role("navigation", name="Main")


def test_user_signs_in_and_sees_their_dashboard(page: Page, live_server) -> None:
    sign_in(page, live_server, "ada@example.org")

    expect(page).to_have_url(live_server.url + "/")
    expect(page).to_have_title("Dashboard · Procure")
    expect(page.get_by_role("heading", level=1)).to_have_text("Good to see you, Ada")
    expect(main_navigation(page).get_by_role("button", name="Ada Lovelace")).to_be_visible()
    expect(page.get_by_text("Information Technology · requester")).to_be_visible()


def test_wrong_password_shows_the_error_beside_the_field(page: Page, live_server) -> None:
    fill_sign_in(page, live_server, "oscar@example.org", "not-the-password")

    password = page.get_by_label("Password")
    expect(password).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(password).to_have_accessible_description(WRONG_CREDENTIALS)
    expect(page.locator("#password-errors")).to_have_text(WRONG_CREDENTIALS)
    # The address stays filled in; the password does not.
    expect(page.get_by_label("E-mail")).to_have_value("oscar@example.org")
    expect(password).to_have_value("")
    expect(page).to_have_url(LOGIN_PATH)
    page.goto(live_server.url + "/")
    expect(page).to_have_url(LOGIN_PATH)


def test_admin_creates_a_user_who_then_signs_in(page: Page, new_page, live_server) -> None:
    # Unique, so that the demo organisation can grow without meeting this address.
    email = f"tess.{secrets.token_hex(4)}@example.org"
    sign_in(page, live_server, "adam@example.org")
    main_navigation(page).get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Administration")

    page.get_by_role("link", name="New user").click()
    page.get_by_label("Name").fill("Tess Tester")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Department").select_option(label="OPS — Operations")
    page.get_by_label("Initial password").fill("a-long-first-password")
    page.get_by_label("Requester").check()
    page.get_by_role("button", name="Create user").click()

    expect(page.get_by_role("alert")).to_contain_text(f"Tess Tester can now sign in as {email}.")
    row = page.locator("#users tbody tr", has_text=email)
    expect(row).to_contain_text("Tess Tester")
    expect(row).to_contain_text("OPS")
    expect(row).to_contain_text("requester")

    tess = new_page()
    sign_in(tess, live_server, email, "a-long-first-password")
    expect(tess.get_by_role("heading", level=1)).to_have_text("Good to see you, Tess")
    expect(tess.get_by_text("Operations · requester")).to_be_visible()


def test_user_creates_an_api_token_shown_once(page: Page, new_page, live_server) -> None:
    sign_in(page, live_server, "frank@example.org")
    main_navigation(page).get_by_role("button", name="Frank Finance").click()
    page.get_by_role("link", name="Profile & API tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")

    page.get_by_label("Token name").fill("inventory sync")
    page.get_by_role("button", name="Create token").click()

    notice = page.get_by_role("status")
    expect(notice).to_contain_text("copy it now, it is shown only once")
    secret = notice.locator("code").inner_text().strip()
    assert len(secret) >= 20
    row = page.locator("#tokens tbody tr", has_text="inventory sync")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Active")
    hint = row.locator("code").inner_text().removesuffix("…")
    assert hint and secret.startswith(hint) and hint != secret

    # The token works, from a browser that is not signed in.
    outsider = new_page().request
    assert outsider.get(live_server.url + "/api/v1/departments").status == 401
    answer = outsider.get(
        live_server.url + "/api/v1/departments", headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status == 200, answer.text()

    # Coming back to the profile (not reloading: that would send the form again)
    # lists the token by its hint only.
    page.goto(live_server.url + "/profile")
    expect(row).to_have_count(1)
    expect(row.locator("code")).to_have_text(hint + "…")
    expect(page.get_by_role("status")).to_have_count(0)
    assert secret not in page.content()


def test_sign_out_through_the_navigation_menu(page: Page, live_server) -> None:
    sign_in(page, live_server, "ian@example.org")
    main_navigation(page).get_by_role("button", name="Ian Approver").click()
    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(live_server.url + "/login")
    expect(page.get_by_role("alert")).to_contain_text("You are signed out.")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.goto(live_server.url + "/")
    expect(page).to_have_url(LOGIN_PATH)


def test_navigation_marks_the_current_page_only(page: Page, live_server) -> None:
    sign_in(page, live_server, "ian@example.org")
    current = main_navigation(page).locator("[aria-current=page]")

    main_navigation(page).get_by_role("link", name="Approvals").click()
    expect(current).to_have_text(["Approvals"])
    # A request's own page belongs to "Requests", not to every link of its area.
    main_navigation(page).get_by_role("link", name="Requests").click()
    page.get_by_role("main").get_by_role("link", name=re.compile(r"^PR-")).first.click()
    expect(page).to_have_url(re.compile(r"/requests/\d+$"))
    expect(current).to_have_text(["Requests"])


def _csp_reports(page: Page) -> list[str]:
    reports: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            reports.append(message.text)

    page.on("console", on_console)
    return reports


def test_pages_keep_to_the_content_security_policy(page: Page, live_server) -> None:
    reports = _csp_reports(page)
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))

    sign_in(page, live_server, "adam@example.org")
    # Bootstrap's scripts at work: the user menu drops down.
    main_navigation(page).get_by_role("button", name="Adam Admin").click()
    expect(page.get_by_role("link", name="Profile & API tokens")).to_be_visible()
    for path in ("/profile", "/admin", "/admin/users/new", "/no-such-page"):
        page.goto(live_server.url + path)
    page.goto(live_server.url + "/admin")
    page.get_by_role("button", name="Add department").click()
    expect(page.get_by_text("This field is required.").first).to_be_visible()

    assert reports == []
    assert page_errors == []


def test_the_policy_check_sees_a_violation(page: Page, live_server) -> None:
    """The console check above is not blind: an inline style is reported."""
    probe = live_server.url + "/csp-probe"
    page.route(
        probe,
        lambda route: route.fulfill(
            content_type="text/html",
            headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY},
            body='<!doctype html><p style="color: red">inline</p><p id="done">done</p>',
        ),
    )
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text) as report:
        page.goto(probe)
    assert "style-src 'self'" in report.value.text


@pytest.mark.parametrize("path", ["/", "/profile"])
def test_usable_at_phone_width(new_page, live_server, path: str) -> None:
    page = new_page(viewport=PHONE)
    sign_in(page, live_server, "olivia@example.org")
    page.goto(live_server.url + path)
    navigation = main_navigation(page)
    toggler = navigation.get_by_role("button", name="Toggle navigation")
    menu = navigation.get_by_role("button", name="Olivia Ops Lead")

    expect(toggler).to_be_visible()
    expect(menu).to_be_hidden()
    toggler.click()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    # Bootstrap marks the menu "show" once it has slid open (it clips while moving).
    expect(page.locator("#nav")).to_have_class(re.compile(r"\bshow\b"))
    expect(menu).to_be_visible()
    expect(navigation.get_by_role("link", name="Dashboard")).to_be_visible()
    menu.click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    # Nothing sticks out sideways.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
