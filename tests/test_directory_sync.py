"""``flask --app wsgi sync-directory``: accounts created, updated and deactivated from a
real OpenLDAP server (slapd, started on loopback)."""

from __future__ import annotations

import itertools
import uuid

import pytest
import sqlalchemy as sa

from procure.extensions import db as _db
from procure.identity import sync
from procure.models import ApiToken, AuditEvent, Role, User

from .ldap_support import ACCOUNTDISABLE, NORMAL_ACCOUNT, Person, _free_port
from .ldap_support import directory as directory  # noqa: F401 -- the slapd fixture

MODULE = "sync"
ROLES = {"buyers": "requester", "approvers": "approver"}
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def groups(directory):  # noqa: F811
    for name in ROLES:
        directory.add_group(f"{name}-{MODULE}")


@pytest.fixture
def unit(app, directory, groups, make):  # noqa: F811
    """A unit of the directory for this test alone, the app syncing from it."""
    base = directory.add_unit(f"sync{next(_numbers)}-{uuid.uuid4().hex[:8]}")
    settings = directory.settings(
        PROCURE_LDAP_BASE_DN=base,
        PROCURE_GROUP_ROLES=",".join(f"{group}-{MODULE}={role}" for group, role in ROLES.items()),
    )
    saved = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    make.department("OPS", "Operations")
    make.department("FIN", "Finance")
    yield base
    app.config.update(saved)


def person(directory, unit, *groups, department="OPS", **extra) -> Person:  # noqa: F811
    number = next(_numbers)
    someone = Person(
        uid=f"syncuser{number}",
        password=f"directory password {number}",
        mail=f"sync.user{number}@example.org",
        cn=f"Sam Synced{number}",
        department=department,
        groups=tuple(f"{group}-{MODULE}" for group in groups),
        unit=unit,
    )
    directory.add_person(someone, **extra)
    return someone


def account(email: str) -> User | None:
    return _db.session.scalar(sa.select(User).where(User.email == email))


def run(runner, *args: str):
    """``flask --app wsgi sync-directory ARGS``."""
    return runner.invoke(args=["sync-directory", *args])


def test_sync_creates_the_directory_s_people(runner, unit, directory):  # noqa: F811
    ann = person(directory, unit, "buyers", "approvers")
    bob = person(directory, unit, "buyers", department="FIN")

    result = run(runner)

    assert result.exit_code == 0, result.output
    assert f"create {ann.mail}" in result.output
    assert f"create {bob.mail}" in result.output
    assert "created 2, updated 0, deactivated 0, unchanged 0" in result.output
    created = account(ann.mail)
    assert created.roles == {Role.REQUESTER, Role.APPROVER}
    assert created.department.code == "OPS"
    assert created.source == "ldap"
    assert created.synced_at is not None
    assert created.last_sign_in_at is None
    assert not created.has_password
    assert account(bob.mail).department.code == "FIN"


def test_sync_updates_what_changed_and_counts_the_rest(runner, unit, directory):  # noqa: F811
    ann = person(directory, unit, "buyers")
    bob = person(directory, unit, "buyers")
    assert run(runner).exit_code == 0
    directory.join(f"approvers-{MODULE}", ann.dn)
    directory.replace(ann.dn, displayName="Ann Renamed", department="FIN")

    result = run(runner)

    assert result.exit_code == 0, result.output
    assert f"update {ann.mail}" in result.output
    assert "name Sam Synced" in result.output and "→ Ann Renamed" in result.output
    assert bob.mail not in result.output
    assert "created 0, updated 1, deactivated 0, unchanged 1" in result.output
    updated = account(ann.mail)
    assert updated.name == "Ann Renamed"
    assert updated.roles == {Role.REQUESTER, Role.APPROVER}
    assert updated.department.code == "FIN"
    events = _db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity == "user",
            AuditEvent.entity_id == updated.id,
            AuditEvent.action == "sync",
        )
    ).all()
    assert events, "the change is audited"


def test_a_dry_run_prints_and_changes_nothing(runner, unit, directory, db):  # noqa: F811
    ann = person(directory, unit, "buyers")
    audit_count = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))

    result = run(runner, "--dry-run")

    assert result.exit_code == 0, result.output
    assert f"would create {ann.mail}" in result.output
    assert "created 1, updated 0, deactivated 0, unchanged 0 (dry run" in result.output
    assert account(ann.mail) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == audit_count


def test_a_dry_run_shows_a_deactivation_without_making_it(runner, unit, directory):  # noqa: F811
    ann = person(directory, unit, "buyers")
    person(directory, unit, "buyers")
    assert run(runner).exit_code == 0
    directory.delete(ann.dn)

    result = run(runner, "--dry-run")

    assert f"would deactivate {ann.mail}: no longer in the directory" in result.output
    assert account(ann.mail).active


def test_a_person_removed_from_the_directory_loses_access(
    runner,
    unit,
    directory,
    make,
    client,  # noqa: F811
):
    ann = person(directory, unit, "buyers")
    person(directory, unit, "buyers")
    assert run(runner).exit_code == 0
    user = account(ann.mail)
    token = make.token(user)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    directory.delete(ann.dn)

    result = run(runner)

    assert result.exit_code == 0, result.output
    assert f"deactivate {ann.mail}: no longer in the directory" in result.output
    assert "created 0, updated 0, deactivated 1, unchanged 1" in result.output
    assert not account(ann.mail).active
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    revoked = _db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    assert revoked.revoked_at is not None
    signing_in = client.post("/login", data={"email": ann.mail, "password": ann.password})
    assert signing_in.status_code != 302
    assert client.get("/").status_code == 302


def test_a_disabled_active_directory_account_is_deactivated(runner, unit, directory):  # noqa: F811
    ann = person(directory, unit, "buyers", guid=uuid.uuid4())
    person(directory, unit, "buyers")
    assert run(runner).exit_code == 0
    directory.replace(ann.dn, userAccountControl=NORMAL_ACCOUNT | ACCOUNTDISABLE)

    result = run(runner)

    assert f"deactivate {ann.mail}: disabled in the directory" in result.output
    assert not account(ann.mail).active


def test_a_disabled_account_is_not_created(runner, unit, directory):  # noqa: F811
    ann = person(directory, unit, "buyers", guid=uuid.uuid4())
    directory.replace(ann.dn, userAccountControl=NORMAL_ACCOUNT | ACCOUNTDISABLE)
    person(directory, unit, "buyers")

    result = run(runner)

    assert "created 1," in result.output
    assert account(ann.mail) is None


def test_local_accounts_are_left_alone(runner, unit, directory, make):  # noqa: F811
    local = make.user(["requester"], email="local.person@example.org")
    person(directory, unit, "buyers")

    assert run(runner).exit_code == 0

    assert account(local.email).active


def test_an_unreachable_directory_exits_1_and_changes_nothing(runner, unit, app, directory):  # noqa: F811
    ann = person(directory, unit, "buyers")
    assert run(runner).exit_code == 0
    directory.delete(ann.dn)
    app.config["PROCURE_LDAP_URL"] = f"ldap://127.0.0.1:{_free_port()}"

    result = run(runner)

    assert result.exit_code == 1
    assert "cannot be reached" in result.output
    assert account(ann.mail).active


def test_a_wrong_search_password_exits_1_and_says_so(runner, unit, app, directory):  # noqa: F811
    person(directory, unit, "buyers")
    app.config["PROCURE_LDAP_BIND_PASSWORD"] = "not it"

    result = run(runner)

    assert result.exit_code == 1
    assert "search account" in result.output


def test_a_directory_answering_nobody_deactivates_nobody(runner, unit, app, directory):  # noqa: F811
    ann = person(directory, unit, "buyers")
    assert run(runner).exit_code == 0
    app.config["PROCURE_LDAP_BASE_DN"] = directory.add_unit(f"empty-{uuid.uuid4().hex[:8]}")

    result = run(runner)

    assert result.exit_code == 1
    assert "returned nobody" in result.output
    assert account(ann.mail).active


def test_without_a_directory_the_command_says_so(runner, app):
    saved = app.config["PROCURE_LDAP_URL"]
    app.config["PROCURE_LDAP_URL"] = ""
    try:
        result = run(runner)
    finally:
        app.config["PROCURE_LDAP_URL"] = saved

    assert result.exit_code == 1
    assert "PROCURE_LDAP_URL is not set" in result.output


def test_a_second_sync_gives_way_to_one_running(request, runner, unit, directory, db):  # noqa: F811
    if request.config.getoption("--db") != "postgres":
        pytest.skip("needs PostgreSQL (run with --db postgres): SQLite's write lock queues runs")
    ann = person(directory, unit, "buyers")
    # Another machine's run, holding the lock in its transaction.
    other = sa.create_engine(db.session.get_bind().engine.url)
    try:
        with other.connect() as connection, connection.begin():
            assert connection.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(sync.SYNC_LOCK)))

            result = run(runner)

            assert result.exit_code == 0, result.output
            assert "Another sync-directory is running" in result.output
            assert account(ann.mail) is None
    finally:
        other.dispose()
    # Once the other run is over, this one goes ahead.
    assert "created 1," in run(runner).output


@pytest.mark.committing
def test_a_run_commits_and_a_dry_run_commits_nothing(
    runner,
    committed_db,
    unit,
    directory,  # noqa: F811
):
    ann = person(directory, unit, "buyers")
    # Another connection sees only what was committed.
    other = sa.create_engine(committed_db.engine.url)

    def committed_accounts() -> int:
        with other.connect() as connection:
            return connection.scalar(
                sa.select(sa.func.count()).select_from(User).where(User.email == ann.mail)
            )

    try:
        assert run(runner, "--dry-run").exit_code == 0
        assert committed_accounts() == 0
        assert run(runner).exit_code == 0
        assert committed_accounts() == 1
    finally:
        other.dispose()
