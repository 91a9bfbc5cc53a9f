"""What a load balancer and an operator ask a machine: ``/livez`` (does the process
answer), ``/readyz`` (can it serve: database, storage, migrations at head) and the
older ``/healthz`` (API.md)."""

from __future__ import annotations

import pytest

from procure import create_app
from procure.extensions import db as _db

# Nothing listens on port 1: the connection is refused at once.
UNREACHABLE = "postgresql+psycopg://procure@127.0.0.1:1/procure?connect_timeout=2"


def _app(database_url: str, tmp_path, **config):
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": False,
            "ATTACHMENTS_DIR": str(tmp_path / "attachments"),
            **config,
        }
    )


@pytest.fixture
def unreachable_app(tmp_path):
    app = _app(UNREACHABLE, tmp_path)
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def fresh_app(empty_database_url, tmp_path):
    """The application on a database nobody has migrated yet."""
    app = _app(empty_database_url, tmp_path)
    yield app
    with app.app_context():
        _db.engine.dispose()


def test_livez_answers_while_the_process_runs(client):
    answer = client.get("/livez")

    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok"}


def test_ready_when_database_storage_and_migrations_are(client):
    answer = client.get("/readyz")

    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {"status": "ok"}


def test_healthz_still_answers_as_api_md_says(client):
    answer = client.get("/healthz")

    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok"}


def test_not_ready_until_the_migrations_are_at_head(fresh_app):
    client = fresh_app.test_client()

    before = client.get("/readyz")

    assert before.status_code == 503
    assert before.headers["Retry-After"] == "5"
    body = before.get_json()
    assert body["status"] == "unavailable"
    (problem,) = body["problems"]
    assert problem.startswith("migrations: the database is at none (an empty database)")
    assert "init-db" in problem
    assert client.get("/livez").status_code == 200

    assert fresh_app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    after = client.get("/readyz")
    assert after.status_code == 200 and after.get_json() == {"status": "ok"}


def test_not_ready_when_the_database_is_unreachable(unreachable_app):
    client = unreachable_app.test_client()

    answer = client.get("/readyz")

    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.get_json() == {"status": "unavailable", "problems": ["database: unreachable"]}
    # The process itself still answers, and the older check says the same as before.
    assert client.get("/livez").status_code == 200
    assert client.get("/healthz").status_code == 503


def test_not_ready_when_the_storage_cannot_be_written(app, client, tmp_path, monkeypatch):
    occupied = tmp_path / "not-a-folder"
    occupied.write_text("a file where the attachments folder should be")
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(occupied))

    answer = client.get("/readyz")

    assert answer.status_code == 503
    (problem,) = answer.get_json()["problems"]
    assert problem == f"storage: {occupied} is not a folder"
