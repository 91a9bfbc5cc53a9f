"""Audit benchmark: ``verify-audit``'s chain walk (``procure.audit.verify``, on
PostgreSQL hashed and linked by the database) on a database filled by ``flask
seed-bench``, against its walk in this process (``verify-audit --in-python``) and the
walk both replaced (kept below as ``orm_batch_walk``, the baseline), alternating, in one
process. Goal (issue 25, goal 5):
a million requests' chain — 12,697,049 events when it was last measured — verified in
under two minutes, extrapolated linearly from the events per second measured here.

The database: ``seedbench_100k`` (reused when it holds that many requests, created and
seeded otherwise, as the scale benchmark does), or the one ``BENCH_AUDIT_DATABASE``
names. It is opened read only: verifying writes nothing.

Prints each run, writes the figures into docs/performance.md (unless
``BENCH_NO_DOCS=1``); the last line reads
``verify_audit events=… old_s=… new_s=… ratio=… per_million_events_s=… met=…``.
Environment: ``BENCH_AUDIT_REQUESTS`` (100000), ``BENCH_AUDIT_DATABASE``,
``BENCH_RUNS`` (3), ``BENCH_RESEED=1``, ``BENCH_PG``, ``BENCH_NO_DOCS=1``.
"""

from __future__ import annotations

import functools
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project first, and not this folder: bench/http.py would shadow the standard library.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import sqlalchemy as sa  # noqa: E402

from bench import harness  # noqa: E402
from bench.harness import BenchError  # noqa: E402
from procure import audit, create_app  # noqa: E402
from procure.extensions import db  # noqa: E402
from procure.models import AuditEvent, AuditHead  # noqa: E402

GOAL_SECONDS = 120
# The audit events of a million requests, as seed-bench made them (docs/performance.md,
# "Data at scale"): the goal's chain length.
MILLION_REQUESTS_EVENTS = 12_697_049


def orm_batch_walk(batch_size: int = 5000) -> audit.VerifyResult:
    """The baseline: ``audit.verify`` as it was before issue 25 — keyset batches of ORM
    objects, each hashed through ``compute_hash``, expunged after its batch."""
    previous_hash = audit.GENESIS
    previous_id = 0
    count = 0
    last_id = 0
    while True:
        events = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.id > last_id)
            .order_by(AuditEvent.id)
            .limit(batch_size)
            .execution_options(populate_existing=True)
        ).all()
        if not events:
            break
        for event in events:
            if event.id != previous_id + 1:
                missing = previous_id + 1
                return audit.VerifyResult(False, count, missing, f"event {missing} is missing")
            if event.prev_hash != previous_hash:
                return audit.VerifyResult(
                    False, count, event.id, "its previous hash does not match the event before it"
                )
            if audit.compute_hash(event) != event.hash:
                return audit.VerifyResult(
                    False, count, event.id, "its content does not match its hash"
                )
            previous_hash, previous_id = event.hash, event.id
            count += 1
        last_id = events[-1].id
        for event in events:
            db.session.expunge(event)
    head = db.session.get(AuditHead, 1, populate_existing=True)
    if head is None:
        return audit.VerifyResult(False, count, None, "the audit head is missing")
    if head.seq != previous_id or head.hash != previous_hash:
        return audit.VerifyResult(
            False,
            count,
            previous_id + 1,
            f"events after {previous_id} were removed (the head records {head.seq})",
        )
    return audit.VerifyResult(True, count)


# "new" is ``verify-audit`` as it is: on PostgreSQL the database hashes and links the
# rows; "python" is its walk in this process (``--in-python``, the walk before that).
WALKS: dict[str, Callable[[], audit.VerifyResult]] = {
    "new": audit.verify,
    "python": functools.partial(audit.verify, in_python=True),
    "old": orm_batch_walk,
}


def database() -> str:
    named = os.environ.get("BENCH_AUDIT_DATABASE", "")
    if named:
        if not harness.database_exists(named):
            raise BenchError(f"BENCH_AUDIT_DATABASE: no database {named!r} on BENCH_PG")
        harness.flask(named, "init-db")  # the schema of the code under test
        return named
    size = harness.env_int("BENCH_AUDIT_REQUESTS", 100_000)
    return harness.ensure_seeded(size, reseed=harness.env_flag("BENCH_RESEED"))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(app, walk: Callable[[], audit.VerifyResult]) -> tuple[float, audit.VerifyResult]:
    """One walk in its own read-only transaction, in seconds."""
    with app.app_context():
        start = time.perf_counter()
        result = walk()
        elapsed = time.perf_counter() - start
        db.session.remove()
    if not result.ok:
        raise BenchError(
            f"the chain does not verify: event {result.bad_event_id}, {result.reason}"
        )
    return elapsed, result


def document(name: str, requests: int, events: int, runs: int, figures: dict) -> str:
    rows = [
        [
            harness.today(),
            f"`{name}`",
            f"{requests:,}",
            f"{events:,}",
            f"{figures['old_s']:.1f} s",
            f"{figures['python_s']:.1f} s",
            f"{figures['new_s']:.1f} s",
            f"{figures['ratio']:.2f}",
            f"{figures['per_million_events_s']:.1f} s",
            f"{figures['million_requests_s']:.0f} s ({harness.yes_no(figures['met'])})",
        ]
    ]
    header = [
        "date",
        "database",
        "requests",
        "events",
        "old walk (median)",
        "walk in Python (median)",
        "new walk (median)",
        "old / new",
        "new, per million events",
        "a million requests' chain, extrapolated (goal < 120 s)",
    ]
    return (
        f"Measured {harness.today()}, {runs} runs of each walk, alternating (new first), "
        "the new walk hashing in PostgreSQL, the walk in Python streaming rows to this "
        "process (`verify-audit --in-python`), the old walk loading ORM objects; "
        "in process, on PostgreSQL, the database opened read only. Peak memory of the "
        f"process after the first new walk: +{figures['new_rss_growth_mib']:.0f} MiB. "
        f"This data holds {events / requests:.1f} events per request; a million requests "
        f"of it would be verified in {figures['million_today_s']:.0f} s.\n\n"
        f"{harness.markdown_table(header, rows)}\n\n{harness.machine()}"
    )


def main() -> None:
    runs = harness.env_int("BENCH_RUNS", 3)
    name = database()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": harness.database_url(name),
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "connect_args": {"options": "-c default_transaction_read_only=on"}
            },
            "SECRET_KEY": harness.SECRET_KEY,
            "PROCURE_BASE_URL": "http://127.0.0.1",
        }
    )
    with app.app_context():
        events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
        requests = db.session.scalar(sa.text("SELECT count(*) FROM purchase_requests"))
        db.session.remove()
    print(f"{name}: {requests:,} requests, {events:,} audit events; {runs} runs each", flush=True)
    seconds: dict[str, list[float]] = {label: [] for label in WALKS}
    rss_before = peak_rss_mib()
    rss_growth = None
    for _ in range(runs):
        for label, walk in WALKS.items():
            elapsed, result = timed(app, walk)
            if result.count != events:
                raise BenchError(f"the {label} walk counted {result.count:,}, not {events:,}")
            if rss_growth is None:
                rss_growth = peak_rss_mib() - rss_before
            seconds[label].append(elapsed)
            print(f"  {label} walk: {elapsed:.2f} s", flush=True)
    with app.app_context():
        db.engine.dispose()
    old_s, new_s = statistics.median(seconds["old"]), statistics.median(seconds["new"])
    python_s = statistics.median(seconds["python"])
    per_million = new_s / events * 1_000_000
    million_requests_s = per_million * MILLION_REQUESTS_EVENTS / 1_000_000
    figures = {
        "old_s": old_s,
        "python_s": python_s,
        "new_s": new_s,
        "ratio": old_s / new_s,
        "per_million_events_s": per_million,
        "million_requests_s": million_requests_s,
        "met": million_requests_s < GOAL_SECONDS,
        "new_rss_growth_mib": rss_growth or 0.0,
    }
    # seed-bench writes more events per request since the new capabilities: say what a
    # million requests of today's data would take too.
    figures["million_today_s"] = per_million * events / requests
    print(
        f"goal: {MILLION_REQUESTS_EVENTS:,} events (a million requests) in < {GOAL_SECONDS} s; "
        f"extrapolated {million_requests_s:.0f} s: {harness.yes_no(figures['met'])}; "
        f"a million requests of this data ({events / requests:.1f} events each): "
        f"{figures['million_today_s']:.0f} s"
    )
    if not harness.env_flag("BENCH_NO_DOCS"):
        harness.write_section(
            "audit",
            document(name, requests, events, runs, figures),
            "Audit at scale (`bench/audit.py`)",
        )
    print(
        f"verify_audit events={events} old_s={old_s:.2f} python_s={python_s:.2f} "
        f"new_s={new_s:.2f} "
        f"ratio={old_s / new_s:.2f} per_million_events_s={per_million:.2f} "
        f"met={'yes' if figures['met'] else 'no'}"
    )


if __name__ == "__main__":
    harness.run_main(main)
