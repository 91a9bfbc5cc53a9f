"""Tryton's side of bench/workflow.py: a purchase requisition taken to its approval.

Runs under the Tryton venv (``.venv-tryton/bin/python``, made by ``make
.venv-tryton/.installed``), never under Procure's: trytond pins its own libraries.
bench/workflow.py starts it with the database folder in the ``TRYTOND_DATABASE__PATH``
environment variable (``TRYTOND_DATABASE__URI=sqlite://``), then talks to it in JSON
lines: the requisition's title and lines come as JSON in its first argument;
the worker first answers ``{"ready": …}``; each ``{"run": n}`` is answered with
``{"ms": [...]}`` (n requisitions, ms each); ``{"statements": true}`` with the SQL
statements one requisition sends; end of input stops it.

Set-up, once per run: ``trytond-admin`` creates the SQLite database with
``purchase_requisition`` and its dependencies (company, currency, party, product,
stock, account, purchase, purchase_request), then one transaction as root adds a
currency, a company, and two users each with an employee of the company: a requester
(group "Purchase Requisition") and an approver (also "Purchase Requisition Approval").

Each requisition is the sequence the Tryton client sends, as three RPC calls, each
run the way ``trytond.protocols.dispatcher`` runs one (its own transaction, the
user's context from ``res.user.get_preferences``, ``_check_access`` on, the
``__rpc__`` entry's conversion, commit, then the queued tasks), without HTTP:

1. ``create`` as the requester: a requisition (description, supply date; company,
   employee, warehouse and currency by default) with the two lines of
   bench/workflow.py's LINES (description, quantity, unit price, no product); its
   number from the requisition sequence.
2. ``wait`` as the requester (the button draft → waiting; checks the warehouse).
3. ``approve`` as the approver (waiting → approved: sets ``approved_by``, caches the
   total, queues ``process``); the dispatcher then runs the queued task, as it does
   before answering when no queue worker is configured: ``process`` creates one
   ``purchase.request`` per line and moves the requisition to ``processing``.

Against Procure's sequence (create, submit, two approvals, four transactions; the
benchmark prints its statement count) Tryton decides once where Procure decides twice,
and does no approval routing (no policy rules, budget check, steps, deciders,
delegations or notifications); its history is ``ir.model.log`` rows (one per button
and per transition, five per requisition), not a hash-chained audit trail. It adds
the queued task's transaction and the purchase requests it creates. Neither side
renders a page or reads the record back for a client. Counted with SQLite's trace
callback (BEGIN and COMMIT included), one requisition sends 126 statements: create
22, wait 21, approve 49, the queued process 34; most are the ORM's reads of the
records it writes and the access-rule checks around each read and write.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from importlib import metadata
from pathlib import Path

from trytond import backend
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.worker import run_task

DATABASE = "bench"


def create_database(folder: Path) -> None:
    """The empty SQLite file and ``trytond-admin`` on it, with the modules activated."""
    (folder / f"{DATABASE}.sqlite").touch()
    password = folder / "admin-password"
    password.write_text("bench-password\n")
    admin = Path(sys.executable).with_name("trytond-admin")
    subprocess.run(
        [
            str(admin),
            "-d",
            DATABASE,
            "--all",
            "--activate-dependencies",
            "-u",
            "purchase_requisition",
            "--email",
            "admin@bench.example",
        ],
        env={**os.environ, "TRYTONPASSFILE": str(password)},
        stdin=subprocess.DEVNULL,
        stdout=sys.stderr,
        check=True,
    )


def create_people(pool: Pool) -> dict[str, int]:
    """A currency, a company, a requester and an approver; their user ids."""
    with Transaction().start(DATABASE, 0) as transaction:
        currency = pool.get("currency.currency")(
            name="US Dollar", code="USD", symbol="$", digits=2, rounding=Decimal("0.01")
        )
        currency.save()
        party_model = pool.get("party.party")
        company_party = party_model(name="Bench Ltd")
        company_party.save()
        company = pool.get("company.company")(party=company_party, currency=currency)
        company.save()
        model_data = pool.get("ir.model.data")
        requisition = model_data.get_id("purchase_requisition", "group_purchase_requisition")
        approval = model_data.get_id("purchase_requisition", "group_purchase_requisition_approval")
        users = {}
        for login, groups in (
            ("requester", [requisition]),
            ("approver", [requisition, approval]),
        ):
            party = party_model(name=login.title())
            party.save()
            employee = pool.get("company.employee")(party=party, company=company)
            employee.save()
            user = pool.get("res.user")(
                login=login,
                name=login.title(),
                companies=[company],
                company=company,
                employees=[employee],
                employee=employee,
                groups=groups,
            )
            user.save()
            users[login] = user.id
        transaction.commit()
    return users


def preferences(pool: Pool, user: int) -> dict:
    """The context the client sends with every call (company, employee, language…)."""
    with Transaction().start(DATABASE, user, readonly=True):
        return pool.get("res.user").get_preferences(context_only=True)


def call(pool: Pool, user: int, context: dict, model: str, method: str, *args):
    """One RPC call as trytond's dispatcher runs it, without the HTTP around it."""
    obj = pool.get(model)
    rpc = obj.__rpc__[method]
    with Transaction().start(
        DATABASE, user, readonly=rpc.readonly, timeout=rpc.timeout
    ) as transaction:
        c_args, c_kwargs, transaction.context, transaction.timestamp = rpc.convert(
            obj, *args, context
        )
        transaction.context["_request"] = {"remote_addr": "127.0.0.1"}
        result = rpc.result(rpc.decorate(getattr(obj, method))(*c_args, **c_kwargs))
        transaction.commit()
    while transaction.tasks:
        run_task(pool, transaction.tasks.pop())
    return result


class TrytonRun:
    def __init__(self, folder: Path, title: str, lines: list[list[str]]) -> None:
        self.title, self.lines = title, lines
        create_database(folder)
        self.pool = Pool(DATABASE)
        with Transaction().start(DATABASE, 0, readonly=True):
            self.pool.init()
        users = create_people(self.pool)
        self.requester = (users["requester"], preferences(self.pool, users["requester"]))
        self.approver = (users["approver"], preferences(self.pool, users["approver"]))

    def requisition(self) -> int:
        """Create, wait, approve one requisition: three calls; its id."""
        (requisition_id,) = call(
            self.pool,
            *self.requester,
            "purchase.requisition",
            "create",
            [
                {
                    "description": self.title,
                    "supply_date": dt.date.today() + dt.timedelta(days=14),
                    "lines": [
                        (
                            "create",
                            [
                                {
                                    "description": d,
                                    "quantity": float(q),
                                    "unit_price": Decimal(p),
                                }
                                for d, q, p in self.lines
                            ],
                        )
                    ],
                }
            ],
        )
        call(self.pool, *self.requester, "purchase.requisition", "wait", [requisition_id])
        call(self.pool, *self.approver, "purchase.requisition", "approve", [requisition_id])
        return requisition_id

    def check(self, requisition_id: int) -> None:
        """The requisition went through: processing, with one purchase request a line."""
        with Transaction().start(DATABASE, 0, readonly=True):
            requisition = self.pool.get("purchase.requisition")(requisition_id)
            requests = [r for line in requisition.lines for r in line.purchase_requests]
            if requisition.state != "processing" or len(requests) != len(self.lines):
                raise SystemExit(
                    f"the requisition ended {requisition.state} with {len(requests)} "
                    "purchase requests, not processing with one a line"
                )

    def one(self) -> float:
        """One requisition, checked; ms for its three calls (the check not timed)."""
        start = time.perf_counter()
        requisition_id = self.requisition()
        elapsed = (time.perf_counter() - start) * 1000
        self.check(requisition_id)
        return elapsed

    def statements(self) -> int:
        """SQL statements one requisition sends, BEGIN and COMMIT included."""
        # Each transaction opens its own SQLite connection (trytond's backend does):
        # trace every connection handed out while the requisition runs.
        calls = []
        original = backend.Database.get_connection

        def traced(database, *args, **kwargs):
            connection = original(database, *args, **kwargs)
            connection.set_trace_callback(lambda _sql: calls.append(1))
            return connection

        backend.Database.get_connection = traced
        try:
            requisition_id = self.requisition()
        finally:
            backend.Database.get_connection = original
        self.check(requisition_id)
        return len(calls)


def main() -> None:
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr  # nothing but the protocol goes to bench/workflow.py
    folder = Path(os.environ["TRYTOND_DATABASE__PATH"])
    started = time.perf_counter()
    request = json.loads(sys.argv[1])  # bench/workflow.py's title and lines
    run = TrytonRun(folder, request["title"], request["lines"])
    ready = {
        "ready": True,
        "setup_s": time.perf_counter() - started,
        "trytond": metadata.version("trytond"),
        "purchase_requisition": metadata.version("trytond_purchase_requisition"),
    }
    protocol.write(json.dumps(ready) + "\n")
    for line in sys.stdin:
        message = json.loads(line)
        if "run" in message:
            answer = {"ms": [run.one() for _ in range(message["run"])]}
        elif "statements" in message:
            answer = {"statements": run.statements()}
        else:
            answer = {"error": f"unknown message {message!r}"}
        protocol.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
