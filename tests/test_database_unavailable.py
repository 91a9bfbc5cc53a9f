"""When the database goes away mid-request (restarted, connections cut), the answer is
a 503 that says to try again, not a 500 with a traceback."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from procure.purchasing import services


@pytest.fixture
def database_gone(monkeypatch):
    def lost(*_args, **_kwargs):
        raise sa.exc.OperationalError(
            "SELECT 1", {}, Exception("server closed the connection unexpectedly")
        )

    monkeypatch.setattr(services, "get", lost)


def test_a_page_answers_503_and_changes_nothing(make, auth, database_gone, caplog):
    user = make.user(["requester"])
    auth.login(user.email)
    with caplog.at_level(logging.WARNING, logger="procure"):
        answer = auth.client.get("/requests/1")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    page = answer.get_data(as_text=True)
    assert "Try again in a moment" in page and "nothing was changed" in page
    assert "database unavailable on GET /requests/1" in caplog.text
    assert "Traceback" not in caplog.text


def test_the_api_answers_503_in_its_error_format(make, api, database_gone):
    client = api(make.user(["requester"]))
    answer = client.get("/api/v1/requests/1")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.get_json()["error"]["code"] == "unavailable"
