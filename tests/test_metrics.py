"""GET /metrics (API.md "Operations"): who may read it, what it counts; Sentry."""

from __future__ import annotations

import gzip
import http.server
import os
import subprocess
import sys
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sentry_sdk
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from procure import create_app, metrics
from procure.config import normalise_database_url
from procure.extensions import db as _db
from procure.models import Notification, NotificationStatus, utcnow
from procure.purchasing import services as purchasing

from .factories import Factories

TOKEN = "metrics-token-for-tests"  # noqa: S105 -- a test value


@pytest.fixture
def token(app):
    app.config["PROCURE_METRICS_TOKEN"] = TOKEN
    yield TOKEN
    app.config["PROCURE_METRICS_TOKEN"] = ""


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# Who may read ----------------------------------------------------------------------------


def test_without_a_token_set_the_path_does_not_exist(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404


def test_a_missing_or_wrong_token_is_refused(client, token):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "procure_http_requests_total" not in response.get_data(as_text=True)


def test_an_allowed_address_reads_without_the_token(app, client):
    app.config["PROCURE_METRICS_ALLOW"] = "192.0.2.7, 10.0.0.0/8"
    try:
        for address, status in (("192.0.2.7", 200), ("10.9.8.7", 200), ("192.0.2.8", 404)):
            response = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
            assert response.status_code == status, address
    finally:
        app.config["PROCURE_METRICS_ALLOW"] = ""


def test_a_malformed_allow_list_stops_the_start(database_url):
    with pytest.raises(ValueError, match="PROCURE_METRICS_ALLOW: 'not-an-address'"):
        create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": database_url,
                "SECRET_KEY": "test",
                "PROCURE_METRICS_ALLOW": "127.0.0.1,not-an-address",
            }
        )


# What it counts --------------------------------------------------------------------------


def test_requests_are_counted_by_endpoint_method_and_status(client, token):
    labels = {"endpoint": "auth.login", "method": "GET", "status": "200"}
    before = scrape(client)

    for _ in range(3):
        assert client.get("/login").status_code == 200

    after = scrape(client)
    counted = "procure_http_requests_total"
    assert value(after, counted, **labels) - value(before, counted, **labels) == 3
    timed = "procure_http_request_duration_seconds_count"
    endpoint = {"endpoint": "auth.login", "method": "GET"}
    assert value(after, timed, **endpoint) - value(before, timed, **endpoint) == 3
    assert value(after, "procure_http_request_duration_seconds_bucket", le="+Inf", **endpoint) >= 3
    missing = {"endpoint": "unmatched", "method": "GET", "status": "404"}
    assert client.get("/no/such/page").status_code == 404
    assert value(scrape(client), counted, **missing) == value(after, counted, **missing) + 1


def test_failed_sign_ins_are_counted(client, token, db):
    Factories(db).user(email="counted@example.org")
    before = value(scrape(client), "procure_sign_in_failures_total", reason="failed")

    client.post("/login", data={"email": "counted@example.org", "password": "not it at all"})
    client.post("/login", data={"email": "nobody@example.org", "password": "not it at all"})

    after = value(scrape(client), "procure_sign_in_failures_total", reason="failed")
    assert after - before == 2


def test_the_outbox_depth_and_its_oldest_message(client, token, db):
    before = scrape(client)
    now = utcnow()
    for status, age in ((NotificationStatus.PENDING, 600), (NotificationStatus.PENDING, 5)):
        db.session.add(_notification(status, now, age))
    db.session.add(_notification(NotificationStatus.SENT, now, 7200))
    db.session.commit()

    after = scrape(client)
    assert value(after, "procure_outbox_depth") - value(before, "procure_outbox_depth") == 2
    assert value(after, "procure_outbox_oldest_pending_age_seconds") >= 600


def _notification(status: NotificationStatus, now, age_seconds: int) -> Notification:
    created = now - timedelta(seconds=age_seconds)
    return Notification(
        email="someone@example.org",
        kind="test",
        subject="A message",
        body_text="text",
        body_html="<p>text</p>",
        status=status,
        created_at=created,
        sent_at=created if status is NotificationStatus.SENT else None,
    )


def test_pending_approval_steps_and_the_oldest_wait(client, token, db):
    make = Factories(db)
    requester = make.user(["requester"])
    make.user(["approver"])
    before = value(scrape(client), "procure_approval_steps_pending")
    pr = purchasing.create_request(
        purchasing.RequestData(
            title="A monitor",
            lines=[
                purchasing.LineData(
                    description="Monitor",
                    quantity=Decimal("1"),
                    unit_price=Decimal("200.00"),
                    category="hardware",
                )
            ],
        ),
        actor=requester,
    )
    purchasing.submit(pr, actor=requester)
    db.session.commit()

    after = scrape(client)
    assert value(after, "procure_approval_steps_pending") == before + 1
    assert value(after, "procure_approval_oldest_wait_seconds") >= 0
    assert ("procure_approval_oldest_wait_seconds", ()) in after


def test_database_connections_in_use_are_shown(client, token, database_url):
    engine = sa.create_engine(normalise_database_url(database_url), pool_size=3)
    metrics._watch_pool(engine, metrics.instruments())
    before = value(scrape(client), "procure_db_pool_connections_in_use")
    try:
        first, second = engine.connect(), engine.connect()
        during = scrape(client)
        first.close()
        second.close()
    finally:
        engine.dispose()
    assert value(during, "procure_db_pool_connections_in_use") == before + 2
    assert value(during, "procure_db_pool_size") == 3
    assert value(scrape(client), "procure_db_pool_connections_in_use") == before


def test_counts_of_every_worker_are_summed(client, token):
    """Another process (a second gunicorn worker) writing to the same folder."""
    labels = {"endpoint": "other.worker", "method": "GET", "status": "200"}
    before = value(scrape(client), "procure_http_requests_total", **labels)
    worker = (
        "from procure import metrics\n"
        "metrics.instruments().requests.labels('other.worker', 'GET', '200').inc(5)\n"
    )
    subprocess.run([sys.executable, "-c", worker], check=True, env=dict(os.environ), timeout=120)  # noqa: S603

    after = value(scrape(client), "procure_http_requests_total", **labels)
    assert after - before == 5


def test_a_dead_workers_live_gauges_are_dropped(client, token):
    """A worker killed before gunicorn's child_exit hook ran leaves its live gauges
    behind; they are dropped, not summed with the living, at the next scrape."""
    before = value(scrape(client), "procure_db_pool_size")
    worker = (
        "import os\nfrom procure import metrics\n"
        "metrics.instruments().pool_size.set(7)\nprint(os.getpid())\n"
    )
    pid = subprocess.run(  # noqa: S603
        [sys.executable, "-c", worker],
        check=True,
        env=dict(os.environ),
        timeout=120,
        capture_output=True,
        text=True,
    ).stdout.strip()
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    assert list(folder.glob(f"gauge_live*_{pid}.db"))  # left behind by the dead worker
    assert value(scrape(client), "procure_db_pool_size") == before
    assert not list(folder.glob(f"gauge_live*_{pid}.db"))


# Sentry ----------------------------------------------------------------------------------


def test_sentry_is_not_initialised_without_a_dsn(app):
    assert not app.config["SENTRY_DSN"]
    assert not sentry_sdk.get_client().is_active()


class _Collector(http.server.BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):  # noqa: N802 -- the handler's protocol
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            import brotli  # the SDK compresses so when it is installed

            body = brotli.decompress(body)
        _Collector.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_an_unhandled_error_is_delivered_to_sentry(app, database_url):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Collector.received = []
    dsn = f"http://publickey@127.0.0.1:{server.server_port}/1"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test",
            "SENTRY_DSN": dsn,
        }
    )

    def explode():
        raise RuntimeError("sentry-test-explosion")

    app.add_url_rule("/explode", "explode", explode)
    try:
        assert sentry_sdk.get_client().is_active()
        assert sentry_sdk.get_client().dsn == dsn
        response = app.test_client().get("/explode")
        assert response.status_code == 500
        sentry_sdk.flush(timeout=10)
    finally:
        sentry_sdk.get_client().close(timeout=5)
        sentry_sdk.get_global_scope().set_client(None)
        server.shutdown()
        server.server_close()
        with app.app_context():
            _db.engine.dispose()
    delivered = b"".join(_Collector.received)
    assert b"sentry-test-explosion" in delivered
    assert b"RuntimeError" in delivered
    assert not sentry_sdk.get_client().is_active()
