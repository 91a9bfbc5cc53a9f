"""Signing in by bind against a real OpenLDAP server (slapd, started on loopback)."""

from __future__ import annotations

import itertools
import re
import uuid

import pytest
import sqlalchemy as sa

from procure.extensions import db as _db
from procure.identity import ldap
from procure.models import ExternalIdentity, Role, User

from .factories import PASSWORD
from .ldap_support import (
    ACCOUNTDISABLE,
    NORMAL_ACCOUNT,
    Person,
    _free_port,
)
from .ldap_support import directory as directory  # noqa: F401 -- the slapd fixture
from .pages import field_errors, is_signed_in, text

_numbers = itertools.count(1)
# The directory lives for the session; this module's groups carry a suffix of their own.
MODULE = "signin"
ROLES = {"buyers": "requester", "approvers": "approver", "money": "finance"}
UNIQUE_ROLES = {"legacy-approvers": "approver"}


@pytest.fixture(scope="module")
def groups(directory):  # noqa: F811
    for name in [*ROLES, "nobody-maps-me"]:
        directory.add_group(f"{name}-{MODULE}")
    for name in UNIQUE_ROLES:
        directory.add_group(f"{name}-{MODULE}", unique=True)


@pytest.fixture
def ldap_app(app, directory, groups, make):  # noqa: F811
    """The app signing in against the directory; departments OPS and FIN exist."""
    settings = directory.settings(
        PROCURE_GROUP_ROLES=",".join(
            f"{group}-{MODULE}={role}" for group, role in {**ROLES, **UNIQUE_ROLES}.items()
        ),
        PROCURE_DEPARTMENT_ATTRIBUTE="department",
    )
    saved = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    make.department("OPS", "Operations")
    make.department("FIN", "Finance")
    yield app
    app.config.update(saved)


def person(directory, *groups: str, department: str | None = "OPS", **extra) -> Person:  # noqa: F811
    number = next(_numbers)
    someone = Person(
        uid=f"ldapuser{number}",
        password=f"directory password {number}",
        mail=f"ldap.user{number}@example.org",
        cn=f"Lena Directory{number}",
        department=department,
        groups=tuple(f"{group}-{MODULE}" for group in groups),
    )
    directory.add_person(someone, **extra)
    return someone


def sign_in(client, login: str, password: str):
    return client.post("/login", data={"email": login, "password": password})


def account(email: str) -> User | None:
    return _db.session.scalar(sa.select(User).where(User.email == email))


def test_signing_in_by_bind_creates_the_account_with_roles_from_groups(
    client,
    ldap_app,
    directory,  # noqa: F811
):
    lena = person(directory, "buyers", "approvers")

    response = sign_in(client, lena.mail, lena.password)

    assert response.status_code == 302, text(response)
    assert response.headers["Location"] == "/"
    assert is_signed_in(client)
    user = account(lena.mail)
    assert user is not None
    assert user.name == lena.cn
    assert user.roles == {Role.REQUESTER, Role.APPROVER}
    assert user.department.code == "OPS"
    assert user.source == "ldap"
    assert not user.has_password
    assert user.last_sign_in_at is not None
    link = _db.session.scalar(
        sa.select(ExternalIdentity).where(ExternalIdentity.user_id == user.id)
    )
    assert link.issuer == directory.url
    # The entry's entryUUID: a rename or a new address keeps the account.
    assert link.subject == directory.read(lena.dn, "entryUUID")["entryUUID"][0]


def test_the_next_sign_in_follows_the_groups(client, ldap_app, directory, new_client):  # noqa: F811
    lena = person(directory, "buyers", "approvers")
    assert sign_in(client, lena.mail, lena.password).status_code == 302

    directory.leave(f"approvers-{MODULE}", lena.dn)
    directory.join(f"money-{MODULE}", lena.dn)
    directory.replace(lena.dn, department="FIN")
    again = new_client()
    assert sign_in(again, lena.mail, lena.password).status_code == 302

    user = account(lena.mail)
    assert user.roles == {Role.REQUESTER, Role.FINANCE}
    assert user.department.code == "FIN"


def test_the_uid_signs_in_as_well_as_the_mail(ldap_app, directory):  # noqa: F811
    lena = person(directory, "buyers")

    claims = ldap.authenticate(lena.uid, lena.password)

    assert claims is not None
    assert claims.email == lena.mail
    assert claims.email_verified
    assert claims.groups == (f"buyers-{MODULE}",)
    assert claims.department == "OPS"


def test_groups_without_member_of_are_found_by_searching(ldap_app, directory):  # noqa: F811
    # groupOfUniqueNames: the memberof overlay does not keep memberOf for it.
    lena = person(directory)
    directory.join(f"legacy-approvers-{MODULE}", lena.dn, unique=True)
    assert not directory.read(lena.dn, "memberOf").get("memberOf")

    claims = ldap.authenticate(lena.mail, lena.password)

    assert claims is not None
    assert claims.groups == (f"legacy-approvers-{MODULE}",)


def test_a_wrong_password_is_refused_and_creates_nothing(client, ldap_app, directory):  # noqa: F811
    lena = person(directory, "buyers")

    response = sign_in(client, lena.mail, "not the password")

    assert response.status_code == 200
    assert field_errors(response, "password")
    assert not is_signed_in(client)
    assert account(lena.mail) is None


def test_an_empty_password_never_binds(ldap_app, directory):  # noqa: F811
    # An empty password is an anonymous ("unauthenticated") bind, which slapd accepts.
    lena = person(directory, "buyers")

    assert ldap.authenticate(lena.mail, "") is None


@pytest.mark.parametrize("login", ["*", "*)(uid=*", "*)(|(uid=*)", "ldap.user*", "\\2a"])
def test_a_filter_injection_finds_nobody(client, ldap_app, directory, login):  # noqa: F811
    lena = person(directory, "buyers")

    assert ldap.authenticate(login, lena.password) is None
    response = sign_in(client, login, lena.password)
    assert response.status_code != 302
    assert not is_signed_in(client)
    assert account(lena.mail) is None


def test_the_escaped_login_is_what_the_filter_gets(ldap_app):
    assert ldap.user_filter("*)(uid=*") == (
        "(&(objectClass=inetOrgPerson)(|(mail=\\2a\\29\\28uid=\\2a)(uid=\\2a\\29\\28uid=\\2a)))"
    )


def test_a_disabled_active_directory_account_cannot_sign_in(ldap_app, directory):  # noqa: F811
    guid = uuid.uuid4()
    lena = person(directory, "buyers", guid=guid)
    claims = ldap.authenticate(lena.mail, lena.password)
    assert claims is not None
    # Active Directory's objectGUID, read as AD tools print it, is the stable subject.
    assert claims.subject == str(guid)

    directory.replace(lena.dn, userAccountControl=NORMAL_ACCOUNT | ACCOUNTDISABLE)

    assert ldap.authenticate(lena.mail, lena.password) is None


def _existing_account(make) -> User:
    return make.user(["requester"], email="kept.as.is@example.org", name="Kept As Is")


def test_a_wrong_search_password_says_so_and_changes_nothing(
    client,
    ldap_app,
    directory,
    make,  # noqa: F811
):
    lena = person(directory, "buyers")
    ldap_app.config["PROCURE_LDAP_BIND_PASSWORD"] = "not the search password"

    with pytest.raises(ldap.DirectoryUnavailable, match="search account"):
        ldap.authenticate(lena.mail, lena.password)
    response = sign_in(client, lena.mail, lena.password)

    # The directory, not the person, is at fault: 503, the reason beside the password.
    assert response.status_code == 503
    assert "refused Procure's search account" in " ".join(field_errors(response, "password"))
    assert not is_signed_in(client)
    assert account(lena.mail) is None


def test_an_unreachable_directory_says_so_and_changes_nothing(client, ldap_app, make):
    kept = _existing_account(make)
    ldap_app.config["PROCURE_LDAP_URL"] = f"ldap://127.0.0.1:{_free_port()}"

    with pytest.raises(ldap.DirectoryUnavailable, match="cannot be reached"):
        ldap.authenticate("someone@example.org", "a password")
    response = sign_in(client, "someone@example.org", "a password")

    assert response.status_code == 503
    assert "cannot be reached" in " ".join(field_errors(response, "password"))
    assert not is_signed_in(client)
    assert account("someone@example.org") is None
    assert account(kept.email).name == "Kept As Is"


def test_starttls_with_the_directory_certificate_works(ldap_app, directory):  # noqa: F811
    lena = person(directory, "buyers")
    ldap_app.config.update(PROCURE_LDAP_STARTTLS=True, PROCURE_LDAP_CA_FILE=directory.ca_file)

    assert ldap.authenticate(lena.mail, lena.password) is not None


def test_ldaps_with_the_directory_certificate_works(ldap_app, directory):  # noqa: F811
    lena = person(directory, "buyers")
    ldap_app.config.update(
        PROCURE_LDAP_URL=directory.ldaps_url, PROCURE_LDAP_CA_FILE=directory.ca_file
    )

    claims = ldap.authenticate(lena.mail, lena.password)

    assert claims is not None
    assert claims.issuer == directory.ldaps_url


@pytest.mark.parametrize("secure", ["starttls", "ldaps"])
def test_a_certificate_nobody_vouches_for_is_refused(ldap_app, directory, secure):  # noqa: F811
    # The system's authorities do not know the test CA: the connection must not go on.
    lena = person(directory, "buyers")
    if secure == "starttls":
        ldap_app.config.update(PROCURE_LDAP_STARTTLS=True, PROCURE_LDAP_CA_FILE="")
    else:
        ldap_app.config.update(PROCURE_LDAP_URL=directory.ldaps_url, PROCURE_LDAP_CA_FILE="")

    with pytest.raises(ldap.DirectoryUnavailable, match="certificate"):
        ldap.authenticate(lena.mail, lena.password)


def test_a_search_account_that_may_read_nothing_says_so(ldap_app, directory):  # noqa: F811
    # Bound, but as someone the directory's ACLs let read only their own entry: slapd
    # then answers noSuchObject for the base, which the message names.
    lena = person(directory, "buyers")
    other = person(directory)
    ldap_app.config.update(
        PROCURE_LDAP_BIND_DN=other.dn, PROCURE_LDAP_BIND_PASSWORD=other.password
    )

    with pytest.raises(ldap.DirectoryUnavailable, match="PROCURE_LDAP_BASE_DN"):
        ldap.authenticate(lena.mail, lena.password)


def test_a_login_two_entries_share_signs_nobody_in(ldap_app, directory):  # noqa: F811
    lena = person(directory, "buyers")
    twin = person(directory, "approvers")
    directory.replace(twin.dn, mail=lena.mail)

    assert ldap.authenticate(lena.mail, lena.password) is None
    assert ldap.authenticate(lena.uid, lena.password) is not None


def test_a_person_with_no_mapped_group_is_told_whom_to_ask(client, ldap_app, directory):  # noqa: F811
    lena = person(directory, "nobody-maps-me")

    response = sign_in(client, lena.mail, lena.password)

    assert response.status_code == 403
    assert "none of your groups gives you a role" in text(response)
    assert not is_signed_in(client)
    # Made (it may hold a token), but with no role.
    assert account(lena.mail).roles == set()


def _row_of(page: str, email: str) -> str:
    """The text of the users table's row for ``email``."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        if email in row:
            return " ".join(re.sub(r"<[^>]+>", " ", row).split())
    raise AssertionError(f"no row for {email}")


def test_admin_sees_where_each_account_comes_from(
    client,
    ldap_app,
    directory,
    make,
    new_client,  # noqa: F811
):
    lena = person(directory, "buyers")
    assert sign_in(client, lena.mail, lena.password).status_code == 302
    local = make.user(["requester"], email="made.here@example.org")
    admin = make.user(["admin"])
    browser = new_client()
    assert sign_in(browser, admin.email, PASSWORD).status_code == 302

    for path in ("/admin/users", "/admin/"):
        page = browser.get(path)
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        lena_row = _row_of(body, lena.mail)
        assert "LDAP" in lena_row
        assert "Source" in text(page) and "Last sign-in" in text(page)
        # Signed in just now; never synced (sync-directory would say when).
        assert re.search(r"\d{4}", lena_row), lena_row
        assert "Local" in _row_of(body, local.email)
