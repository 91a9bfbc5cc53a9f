"""``seed-bench``: fill an empty database with years of realistic purchasing history, fast.

The data is what the services would have written — the same rows, statuses, steps,
numbers and audit events (hash-chained, in time order) — but planned in memory and
written in bulk: COPY on PostgreSQL, executemany on SQLite, one chunk of requests per
transaction, so that memory stays flat. Each chunk commits with the audit events due
so far and the audit head; a document's later events (its order closed months after
it was filed) follow in later chunks. A run stopped half way (Ctrl-C, an error) ends
by appending the events still owed to the documents already written, so the database
it leaves is consistent and verifies; only a run killed outright leaves the newest
documents without their last events.

About a fifth of the requests, with their quotes, orders and some contracts, are in
the two foreign currencies the demo enables (EUR and GBP beside USD), converted at a
rate for every weekday of the history, frozen where the services freeze it
(``exchange.py``).

The vendors invoice what their orders delivered (``invoices.py``): entered, matched
against the order and its receipts as ``invoices.matching`` matches, held, resolved,
released, approved, paid at the payment day's rate, rejected, cancelled, now and then
credited; an order received and invoiced in full closes by itself.

What is received feeds the asset register (``assets.py``): an asset per unit of
hardware, deployed, repaired, retired and disposed of over the years, and a licence
pool per licence line with its seats given out.

Framework agreements (``agreements.py``): a few a year of history per theme of
standard items (laptops, monitors, licences…), each with an approved vendor, 5 to 30
items at agreed prices, some with maximum quantities and a ceiling, created, activated,
then expired the night after their end date or now and then closed early. About one in
eight requests whose leading category an agreement in force covers is filed from its
catalogue and, approved, called off it (``calloffs.py``): an order at the agreed prices
without an RFQ, consuming the agreement as the services would, then issued, received,
invoiced and closed as any order.

A few webhook endpoints (signed JSON, Slack, Teams, Mattermost, one deleted) were
told of the history's transitions (``webhooks.py``): events, deliveries and attempts,
mostly delivered at once, some retried, a few failed, for the retention window only,
as ``prune`` leaves the log.

Not generated: notifications (the outbox would hold millions of e-mails long since
sent) and the agreements' reminders, request types and their fields, agreements made
from an RFQ, delegations, vendor compliance documents, API tokens and sessions, the
vendors' invoice links and invoices sent through them or imported as e-invoices (every
invoice is entered by finance or procurement, without the vendor's PDF). Issued
purchase orders have no PDF of their own: each points to one stored placeholder PDF
that says so (rendering hundreds of thousands of PDFs would take days), through its
revision 0 (``order_revisions``), as first issued; no order is revised, returned or has a
receipt reversed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import random
import time
import types
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import generate_password_hash

from .. import award_figures, budget_sums, currencies, kept_counts, policy, settings, storage
from ..db import write_intent
from ..extensions import db
from ..models import (
    AuditHead,
    Department,
    NumberSequence,
    PolicyRule,
    PurchaseRequest,
    Setting,
    User,
    Vendor,
    utcnow,
)
from ..money import format_money
from ..vendors.demo import tiny_pdf
from . import agreements as bench_agreements
from . import assets as bench_assets
from . import bulk, rows
from . import webhooks as bench_webhooks
from .chain import COLUMNS as AUDIT_COLUMNS
from .chain import TABLE as AUDIT_TABLE
from .chain import AuditStream
from .clock import Clock
from .errors import SeedRefused
from .exchange import Exchange
from .history import History
from .organisation import FIXED_LOGINS, Ids, Organisation

PASSWORD = "procure-bench"  # noqa: S105 -- printed for the benchmarks, by design
MAX_REQUESTS = 5_000_000
CHUNK_SIZE = 10_000
YEARS = 5

# The tables written with ids of our own, whose PostgreSQL sequences move past them.
SERIAL_TABLES = [
    spec[0]
    for spec in (
        rows.DEPARTMENTS, rows.USERS, rows.VENDORS, rows.VENDOR_CONTACTS, rows.BUDGETS,
        rows.REQUESTS, rows.REQUEST_LINES, rows.STEPS, rows.RFQS, rows.INVITATIONS, rows.QUOTES,
        rows.QUOTE_LINES, rows.ATTACHMENTS, rows.ORDERS, rows.ORDER_LINES, rows.RECEIPTS,
        rows.RECEIPT_LINES, rows.CONTRACTS, rows.CONTRACT_TERMS, rows.EXCHANGE_RATES,
        rows.INVOICES, rows.INVOICE_LINES, rows.INVOICE_EXCEPTIONS, rows.ORDER_REVISIONS,
    )
] + [
    *bench_assets.TABLES, *bench_webhooks.TABLES, *bench_agreements.TABLES
]  # fmt: skip


@dataclasses.dataclass
class SeedSummary:
    requests: int
    rows: dict[str, int]
    statuses: dict[str, int]
    elapsed_seconds: float
    database_bytes: int | None
    logins: list[tuple[str, str, str]]
    invoice_statuses: dict[str, int] = dataclasses.field(default_factory=dict)
    call_offs: int = 0

    def report(self) -> list[str]:
        """The summary as lines of text, for the command line."""
        if self.database_bytes is None:
            size = "unknown"
        elif self.database_bytes >= 1024**3:
            size = f"{self.database_bytes / 1024**3:.2f} GB"
        else:
            size = f"{self.database_bytes / 1024**2:.1f} MB"
        lines = [
            f"Generated {self.requests:,} purchase requests in {self.elapsed_seconds:.1f} s; "
            f"database size {size}.",
            "Rows written:",
        ]
        width = max(len(name) for name in self.rows)
        lines += [f"  {name:<{width}}  {count:>12,}" for name, count in self.rows.items()]
        lines.append(
            "Requests by status: "
            + ", ".join(f"{status} {count:,}" for status, count in self.statuses.items())
        )
        if self.call_offs:
            lines.append(f"Call-off orders (of framework agreements): {self.call_offs:,}")
        if self.invoice_statuses:
            lines.append(
                "Invoices by status: "
                + ", ".join(
                    f"{status} {count:,}" for status, count in self.invoice_statuses.items()
                )
            )
        lines.append("Sign in at /login with any of these:")
        width = max(len(email) for email, _, _ in self.logins)
        lines += [
            f"  {email:<{width}}  {password}  ({roles})" for email, password, roles in self.logins
        ]
        return lines


def seed(
    requests: int,
    *,
    vendors: int = 5000,
    departments: int = 50,
    seed: int = 1,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
    now: dt.datetime | None = None,
) -> SeedSummary:
    """Fill the database with ``requests`` purchase requests over the five years up to
    ``now`` (naive UTC; default: the current time) and all that goes with them,
    committing per chunk. The same seed and ``now`` give the same data. Raises
    :class:`SeedRefused`, changing nothing, unless the database is initialised and
    holds no purchase requests."""
    if isinstance(requests, bool) or not isinstance(requests, int):
        raise SeedRefused("The number of requests must be a whole number.")
    if not 1 <= requests <= MAX_REQUESTS:
        raise SeedRefused(f"The number of requests must be from 1 to {MAX_REQUESTS:,}.")
    if not 10 <= vendors <= 100_000:
        raise SeedRefused("The number of vendors must be from 10 to 100,000.")
    if not 1 <= departments <= 500:
        raise SeedRefused("The number of departments must be from 1 to 500.")
    started = time.perf_counter()
    # Without the cyclic collector, which would walk millions of live objects again
    # and again, the generation takes half the time. A chunk's documents point at each
    # other, though, so :meth:`_Seeder.run` collects once per chunk: memory stays flat.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with write_intent():
            check_database()
            seeder = _Seeder(requests, vendors, departments, seed, max(1, chunk_size), now)
            seeder.setup()
        with _fast_policy_money(seeder.currency):
            seeder.run(progress)
        with write_intent():
            bulk.analyze()
            size = bulk.database_size()
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        if collecting:
            gc.enable()
    return SeedSummary(
        requests=requests,
        rows=dict(sorted(seeder.counts.items())),
        statuses=dict(sorted(seeder.history.status_counts.items())),
        elapsed_seconds=time.perf_counter() - started,
        database_bytes=size,
        logins=[(email, PASSWORD, roles) for email, roles in FIXED_LOGINS],
        invoice_statuses=dict(sorted(seeder.history.invoice_counts.items())),
        call_offs=seeder.agreements.call_offs,
    )


def check_database() -> None:
    """Refuse (:class:`SeedRefused`) a database without the schema, with purchase
    requests already, or whose audit head does not match its log."""
    inspector = sa.inspect(db.session.connection())
    for table in (*SERIAL_TABLES, AUDIT_TABLE, AuditHead.__table__):
        if not inspector.has_table(table.name):
            raise SeedRefused(
                f"The database is not initialised (it has no {table.name} table); "
                "run `flask --app wsgi init-db` first."
            )
    existing = db.session.scalar(sa.select(sa.func.count()).select_from(PurchaseRequest))
    if existing:
        raise SeedRefused(
            f"The database holds {existing:,} purchase requests already; seed-bench fills an "
            "empty history. Run it on a new database (init-db)."
        )
    head = db.session.execute(sa.select(AuditHead.seq).where(AuditHead.id == 1)).scalar()
    last = db.session.scalar(sa.select(sa.func.max(AUDIT_TABLE.c.id))) or 0
    if head is None or head != last:
        raise SeedRefused(
            "The audit head does not match the audit log; run `flask --app wsgi verify-audit`."
        )


class _Seeder:
    def __init__(
        self,
        total: int,
        vendors: int,
        departments: int,
        seed: int,
        chunk_size: int,
        now: dt.datetime | None,
    ) -> None:
        self.total = total
        self.chunk_size = chunk_size
        self.seed = seed
        self.rng = random.Random(seed)  # noqa: S311 -- test data, not secrets
        # When each request was filed: its own stream, so that it never shifts.
        self._times = random.Random(f"{seed}:filed")  # noqa: S311 -- test data, not secrets
        self.now = (now or utcnow()).replace(microsecond=0)
        self.clock = Clock(self.now, YEARS, self.rng)
        self.currency = current_app.config["PROCURE_CURRENCY"]
        self.fiscal_month = int(current_app.config["PROCURE_FISCAL_YEAR_START"])
        self.stream = AuditStream()
        self.counts: dict[str, int] = {}
        head = db.session.execute(sa.select(AuditHead.seq, AuditHead.hash)).one()
        self.head = (head.seq, head.hash)
        self.ids = Ids(
            {t.name: db.session.scalar(sa.select(sa.func.max(t.c.id))) or 0 for t in SERIAL_TABLES}
        )
        self.sequences = {
            (row.prefix, row.year): row.last
            for row in db.session.execute(sa.select(NumberSequence.__table__))
        }
        self.organisation = Organisation(
            self.rng,
            self.clock,
            self.ids,
            self.stream,
            departments=departments,
            vendors=vendors,
            taken_codes=set(db.session.scalars(sa.select(Department.code))),
            taken_emails=set(db.session.scalars(sa.select(User.email))),
            taken_vendor_keys=set(db.session.scalars(sa.select(Vendor.name_key))),
            # One hash for everybody: hashing a password takes a deliberate while.
            password_hash=generate_password_hash(
                PASSWORD, method=current_app.config["PASSWORD_HASH_METHOD"]
            ),
            currency=self.currency,
        )
        self.pdf_sha256, self.pdf_size = _placeholder_pdf()
        self.exchange = Exchange(seed, self.currency, self.clock)
        self.history = History(
            self.rng,
            self.clock,
            self.ids,
            self.stream,
            self.organisation,
            seed=seed,
            currency=self.currency,
            exchange=self.exchange,
            rules=_policy_rules(),
            quote_rule=(
                Decimal(str(settings.get("sourcing.quote_threshold"))),
                int(settings.get("sourcing.min_quotes")),
            ),
            fiscal_year=self.fiscal_year,
            total_requests=total,
            sequences=self.sequences,
            pdf_sha256=self.pdf_sha256,
        )
        self.agreements = bench_agreements.Planner(
            seed,
            self.clock,
            self.ids,
            self.stream,
            self.organisation,
            self.exchange,
            self.sequences,
            total_requests=total,
            auto_call_off=bool(settings.get("agreements.auto_call_off")),
        )
        self.history.calloffs = self.agreements
        self.assets = bench_assets.Planner(
            seed, self.clock, self.ids, self.stream, self.organisation, self.sequences, self.now
        )
        self.webhooks = bench_webhooks.Planner(
            seed,
            self.clock,
            self.ids,
            self.stream,
            self.organisation.admin,
            self.now,
            int(current_app.config["PROCURE_RETENTION_DAYS"]),
            current_app.config["PROCURE_BASE_URL"],
        )

    # Time and budgets ---------------------------------------------------------------

    def fiscal_year(self, day: dt.date) -> int:
        """``budgets.services.fiscal_year``, with the month read once."""
        return day.year if day.month >= self.fiscal_month else day.year - 1

    def fiscal_start(self, year: int) -> dt.date:
        return dt.date(year, self.fiscal_month, 1)

    def filed_at(self, index: int) -> dt.datetime:
        return self.clock.filed_at((index + self._times.random()) / self.total)

    def _spending(self) -> tuple[Callable[[Any, int], float], dict[str, float]]:
        """For sizing budgets: what a department approves in a fiscal year on average
        (cents; requests expected in that year, a full year's worth × the department's
        share × the mean total), and each category's share of the spend."""
        sampler = random.Random(f"{self.seed}:budgets")  # noqa: S311 -- test data, not secrets
        totals, by_category = [], {}
        for _ in range(4000):
            lines = self.history.sample_lines(sampler)
            totals.append(sum(line.total for line in lines))
            for line in lines:
                by_category[line.category] = by_category.get(line.category, 0) + line.total
        mean_total = sum(totals) / len(totals)
        whole = sum(by_category.values())
        shares = {category: value / whole for category, value in by_category.items()}
        departments = self.organisation.departments
        weight_sum = sum(d.weight for d in departments)
        clock = self.clock

        def spend(department: Any, year: int) -> float:
            start = dt.datetime.combine(self.fiscal_start(year), dt.time())
            end = dt.datetime.combine(self.fiscal_start(year + 1), dt.time())
            first, last = max(start, clock.start), min(end, clock.now)
            covered = (last - first).total_seconds()
            if covered <= 0:
                return 0.0
            share = clock.share_before(last) - clock.share_before(first)
            full_year = (end - start).total_seconds() / covered
            department_share = department.weight / weight_sum
            return self.total * share * full_year * department_share * 0.8 * mean_total

        return spend, shares

    # Writing --------------------------------------------------------------------------

    def _add(self, batch: bulk.Batch, spec: rows.Spec, table_rows: list[tuple]) -> None:
        rows.add(batch, spec, table_rows)
        self._count(spec[0].name, len(table_rows))

    def _count(self, name: str, count: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + count

    def _finish(self, batch: bulk.Batch, number: int, before: dt.datetime | None) -> None:
        """Chain the events earlier than ``before`` onto the audit log, and note the
        number sequences and the ids given out (``number``: the batch's, 0 the setup's)."""
        released = self.stream.release(before, number)
        # What send-notifications made of them, where the retention window keeps it.
        for spec, table_rows in self.webhooks.rows(released):
            self._add(batch, spec, table_rows)
        audit, seq, digest = self.stream.rows(released, *self.head)
        rows.add(batch, (AUDIT_TABLE, AUDIT_COLUMNS), audit)
        self._count(AUDIT_TABLE.name, len(audit))
        batch.head_before, batch.head_after = self.head, (seq, digest)
        self.head = batch.head_after
        batch.sequences = dict(self.sequences)
        batch.last_ids = {table.name: self.ids.last(table.name) for table in SERIAL_TABLES}

    def setup(self) -> None:
        """The organisation, the vendor register and the budgets, in one transaction."""
        org = self.organisation
        batch = bulk.Batch()
        departments, users, user_roles = org.person_rows()
        self._add(batch, rows.DEPARTMENTS, departments)
        self._add(batch, rows.USERS, users)
        self._add(batch, rows.USER_ROLES, user_roles)
        vendors, categories, contacts = org.vendor_rows()
        self._add(batch, rows.VENDORS, vendors)
        self._add(batch, rows.VENDOR_CATEGORIES, categories)
        self._add(batch, rows.VENDOR_CONTACTS, contacts)
        spend, shares = self._spending()
        budgets, self.history.budgets = org.budget_rows(
            self.fiscal_year, self.fiscal_start, spend, shares
        )
        self._add(batch, rows.BUDGETS, budgets)
        self._enable_currencies()
        self._add(batch, rows.EXCHANGE_RATES, self.exchange.rows(self.ids, self.stream))
        self._add(batch, bench_webhooks.ENDPOINTS, self.webhooks.endpoint_rows())
        self.agreements.plan()
        for spec, table_rows in self.agreements.rows():
            self._add(batch, spec, table_rows)
        self.stream.settle(0)
        self._next_filed: dt.datetime | None = self.filed_at(0)
        self._finish(batch, 0, self._next_filed)
        bulk.BulkWriter(db.session.connection()).write(batch)
        db.session.commit()
        self.stream.committed(0)

    def _enable_currencies(self) -> None:
        """Enable the foreign currencies the history uses, as admin would have before
        it began (the setting, audited before the first rate is recorded)."""
        old = settings.get(currencies.SETTING) or []
        new = sorted(set(old) | set(self.exchange.codes))
        if new == old:
            return
        row = db.session.get(Setting, currencies.SETTING)
        if row is None:
            db.session.add(Setting(key=currencies.SETTING, value=new))
        else:
            row.value = new
        db.session.flush()
        settings.forget()
        self.stream.add(
            self.exchange.enabled_at,
            "settings",
            None,
            "update",
            changes={currencies.SETTING: [old, new]},
        )

    def run(self, progress: Callable[[int], None] | None) -> None:
        """The requests, chunk by chunk, and the contracts of each chunk's weeks."""
        history = self.history
        assert self._next_filed is not None  # noqa: S101 -- set by setup()
        first = self._next_filed
        contracts = max(8, self.total // 250)
        span = (self.now - first).total_seconds()
        contract_times = [
            min(
                self.clock.working(
                    first + dt.timedelta(seconds=span * (j + self.rng.random()) / contracts)
                ),
                self.now - dt.timedelta(minutes=1),
            )
            for j in range(contracts)
        ]
        next_contract = 0
        sink = bulk.Sink()
        try:
            for number, start in enumerate(range(0, self.total, self.chunk_size), start=1):
                end = min(self.total, start + self.chunk_size)
                self.agreements.batch = number
                for index in range(start, end):
                    filed = self._next_filed
                    self._next_filed = self.filed_at(index + 1) if index + 1 < self.total else None
                    history.plan_request(index, filed)
                # Everything before the next chunk's first request is known now.
                boundary = self._next_filed
                while next_contract < contracts and (
                    boundary is None or contract_times[next_contract] < boundary
                ):
                    history.plan_contract(next_contract, contracts, contract_times[next_contract])
                    next_contract += 1
                # What the chunk's receipts made of the asset register, before its ids.
                planned = self.assets.plan(history.chunk)
                chunk = history.settle(number)
                batch = bulk.Batch()
                rows.add_chunk(batch, chunk, self.currency, self.pdf_sha256, self.pdf_size)
                self.assets.add_rows(batch, planned)
                for table, _columns, table_rows in batch.inserts:
                    self._count(table.name, len(table_rows))
                self._finish(batch, number, boundary)
                sink.put(batch)
                self.stream.committed(sink.committed)
                # The chunk's documents point at each other (an order at its invoices,
                # each invoice at its order): only the cyclic collector frees them.
                # Left to pile up, they took 9.2 GB at a million requests.
                del chunk, planned, batch
                gc.collect()
                if progress is not None:
                    progress(end - start)
            sink.close()
        except BaseException:
            # Stopped (Ctrl-C) or failed: keep what is committed, and give its documents
            # the rest of their history, so that the database stays consistent.
            sink.finish()
            self._close_log(sink.committed)
            self._agreement_totals(sink.committed)
            raise
        self._agreement_totals(None)

    def _agreement_totals(self, committed: int | None) -> None:
        """What the call-offs of the committed chunks (all: None) left on the
        agreements and their items, written onto them; and the budget sums of every
        document written (``budget_sums.py``), the figures of every award
        (``award_figures.py``) and the documents' counts (``kept_counts.py``), which the
        bulk writes leave behind."""
        with write_intent():
            self.agreements.write_totals(db.session.connection(), committed)
            budget_sums.rebuild()
            kept_counts.rebuild()
            award_figures.refill()
            db.session.commit()

    def _close_log(self, committed: int) -> None:
        """Append the events still owed to the documents of the first ``committed``
        chunks (and the setup), in time order, after whatever the log holds."""
        events = self.stream.leftovers(committed)
        if not events:
            return
        with write_intent():
            head = db.session.execute(sa.select(AuditHead.seq, AuditHead.hash)).one()
            audit, seq, digest = self.stream.rows(events, head.seq, head.hash)
            batch = bulk.Batch(head_before=(head.seq, head.hash), head_after=(seq, digest))
            rows.add(batch, (AUDIT_TABLE, AUDIT_COLUMNS), audit)
            bulk.BulkWriter(db.session.connection()).write(batch)
            db.session.commit()


def _policy_rules() -> list[Any]:
    """The active approval policy as plain objects: the session expires ORM objects at
    every commit, and the history consults the rules for every request."""
    return [
        types.SimpleNamespace(
            step=rule.step,
            role=rule.role,
            step_order=rule.step_order,
            min_total=rule.min_total,
            category=rule.category,
            department_id=rule.department_id,
            department=types.SimpleNamespace(code=rule.department.code)
            if rule.department
            else None,
            when_over_budget=rule.when_over_budget,
            request_type=rule.request_type,
            field_name=rule.field_name,
            field_value=rule.field_value,
            skip_for_catalogue=rule.skip_for_catalogue,
        )
        for rule in db.session.scalars(
            sa.select(PolicyRule)
            .where(PolicyRule.active.is_(True))
            .order_by(PolicyRule.step_order, PolicyRule.id)
        )
    ]


@contextlib.contextmanager
def _fast_policy_money(currency: str) -> Iterator[None]:
    """The policy's reasons format amounts with Babel (``format_money``), the costliest
    call of the whole generation. While it runs, the policy module uses a formatter
    that writes the same text for the installation's currency — proven against Babel
    on sample amounts first; if any differs, Babel stays."""
    probe = format_money(Decimal("1234567.89"), currency)
    if probe.count("1,234,567.89") != 1:
        yield
        return
    prefix, suffix = probe.split("1,234,567.89")

    def fast(value: Decimal | None, code: str, locale: str = "en_US") -> str:
        if value is None or code != currency or locale != "en_US" or value < 0:
            return format_money(value, code, locale)
        cents = int(value.scaleb(2))
        if Decimal(cents).scaleb(-2) != value:
            return format_money(value, code, locale)
        return f"{prefix}{cents // 100:,}.{cents % 100:02d}{suffix}"

    samples = ("0", "0.05", "1.00", "999.99", "1000", "5000.00", "50000.00", "987654321.01")
    if any(fast(Decimal(s), currency) != format_money(Decimal(s), currency) for s in samples):
        yield
        return
    original = policy.format_money
    policy.format_money = fast  # type: ignore[assignment]
    try:
        yield
    finally:
        policy.format_money = original  # type: ignore[assignment]


def _placeholder_pdf() -> tuple[str, int]:
    """Store the PDF every generated issued order points to; returns its SHA-256 and size."""
    data = tiny_pdf(
        "Purchase order PDF not rendered",
        "This database was filled by seed-bench with generated history.",
        "The order's content is in Procure; its own PDF was never rendered.",
    )
    return storage.current().put(data), len(data)
