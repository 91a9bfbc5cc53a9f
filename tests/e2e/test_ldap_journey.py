"""Signing in with the directory's password in the browser: a person of the LDAP
directory (slapd on loopback, tests/ldap_support.py) types their directory password on
/login and lands on the dashboard with the roles of their groups; admin then sees on
/admin/users that the account comes from LDAP and when it last signed in."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from ..ldap_support import Directory, Person
from ..ldap_support import directory as directory  # noqa: F401 -- the slapd fixture
from .live import LiveServer, fill_sign_in, sign_in, start_live_server

pytestmark = [pytest.mark.e2e, pytest.mark.every_database]

GROUP = f"procure-approvers-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def live_server(
    tmp_path_factory: pytest.TempPathFactory,
    database_for,
    directory: Directory,  # noqa: F811
) -> Iterator[LiveServer]:
    """A Procure of this module's own, signing in against the directory."""
    directory.add_group(GROUP)
    server = start_live_server(
        tmp_path_factory.mktemp("ldap_live"),
        config=directory.settings(PROCURE_GROUP_ROLES=f"{GROUP}=approver"),
        database_uri=database_for("ldap_journey"),
    )
    yield server
    server.stop()


def test_a_person_signs_in_with_the_directory_password_and_admin_sees_where_from(
    page: Page,
    new_page,
    live_server: LiveServer,
    directory: Directory,  # noqa: F811
) -> None:
    suffix = uuid.uuid4().hex[:6]
    linus = Person(
        uid=f"linus-{suffix}",
        password="a directory passphrase",
        mail=f"linus.{suffix}@corp.example",
        cn="Linus Directory",
        department="IT",
        groups=(GROUP,),
    )
    directory.add_person(linus)

    fill_sign_in(page, live_server, linus.mail, linus.password)

    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Good to see you, Linus")
    expect(page.get_by_text("Information Technology · approver")).to_be_visible()

    admin = new_page()
    sign_in(admin, live_server, "adam@example.org")
    admin.goto(live_server.url + "/admin/users")
    expect(admin.get_by_role("heading", level=1)).to_have_text("Users")
    row = admin.get_by_role("row").filter(has_text=linus.mail)
    expect(row).to_contain_text("LDAP")
    # Signed in a moment ago: the "Last sign-in" cell holds a time, not a dash.
    expect(row.locator("time")).to_have_count(1)
    expect(admin.get_by_role("row").filter(has_text="ada@example.org")).to_contain_text("Local")


def test_a_wrong_directory_password_keeps_the_person_out(
    page: Page,
    live_server: LiveServer,
    directory: Directory,  # noqa: F811
) -> None:
    suffix = uuid.uuid4().hex[:6]
    mary = Person(
        uid=f"mary-{suffix}",
        password="the right passphrase",
        mail=f"mary.{suffix}@corp.example",
        cn="Mary Directory",
        groups=(GROUP,),
    )
    directory.add_person(mary)

    fill_sign_in(page, live_server, mary.mail, "not the passphrase")

    expect(page.get_by_text("The e-mail address or the password is not right.")).to_be_visible()
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + "/login?next=%2F")
