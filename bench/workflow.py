"""Workflow throughput: create + submit + approve (two steps) of a purchase request.

Procure: through the service layer, in process, on SQLite, each action in its own
transaction as a page or API call would run it (read the request, check, change,
audit, commit). Bare: the identical sequence as a SQLAlchemy Core sketch with no
Procure code — insert the request, its lines and its numbering, a version-checked
update per action, the approval steps, and a hash-chained audit row per change.

Both run in one process, alternating in batches, on the same kind of database file
with the same pragmas. Prints the medians (ms per request) and their ratio; the last
line reads ``workflow procure_ms=… bare_ms=… ratio=…`` (goal: ratio ≤ 1.6).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import statistics
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
from procure import create_app  # noqa: E402
from procure.db import init_db, write_intent  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_WORKFLOW_REQUESTS", "300"))
BATCH = 25
GOAL = 1.6
LINES = [("Laptop 14-inch, 32 GB", "4", "1450.00"), ("USB-C dock", "4", "189.00")]


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
                        title="Laptops for the new starters",
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


# Bare SQLAlchemy ---------------------------------------------------------------------------

metadata = sa.MetaData()
seq = sa.Table(
    "seq",
    metadata,
    sa.Column("prefix", sa.String(10), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("last", sa.Integer, nullable=False),
)
requests = sa.Table(
    "requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.String(20), unique=True, nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("requester_id", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("submitted_at", sa.DateTime),
    sa.Column("decided_at", sa.DateTime),
    sa.Column("version", sa.Integer, nullable=False),
)
lines = sa.Table(
    "lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("request_id", sa.ForeignKey("requests.id"), index=True, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("quantity", sa.BigInteger, nullable=False),
    sa.Column("unit_price", sa.BigInteger, nullable=False),
    sa.Column("total", sa.BigInteger, nullable=False),
)
steps = sa.Table(
    "steps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("request_id", sa.ForeignKey("requests.id"), index=True, nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("decided_by", sa.Integer),
    sa.Column("decided_at", sa.DateTime),
)
audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor_id", sa.Integer),
    sa.Column("entity_id", sa.Integer),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("changes", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)


class BareRun:
    def __init__(self, folder: str) -> None:
        self.engine = sa.create_engine(f"sqlite:///{folder}/bare.db")

        @sa.event.listens_for(self.engine, "connect")
        def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            for pragma in (
                "foreign_keys = ON",
                "busy_timeout = 15000",
                "journal_mode = WAL",
                "synchronous = NORMAL",
            ):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        @sa.event.listens_for(self.engine, "begin")
        def _begin(connection):  # type: ignore[no-untyped-def]
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            conn.execute(audit_head.insert().values(id=1, seq=0, hash="0" * 64))

    @staticmethod
    def _audit(conn, actor: int, entity_id: int, action: str, changes: dict) -> None:
        head = conn.execute(
            audit_head.update()
            .where(audit_head.c.id == 1)
            .values(seq=audit_head.c.seq + 1)
            .returning(audit_head.c.seq, audit_head.c.hash)
        ).one()
        row = {
            "id": head.seq,
            "at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
            "actor_id": actor,
            "entity_id": entity_id,
            "action": action,
            "changes": json.dumps(changes, sort_keys=True),
            "prev_hash": head.hash,
        }
        payload = json.dumps({**row, "at": row["at"].isoformat()}, sort_keys=True)
        row["hash"] = hashlib.sha256(payload.encode()).hexdigest()
        conn.execute(audit.insert().values(**row))
        conn.execute(audit_head.update().where(audit_head.c.id == 1).values(hash=row["hash"]))

    @staticmethod
    def _transition(conn, pr_id: int, version: int, status: str, **values) -> None:
        done = conn.execute(
            requests.update()
            .where(requests.c.id == pr_id, requests.c.version == version)
            .values(status=status, version=version + 1, **values)
        )
        if done.rowcount != 1:
            raise SystemExit("version conflict in the bare sketch")

    def one(self) -> None:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        with self.engine.begin() as conn:
            last = conn.execute(
                sa.update(seq)
                .where(seq.c.prefix == "PR", seq.c.year == now.year)
                .values(last=seq.c.last + 1)
                .returning(seq.c.last)
            ).scalar()
            if last is None:
                conn.execute(seq.insert().values(prefix="PR", year=now.year, last=1))
                last = 1
            amounts = [(d, int(q), int(Decimal(p) * 100)) for d, q, p in LINES]
            total = sum(q * p for _d, q, p in amounts)
            pr_id = conn.execute(
                requests.insert().values(
                    number=f"PR-{now.year}-{last:05d}",
                    title="Laptops for the new starters",
                    requester_id=1,
                    status="draft",
                    total=total,
                    version=1,
                )
            ).inserted_primary_key[0]
            conn.execute(
                lines.insert(),
                [
                    {
                        "request_id": pr_id,
                        "description": d,
                        "quantity": q,
                        "unit_price": p,
                        "total": q * p,
                    }
                    for d, q, p in amounts
                ],
            )
            self._audit(conn, 1, pr_id, "create", {"title": "Laptops", "total": total})
        with self.engine.begin() as conn:
            pr = conn.execute(sa.select(requests).where(requests.c.id == pr_id)).one()
            self._transition(conn, pr_id, pr.version, "pending_approval", submitted_at=now)
            conn.execute(
                steps.insert(),
                [
                    {"request_id": pr_id, "position": 1, "status": "pending"},
                    {"request_id": pr_id, "position": 2, "status": "waiting"},
                ],
            )
            self._audit(conn, 1, pr_id, "submit", {"steps": ["department", "finance"]})
        for position, decider in ((1, 2), (2, 3)):
            with self.engine.begin() as conn:
                pr = conn.execute(sa.select(requests).where(requests.c.id == pr_id)).one()
                step = conn.execute(
                    sa.select(steps).where(
                        steps.c.request_id == pr_id, steps.c.position == position
                    )
                ).one()
                final = position == 2
                self._transition(
                    conn,
                    pr_id,
                    pr.version,
                    "approved" if final else "pending_approval",
                    decided_at=now if final else None,
                )
                conn.execute(
                    steps.update()
                    .where(steps.c.id == step.id)
                    .values(status="approved", decided_by=decider, decided_at=now)
                )
                if not final:
                    conn.execute(
                        steps.update()
                        .where(steps.c.request_id == pr_id, steps.c.position == position + 1)
                        .values(status="pending")
                    )
                self._audit(conn, decider, pr_id, "approve", {"step": position})


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


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
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
        done = 0
        while done < REQUESTS:
            for name, run in (("procure", procure_run), ("bare", bare_run)):
                for _ in range(BATCH):
                    start = time.perf_counter()
                    run.one()
                    times[name].append((time.perf_counter() - start) * 1000)
            done += BATCH
    procure_ms = statistics.median(times["procure"])
    bare_ms = statistics.median(times["bare"])
    ratio = procure_ms / bare_ms
    print(f"create + submit + approve (2 steps), {done} requests each, SQLite, medians")
    print(
        f"  Procure services (4 transactions, audit, outbox): {procure_ms:.2f} ms/request, "
        f"{statements['procure']} SQL statements"
    )
    print(
        f"  bare SQLAlchemy Core sketch (same transactions):   {bare_ms:.2f} ms/request, "
        f"{statements['bare']} SQL statements"
    )
    print(f"  goal ratio <= {GOAL}: {'met' if ratio <= GOAL else 'NOT met'}")
    if not harness.env_flag("BENCH_NO_DOCS"):
        table = harness.markdown_table(
            ["date", "requests", "Procure", "bare", "statements (Procure/bare)", "ratio", "goal"],
            [
                (
                    harness.today(),
                    done,
                    f"{procure_ms:.2f} ms",
                    f"{bare_ms:.2f} ms",
                    f"{statements['procure']} / {statements['bare']}",
                    f"{ratio:.3f}",
                    f"≤ {GOAL}: {harness.yes_no(ratio <= GOAL)}",
                )
            ],
        )
        harness.write_section("workflow", f"{table}\n\n{harness.machine()}", "Workflow throughput")
    print(f"workflow procure_ms={procure_ms:.2f} bare_ms={bare_ms:.2f} ratio={ratio:.3f}")


if __name__ == "__main__":
    main()
