"""Workflow throughput: create + submit + approve (two steps) of a purchase request.

Procure: through the service layer, in process, on SQLite, each action in its own
transaction as a page or API call would run it (read the request, check, change,
audit, commit). Bare: the identical sequence as a SQLAlchemy Core sketch with no
Procure code — insert the request, its lines and its numbering, a version-checked
update per action, the approval steps, and a hash-chained audit row per change.
Tryton: 8.2's purchase requisition with the same two lines, created, sent to
approval and approved (one approval) as three RPC calls on SQLite, in its own venv
and process (bench/tryton_worker.py, whose docstring says what it does and leaves out
against Procure's sequence); it answers its timings over a pipe.

All three run alternating in batches, on the same kind of database file with the
same pragmas (WAL, synchronous NORMAL). Prints the medians (ms per request) and the
ratios Procure/bare (goal ≤ 1.6) and Tryton/Procure (goal ≥ 15); the last line reads
``workflow procure_ms=… bare_ms=… ratio=… tryton_ms=… tryton_ratio=…``. Without
.venv-tryton (``make .venv-tryton/.installed``; ``make bench`` makes it) Tryton is
reported as not measured.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project first, and not this folder: bench/http.py would shadow the standard library.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

import sqlalchemy as sa  # noqa: E402

from bench import harness  # noqa: E402
from bench.bare_workflow import LINES, TITLE, BareRun  # noqa: E402
from procure import create_app  # noqa: E402
from procure.db import init_db, write_intent  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_WORKFLOW_REQUESTS", "300"))
BATCH = 25
GOAL = 1.6
TRYTON_GOAL = 15.0
TRYTON_PYTHON = ROOT / ".venv-tryton" / "bin" / "python"
TRYTON_WORKER = ROOT / "bench" / "tryton_worker.py"


# Procure ---------------------------------------------------------------------------------


class ProcureRun:
    def __init__(self, folder: str) -> None:
        self.app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/procure.db",
                "ATTACHMENTS_DIR": f"{folder}/attachments",
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                "SECRET_KEY": "bench",
            }
        )
        init_db(self.app)
        from procure import reference
        from procure.admin import services as admin
        from procure.extensions import db
        from procure.models import Role

        with self.app.app_context(), write_intent():
            it = reference.create_department("IT", "Information Technology", actor=None)
            fin = reference.create_department("FIN", "Finance", actor=None)
            self.people = {}
            for role, department in (
                (Role.REQUESTER, it),
                (Role.APPROVER, it),
                (Role.FINANCE, fin),
            ):
                user = admin.create_user(
                    f"{role.value}@bench.example",
                    name=role.value.title(),
                    password="bench-password",
                    department=department,
                    roles={role},
                    actor=None,
                )
                self.people[role] = user.id
            db.session.commit()

    def one(self) -> None:
        """Four transactions, as four page posts would run them."""
        from procure.extensions import db
        from procure.models import Role, User
        from procure.purchasing import services as purchasing

        def person(role: Role) -> User:
            return db.session.get(User, self.people[role])

        with self.app.app_context():
            with write_intent():
                pr = purchasing.create_request(
                    purchasing.RequestData(
                        title=TITLE,
                        lines=[
                            purchasing.LineData(
                                description=d,
                                quantity=Decimal(q),
                                unit_price=Decimal(p),
                                category="hardware",
                            )
                            for d, q, p in LINES
                        ],
                    ),
                    actor=person(Role.REQUESTER),
                )
                pr_id = pr.id
                db.session.commit()
            for role, action in (
                (Role.REQUESTER, purchasing.submit),
                (Role.APPROVER, purchasing.approve),
                (Role.FINANCE, purchasing.approve),
            ):
                db.session.expunge_all()  # a new HTTP request starts with nothing loaded
                with write_intent():
                    actor = person(role)
                    pr = purchasing.get(pr_id, actor)
                    action(pr, actor=actor, expected_version=pr.version)
                    final = pr.status.value
                    db.session.commit()
            if final != "approved":
                raise SystemExit(f"the request ended {final}, not approved")


# Tryton ------------------------------------------------------------------------------------


class TrytonRun:
    """bench/tryton_worker.py under .venv-tryton, asked over its stdin and stdout."""

    def __init__(self, folder: str) -> None:
        database_folder = Path(folder) / "tryton"
        database_folder.mkdir()
        self.process = subprocess.Popen(
            [
                str(TRYTON_PYTHON),
                str(TRYTON_WORKER),
                json.dumps({"title": TITLE, "lines": LINES}),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={
                **os.environ,
                "TRYTOND_DATABASE__URI": "sqlite://",
                "TRYTOND_DATABASE__PATH": str(database_folder),
            },
        )
        self.versions: dict = {}

    @staticmethod
    def available() -> bool:
        return TRYTON_PYTHON.exists()

    def _answer(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit(f"the Tryton worker stopped (exit {self.process.wait()})")
        answer = json.loads(line)
        if "error" in answer:
            raise SystemExit(f"the Tryton worker: {answer['error']}")
        return answer

    def _ask(self, message: dict) -> dict:
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()
        return self._answer()

    def wait_ready(self) -> None:
        """Blocks until the worker's database and people exist (trytond-admin: ~30 s)."""
        self.versions = self._answer()

    def batch(self, count: int) -> list[float]:
        return self._ask({"run": count})["ms"]

    def statements(self) -> int:
        return self._ask({"statements": True})["statements"]

    def close(self) -> None:
        """End of input stops the worker; one still setting up (after an error) is killed."""
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def statements_per_request(engine: sa.Engine, run) -> int:
    """SQL statements one request's sequence sends, BEGIN included."""
    calls = []

    def listener(*_args, **_kwargs) -> None:
        calls.append(1)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        run.one()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(calls)


def measure(folder: str) -> tuple[dict[str, list[float]], dict[str, int], dict]:
    """Alternating batches of each; their times (ms per request) and statement counts."""
    # Tryton's set-up (trytond-admin) runs in its process while Procure warms up.
    tryton_run = TrytonRun(folder) if TrytonRun.available() else None
    try:
        procure_run, bare_run = ProcureRun(folder), BareRun(folder)
        for _ in range(5):  # warm up: imports, caches, first pages of the files
            procure_run.one()
            bare_run.one()
        from procure.extensions import db

        with procure_run.app.app_context():
            procure_engine = db.engine
        statements = {
            "procure": statements_per_request(procure_engine, procure_run),
            "bare": statements_per_request(bare_run.engine, bare_run),
        }
        times: dict[str, list[float]] = {"procure": [], "bare": []}
        runs = {"procure": procure_run.one, "bare": bare_run.one}
        if tryton_run is not None:
            tryton_run.wait_ready()
            tryton_run.batch(5)  # warm up
            statements["tryton"] = tryton_run.statements()
            times["tryton"] = []
        for _ in range(0, REQUESTS, BATCH):
            for name, one in runs.items():
                for _ in range(BATCH):
                    start = time.perf_counter()
                    one()
                    times[name].append((time.perf_counter() - start) * 1000)
            if tryton_run is not None:
                times["tryton"].extend(tryton_run.batch(BATCH))
    finally:
        if tryton_run is not None:
            tryton_run.close()
    return times, statements, tryton_run.versions if tryton_run is not None else {}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        times, statements, tryton = measure(folder)
    done = len(times["procure"])
    procure_ms = statistics.median(times["procure"])
    bare_ms = statistics.median(times["bare"])
    ratio = procure_ms / bare_ms
    tryton_ms = statistics.median(times["tryton"]) if "tryton" in times else None
    tryton_ratio = tryton_ms / procure_ms if tryton_ms is not None else None
    print(f"create + submit + approve (2 steps), {done} requests each, SQLite, medians")
    print(
        f"  Procure services (4 transactions, audit, outbox): {procure_ms:.2f} ms/request, "
        f"{statements['procure']} SQL statements"
    )
    print(
        f"  bare SQLAlchemy Core sketch (same transactions):   {bare_ms:.2f} ms/request, "
        f"{statements['bare']} SQL statements"
    )
    if tryton_ms is not None:
        print(
            f"  Tryton {tryton['trytond']} requisition (3 RPC calls + its queued task, "
            f"1 approval): {tryton_ms:.2f} ms/request, {statements['tryton']} SQL statements"
        )
    else:
        print("  Tryton: not measured (no .venv-tryton: make .venv-tryton/.installed)")
    print(f"  Procure/bare {ratio:.3f}, goal <= {GOAL}: {'met' if ratio <= GOAL else 'NOT met'}")
    if tryton_ratio is not None:
        met = tryton_ratio >= TRYTON_GOAL
        print(
            f"  Tryton/Procure {tryton_ratio:.2f}, goal >= {TRYTON_GOAL:g}: "
            f"{'met' if met else 'NOT met'}"
        )
    else:
        print(f"  Tryton/Procure goal >= {TRYTON_GOAL:g}: not measured")
    if not harness.env_flag("BENCH_NO_DOCS"):
        write_docs(done, procure_ms, bare_ms, tryton_ms, statements, tryton)
    last = f"workflow procure_ms={procure_ms:.2f} bare_ms={bare_ms:.2f} ratio={ratio:.3f}"
    if tryton_ms is not None:
        last += f" tryton_ms={tryton_ms:.2f} tryton_ratio={tryton_ratio:.2f}"
    print(last)


def write_docs(
    done: int,
    procure_ms: float,
    bare_ms: float,
    tryton_ms: float | None,
    statements: dict[str, int],
    tryton: dict,
) -> None:
    ratio = procure_ms / bare_ms
    if tryton_ms is not None:
        tryton_ratio = tryton_ms / procure_ms
        tryton_cells = (
            f"{tryton_ms:.2f} ms",
            f"{tryton_ratio:.1f}",
            f"≥ {TRYTON_GOAL:g}: {harness.yes_no(tryton_ratio >= TRYTON_GOAL)}",
        )
        versions = (
            f" Tryton: trytond {tryton['trytond']}, "
            f"purchase_requisition {tryton['purchase_requisition']}."
        )
    else:
        tryton_cells = ("not measured", "—", f"≥ {TRYTON_GOAL:g}: not measured")
        versions = ""
    counts = " / ".join(
        str(statements[name]) for name in ("procure", "bare", "tryton") if name in statements
    )
    table = harness.markdown_table(
        [
            "date",
            "requests",
            "Procure",
            "bare",
            "Tryton",
            "statements (Procure/bare/Tryton)",
            "Procure/bare",
            "goal",
            "Tryton/Procure",
            "goal",
        ],
        [
            (
                harness.today(),
                done,
                f"{procure_ms:.2f} ms",
                f"{bare_ms:.2f} ms",
                tryton_cells[0],
                counts,
                f"{ratio:.3f}",
                f"≤ {GOAL}: {harness.yes_no(ratio <= GOAL)}",
                *tryton_cells[1:],
            )
        ],
    )
    harness.write_section(
        "workflow", f"{table}\n\n{harness.machine()}{versions}", "Workflow throughput"
    )


if __name__ == "__main__":
    main()
