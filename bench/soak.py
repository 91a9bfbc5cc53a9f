"""Load with faults: gunicorn on a fresh PostgreSQL database filled by seed-bench, a
mixed workload of every role, worker processes killed with SIGKILL and the database
connections cut while it runs; then every acknowledged write is looked for.

    make soak                       # 5 minutes, 32 connections, 3 workers
    SOAK_SECONDS=20 SOAK_CONNECTIONS=8 SOAK_KILLS=1 .venv/bin/python bench/soak.py

Environment: SOAK_SECONDS (300), SOAK_CONNECTIONS (32), SOAK_WORKERS (3), SOAK_KILLS
(4), SOAK_CUTS (1), SOAK_REQUESTS (seed-bench size, 200), SOAK_REPORT=1 writes the
"Load with faults" section of docs/reliability.md, SOAK_KEEP=1 keeps the database,
BENCH_PG the PostgreSQL server. Exit status 0 only when every check holds.

Each client thread records every request it sent and the answer. Afterwards:
every 2xx creation is in the database with its lines and total, every 2xx submit
and approval has its audit event (and the approval its decided step), every request
has at least one line and a total equal to the sum of its lines, every request's
status is the one its last audit event moved it to, ``verify-audit`` exits 0, the
request numbers of each year run 1..N without a gap, no answer outside the fault
windows failed, and the server log holds no traceback other than of a cut connection.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import random
import signal
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness  # noqa: E402
from bench.harness import BenchError  # noqa: E402
from procure.money import Money  # noqa: E402

RELIABILITY_DOC = harness.ROOT / "docs" / "reliability.md"
WINDOW = 2.0  # seconds either side of a fault within which answers may fail
CATEGORIES = ["hardware", "software", "services"]
MONEY_SCALE = Money.scale  # the money columns hold 10**-MONEY_SCALE units


@dataclasses.dataclass
class Call:
    started: float
    ended: float
    client: int
    role: str
    method: str
    path: str
    sent: dict | None
    status: int | str  # the HTTP status, or the name of the connection error
    answer: dict | None


@dataclasses.dataclass
class Fault:
    at: float
    kind: str
    detail: str


class Recorder:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.lock = threading.Lock()

    def add(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)


def call(port, token, method, path, body, *, client, role, recorder, t0):
    import http.client

    headers = {"Authorization": f"Bearer {token}", "User-Agent": harness.USER_AGENT}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    started = time.monotonic() - t0
    answer = None
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        status: int | str = response.status
        try:
            answer = json.loads(raw) if raw else None
        except ValueError:
            answer = None
    except (OSError, http.client.HTTPException) as exc:
        status = type(exc).__name__
    finally:
        connection.close()
    recorder.add(
        Call(started, time.monotonic() - t0, client, role, method, path, body, status, answer)
    )
    return status, answer


def new_request(rng: random.Random, client: int, serial: int) -> dict:
    lines = [
        {
            "description": f"soak item {client}.{serial}.{n}",
            "category": rng.choice(CATEGORIES),
            "quantity": str(rng.randint(1, 5)),
            "unit": "each",
            "unit_price": f"{rng.randint(1, 400)}.{rng.randint(0, 99):02d}",
        }
        for n in range(rng.randint(1, 3))
    ]
    return {
        "title": f"Soak request {client}.{serial}",
        "justification": "Load test",
        "lines": lines,
    }


def worker_loop(client, role, token, port, deadline, recorder, t0) -> None:
    rng = random.Random(client)  # noqa: S311 -- a workload, not a secret
    serial = 0

    def go(method, path, body=None):
        return call(
            port, token, method, path, body, client=client, role=role, recorder=recorder, t0=t0
        )

    while time.monotonic() < deadline:
        if role == "requester":
            serial += 1
            status, answer = go("POST", "/api/v1/requests", new_request(rng, client, serial))
            if status == 201 and answer and rng.random() < 0.8:
                go("POST", f"/api/v1/requests/{answer['id']}/submit", {"comment": "soak"})
            go("GET", "/api/v1/requests?mine=1&per_page=20")
        elif role in ("approver", "finance"):
            status, answer = go("GET", "/api/v1/requests?awaiting_me=1&per_page=20")
            items = (answer or {}).get("items", []) if status == 200 else []
            if items:
                pr = rng.choice(items)
                action = "approve" if rng.random() < 0.9 else "return"
                go("POST", f"/api/v1/requests/{pr['id']}/{action}", {"comment": "soak"})
            else:
                time.sleep(0.2)
        elif role == "procurement":
            go("GET", f"/api/v1/vendors?per_page=20&page={rng.randint(1, 5)}")
            go("GET", "/api/v1/rfqs?per_page=20")
            go("GET", "/api/v1/orders?per_page=20")
        else:  # admin
            go("GET", "/api/v1/audit?per_page=50")
            go("GET", "/api/v1/departments")
            go("GET", f"/api/v1/requests?per_page=20&page={rng.randint(1, 10)}")


def inject_faults(server, database, t0, duration, kills, cuts, faults, stop) -> None:
    """Kills spread over the run, the connection cut(s) between them."""
    plan = [((i + 1) / (kills + cuts + 1), "kill") for i in range(kills + cuts)]
    cut_slots = set(range(1, kills + cuts, 2)[:cuts]) if kills else set(range(cuts))
    plan = [(at, "cut" if i in cut_slots else "kill") for i, (at, _) in enumerate(plan)]
    for fraction, kind in plan:
        wait = t0 + fraction * duration - time.monotonic()
        if stop.wait(max(0.0, wait)):
            return
        at = time.monotonic() - t0
        if kind == "kill":
            workers = server.workers()
            if not workers:
                faults.append(Fault(at, "kill", "no worker to kill"))
                continue
            pid = random.choice(workers)  # noqa: S311
            os.kill(pid, signal.SIGKILL)
            faults.append(Fault(at, "kill", f"SIGKILL worker {pid}"))
        else:
            with harness._connect(database) as conn:
                cut = conn.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    (database,),
                ).fetchone()[0]
            faults.append(Fault(at, "cut", f"terminated {cut} database connections"))


def issue_token(database: str, email: str) -> str:
    return harness.flask(database, "issue-token", email, "--name", "soak").strip().splitlines()[-1]


def in_window(call: Call, faults: list[Fault]) -> bool:
    return any(
        call.started - WINDOW <= fault.at <= call.ended + WINDOW
        or fault.at - WINDOW <= call.ended <= fault.at + WINDOW
        for fault in faults
    )


def failed(call: Call) -> bool:
    return isinstance(call.status, str) or call.status >= 500


# The checks ----------------------------------------------------------------------------


def check_database(database: str, calls: list[Call]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = collections.defaultdict(list)
    with harness._connect(database) as conn:

        def rows(sql, *args):
            return conn.execute(sql, args).fetchall()

        users = dict(rows("SELECT email, id FROM users"))
        for c in calls:
            if c.status == 201 and c.path == "/api/v1/requests":
                found = rows(
                    "SELECT number, total FROM purchase_requests WHERE id = %s", c.answer["id"]
                )
                lines = rows(
                    "SELECT description FROM request_lines WHERE request_id = %s ORDER BY id",
                    c.answer["id"],
                )
                if not found or found[0][0] != c.answer["number"]:
                    problems["acknowledged creation missing"].append(c.answer["number"])
                elif [line[0] for line in lines] != [x["description"] for x in c.sent["lines"]]:
                    problems["acknowledged creation without its lines"].append(c.answer["number"])
                # The money columns hold thousandths of the currency.
                elif found[0][1] != round(Decimal(c.answer["total"]).scaleb(MONEY_SCALE)):
                    problems["acknowledged total differs"].append(
                        f"{c.answer['number']}: {found[0][1]} != {c.answer['total']}"
                    )
            elif c.status == 200 and c.method == "POST" and "/api/v1/requests/" in c.path:
                pr_id, action = int(c.path.split("/")[4]), c.path.split("/")[5]
                events = rows(
                    "SELECT count(*) FROM audit_events WHERE entity = 'request' AND "
                    "entity_id = %s AND action = %s AND actor_id = %s",
                    pr_id,
                    action,
                    users[harness.LOGINS[c.role]],
                )[0][0]
                if not events:
                    problems[f"acknowledged {action} without its audit event"].append(str(pr_id))
                if action in ("approve", "return"):
                    decided = rows(
                        "SELECT count(*) FROM approval_steps WHERE request_id = %s AND "
                        "decided_by_id = %s AND status = %s",
                        pr_id,
                        users[harness.LOGINS[c.role]],
                        "approved" if action == "approve" else "returned",
                    )[0][0]
                    if not decided:
                        problems[f"acknowledged {action} without its decided step"].append(
                            str(pr_id)
                        )
        for number, count, total, summed in rows(
            "SELECT pr.number, count(l.id), pr.total, coalesce(sum(l.total), 0) "
            "FROM purchase_requests pr LEFT JOIN request_lines l ON l.request_id = pr.id "
            "GROUP BY pr.id, pr.number, pr.total"
        ):
            if count == 0:
                problems["request without lines"].append(number)
            elif total != summed:
                problems["total is not the sum of the lines"].append(number)
        last_status = {}
        for entity_id, changes in rows(
            "SELECT entity_id, changes FROM audit_events WHERE entity = 'request' ORDER BY id"
        ):
            status = json.loads(changes or "{}").get("status")
            if isinstance(status, list) and len(status) == 2:
                last_status[entity_id] = status[1]
        for pr_id, number, status in rows("SELECT id, number, status FROM purchase_requests"):
            expected = last_status.get(pr_id, "draft")
            if status != expected:
                problems["status differs from its audit trail"].append(
                    f"{number}: {status}, audit says {expected}"
                )
        by_year = collections.defaultdict(list)
        for (number,) in rows("SELECT number FROM purchase_requests"):
            _prefix, year, serial = number.split("-")
            by_year[year].append(int(serial))
        for year, serials in by_year.items():
            if sorted(serials) != list(range(1, len(serials) + 1)):
                problems["request numbers with gaps"].append(
                    f"{year}: {len(serials)} numbers, highest {max(serials)}"
                )
    return problems


def server_tracebacks(log: str) -> tuple[int, list[str]]:
    """Tracebacks in the server log: (those of a cut connection, the others' last lines)."""
    cut, others = 0, []
    for block in log.split("Traceback (most recent call last):")[1:]:
        text = block[:20000]
        if "terminating connection due to administrator command" in text or (
            "server closed the connection unexpectedly" in text
        ):
            cut += 1
        else:
            tail = [line for line in text.splitlines() if line.strip()]
            others.append(tail[-1] if tail else "?")
    return cut, others


def report(stats: dict) -> str:
    rows = [(name, value) for name, value in stats.items()]
    return harness.markdown_table(["", "value"], rows)


def main() -> None:
    duration = harness.env_int("SOAK_SECONDS", 300)
    connections = harness.env_int("SOAK_CONNECTIONS", 32)
    workers = harness.env_int("SOAK_WORKERS", 3)
    kills = int(os.environ.get("SOAK_KILLS", "4") or 4)
    cuts = int(os.environ.get("SOAK_CUTS", "1") or 1)
    size = harness.env_int("SOAK_REQUESTS", 200)
    if kills < 0 or cuts < 0:
        raise BenchError("SOAK_KILLS and SOAK_CUTS must not be negative")
    database = f"soak_{os.getpid()}"
    harness.drop_database(database)
    harness.create_database(database)
    try:
        print(f"seeding {database} with {size} requests ...", flush=True)
        harness.flask(database, "init-db")
        harness.flask(database, "seed-bench", "--requests", str(size))
        tokens = {role: issue_token(database, email) for role, email in harness.LOGINS.items()}
        roles = ["requester", "requester", "approver", "finance", "procurement", "admin"]
        env = harness.procure_env(database)
        with harness.Server("wsgi:app", env, workers=workers, label="soak") as server:
            server.wait("/login")
            recorder, faults, stop = Recorder(), [], threading.Event()
            t0 = time.monotonic()
            deadline = t0 + duration
            threads = [
                threading.Thread(
                    target=worker_loop,
                    args=(
                        i,
                        roles[i % len(roles)],
                        tokens[roles[i % len(roles)]],
                        server.port,
                        deadline,
                        recorder,
                        t0,
                    ),
                    daemon=True,
                )
                for i in range(connections)
            ]
            injector = threading.Thread(
                target=inject_faults,
                args=(server, database, t0, duration, kills, cuts, faults, stop),
                daemon=True,
            )
            print(
                f"soak: {duration} s, {connections} connections, {workers} workers, "
                f"{kills} kills, {cuts} cuts",
                flush=True,
            )
            for thread in [*threads, injector]:
                thread.start()
            for thread in threads:
                thread.join()
            stop.set()
            injector.join()
            log = Path(server.log.name).read_text(errors="replace")
        calls = recorder.calls
        harness.flask(database, "verify-audit", timeout=600)
        problems = check_database(database, calls)
    finally:
        if not harness.env_flag("SOAK_KEEP"):
            harness.drop_database(database)

    statuses = collections.Counter(c.status for c in calls)
    fails_in = [c for c in calls if failed(c) and in_window(c, faults)]
    fails_out = [c for c in calls if failed(c) and not in_window(c, faults)]
    cut_tracebacks, other_tracebacks = server_tracebacks(log)
    if fails_out:
        problems["failures outside the fault windows"] = [
            f"{c.method} {c.path} at {c.started:.1f} s: {c.status}" for c in fails_out[:10]
        ]
    if other_tracebacks:
        problems["tracebacks not caused by a fault"] = other_tracebacks[:10]
    if len(faults) < kills + cuts:
        problems["faults not injected"] = [f"{len(faults)} of {kills + cuts}"]
    created = sum(1 for c in calls if c.status == 201)
    stats = {
        "duration": f"{duration} s",
        "connections": connections,
        "gunicorn sync workers": workers,
        "requests sent": len(calls),
        "2xx answers": sum(1 for c in calls if isinstance(c.status, int) and c.status < 300),
        "4xx answers (refusals, lost races)": sum(
            1 for c in calls if isinstance(c.status, int) and 400 <= c.status < 500
        ),
        "purchase requests created (201)": created,
        "submits / decisions acknowledged": sum(
            1 for c in calls if c.status == 200 and c.method == "POST"
        ),
        "failures inside fault windows (±2 s)": len(fails_in),
        "failures outside fault windows": len(fails_out),
        "faults injected": "; ".join(f"{f.at:.0f} s {f.detail}" for f in faults),
        "server tracebacks (cut connections / other)": (
            f"{cut_tracebacks} / {len(other_tracebacks)}"
        ),
        "writes lost": sum(
            len(v) for k, v in problems.items() if "acknowledged" in k and "missing" in k
        ),
        "verify-audit": "exit 0",  # harness.flask stops the run on any other
        "checks": "all hold" if not problems else "FAILED: " + ", ".join(problems),
    }
    print(f"statuses: {dict(sorted(statuses.items(), key=str))}")
    for name, value in stats.items():
        print(f"  {name}: {value}")
    for name, examples in problems.items():
        print(f"PROBLEM {name}: {len(examples)} e.g. {examples[:5]}")
    if harness.env_flag("SOAK_REPORT"):
        body = f"Measured {harness.today()} by `make soak`. {harness.machine()}\n\n" + report(
            stats
        )
        write_reliability_section("soak", body, "Load with faults")
    print(
        f"soak sent={len(calls)} ok2xx={stats['2xx answers']} fail_in={len(fails_in)} "
        f"fail_out={len(fails_out)} faults={len(faults)} problems={len(problems)}"
    )
    if problems:
        sys.exit(1)


def write_reliability_section(name: str, body: str, title: str) -> None:
    document = RELIABILITY_DOC.read_text() if RELIABILITY_DOC.exists() else "# Reliability\n"
    RELIABILITY_DOC.write_text(harness.replace_section(document, name, body, title))
    print(f"wrote the {title!r} section of docs/reliability.md")


if __name__ == "__main__":
    harness.run_main(main)
