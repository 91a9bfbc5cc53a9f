"""Memory benchmark: one gunicorn worker serving mixed requests — the reads of
the HTTP benchmark (``bench/throughput.py``), approvals and new drafts through the
API — with the worker's resident set size (VmRSS from /proc) read after a warm-up,
after 5,000 and after 10,000 requests. Goal: growth from 5,000 to 10,000 requests ≤ 10 %.

Runs on a throwaway copy of ``seedbench_10k`` (made when missing, as in
``bench/http.py``). The last line reads ``memory rss5k_mib=… rss10k_mib=… growth=…``.
Environment: ``BENCH_MEMORY_REQUESTS`` (10000; RSS is read halfway and at the end),
``BENCH_MEMORY_CLIENTS`` (4 concurrent clients), ``BENCH_HTTP_SIZE``,
``BENCH_HTTP_DATABASE``, ``BENCH_RESEED``, ``BENCH_PG``, ``BENCH_NO_DOCS=1``.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [
    p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent
]

from bench import harness  # noqa: E402
from bench import throughput as httpbench  # noqa: E402
from bench.harness import BenchError  # noqa: E402

GOAL = 0.10
WARM_UP = 200
WRITE_EVERY = 10  # one request in ten writes: an approval while any is left, else a draft


class Mix:
    """The endless sequence of (method, path, headers, body) the clients send."""

    def __init__(self, site: httpbench.Site) -> None:
        self.reads = [e for e in site.endpoints if e.kind == "read"]
        approve = next(e for e in site.endpoints if e.kind == "write")
        self.approve_headers = {**approve.headers, "Content-Type": "application/json"}
        self.pool = collections.deque(approve.pool)
        requester = site.clients["requester-api"]
        self.draft_headers = {**requester.headers(), "Content-Type": "application/json"}
        self.lock = threading.Lock()
        self.counter = itertools.count()

    def next(self) -> tuple[str, str, dict[str, str], bytes | None]:
        with self.lock:
            n = next(self.counter)
            if n % WRITE_EVERY == WRITE_EVERY - 1:
                if self.pool:
                    path = f"/api/v1/requests/{self.pool.popleft()}/approve"
                    return "POST", path, self.approve_headers, b"{}"
                return "POST", "/api/v1/requests", self.draft_headers, self.draft(n)
            read = self.reads[n % len(self.reads)]
            return "GET", read.path, read.headers, None

    @staticmethod
    def draft(n: int) -> bytes:
        line = {
            "description": f"Docking station, batch {n}",
            "quantity": "2",
            "unit_price": "129.90",
        }
        return json.dumps({"title": f"Memory benchmark request {n}", "lines": [line]}).encode()


def drive(port: int, mix: Mix, count: int, clients: int) -> collections.Counter:
    """Send ``count`` requests from ``clients`` threads; the answers' status counts."""
    statuses: collections.Counter = collections.Counter()
    remaining = iter(range(count))
    lock = threading.Lock()

    def client() -> None:
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            method, path, headers, body = mix.next()
            status = harness.send(port, method, path, headers, body)
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def main() -> None:
    total = harness.env_int("BENCH_MEMORY_REQUESTS", 10_000)
    clients = harness.env_int("BENCH_MEMORY_CLIENTS", 4)
    half = total // 2
    source = os.environ.get("BENCH_HTTP_DATABASE") or harness.ensure_seeded(
        harness.env_int("BENCH_HTTP_SIZE", 10_000), reseed=harness.env_flag("BENCH_RESEED")
    )
    if not harness.database_exists(source):
        raise BenchError(f"no database {source}")
    statuses: collections.Counter = collections.Counter()
    with harness.scratch_copy(source, "procure_bench_memory") as database:
        with httpbench.start_procure(database, workers=1) as server:
            site = httpbench.prepare(server, database, source)
            (worker,) = server.workers()
            mix = Mix(site)
            print(
                f"one gunicorn worker (pid {worker}), {clients} clients, {len(mix.reads)} reads "
                f"and one write in {WRITE_EVERY}; a pool of {len(mix.pool)} approvals",
                flush=True,
            )
            statuses += drive(server.port, mix, WARM_UP, clients)
            rss = {"warm": harness.rss_kib(worker)}
            print(f"  after a warm-up of {WARM_UP}: {rss['warm'] / 1024:.1f} MiB", flush=True)
            statuses += drive(server.port, mix, half, clients)
            rss["half"] = harness.rss_kib(worker)
            print(f"  after {half:,} more: {rss['half'] / 1024:.1f} MiB", flush=True)
            statuses += drive(server.port, mix, total - half, clients)
            rss["end"] = harness.rss_kib(worker)
            print(f"  after {total:,} in all: {rss['end'] / 1024:.1f} MiB", flush=True)
            if server.workers() != [worker]:
                raise BenchError("the worker was replaced during the run; see the server log")
    report(rss, statuses, half, total, clients, source)


def report(rss, statuses, half, total, clients, source) -> None:
    growth = (rss["end"] - rss["half"]) / rss["half"]
    met = growth <= GOAL
    answers = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items(), key=str))
    header = ["after", "RSS MiB"]
    rows = [
        [f"warm-up ({WARM_UP})", f"{rss['warm'] / 1024:.1f}"],
        [f"{half:,} requests", f"{rss['half'] / 1024:.1f}"],
        [f"{total:,} requests", f"{rss['end'] / 1024:.1f}"],
    ]
    print()
    print(harness.text_table(header, rows))
    print(f"  answers: {answers}")
    print(
        f"  growth from {half:,} to {total:,}: {growth:+.1%} "
        f"(goal <= {GOAL:.0%}): {harness.yes_no(met)}"
    )
    if not harness.env_flag("BENCH_NO_DOCS"):
        body = "\n\n".join(
            [
                f"Measured {harness.today()} on a copy of `{source}`: one gunicorn sync worker, "
                f"{clients} concurrent clients, the reads of the HTTP benchmark in turn and one "
                f"request in {WRITE_EVERY} a write (an approval while any was waiting, then a "
                "new draft).",
                harness.markdown_table(header, rows),
                f"Growth from {half:,} to {total:,} requests: **{growth:+.1%}** (goal ≤ "
                f"{GOAL:.0%}: {harness.yes_no(met)}). Answers: {answers}.",
                harness.machine(),
            ]
        )
        harness.write_section("memory", body, "Memory (`bench/memory.py`)")
    print(
        f"memory warm_mib={rss['warm'] / 1024:.1f} rss5k_mib={rss['half'] / 1024:.1f} "
        f"rss10k_mib={rss['end'] / 1024:.1f} growth={growth:.4f} "
        f"goal={'met' if met else 'not_met'}"
    )


if __name__ == "__main__":
    harness.run_main(main)
