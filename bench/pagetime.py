"""Where a page's time goes: ``python bench/pagetime.py``.

The reads of the HTTP benchmark (``bench/throughput.py``), served in process by
Flask's test client on a throwaway copy of ``seedbench_10k`` — signed in through the
sign-in form and with a bearer token, as under gunicorn, so the session is loaded as in
production — each run ``BENCH_PROFILE_RUNS`` (25) times after a warm-up, and each run's
time split into:

- **SQL**: from handing each statement to the driver to its answer, rows fetched
  (SQLAlchemy's ``before_cursor_execute`` / ``after_cursor_execute``; psycopg's
  client-side cursor has fetched every row by then);
- **template**: Jinja rendering (Flask's ``before_render_template`` and
  ``template_rendered`` signals, includes and macros within);
- **Python**: the rest — the view and the services, the ORM turning rows into objects
  and tracking them, Flask, Werkzeug, the session and the JSON encoder.

Prints the medians per page (and the statements each sends) and writes them into
docs/performance.md (section ``profile``) unless ``BENCH_NO_DOCS=1``. With
``BENCH_PROFILE_TOP=N`` it also prints, for each page, its five slowest statements and
cProfile's N functions with the most time of their own, to say which Python it is.
"""

from __future__ import annotations

import contextlib
import cProfile
import dataclasses
import html
import io
import json
import logging
import pstats
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project first, and not this folder: bench/http.py would shadow the standard library.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import flask  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench import harness, throughput  # noqa: E402
from bench.harness import BenchError  # noqa: E402
from procure import create_app  # noqa: E402
from procure.extensions import db  # noqa: E402

SIZE = 10_000
SCRATCH = "bench_profile_copy"


@dataclasses.dataclass
class Answer:
    """What ``throughput.pick_*`` read of an answer (``harness.Response``'s shape)."""

    status: int
    body: str

    def json(self):
        return json.loads(self.body)


class InProcess:
    """A browser or API client on Flask's test client, with ``harness.Client``'s reads."""

    def __init__(self, app: flask.Flask, token: str | None = None) -> None:
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str):
        return self.client.get(path, headers=self.headers)

    def get_ok(self, path: str) -> Answer:
        answer = self.get(path)
        if answer.status_code != 200:
            raise BenchError(f"GET {path} answered {answer.status_code}")
        return Answer(answer.status_code, answer.get_data(as_text=True))

    def sign_in(self, email: str) -> None:
        page = self.get_ok("/login").body
        field = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page)
        value = re.search(r'value="([^"]*)"', field.group(0)) if field else None
        if value is None:
            raise BenchError("no CSRF token on the sign-in form")
        answer = self.client.post(
            "/login",
            data={
                "csrf_token": html.unescape(value.group(1)),
                "email": email,
                "password": harness.BENCH_PASSWORD,
            },
        )
        if answer.status_code != 302:
            raise BenchError(f"cannot sign in as {email} (answer {answer.status_code})")


@dataclasses.dataclass
class Split:
    total: float = 0.0
    sql: float = 0.0
    template: float = 0.0
    statements: int = 0
    slowest: list[tuple[float, str]] = dataclasses.field(default_factory=list)

    @property
    def python(self) -> float:
        return self.total - self.sql - self.template


class Meter:
    """Times the statements and the template renders of whatever runs meanwhile."""

    def __init__(self, app: flask.Flask, engine: sa.Engine) -> None:
        self.current = Split()
        self._started: list[float] = []
        sa.event.listen(engine, "before_cursor_execute", self._before_sql)
        sa.event.listen(engine, "after_cursor_execute", self._after_sql)
        flask.before_render_template.connect(self._before_template, app)
        flask.template_rendered.connect(self._after_template, app)

    def _before_sql(self, *_args) -> None:
        self._started.append(time.perf_counter())

    def _after_sql(self, _conn, _cursor, statement: str, *_args) -> None:
        took = time.perf_counter() - self._started.pop()
        self.current.sql += took
        self.current.statements += 1
        self.current.slowest.append((took, statement))

    def _before_template(self, *_args, **_kwargs) -> None:
        self._started.append(time.perf_counter())

    def _after_template(self, *_args, **_kwargs) -> None:
        self.current.template += time.perf_counter() - self._started.pop()

    def run(self, client: InProcess, path: str) -> Split:
        self.current = Split()
        start = time.perf_counter()
        answer = client.get(path)
        answer.get_data()
        self.current.total = time.perf_counter() - start
        if answer.status_code != 200:
            raise BenchError(f"GET {path} answered {answer.status_code}")
        return self.current


def endpoints(app: flask.Flask, database: str) -> list[tuple[str, InProcess, str]]:
    """(label, client, path) of each read, found in the data as the HTTP benchmark does."""
    clients: dict[str, InProcess] = {}
    for role in ("finance", "approver", "procurement", "requester"):
        email = harness.LOGINS[role]
        browser = InProcess(app)
        browser.sign_in(email)
        clients[role] = browser
        token = harness.flask(database, "issue-token", email, "--name", "profile").strip()
        clients[f"{role}-api"] = InProcess(app, token)
    scim = harness.flask(database, "issue-scim-token", "--name", "profile").strip()
    finance = clients["finance"]
    pr_id = throughput.pick_request(clients["finance-api"])
    query = throughput.pick_vendor_query(clients["finance-api"])
    rfq_id = throughput.pick_rfq(clients["procurement-api"])
    invoice_id = throughput.pick_held_invoice(clients["finance-api"])
    asset_q = throughput.pick_asset_query(clients["procurement-api"])
    catalogue_q = throughput.pick_catalogue_query(clients["requester-api"])
    return [
        ("request JSON", clients["finance-api"], f"/api/v1/requests/{pr_id}"),
        ("request page", finance, f"/requests/{pr_id}"),
        ("request list", finance, "/requests"),
        ("approver inbox", clients["approver"], "/approvals"),
        ("vendor search", finance, f"/vendors?q={query}"),
        ("RFQ comparison", clients["procurement"], f"/rfqs/{rfq_id}"),
        ("invoice list", finance, "/invoices/"),
        ("invoice list JSON", clients["finance-api"], "/api/v1/invoices"),
        ("invoice matching", finance, f"/invoices/{invoice_id}"),
        ("asset search", clients["procurement"], f"/assets?q={urllib.parse.quote(asset_q)}"),
        (
            "coverage report",
            clients["procurement"],
            f"/assets/reports/warranty?days={throughput.WARRANTY_DAYS}",
        ),
        (
            "catalogue search",
            clients["requester"],
            f"/catalogue?q={urllib.parse.quote(catalogue_q)}",
        ),
        ("SCIM users", InProcess(app, scim), "/scim/v2/Users"),
    ]


def top_functions(meter: Meter, client: InProcess, path: str, runs: int, top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        meter.run(client, path)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


@contextlib.contextmanager
def request_log_aside() -> Iterator[None]:
    """Procure's log still written, as a server writes it, but into a scratch file: a
    line for every page measured would bury the figures."""
    procure_log = logging.getLogger("procure")
    propagate = procure_log.propagate
    with tempfile.TemporaryFile("w") as log, contextlib.redirect_stderr(log):
        procure_log.propagate = False
        try:
            yield
        finally:
            procure_log.propagate = propagate


def main() -> None:
    runs = harness.env_int("BENCH_PROFILE_RUNS", 25)
    top = harness.env_int("BENCH_PROFILE_TOP", 0)
    source = harness.ensure_seeded(SIZE)
    rows = []
    with harness.scratch_copy(source, SCRATCH) as database, request_log_aside():
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": harness.database_url(database),
                "SECRET_KEY": harness.SECRET_KEY,
                "PROCURE_BASE_URL": "http://127.0.0.1",
            }
        )
        with app.app_context():
            engine = db.engine
        meter = Meter(app, engine)
        print(f"Where the time goes, {source} (a copy), median of {runs} runs, in process:")
        heads = ("total", 8), ("SQL", 8), ("template", 9), ("Python", 8), ("statements", 11)
        print(f"  {'page':<18} " + " ".join(f"{h:>{w}}" for h, w in heads))
        for label, client, path in endpoints(app, database):
            for _ in range(3):  # warm: templates, caches, the database's pages
                meter.run(client, path)
            splits = [meter.run(client, path) for _ in range(runs)]

            def median(part: str, splits=splits) -> float:
                return statistics.median(getattr(s, part) for s in splits) * 1000

            figures = {p: median(p) for p in ("total", "sql", "template", "python")}
            statements = splits[-1].statements
            rows.append((label, figures, statements))
            print(
                f"  {label:<18} {figures['total']:7.1f}ms {figures['sql']:7.1f}ms "
                f"{figures['template']:8.1f}ms {figures['python']:7.1f}ms {statements:>11}",
                flush=True,
            )
            if top:
                for took, statement in sorted(splits[-1].slowest, reverse=True)[:5]:
                    print(f"    {took * 1000:6.1f} ms  {' '.join(statement.split())[:150]}")
                print(top_functions(meter, client, path, runs, top))
        with app.app_context():
            db.engine.dispose()
    if not harness.env_flag("BENCH_NO_DOCS"):
        document(source, runs, rows)


def document(source: str, runs: int, rows: list) -> None:
    def share(part: float, total: float) -> str:
        return f"{part:.1f} ms ({part / total:.0%})"

    table = harness.markdown_table(
        ["page", "total", "SQL", "template", "Python (view, ORM, Flask)", "statements"],
        [
            (
                label,
                f"{f['total']:.1f} ms",
                share(f["sql"], f["total"]),
                share(f["template"], f["total"]),
                share(f["python"], f["total"]),
                statements,
            )
            for label, f, statements in rows
        ],
    )
    body = (
        f"Measured {harness.today()} on a copy of `{source}`, in process, median of {runs} "
        f"runs per page.\n\n{table}\n\n{harness.machine()}"
    )
    harness.write_section("profile", body, "Where a page's time goes")


if __name__ == "__main__":
    harness.run_main(main)
