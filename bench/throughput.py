"""The HTTP throughput benchmark, run as ``python bench/http.py``: Procure under
gunicorn (2 sync workers) against a bare Flask endpoint on the same database, both
loaded by wrk, measured in one run.

Endpoints: request detail (JSON and page), the request list (page 1, and the deepest
page of a status filter, reached through the list's own links), the approver's
inbox, a vendor search, an RFQ's quote comparison; the invoice list (page and JSON),
an invoice on hold (its matching page), an asset search, the coverage report (assets
whose warranty ends uncovered), a catalogue search, the SCIM user list (with a SCIM
token); and the approve action (POSTs cycling through a pool of requests the
approver may decide, topped up through the API before the run with requests the bench
requester files and submits, so that the approver has work for the whole run:
``bench/approvals.py``). Prints req/s, p50 and p99 for each, its req/s as a share of the
bare endpoint's and its p99 over the bare p99; the last line reads
``http reads_met=… min_share=… max_p99_ratio=… …``. Goals: every JSON read ≥ 50 % of
the bare req/s, every page ≥ 25 %; every p99 ≤ 4× the bare p99.

The data: a copy of ``seedbench_10k`` (``flask seed-bench --requests 10000``, made
when missing), so the approvals never wear the original out. Environment:
``BENCH_SECONDS`` (10 per endpoint), ``BENCH_CONNECTIONS`` (16), ``BENCH_ROUNDS`` (1;
medians over rounds), ``BENCH_HTTP_SIZE`` (10000), ``BENCH_RESEED=1`` (seed again even
when the database exists), ``BENCH_HTTP_DATABASE`` (copy this filled database instead),
``BENCH_PG`` (``postgresql://postgres@127.0.0.1:5432``), ``BENCH_NO_DOCS=1`` (print
only; do not rewrite docs/performance.md), ``BENCH_ENDPOINTS=name,name`` (load only the
endpoints whose names start with one of these, e.g. ``invoice,SCIM``; the docs are then
left alone). What is loaded can be pinned with ``BENCH_REQUEST_ID``, ``BENCH_VENDOR_Q``,
``BENCH_ASSET_Q``, ``BENCH_CATALOGUE_Q``, ``BENCH_DEEP_STATUS`` (closed),
``BENCH_DEEP_HOPS`` (1000 "next" links at most, for a cursor pager) and
``BENCH_APPROVE_POOL`` (5000: the most the pool holds).
"""

from __future__ import annotations

import dataclasses
import os
import re
import statistics
import urllib.parse

from bench import approvals, harness
from bench.harness import BenchError, Client, Server

SHARE_GOAL = 0.50  # of a JSON read
PAGE_SHARE_GOAL = 0.25  # of a page
P99_GOAL = 4.0
WARRANTY_DAYS = 365  # the coverage report's horizon
PER_PAGE = 200


@dataclasses.dataclass
class Endpoint:
    name: str
    path: str
    headers: dict[str, str]
    kind: str = "read"  # or "write"
    page: bool = False  # a signed-in HTML page (goal: 25 % of the bare req/s), not JSON
    pool: list[int] = dataclasses.field(default_factory=list)
    path_format: str = ""


@dataclasses.dataclass
class Site:
    """A running Procure with signed-in clients and the endpoints to load."""

    server: Server
    database: str
    source: str
    endpoints: list[Endpoint]
    clients: dict[str, Client]
    notes: list[str]
    request_id: int = 0


def start_procure(database: str, *, workers: int = 2) -> Server:
    server = Server(
        "wsgi:app", harness.procure_env(database), workers=workers, label=f"Procure on {database}"
    )
    try:
        server.wait("/login")
    except BaseException:
        server.stop()
        raise
    return server


def start_bare(database: str) -> Server:
    env = dict(os.environ, BENCH_BARE_DATABASE_URL=harness.database_url(database))
    server = Server("bench.bare_app:app", env, label="bare Flask")
    try:
        server.wait("/ready")
    except BaseException:
        server.stop()
        raise
    return server


def sign_in(server: Server, database: str) -> dict[str, Client]:
    """A browser session and an API token for each bench login."""
    clients = {}
    for role, email in harness.LOGINS.items():
        if role == "admin":
            continue
        browser = Client(server.base)
        browser.sign_in(email, harness.BENCH_PASSWORD)
        clients[role] = browser
        token = harness.flask(database, "issue-token", email, "--name", "benchmark").strip()
        clients[f"{role}-api"] = Client(server.base, token=token)
    scim = harness.flask(database, "issue-scim-token", "--name", "benchmark").strip()
    clients["scim"] = Client(server.base, token=scim)
    return clients


def _first(client: Client, path: str) -> dict | None:
    items = client.get_ok(path).json()["items"]
    return items[0] if items else None


def pick_request(api: Client) -> int:
    raw = os.environ.get("BENCH_REQUEST_ID", "")
    if raw.isdigit():
        return int(raw)
    for status in ("ordered", "approved", "pending_approval", None):
        query = f"&status={status}" if status else ""
        found = _first(api, f"/api/v1/requests?per_page=1{query}")
        if found:
            return found["id"]
    raise BenchError("the bench database holds no purchase request")


def pick_vendor_query(api: Client) -> str:
    """A substring of a vendor's name, as someone searching would type it."""
    vendor = _first(api, "/api/v1/vendors?per_page=1")
    if vendor is None:
        raise BenchError("the bench database holds no vendor")
    words = [w for w in re.findall(r"[A-Za-z]+", vendor["name"]) if len(w) >= 4]
    return (max(words, key=len) if words else vendor["name"])[:4].lower()


def _word(text: str) -> str:
    """The start of the longest word of ``text``, as someone searching would type it."""
    words = [w for w in re.findall(r"[A-Za-z]+", text) if len(w) >= 4]
    return (max(words, key=len) if words else text)[:5].lower()


def pick_asset_query(api: Client) -> str:
    """A word of a deployed asset's model (a tag would open the asset instead)."""
    asset = _first(api, "/api/v1/assets?per_page=1&status=deployed") or _first(
        api, "/api/v1/assets?per_page=1"
    )
    if asset is None:
        raise BenchError("the bench database holds no asset")
    return _word(asset["model"])


def pick_catalogue_query(api: Client) -> str:
    """A word of an item of the catalogue (the agreements in force), as someone looking
    for it would type it."""
    item = _first(api, "/api/v1/catalogue")
    if item is None:
        raise BenchError(
            "the bench database's catalogue is empty (seeded before seed-bench made "
            "framework agreements?): seed it again with BENCH_RESEED=1"
        )
    return _word(item["description"])


def pick_held_invoice(api: Client) -> int:
    """An invoice held by matching (its page shows what matching found), else any."""
    for status in ("on_hold", None):
        query = f"&status={status}" if status else ""
        found = _first(api, f"/api/v1/invoices?per_page=1{query}")
        if found:
            return found["id"]
    raise BenchError("the bench database holds no invoice")


def pick_rfq(api: Client) -> int:
    """An open RFQ with the most quotes among the first page."""
    rfqs = api.get_ok(f"/api/v1/rfqs?status=open&per_page={PER_PAGE}").json()["items"]
    quoted = [r for r in rfqs if r["quote_count"] >= 2] or [r for r in rfqs if r["quote_count"]]
    if not quoted:
        raise BenchError("the bench database holds no open RFQ with quotes")
    return max(quoted, key=lambda r: r["quote_count"])["id"]


def approval_pool(api: Client, limit: int) -> list[int]:
    """Requests waiting for the approver's decision, oldest first."""
    ids: list[int] = []
    page = 1
    while len(ids) < limit:
        answer = api.get_ok(
            f"/api/v1/requests?awaiting_me=1&per_page={PER_PAGE}&page={page}"
        ).json()
        ids += [item["id"] for item in answer["items"]]
        if page * PER_PAGE >= answer["total"]:
            break
        page += 1
    return ids[:limit]


def prepare(
    server: Server,
    database: str,
    source: str,
    *,
    writes: bool = True,
    vendor_query: str | None = None,
) -> Site:
    """Sign in and find what each endpoint reads: ids from the data, never guessed."""
    clients = sign_in(server, database)
    finance, finance_api = clients["finance"], clients["finance-api"]
    buyer_api = clients["procurement-api"]
    notes = []
    pr_id = pick_request(finance_api)
    status = os.environ.get("BENCH_DEEP_STATUS", "closed")
    deep, hops = harness.deep_page(
        finance, f"/requests?status={status}", harness.env_int("BENCH_DEEP_HOPS", 1000)
    )
    if hops:
        notes.append(f"the deep page was reached by following {hops} 'next' links")
    query = vendor_query or os.environ.get("BENCH_VENDOR_Q") or pick_vendor_query(buyer_api)
    rfq_id = pick_rfq(buyer_api)
    endpoints = [
        Endpoint("request JSON", f"/api/v1/requests/{pr_id}", finance_api.headers()),
        Endpoint("request page", f"/requests/{pr_id}", finance.headers()),
        Endpoint("request list", "/requests", finance.headers()),
        Endpoint(f"list, {status}, deep", deep, finance.headers()),
        Endpoint("approver inbox", "/approvals", clients["approver"].headers()),
        Endpoint(
            f"vendor search '{query}'",
            f"/vendors?q={urllib.parse.quote(query)}",
            clients["procurement"].headers(),
        ),
        Endpoint("RFQ comparison", f"/rfqs/{rfq_id}", clients["procurement"].headers()),
    ]
    endpoints += new_capabilities(clients, query)
    for endpoint in endpoints:
        endpoint.page = not endpoint.path.startswith(("/api/", "/scim/"))
    chosen = [n.strip() for n in os.environ.get("BENCH_ENDPOINTS", "").split(",") if n.strip()]
    if chosen:
        endpoints = [e for e in endpoints if any(e.name.startswith(n) for n in chosen)]
        writes = writes and any("approve".startswith(n) or n.startswith("approve") for n in chosen)
        if not endpoints and not writes:
            raise BenchError(f"BENCH_ENDPOINTS={','.join(chosen)} names no endpoint")
    for endpoint in endpoints:  # each answers 200, with the headers wrk sends, first
        _check(server, endpoint)
    if writes:
        approver_api = clients["approver-api"]
        limit = harness.env_int("BENCH_APPROVE_POOL", 5000)
        pool = approval_pool(approver_api, limit)
        # Enough waiting work for the whole run: more than the approver can decide in
        # it at the fastest (two workers, some 60 decisions a second each).
        run_seconds = harness.env_int("BENCH_SECONDS", 10) * harness.env_int("BENCH_ROUNDS", 1)
        seeded = len(pool)
        pool = approvals.top_up(clients["requester-api"], pool, min(limit, run_seconds * 120))
        if not pool:
            raise BenchError("the bench approver has nothing to decide")
        if len(pool) > seeded:
            notes.append(f"approve: {len(pool) - seeded} requests filed and submitted for it")
        endpoints.append(
            Endpoint(
                "approve (POST)",
                "/api/v1/requests/%d/approve",
                approver_api.headers(),
                kind="write",
                pool=pool,
                path_format="/api/v1/requests/%d/approve",
            )
        )
        notes.append(f"approve: a pool of {len(pool)} requests awaiting the approver")
    return Site(server, database, source, endpoints, clients, notes, pr_id)


def new_capabilities(clients: dict[str, Client], vendor_query: str) -> list[Endpoint]:
    """The second round's pages and lists (issue 25, goal 6): invoices, matching, the
    asset register and its coverage report, the catalogue, SCIM."""
    finance, finance_api = clients["finance"], clients["finance-api"]
    procurement = clients["procurement"]
    invoice_id = pick_held_invoice(finance_api)
    asset_q = os.environ.get("BENCH_ASSET_Q") or pick_asset_query(clients["procurement-api"])
    catalogue_q = os.environ.get("BENCH_CATALOGUE_Q") or pick_catalogue_query(
        clients["requester-api"]
    )
    return [
        Endpoint("invoice list", "/invoices/", finance.headers()),
        Endpoint("invoice list JSON", "/api/v1/invoices", finance_api.headers()),
        Endpoint("invoice matching", f"/invoices/{invoice_id}", finance.headers()),
        Endpoint(
            f"asset search '{asset_q}'",
            f"/assets?q={urllib.parse.quote(asset_q)}",
            procurement.headers(),
        ),
        Endpoint(
            "coverage report",
            f"/assets/reports/warranty?days={WARRANTY_DAYS}",
            procurement.headers(),
        ),
        Endpoint(
            f"catalogue search '{catalogue_q}'",
            f"/catalogue?q={urllib.parse.quote(catalogue_q)}",
            clients["requester"].headers(),
        ),
        Endpoint("SCIM users", "/scim/v2/Users", clients["scim"].headers()),
    ]


def _check(server: Server, endpoint: Endpoint) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(server.base + endpoint.path, headers=endpoint.headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:  # noqa: S310
            if answer.status == 200 and urllib.parse.urlsplit(answer.url).path != "/login":
                return
            status = answer.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    raise BenchError(f"{endpoint.name}: GET {endpoint.path} answered {status}, not 200")


def load(server: Server, endpoint: Endpoint, seconds: int, connections: int, pool=None):
    result = harness.wrk(
        server.base + (endpoint.path if not endpoint.pool else "/"),
        endpoint.headers,
        seconds=seconds,
        connections=connections,
        pool=pool if pool is not None else endpoint.pool,
        path_format=endpoint.path_format,
    )
    server.drain()
    return result


@dataclasses.dataclass
class Figure:
    """One endpoint's medians over the rounds."""

    rps: float
    p50_ms: float
    p99_ms: float
    failed: int

    @classmethod
    def of(cls, results: list[harness.WrkResult]) -> Figure:
        return cls(
            statistics.median(r.rps for r in results),
            statistics.median(r.p50_ms for r in results),
            statistics.median(r.p99_ms for r in results),
            sum(r.bad + r.errors for r in results),
        )


def main() -> None:
    seconds = harness.env_int("BENCH_SECONDS", 10)
    connections = harness.env_int("BENCH_CONNECTIONS", 16)
    rounds = harness.env_int("BENCH_ROUNDS", 1)
    source = os.environ.get("BENCH_HTTP_DATABASE") or harness.ensure_seeded(
        harness.env_int("BENCH_HTTP_SIZE", 10_000), reseed=harness.env_flag("BENCH_RESEED")
    )
    if not harness.database_exists(source):
        raise BenchError(f"no database {source}")
    with harness.scratch_copy(source, "procure_bench_http") as database:
        with start_procure(database) as procure, start_bare(database) as bare:
            site = prepare(procure, database, source)
            bare_endpoint = Endpoint("bare Flask", f"/requests/{site.request_id}", {})
            print(
                f"{len(site.endpoints)} endpoints and the bare one, {seconds} s each at "
                f"{connections} connections, {rounds} round(s), gunicorn -w 2 -k sync",
                flush=True,
            )
            results: dict[str, list[harness.WrkResult]] = {"bare Flask": []}
            for round_ in range(rounds):
                results["bare Flask"].append(load(bare, bare_endpoint, seconds, connections))
                for endpoint in site.endpoints:
                    pool = endpoint.pool[round_::rounds] if endpoint.pool else None
                    result = load(procure, endpoint, seconds, connections, pool)
                    results.setdefault(endpoint.name, []).append(result)
                    print(
                        f"  {endpoint.name}: {result.rps:.1f} req/s, p99 {result.p99_ms:.1f} ms",
                        flush=True,
                    )
    report(site, {name: Figure.of(r) for name, r in results.items()}, seconds, connections, rounds)


def report(site: Site, figures: dict[str, Figure], seconds: int, connections: int, rounds: int):
    bare = figures["bare Flask"]
    rows, reads_met, all_met, shares, p99s = [], 0, True, [], []
    kinds = {e.name: e.kind for e in site.endpoints}
    reads = [name for name, kind in kinds.items() if kind == "read"]
    goals = {e.name: PAGE_SHARE_GOAL if e.page else SHARE_GOAL for e in site.endpoints}
    for name, figure in figures.items():
        share = figure.rps / bare.rps if bare.rps else 0.0
        p99_ratio = figure.p99_ms / bare.p99_ms if bare.p99_ms else float("inf")
        if name == "bare Flask":
            goal = "baseline"
        else:
            # Nothing answered within the run is no figure at all, so not a goal met.
            met = (
                figure.rps > 0
                and p99_ratio <= P99_GOAL
                and (kinds[name] != "read" or share >= goals[name])
            )
            all_met &= met
            p99s.append(p99_ratio)
            if kinds[name] == "read":
                shares.append(share)
                reads_met += met
            goal = harness.yes_no(met)
        rows.append(
            [
                name,
                f"{figure.rps:.1f}",
                f"{figure.p50_ms:.1f}",
                f"{figure.p99_ms:.1f}",
                f"{share:.0%}" if kinds.get(name, "read") == "read" else f"({share:.0%})",
                f"{p99_ratio:.2f}",
                goal + (f", {figure.failed} non-2xx" if figure.failed else ""),
            ]
        )
    header = ["endpoint", "req/s", "p50 ms", "p99 ms", "share of bare", "p99 / bare p99", "goal"]
    print()
    print(harness.text_table(header, rows))
    for note in site.notes:
        print(f"  note: {note}")
    print(
        f"  goals: JSON reads >= {SHARE_GOAL:.0%} of the bare req/s, pages >= "
        f"{PAGE_SHARE_GOAL:.0%}, p99 <= {P99_GOAL:g}x the bare p99 (the approve action: p99 "
        f"only): {'all met' if all_met else 'NOT all met'}"
    )
    if not harness.env_flag("BENCH_NO_DOCS") and not os.environ.get("BENCH_ENDPOINTS"):
        body = "\n\n".join(
            [
                f"Measured {harness.today()} on a copy of `{site.source}`.",
                f"{seconds} s per endpoint at {connections} connections, {rounds} round(s) "
                "(medians), gunicorn -w 2 -k sync, wrk -t2.",
                harness.markdown_table(header, rows),
                "\n".join(f"- {note}" for note in site.notes),
                harness.machine(),
            ]
        )
        harness.write_section("http", body, "HTTP throughput (`bench/http.py`)")
    print(
        f"http reads_met={reads_met}/{len(reads)} min_share={min(shares):.3f} "
        f"max_p99_ratio={max(p99s):.2f} bare_rps={bare.rps:.1f} bare_p99_ms={bare.p99_ms:.1f} "
        f"goals={'met' if all_met else 'not_met'}"
    )
