"""The logs an operator searches: one line per request on stderr and one per warning
or error, JSON by default, each with the request's id (``X-Request-ID``), which the
answer echoes and every error page shows."""

from __future__ import annotations

import json
import logging
import re

import pytest
import sqlalchemy as sa
from flask import request
from flask.logging import default_handler

from procure import config, create_app, observability
from procure.extensions import db as _db
from procure.purchasing import services as purchasing_services

REQUEST_FIELDS = {
    "time",
    "level",
    "request_id",
    "method",
    "path",
    "status",
    "duration_ms",
    "user_id",
    "remote_addr",
}
NEW_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def stderr(capsys):
    """``stderr()`` gives the JSON lines written since the last call."""
    capsys.readouterr()

    def lines() -> list[dict]:
        written = capsys.readouterr().err.splitlines()
        # Other handlers (alembic's, set up by a migration) may write text lines too.
        return [json.loads(line) for line in written if line.startswith("{")]

    return lines


def _requests(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "procure.requests"]


def _broken(monkeypatch, app, message="a bug for the log"):
    def broken():
        raise RuntimeError(message)

    monkeypatch.setitem(app.view_functions, "main.livez", broken)


def test_a_request_writes_one_json_line_with_every_field(client, make, auth, stderr):
    user = make.user(["requester"])
    auth.login(user.email)
    stderr()

    answer = client.get("/requests", environ_base={"REMOTE_ADDR": "192.0.2.44"})

    (line,) = _requests(stderr())
    assert REQUEST_FIELDS <= set(line)
    assert line["level"] == "INFO"
    assert line["method"] == "GET" and line["path"] == "/requests"
    assert line["status"] == answer.status_code == 200
    assert line["user_id"] == user.id
    assert line["remote_addr"] == "192.0.2.44"
    assert isinstance(line["duration_ms"], float) and 0 <= line["duration_ms"] < 60_000
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    assert line["request_id"] == answer.headers["X-Request-ID"]


def test_an_anonymous_request_logs_no_user(client, stderr):
    client.get("/livez")

    (line,) = _requests(stderr())
    assert line["user_id"] is None and line["status"] == 200


def test_the_request_id_is_made_when_none_is_given_and_echoed(client, stderr):
    first = client.get("/livez").headers["X-Request-ID"]
    second = client.get("/api/v1/no-such-thing").headers["X-Request-ID"]

    assert NEW_ID.fullmatch(first) and NEW_ID.fullmatch(second) and first != second
    assert [line["request_id"] for line in _requests(stderr())] == [first, second]


def test_the_proxys_request_id_is_honoured(client, stderr):
    given = "Root=1-67891233-abcdef012345678912345678"

    answer = client.get("/livez", headers={"X-Request-ID": given})

    assert answer.headers["X-Request-ID"] == given
    assert answer.headers.getlist("X-Request-ID") == [given]
    (line,) = _requests(stderr())
    assert line["request_id"] == given


@pytest.mark.parametrize(
    "given",
    ["", "x" * 129, "two words", "<script>", "id\u00e9", "a;b"],
    ids=["empty", "too-long", "space", "markup", "non-ascii", "semicolon"],
)
def test_an_insane_request_id_is_replaced(client, stderr, given):
    answer = client.get("/livez", headers={"X-Request-ID": given})

    echoed = answer.headers["X-Request-ID"]
    assert NEW_ID.fullmatch(echoed) and echoed != given
    assert _requests(stderr())[0]["request_id"] == echoed


def test_a_not_found_is_a_warning_without_traceback(client, stderr):
    answer = client.get("/no-such-page", headers={"X-Request-ID": "lost-page-1"})

    assert answer.status_code == 404
    lines = stderr()
    (line,) = _requests(lines)
    assert line["level"] == "WARNING" and line["status"] == 404
    assert all("traceback" not in each for each in lines)
    assert "lost-page-1" in answer.get_data(as_text=True)


def test_refused_input_logs_its_reason_without_traceback(client, make, auth, stderr):
    requester = make.user(["requester"])
    auth.login(requester.email)
    stderr()

    answer = client.get("/budgets/", headers={"X-Request-ID": "refused-1"})

    assert answer.status_code == 403
    assert "refused-1" in answer.get_data(as_text=True)
    lines = stderr()
    (event,) = [line for line in lines if line["logger"] == "procure.security"]
    # The security log: the same format, its fields as JSON keys.
    assert event["level"] == "WARNING"
    assert event["event"] == "forbidden"
    assert event["user"] == f"{requester.id}:{requester.email}"
    assert event["request"] == "GET /budgets/" and event["remote"] == "127.0.0.1"
    assert "Budgets are for" in event["reason"]
    assert event["request_id"] == "refused-1" and event["user_id"] == requester.id
    assert all("traceback" not in line for line in lines)


def test_refused_api_input_logs_the_caller_without_traceback(make, api, stderr):
    requester = make.user(["requester"])
    client = api(requester)
    stderr()

    answer = client.post("/api/v1/requests", json={"title": ""})

    assert answer.status_code == 422
    lines = stderr()
    (line,) = _requests(lines)
    assert line["status"] == 422 and line["level"] == "WARNING"
    assert line["user_id"] == requester.id and line["path"] == "/api/v1/requests"
    assert line["request_id"] == answer.headers["X-Request-ID"]
    assert all("traceback" not in each for each in lines)


def test_the_database_gone_page_shows_the_id_and_logs_no_traceback(
    make, auth, stderr, monkeypatch
):
    def lost(*_args, **_kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection closed"))

    user = make.user(["requester"])
    auth.login(user.email)
    monkeypatch.setattr(purchasing_services, "get", lost)
    stderr()

    answer = auth.client.get("/requests/1", headers={"X-Request-ID": "db-gone-3"})

    assert answer.status_code == 503
    assert '<code class="user-select-all">db-gone-3</code>' in answer.get_data(as_text=True)
    lines = stderr()
    (warning,) = [line for line in lines if line["logger"] == "procure"]
    assert warning["level"] == "WARNING" and warning["request_id"] == "db-gone-3"
    assert "database unavailable on GET /requests/1" in warning["message"]
    assert all("traceback" not in each for each in lines)


def test_a_failed_sign_in_is_a_json_security_line(client, make, stderr):
    user = make.user()

    client.post("/login", data={"email": user.email, "password": "not the one"})

    (event,) = [line for line in stderr() if line["logger"] == "procure.security"]
    assert event["event"] == "sign_in_failed" and event["email"] == user.email
    assert event["user"] == "anonymous" and event["request"] == "POST /login"
    assert "not the one" not in json.dumps(event)


def test_an_unhandled_error_logs_its_traceback_and_the_page_shows_the_id(
    app, client, stderr, monkeypatch
):
    _broken(monkeypatch, app)

    answer = client.get("/livez", headers={"X-Request-ID": "crash-42"})

    assert answer.status_code == 500
    page = answer.get_data(as_text=True)
    assert "Something went wrong on our side" in page and "crash-42" in page
    assert "a bug for the log" not in page
    lines = stderr()
    (error,) = [line for line in lines if "traceback" in line]
    assert error["level"] == "ERROR" and error["request_id"] == "crash-42"
    assert error["path"] == "/livez" and error["method"] == "GET"
    assert "RuntimeError: a bug for the log" in error["traceback"]
    (line,) = _requests(lines)
    assert line["status"] == 500 and line["level"] == "ERROR"


def test_an_untrusted_host_page_shows_the_id(client, stderr):
    answer = client.get("/", headers={"Host": "evil.example", "X-Request-ID": "host-7"})

    assert answer.status_code == 400
    assert answer.headers["X-Request-ID"] == "host-7"
    assert "<code>host-7</code>" in answer.get_data(as_text=True)
    lines = stderr()
    (event,) = [line for line in lines if line["logger"] == "procure.security"]
    assert event["event"] == "untrusted_host" and event["host"] == "evil.example"
    assert event["request_id"] == "host-7"
    assert _requests(lines)[0]["status"] == 400


@pytest.mark.parametrize(("hops", "expected"), [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_the_client_address_comes_from_trusted_proxies_only(
    app, client, stderr, monkeypatch, hops, expected
):
    monkeypatch.setitem(app.config, "PROCURE_PROXY_HOPS", hops)

    client.get(
        "/livez",
        headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.9", "X-Forwarded-Proto": "https"},
    )

    (line,) = _requests(stderr())
    assert line["remote_addr"] == expected


def test_behind_a_proxy_the_scheme_is_the_proxys(app, client, monkeypatch):
    monkeypatch.setitem(app.view_functions, "main.livez", lambda: request.scheme)
    forwarded = {"X-Forwarded-Proto": "https"}

    monkeypatch.setitem(app.config, "PROCURE_PROXY_HOPS", 1)
    assert client.get("/livez", headers=forwarded).get_data() == b"https"
    monkeypatch.setitem(app.config, "PROCURE_PROXY_HOPS", 0)
    assert client.get("/livez", headers=forwarded).get_data() == b"http"


def test_text_format_reads_as_plain_lines(app, client, capsys, monkeypatch):
    monkeypatch.setitem(app.config, "PROCURE_LOG_FORMAT", "text")
    capsys.readouterr()

    client.get("/livez", headers={"X-Request-ID": "plain-1"})
    _broken(monkeypatch, app, "broken in text")
    client.get("/livez", headers={"X-Request-ID": "plain-2"})

    written = capsys.readouterr().err
    assert not any(line.startswith("{") for line in written.splitlines())
    ours = [line for line in written.splitlines() if "[plain-" in line]
    time = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    assert re.fullmatch(
        time + r" INFO procure\.requests \[plain-1\] GET /livez 200 \d+\.\dms user=- "
        r"remote=127\.0\.0\.1",
        ours[0],
    )
    assert re.fullmatch(
        time + r" ERROR procure \[plain-2\] unhandled error on GET /livez", ours[1]
    )
    assert re.search(
        r"unhandled error on GET /livez\nTraceback \(most recent call last\):\n.*"
        r"RuntimeError: broken in text\n",
        written,
        re.DOTALL,
    )
    assert re.fullmatch(time + r" ERROR procure\.requests \[plain-2\] GET /livez 500 .*", ours[2])


def test_settings_come_from_the_environment_and_are_checked():
    values = config.from_environment({"PROCURE_LOG_FORMAT": "text", "PROCURE_PROXY_HOPS": "2"})
    assert values["PROCURE_LOG_FORMAT"] == "text" and values["PROCURE_PROXY_HOPS"] == 2
    assert config.Config.PROCURE_LOG_FORMAT == "json" and config.Config.PROCURE_PROXY_HOPS == 0

    with pytest.raises(ValueError, match="PROCURE_LOG_FORMAT must be json or text, not 'xml'"):
        observability.check_settings({"PROCURE_LOG_FORMAT": "xml", "PROCURE_PROXY_HOPS": 0})
    with pytest.raises(ValueError, match="PROCURE_PROXY_HOPS must be a whole number"):
        observability.check_settings({"PROCURE_LOG_FORMAT": "json", "PROCURE_PROXY_HOPS": -1})


def test_creating_the_app_again_adds_no_second_handler(database_url):
    again = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x"}
    )
    with again.app_context():
        _db.engine.dispose()

    handlers = logging.getLogger("procure").handlers
    assert [type(h) for h in handlers].count(observability.StderrHandler) == 1
    assert default_handler not in handlers  # Flask's own would write each line again


def test_a_vendors_private_link_never_reaches_the_request_log(client, stderr):
    client.get("/invoice/secret-token-value")
    client.post("/quote/another-secret/decline")
    lines = _requests(stderr())
    assert [line["path"] for line in lines] == ["/invoice/…", "/quote/…/decline"]
    assert "secret" not in json.dumps(lines)
