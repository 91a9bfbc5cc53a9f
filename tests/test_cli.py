"""The command line of API.md: ``flask --app wsgi <command>``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from procure.db import MIGRATIONS_DIR
from procure.demo import DEMO_PASSWORD, PEOPLE
from procure.extensions import db as _db
from procure.models import search


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in(client, email: str, password: str):
    return client.post("/login", data={"email": email, "password": password})


def create_user(runner, email="cli@example.org", *extra, password="a long cli password"):
    args = ["create-user", email, "--name", "Cli User", "--password", password]
    return runner.invoke(args=[*args, *extra])


# init-db ----------------------------------------------------------------------------------


def test_init_db_builds_the_schema_and_is_idempotent(empty_app):
    runner = empty_app.test_cli_runner()

    first = runner.invoke(args=["init-db"])
    second = runner.invoke(args=["init-db"])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "The database is up to date." in second.output
    assert empty_app.test_client().get("/healthz").get_json() == {"status": "ok"}
    assert runner.invoke(args=["verify-audit"]).output.splitlines() == [
        "ok 0 events",
        "ok 0 stored files, 0 order PDFs",
    ]


def test_the_migrations_build_exactly_the_models_schema(empty_app):
    """What ``flask db check`` asks: nothing in the models that the migrations left out
    (migration 0004's award foreign key was, on PostgreSQL, until 0011)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    runner = empty_app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    with empty_app.app_context(), _db.engine.connect() as connection:
        # An index the models make on another database only (``ddl_if``: the trigram
        # indexes are PostgreSQL's) is not expected on this one.
        include = search.include_object(connection.dialect.name)
        context = MigrationContext.configure(connection, opts={"include_object": include})
        differences = compare_metadata(context, _db.metadata)
    assert differences == []


def test_init_db_keeps_the_data(empty_app):
    runner = empty_app.test_cli_runner()
    runner.invoke(args=["init-db"])
    created = create_user(runner, "kept@example.org", "--department", "IT", "--role", "admin")
    assert created.exit_code == 0, created.output

    again = runner.invoke(args=["init-db"])

    assert again.exit_code == 0, again.output
    client = empty_app.test_client()
    assert sign_in(client, "kept@example.org", "a long cli password").status_code == 302
    assert runner.invoke(args=["verify-audit"]).output.splitlines()[0] == "ok 2 events"


def test_the_fresh_schema_has_the_built_in_categories(empty_app):
    runner = empty_app.test_cli_runner()
    runner.invoke(args=["init-db"])
    create_user(runner, "root@example.org", "--department", "IT", "--role", "admin")
    client = empty_app.test_client()
    sign_in(client, "root@example.org", "a long cli password")

    page = client.get("/admin/").get_data(as_text=True)

    for name in ("hardware", "software", "licence", "cloud", "services", "other"):
        assert f"<code>{name}</code>" in page


@pytest.mark.postgres_only
def test_init_db_on_several_machines_at_once_leaves_one_winner(
    request, empty_database_url, tmp_path
):
    """A deploy runs ``init-db`` on every app server at the same moment: the advisory lock
    lets one migrate while the others wait, then find the schema at head; all exit 0."""
    if request.config.getoption("--db") != "postgres":
        pytest.skip("needs PostgreSQL (run with --db postgres): SQLite's write lock suffices")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PROCURE_ENV": "production",
        "PROCURE_DATABASE_URL": empty_database_url,
        "PROCURE_SECRET_KEY": "shared-secret",
        "PROCURE_BASE_URL": "https://buy.example.org",
        "PROCURE_LOG_FORMAT": "text",
    }
    machines = [
        subprocess.Popen(  # noqa: S603 -- our own command line
            [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "init-db"],
            cwd=Path(__file__).resolve().parent.parent,
            env={**env, "PROCURE_INSTANCE_PATH": str(tmp_path / f"machine-{n}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    results = [(machine.wait(timeout=120), *machine.communicate()) for machine in machines]

    assert [code for code, _out, _err in results] == [0, 0, 0], results
    assert all("The database is up to date." in out for _code, out, _err in results)
    engine = sa.create_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
    finally:
        engine.dispose()
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()
    assert list(current) == head


# create-user ------------------------------------------------------------------------------


def test_create_user_creates_a_user_who_can_sign_in(runner, client):
    result = create_user(runner, "cli@example.org", "--department", "IT", "--role", "requester")

    assert result.exit_code == 0, result.output
    assert "cli@example.org" in result.output
    assert sign_in(client, "cli@example.org", "a long cli password").status_code == 302


def test_create_user_creates_a_missing_department(runner, client, api, make):
    result = create_user(
        runner,
        "ops@example.org",
        "--department",
        "ops",
        "--role",
        "approver",
        "--role",
        "requester",
    )

    assert result.exit_code == 0, result.output
    admin = make.user(["admin"], department="IT")
    codes = [d["code"] for d in api(admin).get("/api/v1/departments").get_json()["items"]]
    assert "OPS" in codes
    token = runner.invoke(args=["issue-token", "ops@example.org"]).output.strip()
    described = client.get("/api/v1/me", headers=bearer(token)).get_json()
    assert described["department"] == "OPS"
    assert described["roles"] == ["approver", "requester"]


def test_create_user_uses_an_existing_department(runner, make, api):
    make.department("FIN", "Finance")
    admin = make.user(["admin"], department="FIN")

    result = create_user(runner, "fin@example.org", "--department", "fin", "--role", "finance")

    assert result.exit_code == 0, result.output
    listed = api(admin).get("/api/v1/departments").get_json()["items"]
    assert [(d["code"], d["name"]) for d in listed] == [("FIN", "Finance")]


@pytest.mark.parametrize(
    ("password", "says"), [("short", "10 characters"), ("x" * 201, "200 characters")]
)
def test_create_user_refuses_a_bad_password(runner, client, password, says):
    result = create_user(
        runner, "weak@example.org", "--department", "IT", "--role", "requester", password=password
    )

    assert result.exit_code != 0
    assert says in result.output
    assert sign_in(client, "weak@example.org", password).status_code == 200


def test_create_user_refuses_a_duplicate(runner, make):
    make.user(email="twice@example.org")

    result = create_user(runner, "TWICE@example.org", "--department", "IT", "--role", "requester")

    assert result.exit_code != 0
    assert "exists already" in result.output


@pytest.mark.parametrize(
    "extra",
    [
        ("--department", "IT"),
        ("--department", "IT", "--role", "emperor"),
        ("--role", "requester"),
        ("--department", "not a code", "--role", "requester"),
    ],
    ids=["no-role", "unknown-role", "no-department", "bad-department"],
)
def test_create_user_refuses_bad_options(runner, client, extra):
    result = create_user(runner, "odd@example.org", *extra)

    assert result.exit_code != 0
    assert result.output.strip()
    assert sign_in(client, "odd@example.org", "a long cli password").status_code == 200


def test_create_user_refuses_a_bad_email(runner):
    result = create_user(runner, "not-an-address", "--department", "IT", "--role", "requester")

    assert result.exit_code != 0
    assert "email" in result.output.lower()


def test_a_refused_create_user_leaves_no_department(runner, make, api):
    admin = make.user(["admin"], department="IT")

    create_user(
        runner, "weak@example.org", "--department", "NEW", "--role", "requester", password="x"
    )

    codes = [d["code"] for d in api(admin).get("/api/v1/departments").get_json()["items"]]
    assert codes == ["IT"]


# issue-token ------------------------------------------------------------------------------


def test_issue_token_prints_only_the_token(runner, client, make):
    user = make.user()

    result = runner.invoke(args=["issue-token", user.email.upper()])

    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == 1
    assert re.fullmatch(r"prc_[A-Za-z0-9_-]{20,}", lines[0])
    described = client.get("/api/v1/me", headers=bearer(lines[0])).get_json()
    assert described["email"] == user.email


def test_issue_token_gives_a_new_token_each_time(runner, make):
    user = make.user()

    first = runner.invoke(args=["issue-token", user.email]).output
    second = runner.invoke(args=["issue-token", user.email]).output

    assert first != second


def test_issue_token_refuses_an_unknown_user(runner):
    result = runner.invoke(args=["issue-token", "nobody@example.org"])

    assert result.exit_code != 0
    assert "nobody@example.org" in result.output
    assert "prc_" not in result.output


def test_issue_token_refuses_an_inactive_user(runner, make):
    user = make.user(active=False)

    result = runner.invoke(args=["issue-token", user.email])

    assert result.exit_code != 0
    assert "prc_" not in result.output


# seed-demo --------------------------------------------------------------------------------


def test_seed_demo_prints_the_logins_that_work(runner, new_client):
    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    for email, _name, _department, roles in PEOPLE:
        line = next(line for line in result.output.splitlines() if email in line)
        assert DEMO_PASSWORD in line
        assert all(role.value in line for role in roles)
    for email, *_ in PEOPLE:
        browser = new_client()
        assert sign_in(browser, email, DEMO_PASSWORD).status_code == 302, email


def test_seed_demo_has_every_role(runner):
    output = runner.invoke(args=["seed-demo"]).output

    for role in ("requester", "approver", "finance", "executive", "procurement", "admin"):
        assert role in output


def test_seed_demo_is_idempotent(runner, client, make, api):
    first = runner.invoke(args=["seed-demo"])
    second = runner.invoke(args=["seed-demo"])

    assert first.exit_code == second.exit_code == 0, second.output
    assert first.output == second.output
    token = runner.invoke(args=["issue-token", "adam@example.org"]).output.strip()
    departments = client.get("/api/v1/departments", headers=bearer(token)).get_json()
    codes = [d["code"] for d in departments["items"]]
    assert sorted(codes) == sorted(set(codes))
    assert departments["total"] == 5


def test_seed_demo_keeps_existing_people(runner, make, client):
    user = make.user(email="ada@example.org", password="ada's own password")

    assert runner.invoke(args=["seed-demo"]).exit_code == 0

    assert sign_in(client, user.email, "ada's own password").status_code == 302


def test_seed_demo_leaves_the_audit_chain_intact(runner):
    runner.invoke(args=["seed-demo"])

    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 0
    chain, files = result.output.splitlines()
    assert re.fullmatch(r"ok \d+ events", chain)
    # the demo issues orders: their PDFs are checked against the recorded hashes
    stored = re.fullmatch(r"ok (\d+) stored files?, (\d+) order PDFs?", files)
    assert stored and int(stored.group(1)) > 0 and int(stored.group(2)) > 0


# verify-audit -----------------------------------------------------------------------------


def test_verify_audit_counts_the_events(runner, make):
    before = int(runner.invoke(args=["verify-audit"]).output.split()[1])

    make.user()  # its department and itself: two events

    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == f"ok {before + 2} events"


def test_verify_audit_fails_on_a_tampered_event(runner, make, db):
    import sqlalchemy as sa

    from .tampering import tamper_as_dba

    make.user()
    tamper_as_dba(db)  # the triggers refuse this to anyone but an administrator
    db.session.execute(sa.text("UPDATE audit_events SET action = 'erase' WHERE id = 1"))
    db.session.commit()

    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 1
    assert "event 1" in result.output
