"""Reports benchmark: every report page under ``/reports`` rendered in process against
bench databases (``flask seed-bench``), as finance, as a reader first sees it (no
filter: the last 90 days), the median of a few runs each. Goal: every page in
under a second. For information, the same pages over all of the data (``start=``, the
heaviest case) and the CSV exports are timed too. The budget page (``/budgets``, this
fiscal year's budgets with their figures) is timed beside them: goal under half a second.

The databases: ``seedbench_10k`` and ``seedbench_1m``, the million the goals are set at
(``BENCH_SCALE_LARGE`` requests, as in the scale benchmark), each reused, or created and
seeded as the scale benchmark does (``make bench`` runs that first); or those named in
``BENCH_REPORTS_DATABASES`` (filled PostgreSQL databases on ``BENCH_PG``,
comma-separated, used as they are and read only: every connection sets
``default_transaction_read_only``), and those in ``BENCH_REPORTS_URLS`` (database URLs,
comma-separated, such as a SQLite file filled by ``seed-bench``). Nobody signs in: the
pages run with the bench finance user set on the request, so nothing is written.

Prints each page's median per database and writes them into docs/performance.md
(unless ``BENCH_NO_DOCS=1``); the last line reads ``reports max_ms=… goal_ms=1000
met=… budgets_ms=… budgets_goal_ms=500 budgets_met=…``. Environment: ``BENCH_RUNS`` (5).
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project first, and not this folder: bench/http.py would shadow the standard library.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import sqlalchemy as sa  # noqa: E402
from flask import g  # noqa: E402

from bench import harness  # noqa: E402
from bench.harness import BenchError  # noqa: E402
from procure import create_app  # noqa: E402
from procure.extensions import db  # noqa: E402
from procure.models import PurchaseRequest, User  # noqa: E402

GOAL_MS = 1000
BUDGETS_GOAL_MS = 500
BUDGETS = "/budgets/"
PAGES = {
    "spend by vendor": "/reports/spend",
    "spend by category": "/reports/spend?by=category",
    "spend by department": "/reports/spend?by=department",
    "spend by month": "/reports/spend?by=month",
    "approval cycle time": "/reports/cycle-time",
    "sourcing savings": "/reports/savings",
    "vendor scorecards": "/reports/vendors",
    "split purchases": "/reports/split-purchases",
    "price variance": "/reports/price-variance",
    "payables ageing": "/reports/payables",
    "exchange differences": "/reports/exchange-differences",
}
EXPORTS = {
    "spend": "/reports/spend.csv",
    "cycle time": "/reports/cycle-time.csv",
    "savings": "/reports/savings.csv",
    "vendors": "/reports/vendors.csv",
    "split purchases": "/reports/split-purchases.csv",
    "price variance": "/reports/price-variance.csv",
    "accounts payable": "/reports/payables.csv",
    "exchange differences": "/reports/exchange-differences.csv",
}


# What is owed today: no date range, so no "all time" view beside the first one.
UNDATED = {"/reports/payables"}


def all_time(path: str) -> str:
    if path in UNDATED:
        return path
    return path + ("&" if "?" in path else "?") + "start="


@dataclasses.dataclass
class Measured:
    label: str
    dialect: str
    requests: int
    pages: dict[str, float]  # the default view, by report
    all_time: dict[str, float]
    exports: dict[str, float]
    budgets: float = 0.0  # the budget page, this fiscal year


def databases() -> list[tuple[str, str, dict]]:
    """(label, SQLAlchemy URL, engine options) of each database to measure."""
    chosen = []
    for url in filter(None, os.environ.get("BENCH_REPORTS_URLS", "").split(",")):
        chosen.append((url.strip().rsplit("/", 1)[-1], url.strip(), {}))
    read_only = {"connect_args": {"options": "-c default_transaction_read_only=on"}}
    for name in filter(None, os.environ.get("BENCH_REPORTS_DATABASES", "").split(",")):
        name = name.strip()
        if not harness.database_exists(name):
            raise BenchError(f"BENCH_REPORTS_DATABASES: no database {name!r} on BENCH_PG")
        chosen.append((name, harness.database_url(name), read_only))
    if not chosen:
        for size in (10_000, harness.env_int("BENCH_SCALE_LARGE", 1_000_000)):
            name = harness.ensure_seeded(size)
            chosen.append((name, harness.database_url(name), {}))
    return chosen


def timed(app, user_id: int, path: str) -> float:
    """One page as finance, in milliseconds."""
    with app.test_request_context(path):
        g._login_user = db.session.get(User, user_id)
        start = time.perf_counter()
        response = app.full_dispatch_request()
        response.get_data()
        elapsed = (time.perf_counter() - start) * 1000
        db.session.remove()
    if response.status_code != 200:
        raise BenchError(f"{path} answered {response.status_code}")
    return elapsed


def median(app, user_id: int, path: str, runs: int) -> float:
    timed(app, user_id, path)  # warm: templates, caches, the database's pages
    return statistics.median(timed(app, user_id, path) for _ in range(runs))


def measure(label: str, url: str, options: dict, runs: int) -> Measured:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": options,
            "SECRET_KEY": harness.SECRET_KEY,
            # Required with PostgreSQL since links are built from it, never from a request.
            "PROCURE_BASE_URL": "http://127.0.0.1",
        }
    )
    with app.app_context():
        finance = db.session.scalar(
            sa.select(User.id).where(User.email == harness.LOGINS["finance"])
        )
        if finance is None:
            raise BenchError(f"{label} has no bench logins: fill it with flask seed-bench")
        requests = db.session.scalar(sa.select(sa.func.count()).select_from(PurchaseRequest))
        dialect = db.engine.dialect.name
    print(f"{label} ({dialect}, {requests:,} requests), median of {runs} runs:", flush=True)
    result = Measured(label, dialect, requests, {}, {}, {})
    for name, path in PAGES.items():
        result.pages[name] = median(app, finance, path, runs)
        result.all_time[name] = median(app, finance, all_time(path), runs)
        print(
            f"  {name:<22} {result.pages[name]:8.1f} ms  all time {result.all_time[name]:7.1f} ms",
            flush=True,
        )
    for name, path in EXPORTS.items():
        result.exports[name] = median(app, finance, path, runs)
        print(f"  {name + ' CSV':<22} {result.exports[name]:8.1f} ms", flush=True)
    result.budgets = median(app, finance, BUDGETS, runs)
    print(f"  {'budgets page':<22} {result.budgets:8.1f} ms", flush=True)
    with app.app_context():
        db.engine.dispose()
    return result


def document(results: list[Measured], runs: int, worst: float) -> str:
    header = ["report"] + [
        f"{r.label} ({r.dialect}, {r.requests:,}): last 90 days / all time" for r in results
    ]
    rows = [
        [name] + [f"{r.pages[name]:.0f} / {r.all_time[name]:.0f} ms" for r in results]
        for name in PAGES
    ]
    rows += [[f"{name} CSV"] + [f"{r.exports[name]:.0f} ms" for r in results] for name in EXPORTS]
    rows.append(["budgets page (`/budgets`)"] + [f"{r.budgets:.0f} ms" for r in results])
    met = harness.yes_no(worst < GOAL_MS)
    slowest_budgets = max(r.budgets for r in results)
    budgets_met = harness.yes_no(slowest_budgets < BUDGETS_GOAL_MS)
    return (
        f"Measured {harness.today()}, median of {runs} runs per page, in process.\n\n"
        f"{harness.markdown_table(header, rows)}\n\n"
        f"Slowest page as first opened: **{worst:.0f} ms** (goal < {GOAL_MS} ms: {met}). "
        f"Budget page: **{slowest_budgets:.0f} ms** (goal < {BUDGETS_GOAL_MS} ms: "
        f"{budgets_met}).\n\n"
        f"{harness.machine()}"
    )


def main() -> None:
    runs = harness.env_int("BENCH_RUNS", 5)
    results = [measure(label, url, options, runs) for label, url, options in databases()]
    worst = max(ms for r in results for ms in r.pages.values())
    if not harness.env_flag("BENCH_NO_DOCS"):
        harness.write_section("reports", document(results, runs, worst), "Reports")
    budgets = max(r.budgets for r in results)
    print(
        f"reports max_ms={worst:.1f} goal_ms={GOAL_MS} met={'yes' if worst < GOAL_MS else 'no'}"
        f" budgets_ms={budgets:.1f} budgets_goal_ms={BUDGETS_GOAL_MS}"
        f" budgets_met={'yes' if budgets < BUDGETS_GOAL_MS else 'no'}"
    )


if __name__ == "__main__":
    harness.run_main(main)
