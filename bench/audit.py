"""Audit benchmark: ``verify-audit``'s chain walk (``procure.audit.verify``, on
PostgreSQL hashed and linked by the database) on a database filled by ``flask
seed-bench``, against its walk in this process (``verify-audit --in-python``) and the
walk both replaced (kept below as ``orm_batch_walk``, the baseline), alternating, in one
process; and the database's size. Goal (issue 25, goal 5): a million requests' chain
verified in under two minutes, and their database at most 6 GB, both scaled linearly
from the database measured (to a million requests of its data).

The database: ``seedbench_100k`` (reused when it holds that many requests, created and
seeded otherwise, as the scale benchmark does), or the one ``BENCH_AUDIT_DATABASE``
names. It is opened read only: verifying writes nothing.

Prints each run, writes the figures into docs/performance.md (unless
``BENCH_NO_DOCS=1``); the last line reads ``verify_audit events=… new_s=… python_s=…
old_s=… ratio=… per_million_events_s=… million_requests_s=… met=…
million_database_gb=… size_met=…``.
Environment: ``BENCH_AUDIT_REQUESTS`` (100000), ``BENCH_AUDIT_DATABASE``,
``BENCH_AUDIT_WALKS`` (``new,python,old``; the old walk takes minutes at a million),
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
# The database at a million requests, every event and field kept; in GB as PostgreSQL's
# pg_size_pretty counts them (1024³ bytes), as the sizes in docs/performance.md are.
GIB = 1024**3
GOAL_BYTES = 6 * GIB


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


def sizes(app) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The database's size and the audit log's (its table and indexes), in bytes."""
    with app.app_context():
        row = db.session.execute(
            sa.text(
                "SELECT pg_database_size(current_database()) AS database, "
                "pg_total_relation_size('audit_events') AS audit"
            )
        ).one()
        db.session.remove()
    return {"database": row.database, "audit": row.audit}


def gb(size: float) -> str:
    return f"{size / GIB:.2f} GB"


def document(name: str, requests: int, events: int, runs: int, figures: dict) -> str:
    def median(label: str) -> str:
        value = figures["medians"].get(label)
        return "—" if value is None else f"{value:.1f} s"

    old_over_new = figures["ratio"]
    rows = [
        [
            harness.today(),
            f"`{name}`",
            f"{requests:,}",
            f"{events:,}",
            median("old"),
            median("python"),
            median("new"),
            "—" if old_over_new is None else f"{old_over_new:.2f}",
            f"{figures['per_million_events_s']:.1f} s",
            f"{figures['million_requests_s']:.0f} s ({harness.yes_no(figures['met'])})",
            f"{gb(figures['database'])}, the audit log {gb(figures['audit'])}",
            f"{gb(figures['million_database'])} ({harness.yes_no(figures['size_met'])})",
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
        "a million requests' chain (goal < 120 s)",
        "size",
        "a million requests' database (goal ≤ 6 GB)",
    ]
    return (
        f"Measured {harness.today()}, {runs} runs of each walk, alternating (new first), "
        "the new walk hashing in PostgreSQL, the walk in Python streaming rows to this "
        "process (`verify-audit --in-python`), the old walk loading ORM objects (a dash: "
        "not run, `BENCH_AUDIT_WALKS`); in process, on PostgreSQL, the database opened "
        "read only. Peak memory of the process after the first new walk: "
        f"+{figures['new_rss_growth_mib']:.0f} MiB. This data holds "
        f"{events / requests:.1f} events per request; a million requests' chain and "
        "database are these figures scaled to a million requests.\n\n"
        f"{harness.markdown_table(header, rows)}\n\n{harness.machine()}"
    )


def walks() -> dict[str, Callable[[], audit.VerifyResult]]:
    """The walks to time: ``BENCH_AUDIT_WALKS`` (``new,python,old``, the default) names
    them; the new walk always runs, since the goal is its figure."""
    named = os.environ.get("BENCH_AUDIT_WALKS", "new,python,old").split(",")
    unknown = sorted(set(named) - set(WALKS))
    if unknown:
        raise BenchError(f"BENCH_AUDIT_WALKS: no walk {', '.join(unknown)} (new, python, old)")
    return {label: walk for label, walk in WALKS.items() if label == "new" or label in named}


def main() -> None:
    runs = harness.env_int("BENCH_RUNS", 3)
    chosen = walks()
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
    seconds: dict[str, list[float]] = {label: [] for label in chosen}
    rss_before = peak_rss_mib()
    rss_growth = None
    for _ in range(runs):
        for label, walk in chosen.items():
            elapsed, result = timed(app, walk)
            if result.count != events:
                raise BenchError(f"the {label} walk counted {result.count:,}, not {events:,}")
            if rss_growth is None:
                rss_growth = peak_rss_mib() - rss_before
            seconds[label].append(elapsed)
            print(f"  {label} walk: {elapsed:.2f} s", flush=True)
    size = sizes(app)
    with app.app_context():
        db.engine.dispose()
    medians = {label: statistics.median(times) for label, times in seconds.items()}
    new_s = medians["new"]
    per_million = new_s / events * 1_000_000
    # A million requests of this data: seed-bench writes more events per request since
    # the second round's capabilities (33 where the first round's data had 12.7).
    million_requests_s = per_million * events / requests
    million_database = size["database"] * 1_000_000 / requests
    figures = {
        "medians": medians,
        "ratio": medians["old"] / new_s if "old" in medians else None,
        "per_million_events_s": per_million,
        "million_requests_s": million_requests_s,
        "met": million_requests_s < GOAL_SECONDS,
        "new_rss_growth_mib": rss_growth or 0.0,
        "database": size["database"],
        "audit": size["audit"],
        "million_database": million_database,
        "size_met": million_database <= GOAL_BYTES,
    }
    print(
        f"goal: a million requests' chain ({events / requests:.1f} events each) in "
        f"< {GOAL_SECONDS} s: {million_requests_s:.0f} s, {harness.yes_no(figures['met'])}; "
        f"its database <= {gb(GOAL_BYTES)}: {gb(size['database'])} here "
        f"(the audit log {gb(size['audit'])}), {gb(million_database)} at a million, "
        f"{harness.yes_no(figures['size_met'])}"
    )
    if not harness.env_flag("BENCH_NO_DOCS"):
        harness.write_section(
            "audit",
            document(name, requests, events, runs, figures),
            "Audit at scale (`bench/audit.py`)",
        )
    ratio = figures["ratio"]
    print(
        f"verify_audit events={events} new_s={new_s:.2f} "
        + "".join(
            f"{label}_s={medians[label]:.2f} " for label in ("python", "old") if label in medians
        )
        + ("" if ratio is None else f"ratio={ratio:.2f} ")
        + f"per_million_events_s={per_million:.2f} million_requests_s={million_requests_s:.0f} "
        f"met={'yes' if figures['met'] else 'no'} "
        f"million_database_gb={million_database / GIB:.2f} "
        f"size_met={'yes' if figures['size_met'] else 'no'}"
    )


if __name__ == "__main__":
    harness.run_main(main)
