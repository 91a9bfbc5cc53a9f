"""Issue 16 proved end to end: two gunicorn instances (A and B, one worker each, each
with an instance folder of its own) sharing one PostgreSQL database and one
S3-compatible endpoint (moto's server on loopback, tests/s3.py), in production mode.

A user signs in on A and goes on on B; a PO issued through A downloads from B with the
same SHA-256; a vendor document uploaded on B downloads from A; ``verify-audit`` and
``backup`` pass with B's settings; ``send-notifications`` run for A and B at once
delivers each message exactly once; ``init-db`` on both at once exits 0 twice; a
missing secret stops gunicorn at once; ``/metrics`` counts the requests; an upload
while the storage is down answers 503, stores no row and succeeds when retried."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import sqlalchemy as sa

from procure.config import normalise_database_url
from tests.conftest import _postgres_url
from tests.s3 import CREDENTIALS, S3Endpoint, free_port, s3_fixture  # noqa: F401
from tests.test_notifications import Inbox, start_smtp

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
METRICS_TOKEN = "two-servers-metrics-token"  # noqa: S105 -- a throwaway test value
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n% uploaded on B\n"


def _admin_engine(url: sa.URL) -> sa.Engine:
    return sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="module")
def database(request) -> Iterator[str]:
    """A PostgreSQL database of its own, empty, dropped at the end."""
    if request.config.getoption("--db") != "postgres":
        pytest.skip("two gunicorn servers share one PostgreSQL database (run with --db postgres)")
    server = sa.make_url(normalise_database_url(_postgres_url()))
    url = server.set(database=f"procure_two_{uuid.uuid4().hex[:10]}")
    admin = _admin_engine(url)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        admin.dispose()


@dataclasses.dataclass
class Machine:
    """One app server: its environment (instance folder, metrics folder) and gunicorn."""

    name: str
    env: dict[str, str]
    port: int = 0
    process: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def flask(self, *args: str, extra: dict[str, str] | None = None) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603 -- our own command line
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env={**self.env, **(extra or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def start(self) -> None:
        self.port = free_port()
        self.process = gunicorn(self.env, self.port, self.log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.log.read_text()}")
            try:
                if httpx.get(self.base + "/livez", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"{self.name} did not answer:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    """The server as deploy/procure-web.service starts it, with one worker on ``port``."""
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 -- our own server
            [
                str(BIN / "gunicorn"),
                "--config",
                str(ROOT / "deploy" / "gunicorn.conf.py"),
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{port}",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@dataclasses.dataclass
class Cluster:
    a: Machine
    b: Machine
    s3: S3Endpoint
    database: str
    init_db: list[tuple[int, str, str]]
    seeded: dict
    browser: httpx.Client


@pytest.fixture(scope="module")
def cluster(database, s3, tmp_path_factory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("two-servers")
    shared = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        **CREDENTIALS,
        "PROCURE_ENV": "production",
        "PROCURE_DATABASE_URL": database,
        "PROCURE_SECRET_KEY": "one-secret-for-both-machines",
        "PROCURE_BASE_URL": "http://127.0.0.1",
        "PROCURE_STORAGE_URL": s3.url(prefix="prod"),
        "PROCURE_METRICS_TOKEN": METRICS_TOKEN,
        "PROCURE_LOG_FORMAT": "text",
        # Nothing is delivered until the test says where.
        "PROCURE_SMTP_URL": "smtp://127.0.0.1:9",
    }
    machines = []
    for name in ("A", "B"):
        folder = root / name
        (folder / "metrics").mkdir(parents=True)
        env = {
            **shared,
            "PROCURE_INSTANCE_PATH": str(folder / "instance"),
            "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
        }
        machines.append(Machine(name, env, log=folder / "gunicorn.log"))
    a, b = machines
    browser = httpx.Client(timeout=30)
    try:
        deploys = [machine.flask("init-db") for machine in machines]
        init_db = [(p.wait(timeout=120), *p.communicate()) for p in deploys]
        seeding = subprocess.run(  # noqa: S603 -- our own helper
            [sys.executable, "-m", "tests.two_servers_seed"],
            cwd=ROOT,
            env=a.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert seeding.returncode == 0, seeding.stderr
        seeded = json.loads(seeding.stdout.strip().splitlines()[-1])
        a.start()
        b.start()
        yield Cluster(a, b, s3, database, init_db, seeded, browser)
    finally:
        browser.close()
        for machine in machines:
            machine.stop()
        if s3._server is None:
            s3.start()


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]*)"', page) or re.search(
        r'value="([^"]*)"[^>]*name="csrf_token"', page
    )
    assert match, "no CSRF token on the page"
    return html.unescape(match.group(1))


def api(cluster: Cluster, machine: Machine, method: str, path: str, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {cluster.seeded['token']}"}
    return httpx.request(method, machine.base + path, headers=headers, timeout=60, **kwargs)


def scalars(cluster: Cluster, sql: str, **params) -> list:
    engine = sa.create_engine(cluster.database)
    try:
        with engine.connect() as connection:
            return list(connection.scalars(sa.text(sql), params))
    finally:
        engine.dispose()


def scalar(cluster: Cluster, sql: str, **params):  # type: ignore[no-untyped-def]
    [value] = scalars(cluster, sql, **params)
    return value


@pytest.fixture(scope="module")
def signed_in(cluster: Cluster) -> httpx.Client:
    """The browser signed in on A (CSRF on, as in production)."""
    browser = cluster.browser
    form = browser.get(cluster.a.base + "/login")
    answer = browser.post(
        cluster.a.base + "/login",
        data={
            "csrf_token": csrf_token(form.text),
            "email": cluster.seeded["email"],
            "password": cluster.seeded["password"],
        },
    )
    assert answer.status_code == 302, answer.text
    assert not answer.headers["Location"].endswith("/login")
    return browser


@pytest.fixture(scope="module")
def issued(cluster: Cluster) -> dict:
    order_id = cluster.seeded["order_id"]
    answer = api(cluster, cluster.a, "POST", f"/api/v1/orders/{order_id}/issue", json={})
    assert answer.status_code == 200, answer.text
    return answer.json()


def upload(browser: httpx.Client, machine: Machine, vendor_id: int) -> httpx.Response:
    page = browser.get(f"{machine.base}/vendors/{vendor_id}")
    assert page.status_code == 200, page.text
    return browser.post(
        f"{machine.base}/vendors/{vendor_id}/documents",
        data={"csrf_token": csrf_token(page.text), "kind": "nda", "title": "NDA from B"},
        files={"file": ("nda.pdf", PDF, "application/pdf")},
    )


@pytest.mark.postgres_only
def test_init_db_on_both_machines_at_once_exits_0_twice(cluster):
    assert [code for code, _out, _err in cluster.init_db] == [0, 0], cluster.init_db
    assert scalar(cluster, "SELECT count(*) FROM alembic_version") == 1


@pytest.mark.postgres_only
def test_a_user_signed_in_on_a_goes_on_on_b(cluster, signed_in):
    on_b = signed_in.get(cluster.b.base + "/vendors")

    assert on_b.status_code == 200, on_b.text
    assert "Sign out" in on_b.text
    # Without the cookie B sends the same request to the sign-in page.
    stranger = httpx.get(cluster.b.base + "/vendors", timeout=30)
    assert stranger.status_code == 302 and "/login" in stranger.headers["Location"]


@pytest.mark.postgres_only
def test_a_po_issued_through_a_downloads_from_b_with_the_same_sha256(cluster, issued):
    pdf_path = f"/api/v1/orders/{issued['id']}/pdf"
    from_a = api(cluster, cluster.a, "GET", pdf_path)
    from_b = api(cluster, cluster.b, "GET", pdf_path)

    assert from_a.status_code == from_b.status_code == 200, from_b.text
    assert from_b.content.startswith(b"%PDF")
    sha_a = hashlib.sha256(from_a.content).hexdigest()
    assert hashlib.sha256(from_b.content).hexdigest() == sha_a == issued["pdf_sha256"]
    # Neither instance folder holds it: it lives in the bucket.
    for machine in (cluster.a, cluster.b):
        folder = Path(machine.env["PROCURE_INSTANCE_PATH"])
        assert not [p for p in folder.rglob(issued["pdf_sha256"])]


@pytest.mark.postgres_only
def test_a_vendor_document_uploaded_on_b_downloads_from_a(cluster, signed_in):
    vendor_id = cluster.seeded["vendor_id"]
    answer = upload(signed_in, cluster.b, vendor_id)
    assert answer.status_code == 302, answer.text
    document_id = scalar(
        cluster,
        "SELECT max(id) FROM vendor_documents WHERE vendor_id = :vendor",
        vendor=vendor_id,
    )

    from_a = signed_in.get(f"{cluster.a.base}/vendors/{vendor_id}/documents/{document_id}")

    assert from_a.status_code == 200
    assert from_a.content == PDF


@pytest.mark.postgres_only
def test_verify_audit_and_backup_pass_with_bs_settings(cluster, issued, tmp_path):
    verify = cluster.b.flask("verify-audit")
    backup = cluster.b.flask("backup", str(tmp_path / "procure.backup"))
    verified, made = (verify.wait(timeout=120), backup.wait(timeout=120))
    out_v, err_v = verify.communicate()
    out_b, err_b = backup.communicate()

    assert verified == 0, out_v + err_v
    assert "1 order PDF" in out_v
    assert made == 0, out_b + err_b
    assert (tmp_path / "procure.backup").stat().st_size > 0


@pytest.mark.postgres_only
def test_send_notifications_on_a_and_b_at_once_delivers_each_message_once(cluster, issued):
    inbox = Inbox()
    controller = start_smtp(inbox, free_port())
    try:
        smtp = {"PROCURE_SMTP_URL": inbox.url}
        senders = [m.flask("send-notifications", extra=smtp) for m in (cluster.a, cluster.b)]
        results = [(p.wait(timeout=120), *p.communicate()) for p in senders]
    finally:
        controller.stop()

    assert [code for code, _out, _err in results] == [0, 0], results
    messages = [message for _sender, _rcpt, message in inbox.messages]
    ids = inbox.ids()
    assert ids and len(ids) == len(set(ids))
    sent = "SELECT id FROM notifications WHERE status = 'sent' ORDER BY id"
    assert sorted(ids) == list(scalars(cluster, sent))
    assert scalar(cluster, "SELECT count(*) FROM notifications WHERE status = 'pending'") == 0
    pdfs = [
        part.get_content()
        for message in messages
        for part in message.iter_attachments()
        if part.get_content_type() == "application/pdf"
    ]
    assert [hashlib.sha256(pdf).hexdigest() for pdf in pdfs] == [issued["pdf_sha256"]]


@pytest.mark.postgres_only
def test_a_missing_secret_in_production_stops_gunicorn_with_its_message(cluster, tmp_path):
    env = {k: v for k, v in cluster.a.env.items() if k != "PROCURE_SECRET_KEY"}
    log = tmp_path / "gunicorn.log"
    started = time.monotonic()
    process = gunicorn(env, free_port(), log)
    try:
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert code != 0
    assert time.monotonic() - started < 30
    said = [line for line in log.read_text().splitlines() if "PROCURE_SECRET_KEY" in line]
    assert said and said[0].startswith("procure: cannot start:"), log.read_text()


def requests_counted(machine: Machine, endpoint: str) -> float:
    answer = httpx.get(
        machine.base + "/metrics",
        headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    pattern = (
        rf'^procure_http_requests_total\{{[^}}]*endpoint="(?:\w+\.)?{endpoint}"[^}}]*\}} (\S+)$'
    )
    counts = re.findall(pattern, answer.text, flags=re.MULTILINE)
    return sum(float(count) for count in counts)


@pytest.mark.postgres_only
def test_metrics_count_the_requests_made_to_that_server(cluster):
    # Both servers answered /livez while starting; A counts only its own.
    before_a = requests_counted(cluster.a, "livez")
    before_b = requests_counted(cluster.b, "livez")
    assert before_a >= 1 and before_b >= 1
    for _ in range(5):
        assert httpx.get(cluster.a.base + "/livez", timeout=30).status_code == 200

    assert requests_counted(cluster.a, "livez") == before_a + 5
    assert requests_counted(cluster.b, "livez") == before_b
    refused = httpx.get(cluster.a.base + "/metrics", timeout=30)
    assert refused.status_code == 401


@pytest.mark.postgres_only
def test_an_upload_while_the_storage_is_down_answers_503_and_succeeds_when_retried(
    cluster, signed_in
):
    vendor_id = cluster.seeded["vendor_id"]
    count = "SELECT count(*) FROM vendor_documents WHERE vendor_id = :vendor"
    before = scalar(cluster, count, vendor=vendor_id)
    files = scalar(cluster, "SELECT count(*) FROM attachments")
    page = signed_in.get(f"{cluster.b.base}/vendors/{vendor_id}")
    token = csrf_token(page.text)
    cluster.s3.stop()
    try:
        refused = signed_in.post(
            f"{cluster.b.base}/vendors/{vendor_id}/documents",
            data={"csrf_token": token, "kind": "nda", "title": "While down"},
            files={"file": ("down.pdf", PDF + b"% down\n", "application/pdf")},
        )
    finally:
        cluster.s3.start()

    assert refused.status_code == 503, refused.text
    assert refused.headers["Retry-After"]
    assert scalar(cluster, count, vendor=vendor_id) == before
    assert scalar(cluster, "SELECT count(*) FROM attachments") == files
    retried = signed_in.post(
        f"{cluster.b.base}/vendors/{vendor_id}/documents",
        data={"csrf_token": token, "kind": "nda", "title": "While down"},
        files={"file": ("down.pdf", PDF + b"% down\n", "application/pdf")},
    )
    assert retried.status_code == 302, retried.text
    assert scalar(cluster, count, vendor=vendor_id) == before + 1
    assert scalar(cluster, "SELECT count(*) FROM attachments") == files + 1


def test_the_gunicorn_config_drops_a_dead_workers_live_gauges(tmp_path, monkeypatch):
    """procure-web.service runs gunicorn with deploy/gunicorn.conf.py, whose child_exit
    hook removes an ended worker's live gauge files (the pool in use), as
    prometheus-client's multiprocess mode asks."""
    web = (ROOT / "deploy" / "procure-web.service").read_text()
    assert "--config /srv/procure/deploy/gunicorn.conf.py wsgi:app" in web
    settings: dict = {}
    exec((ROOT / "deploy" / "gunicorn.conf.py").read_text(), settings)  # noqa: S102 -- ours
    assert (settings["bind"], settings["workers"]) == ("127.0.0.1:8000", 4)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for name in ("gauge_livesum_4242.db", "gauge_livesum_4343.db", "counter_4242.db"):
        (tmp_path / name).write_bytes(b"")

    settings["child_exit"](None, SimpleNamespace(pid=4242))

    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "counter_4242.db",
        "gauge_livesum_4343.db",
    ]
