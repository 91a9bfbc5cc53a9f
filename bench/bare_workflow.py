"""The bare SQLAlchemy Core sketch of bench/workflow.py: create + submit + approve (two
steps) of a purchase request with no Procure code — the numbering row, the request and
its lines, a version-checked ``UPDATE`` per action, the approval steps, and a
hash-chained audit row per change, each action in its own transaction, on SQLite with
Procure's pragmas.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal

import sqlalchemy as sa

TITLE = "Laptops for the new starters"
LINES = [("Laptop 14-inch, 32 GB", "4", "1450.00"), ("USB-C dock", "4", "189.00")]

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
                    title=TITLE,
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
