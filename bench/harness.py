"""What the HTTP, scale and memory benchmarks share: bench databases on PostgreSQL,
gunicorn servers, signed-in clients, wrk runs, the machine's description and the
sections of ``docs/performance.md``.

The pure helpers (``parse_wrk_report``, ``replace_section``, ``deep_page_target``,
``markdown_table``) are unit-tested in ``tests/test_bench_tools.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import http.client
import http.cookiejar
import importlib.metadata
import json
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DOC = ROOT / "docs" / "performance.md"
USER_AGENT = "procure-bench"
SECRET_KEY = "procure-bench-secret-key"  # noqa: S105 -- a throwaway bench database's key


class BenchError(Exception):
    """A benchmark cannot run; the message says why and what to do."""


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw.replace("_", "").replace(",", ""))
    except ValueError:
        raise BenchError(f"{name} must be a whole number, not {raw!r}") from None
    if value <= 0:
        raise BenchError(f"{name} must be positive, not {raw!r}")
    return value


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in {"1", "yes", "true", "on"}


def run_main(main) -> None:
    """Run a benchmark's ``main``; a BenchError is one clear line and exit status 1."""
    try:
        main()
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


# The data: who signs in --------------------------------------------------------------

BENCH_PASSWORD = "procure-bench"  # noqa: S105 -- the seeded bench logins' published password
LOGINS = {
    "requester": "bench.requester@example.org",
    "approver": "bench.approver@example.org",
    "finance": "bench.finance@example.org",
    "procurement": "bench.procurement@example.org",
    "admin": "bench.admin@example.org",
}


# PostgreSQL ---------------------------------------------------------------------------


def pg_server() -> dict[str, str]:
    """Where the bench databases live: ``BENCH_PG`` (``postgresql://user@host:port``)."""
    raw = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
    parts = urllib.parse.urlsplit(raw)
    if parts.scheme not in {"postgresql", "postgres"} or not parts.hostname:
        raise BenchError(f"BENCH_PG must look like postgresql://user@host:port, not {raw!r}")
    return {
        "host": parts.hostname,
        "port": str(parts.port or 5432),
        "user": urllib.parse.unquote(parts.username or "postgres"),
        "password": urllib.parse.unquote(parts.password or ""),
    }


def database_url(name: str) -> str:
    """The SQLAlchemy URL of bench database ``name`` (what PROCURE_DATABASE_URL gets)."""
    server = pg_server()
    auth = urllib.parse.quote(server["user"])
    if server["password"]:
        auth += ":" + urllib.parse.quote(server["password"])
    return f"postgresql+psycopg://{auth}@{server['host']}:{server['port']}/{name}"


def database_name(size: int) -> str:
    """``seedbench_10k`` for 10,000 requests, ``seedbench_1m`` for 1,000,000."""
    for unit, suffix in ((1_000_000, "m"), (1_000, "k")):
        if size % unit == 0:
            return f"seedbench_{size // unit}{suffix}"
    return f"seedbench_{size}"


def _connect(dbname: str = "postgres"):
    import psycopg

    server = pg_server()
    try:
        return psycopg.connect(
            host=server["host"],
            port=server["port"],
            user=server["user"],
            password=server["password"] or None,
            dbname=dbname,
            autocommit=True,
            connect_timeout=10,
        )
    except psycopg.OperationalError as exc:
        raise BenchError(
            f"cannot reach PostgreSQL at {server['host']}:{server['port']} ({exc}); "
            "start it or point BENCH_PG at one"
        ) from None


def _valid_name(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise BenchError(f"not a plain database name: {name!r}")
    return name


def database_exists(name: str) -> bool:
    with _connect() as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return found.fetchone() is not None


def drop_database(name: str) -> None:
    with _connect() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {_valid_name(name)} WITH (FORCE)")


def create_database(name: str, template: str | None = None) -> None:
    import psycopg

    sql = f"CREATE DATABASE {_valid_name(name)}"
    if template:
        sql += f" TEMPLATE {_valid_name(template)}"
    with _connect() as conn:
        for attempt in range(10):
            try:
                conn.execute(sql)
                return
            except psycopg.errors.ObjectInUse as exc:
                # Copying needs the template to itself for a moment.
                if attempt == 9:
                    raise BenchError(f"cannot copy {template}: {exc}") from None
                time.sleep(3)


def request_count(name: str) -> int | None:
    """How many purchase requests ``name`` holds; None when it is no Procure database
    or has no bench logins."""
    import psycopg

    with _connect(name) as conn:
        try:
            count = conn.execute("SELECT count(*) FROM purchase_requests").fetchone()[0]
            login = conn.execute(
                "SELECT 1 FROM users WHERE email = %s", (LOGINS["approver"],)
            ).fetchone()
        except psycopg.errors.UndefinedTable:
            return None
    return count if login else None


def server_version() -> str:
    with _connect() as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


def flask(database: str, *args: str, timeout: float | None = None) -> str:
    """Run ``flask --app wsgi ARGS`` against bench database ``database``; its stdout."""
    env = procure_env(database)
    result = subprocess.run(  # noqa: S603 -- our own CLI
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise BenchError(
            f"flask {' '.join(args)} failed on {database}: "
            # The last lines: a command that is missing because the app did not load
            # says why only above "No such command".
            + "\n".join(result.stderr.strip().splitlines()[-12:] or ["no message"])
        )
    return result.stdout


def procure_env(database: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PROCURE_DATABASE_URL=database_url(database),
        PROCURE_SECRET_KEY=SECRET_KEY,
        PROCURE_BASE_URL="http://127.0.0.1",
        # Messages stay in the outbox; nothing is delivered during a benchmark.
        PROCURE_SMTP_URL="smtp://127.0.0.1:9",
    )
    return env


def ensure_seeded(size: int, *, reseed: bool = False, name: str | None = None) -> str:
    """The bench database of ``size`` requests, filled by ``seed-bench``: reused when it
    exists and holds that many requests, created and seeded when it does not exist or
    ``reseed`` is set. One that holds something else is left alone (it may have taken
    an hour to seed): an error asks for ``reseed``. Returns its name."""
    name = name or database_name(size)
    if not reseed and database_exists(name):
        count = request_count(name)
        if count == size:
            print(f"reusing database {name} ({count:,} requests)", flush=True)
            flask(name, "init-db")  # the schema of the code under test
            settle(name)
            return name
        held = f"{count:,} requests" if count is not None else "no bench data"
        raise BenchError(
            f"database {name} holds {held}, not {size:,}; BENCH_RESEED=1 seeds it again"
        )
    drop_database(name)
    create_database(name)
    print(f"seeding {name} with {size:,} requests (flask seed-bench) ...", flush=True)
    start = time.monotonic()
    try:
        flask(name, "init-db")
        flask(name, "seed-bench", "--requests", str(size))
    except BaseException:
        drop_database(name)  # never leave a half-filled database to be reused
        raise
    print(f"  seeded in {time.monotonic() - start:.0f} s", flush=True)
    settle(name)
    return name


def settle(name: str) -> None:
    """``VACUUM (ANALYZE)`` the database, as autovacuum keeps a live one. seed-bench
    rewrites rows it has just written (every award's figures, every order's totals),
    and only a vacuum marks a table's pages all-visible, which an index-only scan needs
    to skip the table. On a server with autovacuum off (a test machine's), every page
    would be measured through a million dead rows. Quick once done: a vacuum skips the
    pages already all-visible."""
    start = time.monotonic()
    with _connect(name) as conn:
        conn.execute("VACUUM (ANALYZE)")
    print(f"  vacuumed {name} in {time.monotonic() - start:.0f} s", flush=True)


@contextmanager
def scratch_copy(source: str, name: str) -> Iterator[str]:
    """A throwaway copy of ``source`` (benchmarks that write must not wear it out)."""
    drop_database(name)
    create_database(name, template=source)
    try:
        flask(name, "init-db")  # the schema of the code under test
        yield name
    finally:
        drop_database(name)


# Servers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``gunicorn -w N -k sync APP`` on a free loopback port."""

    def __init__(
        self, app: str, env: dict[str, str], *, workers: int = 2, label: str = ""
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.label = label or app
        self.worker_count = workers
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 -- kept for the server's life
            prefix="procure-bench-", suffix=".log"
        )
        self.process = subprocess.Popen(  # noqa: S603 -- our own server
            [
                str(BIN / "gunicorn"),
                "-w",
                str(workers),
                "-k",
                "sync",
                "-b",
                f"127.0.0.1:{self.port}",
                app,
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.label} server exited:\n{self.log_tail()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", path)
                connection.getresponse().read()
                connection.close()
                return
            except OSError:
                time.sleep(0.2)
        raise BenchError(
            f"{self.label} server did not answer in {timeout:.0f} s:\n{self.log_tail()}"
        )

    def drain(self, path: str = "/login", timeout: float = 600) -> None:
        """Wait until the requests a load left queued are answered (wrk stops sending,
        not the server answering), so that they do not slow the next endpoint: a
        request sent now is answered after those ahead of it; one per worker."""
        for _ in range(self.worker_count):
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            try:
                connection.request("GET", path)
                connection.getresponse().read()
            except OSError as exc:
                raise BenchError(f"{self.label} server did not drain: {exc}") from exc
            finally:
                connection.close()

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])

    def workers(self) -> list[int]:
        """The worker processes' ids (children of the gunicorn master)."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def rss_kib(pid: int) -> int:
    """A process's resident set size (VmRSS) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise BenchError(f"no VmRSS for process {pid}")


# Clients ------------------------------------------------------------------------------


def send(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes | None
) -> int | str:
    """One request on a connection of its own; the answer's status, or the error's name."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        answer.read()
        return answer.status
    except OSError as exc:
        return type(exc).__name__
    finally:
        connection.close()


@dataclasses.dataclass
class Response:
    status: int
    url: str
    body: str

    def json(self):
        return json.loads(self.body)


class Client:
    """A browser-like client: cookies, redirects followed, our User-Agent."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.token = token
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def headers(self) -> dict[str, str]:
        """What wrk must send to be this client."""
        headers = {"User-Agent": USER_AGENT}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.jar)
        if cookies:
            headers["Cookie"] = cookies
        return headers

    def request(self, path: str, data: dict | None = None, *, form: bool = False) -> Response:
        headers = {"User-Agent": USER_AGENT}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = None
        if data is not None and form:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=120) as answer:
                return Response(answer.status, answer.url, answer.read().decode())
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.url, exc.read().decode(errors="replace"))

    def get_ok(self, path: str) -> Response:
        answer = self.request(path)
        if answer.status != 200:
            raise BenchError(f"GET {path} answered {answer.status}: {answer.body[:200]}")
        return answer

    def sign_in(self, email: str, password: str) -> None:
        page = self.get_ok("/login")
        match = re.search(r'<input[^>]*name="csrf_token"[^>]*>', page.body)
        value = re.search(r'value="([^"]*)"', match.group(0)) if match else None
        if value is None:
            raise BenchError("no CSRF token on the sign-in form")
        form = {"csrf_token": html.unescape(value.group(1)), "email": email, "password": password}
        request = urllib.request.Request(  # noqa: S310
            self.base + "/login",
            data=urllib.parse.urlencode(form).encode(),
            headers={"User-Agent": USER_AGENT},
        )
        # Not following the redirect: signing in must not depend on the dashboard.
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )
        try:
            with opener.open(request, timeout=120) as answer:
                status, location = answer.status, ""
        except urllib.error.HTTPError as exc:
            status, location = exc.code, exc.headers.get("Location", "")
        if status != 302 or urllib.parse.urlsplit(location).path == "/login":
            raise BenchError(f"cannot sign in as {email} (answer {status})")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# wrk ----------------------------------------------------------------------------------

WRK_SCRIPT = """\
-- Written by bench/harness.py: counts 2xx answers apart from the rest and prints one
-- BENCH line with the percentiles; with a pool, POSTs to PATH cycling through its ids.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

ok = 0
bad = 0
local ids = {}
local position = 0

function init(args)
  local pool = "%(pool)s"
  if pool ~= "" then
    local all, n = {}, 0
    for line in io.lines(pool) do
      table.insert(all, line)
      if n %% %(threads)d == index then table.insert(ids, line) end
      n = n + 1
    end
    if #ids == 0 then ids = all end
  end
end

if "%(pool)s" ~= "" then
  function request()
    position = position %% #ids + 1
    return wrk.format("POST", string.format("%(path)s", ids[position]), nil, '%(body)s')
  end
end

function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, requests)
  local good, failed = 0, 0
  for _, thread in ipairs(threads) do
    good = good + thread:get("ok")
    failed = failed + thread:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH ok=%%d bad=%%d requests=%%d duration_us=%%d errors=%%d p50_us=%%.0f p99_us=%%.0f\\n",
    good, failed, summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclasses.dataclass
class WrkResult:
    ok: int
    bad: int
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        """Successful (2xx) answers per second."""
        return self.ok / self.seconds if self.seconds else 0.0


def parse_wrk_report(text: str) -> WrkResult:
    """The BENCH line that our wrk script's ``done`` prints."""
    match = re.search(r"^BENCH (.*)$", text, re.MULTILINE)
    if match is None:
        raise BenchError(f"wrk printed no BENCH line:\n{text[-500:]}")
    fields = dict(pair.split("=", 1) for pair in match.group(1).split())
    try:
        return WrkResult(
            ok=int(fields["ok"]),
            bad=int(fields["bad"]),
            requests=int(fields["requests"]),
            seconds=int(fields["duration_us"]) / 1e6,
            errors=int(fields["errors"]),
            p50_ms=float(fields["p50_us"]) / 1000,
            p99_ms=float(fields["p99_us"]) / 1000,
        )
    except (KeyError, ValueError) as exc:
        raise BenchError(f"unreadable BENCH line {match.group(0)!r}: {exc}") from None


WRK_THREADS = 2


def wrk(
    url: str,
    headers: dict[str, str],
    *,
    seconds: int,
    connections: int,
    pool: Sequence[int] = (),
    path_format: str = "",
    body: str = "{}",
) -> WrkResult:
    """Load ``url`` for ``seconds`` at ``connections``; with a ``pool``, POST ``body`` to
    ``path_format % id`` for each id in turn instead."""
    if not _which("wrk"):
        raise BenchError("wrk is not installed: `make bench` installs it (Debian package wrk)")
    with tempfile.TemporaryDirectory(prefix="procure-bench-") as folder:
        pool_file = ""
        if pool:
            pool_file = f"{folder}/pool.txt"
            Path(pool_file).write_text("".join(f"{n}\n" for n in pool))
            headers = {**headers, "Content-Type": "application/json"}
        script = Path(folder) / "bench.lua"
        script.write_text(
            WRK_SCRIPT
            % {
                "pool": pool_file,
                "threads": WRK_THREADS,
                "path": path_format,
                "body": body,
            }
        )
        command = [
            "wrk",
            f"-t{WRK_THREADS}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
        ]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        result = subprocess.run(  # noqa: S603 -- wrk from Debian
            [*command, url], capture_output=True, text=True, timeout=seconds + 120, check=False
        )
    if result.returncode != 0:
        raise BenchError(f"wrk failed: {result.stderr.strip() or result.stdout.strip()}")
    return parse_wrk_report(result.stdout)


def _which(program: str) -> bool:
    return any(Path(folder, program).exists() for folder in os.environ.get("PATH", "").split(":"))


def wrk_version() -> str:
    if not _which("wrk"):
        return "not installed"
    result = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)  # noqa: S607
    first = (result.stdout or result.stderr).strip().splitlines()
    match = re.match(r"wrk (\S+)", first[0]) if first else None
    return match.group(1) if match else "unknown"


# Pages --------------------------------------------------------------------------------


def deep_page_target(page_html: str, current: str) -> tuple[str, str]:
    """Where a list page says its deepest page is, read from its own links.

    Returns ``("url", URL)`` for a ``rel="last"`` link, or a next link that changes
    only ``?page=N`` rewritten to the last page the pager names ("page X of Y");
    ``("next", URL)`` when only a next link with a cursor (``after=…``) leads on;
    ``("end", current)`` when there is none."""

    def link(rel: str) -> str | None:
        for tag in re.findall(r"<a\b[^>]*>", page_html):
            if re.search(rf'\brel="{rel}"', tag):
                href = re.search(r'\bhref="([^"]*)"', tag)
                if href and href.group(1) not in ("", "#"):
                    return html.unescape(href.group(1))
        return None

    last = link("last")
    if last:
        return "url", last
    following = link("next")
    if following is None:
        return "end", current
    parts = urllib.parse.urlsplit(following)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    pages = re.search(r"page\s+\d+\s+of\s+([\d,]+)", page_html)
    known = {key for key, _ in urllib.parse.parse_qsl(urllib.parse.urlsplit(current).query)}
    # A link that only changes ``page`` can jump; one that adds a cursor must be followed.
    numbered = {key for key, _ in query} <= known | {"page"}
    if pages and numbered and any(key == "page" and value.isdigit() for key, value in query):
        last_page = pages.group(1).replace(",", "")
        query = [(k, last_page if k == "page" else v) for k, v in query]
        return "url", urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
    return "next", following


def deep_page(client: Client, first: str, max_hops: int) -> tuple[str, int]:
    """The deepest page reachable from list page ``first``: jumps straight there when
    the pager allows, otherwise follows "next" links up to ``max_hops`` times.
    Returns the path and the number of hops followed."""
    current, hops = first, 0
    while True:
        kind, target = deep_page_target(client.get_ok(current).body, current)
        if kind == "url":
            client.get_ok(target)
            return target, hops
        if kind == "end" or hops >= max_hops:
            return current, hops
        current, hops = target, hops + 1


# Reports ------------------------------------------------------------------------------


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    cells = [list(header)] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        for row in cells
    )


def replace_section(document: str, name: str, body: str, title: str) -> str:
    """``document`` with the text between ``<!-- bench:NAME -->`` and
    ``<!-- /bench:NAME -->`` replaced by ``body``; a new section headed ``title`` is
    appended when the markers are not there yet."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body.strip()}\n{end}"
    if document.count(start) != document.count(end) or document.count(start) > 1:
        raise BenchError(f"docs/performance.md: the {start} markers are not one matched pair")
    if start in document:
        before, rest = document.split(start, 1)
        if end not in rest:
            raise BenchError(f"docs/performance.md: {end} comes before {start}")
        return before + block + rest.split(end, 1)[1]
    return document.rstrip("\n") + f"\n\n## {title}\n\n{block}\n"


def write_section(name: str, body: str, title: str) -> None:
    DOC.write_text(replace_section(DOC.read_text(), name, body, title))
    print(f"wrote the {name} figures into docs/performance.md")


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> str:
    """One paragraph: the machine and the versions the figures were measured with."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        model = found.group(1).strip() if found else model
    memory = "?"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        found = re.search(r"^MemTotal:\s*(\d+) kB", meminfo.read_text(), re.MULTILINE)
        memory = f"{int(found.group(1)) / 1024 / 1024:.0f} GiB" if found else memory
    try:
        postgres = server_version()
    except BenchError:
        postgres = "unreachable"
    return (
        f"Machine: {os.cpu_count()} CPUs ({model}), {memory} RAM, shared with other work. "
        f"Python {platform.python_version()}, Flask {_version('flask')}, "
        f"SQLAlchemy {_version('sqlalchemy')}, psycopg {_version('psycopg')}, "
        f"PostgreSQL {postgres}, gunicorn {_version('gunicorn')}, wrk {wrk_version()}."
    )


def today() -> str:
    return dt.date.today().isoformat()


def yes_no(met: bool) -> str:
    return "met" if met else "NOT met"
