"""``seed-bench``: years of generated history, written in bulk, that the application
reads and extends exactly as data made through its services.

The seeded database is shared by the tests of this module (seeding once keeps them
quick); it commits, so the module is ``committing`` and puts the database back as
the migrations left it at the end."""

from __future__ import annotations

import datetime as dt
import gc
import json
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask
from markupsafe import escape

from procure import (
    audit,
    create_app,
    currencies,
    private_links,
    retention,
    stored_files,
    totals,
)
from procure.audit import canonical_json
from procure.benchdata import PASSWORD, SeedRefused, seed
from procure.benchdata import webhooks as bench_webhooks
from procure.db import init_db
from procure.extensions import db as _db
from procure.invoices import actions as invoice_actions
from procure.invoices import links as invoice_links
from procure.invoices import matching, numbers
from procure.invoices import services as invoice_services
from procure.models import (
    Agreement,
    AgreementItem,
    AgreementStatus,
    ApprovalStep,
    AuditEvent,
    AuditHead,
    Contract,
    ContractStatus,
    ExchangeRate,
    Invoice,
    InvoiceStatus,
    NumberSequence,
    OrderLine,
    OrderRevision,
    OrderStatus,
    PurchaseOrder,
    PurchaseRequest,
    Quote,
    RequestLine,
    RequestStatus,
    RevisionStatus,
    Rfq,
    RfqStatus,
    Role,
    User,
    Vendor,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    utcnow,
)
from procure.money import round_money
from procure.orders import revisions
from procure.webhooks.delivery import MAX_ATTEMPTS
from procure.webhooks.events import TYPES

from .committing import _read_rows as read_rows
from .committing import reset_database

pytestmark = pytest.mark.committing

REQUESTS = 300
SEED_ARGS = ["seed-bench", "--requests", str(REQUESTS), "--vendors", "400", "--seed", "7"]
LOGINS = {
    "requester": "bench.requester@example.org",
    "approver": "bench.approver@example.org",
    "finance": "bench.finance@example.org",
    "procurement": "bench.procurement@example.org",
    "admin": "bench.admin@example.org",
}


@pytest.fixture(scope="module")
def seeded(app, migration_seeds):
    """The database after ``seed-bench``, for the whole module; the command's result."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=SEED_ARGS)
    yield result
    with app.app_context():
        _db.session.remove()
        reset_database(_db.engine, migration_seeds)


@pytest.fixture
def db(app, seeded):
    assert seeded.exit_code == 0, seeded.output
    with app.app_context():
        yield _db
        _db.session.remove()


def sign_in(client, role: str) -> None:
    response = client.post("/login", data={"email": LOGINS[role], "password": PASSWORD})
    assert response.status_code == 302, f"{role} could not sign in"


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# The command -----------------------------------------------------------------------------


def test_the_command_prints_what_it_wrote_and_the_logins(seeded):
    assert seeded.exit_code == 0, seeded.output
    assert f"Generated {REQUESTS} purchase requests in" in seeded.output
    assert "database size" in seeded.output
    rows = dict(re.findall(r"^  (\w+)\s+([\d,]+)$", seeded.output, re.M))
    assert rows["purchase_requests"] == str(REQUESTS)
    assert int(rows["audit_events"].replace(",", "")) > 10 * REQUESTS
    assert int(rows["vendors"]) == 400
    assert int(rows["departments"]) == 50
    for email in LOGINS.values():
        assert re.search(rf"^  {re.escape(email)}\s+{PASSWORD}\s+\(\w+\)$", seeded.output, re.M)


def test_the_rows_reported_are_in_the_database(seeded, db):
    rows = dict(re.findall(r"^  (\w+)\s+([\d,]+)$", seeded.output, re.M))
    for table in (
        "purchase_requests",
        "request_lines",
        "quotes",
        "purchase_orders",
        "invoices",
        "invoice_lines",
        "invoice_exceptions",
    ):
        stored = db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: S608
        assert stored == int(rows[table].replace(",", ""))
    events = count(db, AuditEvent)
    assert events == int(rows["audit_events"].replace(",", ""))


def test_running_it_again_refuses_and_changes_nothing(app, db):
    def state():
        head = db.session.execute(sa.select(AuditHead.seq, AuditHead.hash)).one()
        return (
            count(db, PurchaseRequest),
            count(db, User),
            count(db, Vendor),
            count(db, AuditEvent),
            tuple(head),
        )

    before = state()
    again = app.test_cli_runner().invoke(args=SEED_ARGS)
    db.session.rollback()

    assert again.exit_code == 1
    assert f"holds {REQUESTS} purchase requests already" in again.output
    assert "Traceback" not in again.output
    assert state() == before


@pytest.mark.parametrize(
    ("value", "says"),
    [("0", "0 is not in the range"), ("-3", "-3 is not in the range"), ("many", "not a valid")],
)
def test_a_bad_number_of_requests_is_refused(app, value, says):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["seed-bench", "--requests", value])

    assert result.exit_code == 2
    assert says in result.output
    assert "Traceback" not in result.output


def test_the_function_refuses_what_the_command_cannot_pass(app):
    with app.app_context(), pytest.raises(SeedRefused, match="from 1 to 5,000,000"):
        seed(5_000_001)


def test_an_uninitialised_database_is_refused(empty_database_url, tmp_path):
    empty = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "SECRET_KEY": "test",
            "ATTACHMENTS_DIR": str(tmp_path),
        }
    )
    try:
        result = empty.test_cli_runner().invoke(args=["seed-bench", "--requests", "10"])
        assert result.exit_code == 1
        assert "run `flask --app wsgi init-db` first" in result.output
    finally:
        with empty.app_context():
            _db.engine.dispose()


# The data ------------------------------------------------------------------------------------


def test_every_request_status_appears(db):
    statuses = set(db.session.scalars(sa.select(PurchaseRequest.status).distinct()))
    assert statuses == set(RequestStatus)


def test_every_request_has_one_to_ten_lines_that_add_up_to_its_total(db):
    per_request = (
        sa.select(
            RequestLine.request_id,
            sa.func.count().label("lines"),
            sa.func.sum(RequestLine.total).label("total"),
        )
        .group_by(RequestLine.request_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(PurchaseRequest.total, per_request.c.lines, per_request.c.total).join(
            per_request, per_request.c.request_id == PurchaseRequest.id, isouter=True
        )
    ).all()

    assert len(rows) == REQUESTS
    assert all(1 <= (lines or 0) <= 10 for _, lines, _ in rows)
    assert all(total == lines_total for total, _, lines_total in rows)
    totals = sorted(total for total, _, _ in rows)
    # Most requests are small, a few large.
    assert totals[len(totals) // 2] < Decimal("5000")
    assert totals[-1] > Decimal("20000")


def test_the_approval_steps_match_each_request_status(db):
    requests = db.session.scalars(sa.select(PurchaseRequest)).all()
    for pr in requests:
        current = [step.status.value for step in pr.current_steps]
        if pr.status == RequestStatus.PENDING_APPROVAL:
            assert current.count("pending") == 1, pr.number
            pending = current.index("pending")
            assert all(s == "approved" for s in current[:pending]), pr.number
            assert all(s == "waiting" for s in current[pending + 1 :]), pr.number
        elif pr.status in (RequestStatus.APPROVED, RequestStatus.ORDERED, RequestStatus.CLOSED):
            assert current and all(s == "approved" for s in current), pr.number
            assert pr.decided_at is not None
        elif pr.status == RequestStatus.REJECTED:
            assert current.count("rejected") == 1, pr.number
        elif pr.status == RequestStatus.DRAFT and pr.approval_round:
            assert "returned" in current, pr.number
        if pr.status not in (RequestStatus.DRAFT, RequestStatus.CANCELLED):
            assert pr.approval_round > 0, pr.number
        if pr.approval_round:
            assert pr.submitted_at is not None and pr.fiscal_year is not None
        assert current == [] or pr.steps[0].name == "department"


def test_orders_follow_their_requests(db):
    requests = {pr.id: pr for pr in db.session.scalars(sa.select(PurchaseRequest))}
    orders = db.session.scalars(sa.select(PurchaseOrder)).all()
    live = {OrderStatus.ISSUED, OrderStatus.PARTIALLY_RECEIVED, OrderStatus.RECEIVED}
    for pr in requests.values():
        mine = [o for o in orders if o.request_id == pr.id]
        if pr.status == RequestStatus.ORDERED:
            assert [o.status for o in mine if o.status in live], pr.number
        if pr.status == RequestStatus.CLOSED:
            assert [o for o in mine if o.status == OrderStatus.CLOSED], pr.number
    for order in orders:
        assert order.subtotal == sum(line.total for line in order.lines)
        assert order.total == order.subtotal + order.shipping + order.tax
        received = all(line.received_quantity == line.quantity for line in order.lines)
        if order.status in (OrderStatus.RECEIVED, OrderStatus.CLOSED):
            assert received, order.id
        if order.status != OrderStatus.DRAFT and order.number:
            assert re.fullmatch(r"PO-\d{4}-\d{5,}", order.number)
            assert order.pdf is not None and order.pdf.sha256 == order.pdf_sha256
        if order.agreement_id is not None:
            # A call-off: from its agreement, without an RFQ (see the agreements' tests).
            assert (order.rfq_id, order.quote_id) == (None, None), order.id
            continue
        quote = db.session.get(Quote, order.quote_id)
        assert quote.rfq_id == order.rfq_id and quote.total == order.total
        rfq = db.session.get(Rfq, order.rfq_id)
        assert rfq.status == RfqStatus.AWARDED and rfq.awarded_quote_id == quote.id


def test_foreign_currencies_come_in_proportion_with_their_rates(db):
    """About 15 % of the requests in EUR and 5 % in GBP, with a rate for every weekday,
    each recorded and audited; the currencies enabled (an audited setting)."""
    assert currencies.enabled() == ["USD", "EUR", "GBP"]
    by_currency = dict(
        db.session.execute(
            sa.select(PurchaseRequest.currency, sa.func.count()).group_by(PurchaseRequest.currency)
        ).all()
    )
    assert sum(by_currency.values()) == REQUESTS
    assert 0.08 * REQUESTS <= by_currency["EUR"] <= 0.24 * REQUESTS
    assert 0.01 * REQUESTS <= by_currency["GBP"] <= 0.10 * REQUESTS
    for code in ("EUR", "GBP"):
        days = db.session.scalars(
            sa.select(ExchangeRate.day).where(ExchangeRate.currency == code)
        ).all()
        assert len(days) > 5 * 250 and all(day.weekday() < 5 for day in days)
    rate_events = db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.entity == "rate")
    )
    assert rate_events == count(db, ExchangeRate)


def test_rates_are_frozen_where_the_services_freeze_them(db):
    """Submitted requests, awards and issued orders carry the rate of their day and the
    base total at it; drafts nothing; each document keeps its request's currency."""
    for pr in db.session.scalars(sa.select(PurchaseRequest)):
        if pr.submitted_at is None:
            assert (pr.rate, pr.total_base) == (None, None), pr.number
            continue
        assert pr.rate_date <= pr.submitted_at.date()
        assert pr.total_base == round_money(pr.total * pr.rate), pr.number
        if pr.currency == "USD":
            assert (pr.rate, pr.total_base) == (1, pr.total)
    for rfq in db.session.scalars(sa.select(Rfq).where(Rfq.status == RfqStatus.AWARDED)):
        quote = db.session.get(Quote, rfq.awarded_quote_id)
        assert quote.currency == rfq.request.currency
        assert rfq.award_total_base == round_money(quote.total * rfq.award_rate)
        assert rfq.award_rate_date <= min(rfq.awarded_at.date(), rfq.due_date)
    issued = 0
    for order in db.session.scalars(sa.select(PurchaseOrder)):
        request = db.session.get(PurchaseRequest, order.request_id)
        assert order.currency == request.currency
        if order.issued_at is None:
            assert order.total_base is None
            continue
        issued += 1
        assert order.rate_date <= order.issued_at.date()
        assert order.total_base == round_money(order.total * order.rate), order.number
    assert issued
    foreign = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PurchaseOrder)
        .where(PurchaseOrder.currency != "USD", PurchaseOrder.issued_at.is_not(None))
    )
    assert foreign


def test_sourcing_and_contracts_come_in_every_state(db):
    assert set(db.session.scalars(sa.select(Rfq.status).distinct())) == set(RfqStatus)
    open_with_quotes = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Rfq.id)))
        .join(Quote, Quote.rfq_id == Rfq.id)
        .where(Rfq.status == RfqStatus.OPEN)
    )
    assert open_with_quotes >= 1
    assert set(db.session.scalars(sa.select(PurchaseOrder.status).distinct())) == set(OrderStatus)
    assert set(db.session.scalars(sa.select(Contract.status).distinct())) == set(ContractStatus)
    for contract in db.session.scalars(sa.select(Contract)):
        if contract.status != ContractStatus.DRAFT:
            terms = contract.term_history
            assert terms and (terms[-1].start_date, terms[-1].end_date) == (
                contract.start_date,
                contract.end_date,
            )
        if contract.status == ContractStatus.ACTIVE:
            assert contract.end_date >= utcnow().date()


def test_the_audit_chain_verifies_in_time_order(app, db):
    result = audit.verify()
    assert result.ok, result
    assert result.count == count(db, AuditEvent)
    times = db.session.scalars(sa.select(AuditEvent.at).order_by(AuditEvent.id)).all()
    assert times == sorted(times)
    assert times[-1] <= utcnow()
    assert app.test_cli_runner().invoke(args=["verify-audit"]).output.startswith("ok ")


def test_the_totals_kept_beside_the_documents_verify(app, db):
    """``seed-bench`` writes the totals of ``procure/totals.py`` as the services would."""
    received = db.session.scalar(
        sa.select(sa.func.count()).where(PurchaseOrder.received_value > 0)
    )
    categorised = db.session.scalar(
        sa.select(sa.func.count()).where(PurchaseRequest.main_category.is_not(None))
    )
    assert received > 0 and categorised > 0
    assert totals.differences() == []
    result = app.test_cli_runner().invoke(args=["verify-totals"])
    assert (result.exit_code, result.output) == (
        0,
        "ok every kept total agrees with the documents\n",
    )


def test_audit_events_are_canonical_and_tell_each_request_story(db):
    for changes in db.session.scalars(sa.select(AuditEvent.changes)):
        assert canonical_json(json.loads(changes)) == changes
    for pr in db.session.scalars(sa.select(PurchaseRequest)):
        events = db.session.scalars(audit.events_for("request", pr.id)).all()
        assert events[0].action == "create"
        assert json.loads(events[0].changes)["total"] == str(pr.total)
        last = {
            RequestStatus.DRAFT: {"create", "return"},
            RequestStatus.PENDING_APPROVAL: {"submit", "approve"},
            RequestStatus.APPROVED: {"approve", "reopen"},
            RequestStatus.REJECTED: {"reject"},
            RequestStatus.CANCELLED: {"cancel"},
            RequestStatus.ORDERED: {"order"},
            # Closed by procurement, or by itself once received and invoiced in full.
            RequestStatus.CLOSED: {"close", "settle"},
        }[pr.status]
        assert events[-1].action in last, pr.number
        assert json.loads(events[-1].changes).get("status", [None, pr.status.value])[1] == (
            pr.status.value
        )


def test_the_number_sequences_match_the_numbers_given(db):
    sequences = {(s.prefix, s.year): s.last for s in db.session.scalars(sa.select(NumberSequence))}
    for model, prefix in (
        (PurchaseRequest, "PR"),
        (Rfq, "RFQ"),
        (PurchaseOrder, "PO"),
        (Invoice, "INV"),
        (Agreement, "AG"),
    ):
        numbers = [n for n in db.session.scalars(sa.select(model.number)) if n]
        by_year: dict[int, list[int]] = {}
        for number in numbers:
            _, year, serial = number.split("-")
            by_year.setdefault(int(year), []).append(int(serial))
        for year, serials in by_year.items():
            # Gap-free from 1, and the sequence at the last one given.
            assert sorted(serials) == list(range(1, len(serials) + 1)), (prefix, year)
            assert sequences[(prefix, year)] == len(serials)


# Framework agreements and call-offs ----------------------------------------------------------


def call_offs(db) -> list[PurchaseOrder]:
    return db.session.scalars(
        sa.select(PurchaseOrder)
        .where(PurchaseOrder.agreement_id.is_not(None))
        .order_by(PurchaseOrder.id)
    ).all()


def test_agreements_go_through_their_life_with_their_items(db):
    agreements = db.session.scalars(sa.select(Agreement).order_by(Agreement.id)).all()
    # A few a year of the five for each of the nine themes.
    assert 20 <= len(agreements) <= 150
    statuses = {agreement.status for agreement in agreements}
    assert {AgreementStatus.ACTIVE, AgreementStatus.EXPIRED} <= statuses
    today = utcnow().date()
    for agreement in agreements:
        assert re.fullmatch(r"AG-\d{4}-\d{5}", agreement.number)
        assert agreement.number.split("-")[1] == str(agreement.created_at.year)
        assert 5 <= len(agreement.items) <= 30, agreement.number
        assert [item.position for item in agreement.items] == list(
            range(1, len(agreement.items) + 1)
        )
        assert all(item.unit_price > 0 for item in agreement.items)
        assert agreement.currency in ("USD", "EUR")
        events = db.session.scalars(audit.events_for("agreement", agreement.id)).all()
        assert events[0].action == "create" and events[0].at == agreement.created_at
        created = json.loads(events[0].changes)
        assert created["items"][0][:4] == [
            agreement.items[0].description,
            agreement.items[0].category,
            agreement.items[0].unit,
            str(agreement.items[0].unit_price),
        ]
        moves = [e.action for e in events if e.action not in ("call_off", "give_back")]
        expected = {
            AgreementStatus.DRAFT: ["create"],
            AgreementStatus.ACTIVE: ["create", "activate"],
            AgreementStatus.EXPIRED: ["create", "activate", "expire"],
            AgreementStatus.CLOSED: (["create", "close"], ["create", "activate", "close"]),
        }[agreement.status]
        assert moves in (expected if agreement.status == AgreementStatus.CLOSED else [expected])
        assert (agreement.activated_at is not None) == ("activate" in moves)
        assert (agreement.closed_at is not None) == ("close" in moves)
        if agreement.status == AgreementStatus.EXPIRED:
            # By the daily job, the night after its end date.
            [expired] = [e for e in events if e.action == "expire"]
            assert expired.actor_id is None and expired.at.date() > agreement.end_date
            assert agreement.end_date < today
        # Created, each transition and each call-off or give-back moved its version.
        assert agreement.version == len(events)
    # Most categories have agreements in force today: the catalogue lists their items.
    in_force = {
        a.items[0].category
        for a in agreements
        if a.status == AgreementStatus.ACTIVE and a.start_date <= today <= a.end_date
    }
    assert len(in_force) >= 4, in_force


def test_call_offs_come_in_proportion_at_the_agreed_prices(db):
    orders = call_offs(db)
    catalogue_requests = db.session.scalars(
        sa.select(PurchaseRequest)
        .where(
            PurchaseRequest.id.in_(
                sa.select(RequestLine.request_id).where(RequestLine.catalogue_item_id.is_not(None))
            )
        )
        .order_by(PurchaseRequest.id)
    ).all()
    # About one in eight of the requests an agreement in force covers (most do).
    assert 0.03 * REQUESTS <= len(catalogue_requests) <= 0.2 * REQUESTS
    assert len(orders) >= 0.3 * len(catalogue_requests)
    assert {o.status for o in orders} & {OrderStatus.CLOSED, OrderStatus.RECEIVED}
    for pr in catalogue_requests:
        # Every line an item of one agreement, as filed: its description, unit, price.
        items = [db.session.get(AgreementItem, line.catalogue_item_id) for line in pr.lines]
        assert all(items), pr.number
        assert len({item.agreement_id for item in items}) == 1, pr.number
        agreement = items[0].agreement
        assert pr.currency == agreement.currency
        for line, item in zip(pr.lines, items, strict=True):
            assert (line.description, line.unit, line.category, line.unit_price) == (
                item.description,
                item.unit,
                item.category,
                item.unit_price,
            )
        created = json.loads(
            db.session.scalars(audit.events_for("request", pr.id)).first().changes
        )
        assert [line[-1] for line in created["lines"]] == [item.id for item in items]
        assert agreement.activated_at <= pr.created_at
        assert agreement.start_date <= pr.created_at.date() <= agreement.end_date
    for order in orders:
        agreement = db.session.get(Agreement, order.agreement_id)
        assert order.vendor_id == agreement.vendor_id
        assert order.currency == agreement.currency
        assert order.terms == agreement.terms
        assert (order.shipping, order.tax) == (0, 0)
        request_lines = {line.id: line for line in order.request.lines}
        for line in order.lines:
            item = db.session.get(
                AgreementItem, request_lines[line.request_line_id].catalogue_item_id
            )
            assert item.agreement_id == agreement.id
            assert (line.description, line.unit, line.unit_price) == (
                item.description,
                item.unit,
                item.unit_price,
            )
            assert line.total == round_money(line.quantity * item.unit_price)
        assert agreement.start_date <= order.created_at.date() <= agreement.end_date
        assert agreement.activated_at <= order.created_at
        events = db.session.scalars(audit.events_for("order", order.id)).all()
        assert events[0].action == "create"
        assert json.loads(events[0].changes) == {
            "request": order.request.number,
            "agreement": agreement.number,
            "vendor": agreement.vendor.name,
            "total": str(order.total),
        }


def test_consumed_and_ordered_are_what_the_call_offs_not_cancelled_ordered(db):
    live = [o for o in call_offs(db) if o.status != OrderStatus.CANCELLED]
    consumed: dict[int, Decimal] = {}
    ordered: dict[int, Decimal] = {}
    for order in live:
        consumed[order.agreement_id] = consumed.get(order.agreement_id, 0) + order.total
        request_lines = {line.id: line for line in order.request.lines}
        for line in order.lines:
            item_id = request_lines[line.request_line_id].catalogue_item_id
            ordered[item_id] = ordered.get(item_id, 0) + line.quantity
    agreements = db.session.scalars(sa.select(Agreement)).all()
    assert consumed and any(a.ceiling is not None for a in agreements)
    for agreement in agreements:
        assert agreement.consumed == consumed.get(agreement.id, 0), agreement.number
        assert agreement.ceiling is None or agreement.consumed <= agreement.ceiling
        for item in agreement.items:
            assert item.ordered == ordered.get(item.id, 0), (agreement.number, item.position)
            assert item.max_quantity is None or item.ordered <= item.max_quantity
    # Each call-off, and each give-back of one cancelled, in the agreement's log.
    actions = dict(
        db.session.execute(
            sa.select(AuditEvent.action, sa.func.count())
            .where(AuditEvent.entity == "agreement")
            .group_by(AuditEvent.action)
        ).all()
    )
    cancelled = [o for o in call_offs(db) if o.status == OrderStatus.CANCELLED]
    assert actions["call_off"] == len(call_offs(db))
    assert actions.get("give_back", 0) == len(cancelled)
    lines_called_off = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OrderLine)
        .join(PurchaseOrder, PurchaseOrder.id == OrderLine.order_id)
        .where(PurchaseOrder.agreement_id.is_not(None))
    )
    assert lines_called_off >= len(live)


def test_the_catalogue_shows_the_items_of_the_agreements_in_force(app, db):
    today = utcnow().date()
    item = db.session.scalar(
        sa.select(AgreementItem)
        .join(Agreement, Agreement.id == AgreementItem.agreement_id)
        .where(
            Agreement.status == AgreementStatus.ACTIVE,
            Agreement.start_date <= today,
            Agreement.end_date >= today,
        )
        .order_by(AgreementItem.id)
    )
    assert item is not None
    word = max(re.findall(r"[A-Za-z]+", item.description), key=len)
    client = app.test_client()
    sign_in(client, "requester")
    page = client.get(f"/catalogue?q={word.lower()}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert str(escape(item.description)) in text
    assert str(escape(item.agreement.vendor.name)) in text


# Vendor invoices ---------------------------------------------------------------------------


def invoices_by_status(db) -> dict[InvoiceStatus, list[Invoice]]:
    found: dict[InvoiceStatus, list[Invoice]] = {}
    for invoice in db.session.scalars(sa.select(Invoice).order_by(Invoice.id)):
        found.setdefault(invoice.status, []).append(invoice)
    return found


def test_invoices_come_in_every_state_with_credit_notes(seeded, db):
    by_status = invoices_by_status(db)
    assert set(by_status) == set(InvoiceStatus)
    printed = re.search(r"^Invoices by status: (.*)$", seeded.output, re.M).group(1)
    assert printed == ", ".join(
        f"{status.value} {len(by_status[status]):,}"
        for status in sorted(by_status, key=lambda s: s.value)
    )
    invoices = [i for found in by_status.values() for i in found]
    credits = [i for i in invoices if i.is_credit_note]
    assert credits
    for credit in credits:
        assert credit.total < 0 and all(line.quantity < 0 for line in credit.lines)
        assert credit.credit_for.order_id == credit.order_id
        assert credit.credit_for.status in invoice_services.CREDITABLE
    # Most delivered orders are invoiced, most invoices paid.
    delivered = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PurchaseOrder)
        .where(PurchaseOrder.status.in_((OrderStatus.RECEIVED, OrderStatus.CLOSED)))
    )
    invoiced = {i.order_id for i in invoices}
    assert len(invoiced) >= 0.8 * delivered
    assert len(by_status[InvoiceStatus.PAID]) > len(invoices) / 2


def test_invoices_are_what_the_services_would_have_recorded(db):
    for invoice in db.session.scalars(sa.select(Invoice)):
        order = invoice.order
        assert invoice.number and re.fullmatch(r"INV-\d{4}-\d{5}", invoice.number)
        assert invoice.vendor_id == order.vendor_id and invoice.currency == order.currency
        assert invoice.vendor_number_key == numbers.normalise(invoice.vendor_invoice_number)
        assert invoice.due_date == numbers.due_date(invoice.invoice_date, order.payment_terms)
        assert order.issued_at.date() <= invoice.invoice_date <= invoice.created_at.date()
        assert order.issued_at < invoice.created_at
        assert invoice.subtotal == sum(line.total for line in invoice.lines)
        assert invoice.total == invoice.subtotal + invoice.shipping + invoice.tax
        assert invoice.rate == order.rate
        assert invoice.total_base == round_money(invoice.total * invoice.rate), invoice.number
        for line in invoice.lines:
            assert line.order_line.order_id == order.id
            assert line.total == round_money(line.quantity * line.unit_price), invoice.number
        assert invoice.entered_by.has_role(Role.FINANCE, Role.PROCUREMENT)
        submitted = invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED)
        if submitted:
            assert invoice.submitted_at is not None and invoice.matched_first_time is not None
        if invoice.status in (InvoiceStatus.APPROVED, InvoiceStatus.PAID):
            assert Role.FINANCE in invoice.approved_by.roles
            assert invoice.approved_by_id != invoice.entered_by_id
            assert invoice.approved_at >= invoice.submitted_at
        else:
            assert invoice.approved_by_id is None
        if invoice.status == InvoiceStatus.PAID:
            assert invoice.paid_on >= invoice.approved_at.date() and invoice.payment_reference
            assert Role.FINANCE in invoice.paid_by.roles
            assert invoice.paid_base == round_money(invoice.total * invoice.paid_rate)
        else:
            assert invoice.paid_on is None and invoice.paid_base is None
        if invoice.status in (InvoiceStatus.REJECTED, InvoiceStatus.CANCELLED):
            assert invoice.reason
    # A vendor number is used once per vendor, but for a cancelled invoice.
    keys = db.session.execute(
        sa.select(Invoice.vendor_id, Invoice.vendor_number_key, sa.func.count())
        .where(Invoice.status != InvoiceStatus.CANCELLED)
        .group_by(Invoice.vendor_id, Invoice.vendor_number_key)
    ).all()
    assert all(n == 1 for _, _, n in keys)


def open_findings(invoice: Invoice) -> list[tuple]:
    """What ``matching.findings`` finds now, but what a person resolved already (which
    ``matching.match`` does not open again), as (kind, line id, message)."""
    resolved = {(e.kind, e.line_id) for e in invoice.exceptions if e.resolved_by_id is not None}
    return sorted(
        (f.kind.value, f.line.id if f.line else None, f.message)
        for f in matching.findings(invoice)
        if (f.kind, f.line.id if f.line else None) not in resolved
    )


def test_held_invoices_hold_what_matching_finds(db):
    """The open exceptions of a held invoice are what matching finds now, to the
    message; a matched invoice has none, and matching finds none on it."""
    by_status = invoices_by_status(db)
    kinds = set()
    for invoice in by_status[InvoiceStatus.ON_HOLD]:
        found = open_findings(invoice)
        stored = sorted((e.kind.value, e.line_id, e.message) for e in invoice.open_exceptions)
        assert found and found == stored, invoice.number
        kinds |= {kind for kind, _, _ in found}
    assert "price" in kinds
    for invoice in by_status[InvoiceStatus.MATCHED]:
        assert not invoice.open_exceptions and not open_findings(invoice), invoice.number
    resolved = [
        e
        for found in by_status.values()
        for i in found
        for e in i.exceptions
        if e.resolved_by_id is not None
    ]
    assert resolved and all(e.resolution and e.resolved_at for e in resolved)
    assert all(Role.PROCUREMENT in e.resolved_by.roles for e in resolved)
    released = [i for i in by_status[InvoiceStatus.PAID] if i.release_justification]
    assert released and all(i.open_exceptions for i in released)


def test_paid_foreign_invoices_have_an_exchange_difference(db):
    paid = invoices_by_status(db)[InvoiceStatus.PAID]
    foreign = [i for i in paid if i.currency != "USD"]
    assert foreign
    assert all(i.exchange_difference == 0 for i in paid if i.currency == "USD")
    assert any(i.exchange_difference != 0 for i in foreign)
    for invoice in foreign:
        rate = db.session.scalar(
            sa.select(ExchangeRate.rate)
            .where(ExchangeRate.currency == invoice.currency, ExchangeRate.day <= invoice.paid_on)
            .order_by(ExchangeRate.day.desc())
            .limit(1)
        )
        assert invoice.paid_rate == rate, invoice.number


def test_invoice_events_tell_each_invoice_story(db):
    invoices = db.session.scalars(sa.select(Invoice)).all()
    for invoice in invoices:
        events = db.session.scalars(audit.events_for("invoice", invoice.id)).all()
        created = json.loads(events[0].changes)
        assert events[0].action == "create" and events[0].actor_id == invoice.entered_by_id
        assert created["number"] == invoice.number
        assert created["order"] == invoice.order.number
        assert created["total"] == str(invoice.total)
        assert created["credit_for"] == (invoice.credit_for.number if invoice.credit_for else None)
        statuses = [json.loads(e.changes)["status"] for e in events[1:]]
        assert all(new == old for (_, new), (old, _) in zip(statuses, statuses[1:], strict=False))
        assert (statuses[-1][1] if statuses else "draft") == invoice.status.value
        assert invoice.version == len(events)
        actions = [e.action for e in events]
        if invoice.status == InvoiceStatus.PAID:
            pay = json.loads(events[-1].changes)
            assert pay["paid_base"] == str(invoice.paid_base)
            assert pay["exchange_difference"] == str(invoice.exchange_difference)
        if "submit" in actions:
            submit = json.loads(events[actions.index("submit")].changes)
            assert isinstance(submit["exceptions"], list)
    actions = set(
        db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.entity == "invoice").distinct()
        )
    )
    assert {"create", "submit", "resolve", "release", "approve", "pay", "reject", "cancel"} <= (
        actions
    )


def test_orders_close_once_received_and_invoiced_in_full(db):
    settled = set(
        db.session.scalars(
            sa.select(AuditEvent.entity_id).where(
                AuditEvent.entity == "order", AuditEvent.action == "settle"
            )
        )
    )
    assert settled
    for order in db.session.scalars(sa.select(PurchaseOrder).where(PurchaseOrder.id.in_(settled))):
        assert order.status == OrderStatus.CLOSED and order.closed_at
        # What was approved when it closed: a later credit note gives some back.
        invoiced: dict[int, Decimal] = {}
        for invoice in db.session.scalars(sa.select(Invoice).where(Invoice.order_id == order.id)):
            if invoice.status in invoice_actions.SETTLED and not invoice.is_credit_note:
                for line in invoice.lines:
                    invoiced[line.order_line_id] = invoiced.get(line.order_line_id, 0) + (
                        line.quantity
                    )
                assert invoice.approved_at <= order.closed_at
        assert all(invoiced.get(line.id, 0) >= line.quantity for line in order.lines)
        request_events = db.session.scalars(audit.events_for("request", order.request_id)).all()
        assert request_events[-1].action == "settle"
    # The orders still open are not settled in full.
    for order in db.session.scalars(
        sa.select(PurchaseOrder).where(PurchaseOrder.status == OrderStatus.RECEIVED)
    ):
        invoiced = invoice_actions.settled_quantities(order)
        assert any(invoiced.get(line.id, 0) < line.quantity for line in order.lines)


# The application on the data -----------------------------------------------------------------


def test_the_fixed_logins_see_their_pages(app, db):
    requester = db.session.scalar(sa.select(User).where(User.email == LOGINS["requester"]))
    own = db.session.scalar(
        sa.select(PurchaseRequest)
        .where(PurchaseRequest.requester_id == requester.id)
        .order_by(PurchaseRequest.id.desc())
    )
    inbox = db.session.scalar(
        sa.select(PurchaseRequest)
        .join(ApprovalStep, ApprovalStep.request_id == PurchaseRequest.id)
        .where(
            ApprovalStep.status == "pending",
            ApprovalStep.role == "approver",
            PurchaseRequest.department_id == requester.department_id,
        )
    )
    open_rfq = db.session.scalar(
        sa.select(Rfq)
        .join(Quote, Quote.rfq_id == Rfq.id)
        .where(Rfq.status == RfqStatus.OPEN)
        .order_by(Rfq.id)
    )
    quoting = {
        q.vendor.name
        for q in db.session.scalars(sa.select(Quote).where(Quote.rfq_id == open_rfq.id))
    }
    vendor = db.session.scalar(
        sa.select(Vendor).where(~Vendor.name.contains("&")).order_by(Vendor.id)
    )
    fragment = vendor.name.split()[0][1:].lower()
    closed = db.session.scalar(
        sa.select(PurchaseRequest).where(PurchaseRequest.status == RequestStatus.CLOSED)
    )

    client = app.test_client()
    sign_in(client, "requester")
    assert own.number in client.get("/requests").get_data(as_text=True)
    assert client.get(f"/requests/{own.id}").status_code == 200
    assert client.get("/").status_code == 200

    client = app.test_client()
    sign_in(client, "approver")
    assert inbox.number in client.get("/approvals").get_data(as_text=True)
    assert client.get(f"/requests/{inbox.id}").status_code == 200
    assert client.get("/budgets", follow_redirects=True).status_code == 200

    client = app.test_client()
    sign_in(client, "procurement")
    page = client.get("/requests?status=closed&page=3")
    assert page.status_code == 200
    assert re.search(r"PR-\d{4}-\d{5}", page.get_data(as_text=True))
    detail = client.get(f"/requests/{closed.id}").get_data(as_text=True)
    assert "RFQ-" in detail and "PO-" in detail
    comparison = client.get(f"/rfqs/{open_rfq.id}").get_data(as_text=True)
    assert all(name.replace("&", "&amp;").replace("'", "&#39;") in comparison for name in quoting)
    found = client.get(f"/vendors?q={fragment}").get_data(as_text=True)
    assert vendor.name in found
    assert "CT-" in client.get("/contracts", follow_redirects=True).get_data(as_text=True)
    assert client.get("/orders", follow_redirects=True).status_code == 200

    client = app.test_client()
    sign_in(client, "finance")
    budgets = client.get("/budgets", follow_redirects=True)
    assert budgets.status_code == 200
    assert str(utcnow().year) in budgets.get_data(as_text=True)

    client = app.test_client()
    sign_in(client, "admin")
    assert client.get("/admin/").status_code == 200


def test_documents_in_every_state_render(app, db):
    pages = []
    for status in RequestStatus:
        pr = db.session.scalar(sa.select(PurchaseRequest).where(PurchaseRequest.status == status))
        pages.append(f"/requests/{pr.id}")
    for status in set(db.session.scalars(sa.select(Rfq.status).distinct())):
        rfq = db.session.scalar(sa.select(Rfq).where(Rfq.status == status))
        pages.append(f"/rfqs/{rfq.id}")
    for status in set(db.session.scalars(sa.select(PurchaseOrder.status).distinct())):
        order = db.session.scalar(sa.select(PurchaseOrder).where(PurchaseOrder.status == status))
        pages += [f"/orders/{order.id}", f"/orders/{order.id}/pdf"]
    for status in ContractStatus:
        contract = db.session.scalar(sa.select(Contract).where(Contract.status == status))
        pages.append(f"/contracts/{contract.id}")
    for vendor_status in set(db.session.scalars(sa.select(Vendor.status).distinct())):
        vendor = db.session.scalar(sa.select(Vendor).where(Vendor.status == vendor_status))
        pages.append(f"/vendors/{vendor.id}")

    client = app.test_client()
    sign_in(client, "procurement")
    for path in pages:
        assert client.get(path).status_code == 200, path


def test_invoices_in_every_state_render(app, db):
    """Finance reads the list and each state's invoice; the requester their own."""
    by_status = invoices_by_status(db)
    client = app.test_client()
    sign_in(client, "finance")
    assert client.get("/invoices/").status_code == 200
    assert client.get("/invoices/?status=on_hold").status_code == 200
    for status, found in by_status.items():
        for invoice in (found[0], found[-1]):
            page = client.get(f"/invoices/{invoice.id}")
            assert page.status_code == 200, (status, invoice.number)
            assert invoice.number in page.get_data(as_text=True)


def test_issued_orders_have_the_vendors_invoice_link(db):
    """Every issued order has the invoice link ``orders.issue`` makes, which finds it
    again from the vendor's token."""
    issued = db.session.scalars(
        sa.select(PurchaseOrder).where(PurchaseOrder.issued_at.is_not(None))
    ).all()
    assert issued and all(o.invoice_link_nonce and o.invoice_token_hash for o in issued)
    assert len({o.invoice_token_hash for o in issued}) == len(issued)
    order = next(o for o in issued if o.status == OrderStatus.RECEIVED)
    assert invoice_links.current_link(order) is not None
    token = private_links.derive(invoice_links.PURPOSE, order.invoice_link_nonce)
    assert invoice_links.order_for_token(token).id == order.id


def test_issued_orders_have_their_revision_zero_and_can_be_revised(db):
    """Every issued order has revision 0 as first issued, pointing at its PDF, as the
    migration gives older orders: verify-audit finds each issued PDF through it, and
    the services revise a generated order as they would one of their own."""
    issued = db.session.scalars(
        sa.select(PurchaseOrder).where(PurchaseOrder.pdf_sha256.is_not(None))
    ).all()
    assert issued
    for order in issued:
        [first] = order.revisions
        assert (first.revision, first.status, first.changes, first.reason) == (
            0,
            RevisionStatus.ISSUED,
            [],
            "",
        )
        assert (first.pdf_attachment_id, first.pdf_sha256) == (
            order.pdf_attachment_id,
            order.pdf_sha256,
        )
        assert (first.total, first.total_base) == (order.total, order.total_base)
        assert (first.issued_at, first.created_by_id) == (order.issued_at, order.issued_by_id)
    assert count(db, OrderRevision) == len(issued)
    assert stored_files.check().problems == []

    buyer = db.session.scalar(sa.select(User).where(User.email == LOGINS["procurement"]))
    order = next(o for o in issued if o.status == OrderStatus.ISSUED)
    line = order.lines[0]
    try:
        revision = revisions.revise(
            order,
            revisions.RevisionData(
                reason="The vendor's model name.",
                lines=[
                    revisions.LineChange(line_id=line.id, description=f"{line.description} (v2)")
                ],
            ),
            actor=buyer,
        )
        assert (revision.revision, order.revision) == (1, 1)
        assert stored_files.check().problems == []
    finally:
        db.session.rollback()


# The asset register ------------------------------------------------------------------------


def test_received_hardware_became_assets_and_licence_lines_pools(db):
    from procure import receiving
    from procure.assets import intake, registry
    from procure.models import Asset, Licence, LicenceAssignment, OrderLine, Receipt, ReceiptLine

    settings = registry.current()
    units: dict[int, int] = {}
    for line_id, quantity in db.session.execute(
        sa.select(ReceiptLine.order_line_id, ReceiptLine.quantity)
    ):
        units[line_id] = units.get(line_id, 0) + int(quantity)
    lines = db.session.scalars(sa.select(OrderLine).where(OrderLine.id.in_(list(units)))).all()
    assets = db.session.scalars(sa.select(Asset)).all()
    pools = {p.order_line_id: p for p in db.session.scalars(sa.select(Licence))}
    by_line: dict[int, list[Asset]] = {}
    for asset in assets:
        by_line.setdefault(asset.order_line_id, []).append(asset)
    kinds = {"asset": 0, "licence": 0}
    for line in lines:
        category = receiving.category_of(line)
        if category in settings.hardware_categories:
            kinds["asset"] += 1
            assert len(by_line.get(line.id, [])) == units[line.id], line.id
            assert line.id not in pools
        elif category in settings.licence_categories and units[line.id]:
            kinds["licence"] += 1
            assert pools[line.id].seats == units[line.id]
            assert line.id not in by_line
        else:
            assert line.id not in by_line and line.id not in pools
    assert kinds["asset"] > 0 and kinds["licence"] > 0
    for asset in assets:
        order, receipt = asset.order, db.session.get(Receipt, asset.receipt_id)
        assert receipt.order_id == order.id
        assert asset.cost == intake.unit_cost(order, asset.order_line)
        assert asset.purchase_date == receipt.received_on
        assert asset.warranty_end == intake.warranty_end(order, receipt.received_on)
        assert asset.request_id == order.request_id and asset.vendor_id == order.vendor_id
    statuses = {asset.status.value for asset in assets}
    assert {"in_stock", "deployed", "retired"} <= statuses
    live = dict(
        db.session.execute(
            sa.select(LicenceAssignment.licence_id, sa.func.count())
            .where(LicenceAssignment.released_at.is_(None))
            .group_by(LicenceAssignment.licence_id)
        ).all()
    )
    assert sum(live.values()) > 0
    for pool in pools.values():
        assert pool.used == live.get(pool.id, 0) <= pool.seats


def test_asset_tags_are_gap_free_and_the_sequence_continues(db):
    from procure import numbering
    from procure.models import Asset

    tags = db.session.scalars(sa.select(Asset.tag)).all()
    serials = sorted(int(tag.removeprefix("AT-")) for tag in tags)
    assert serials == list(range(1, len(tags) + 1))
    last = db.session.scalar(sa.select(NumberSequence.last).where(NumberSequence.prefix == "AT"))
    assert last == len(tags)
    assert numbering.next_tag() == f"AT-{len(tags) + 1:06d}"
    db.session.rollback()


def test_asset_and_licence_events_tell_their_story(db):
    from procure.models import Asset, Licence

    for asset in db.session.scalars(sa.select(Asset)):
        events = db.session.scalars(audit.events_for("asset", asset.id)).all()
        assert events[0].action == "create"
        assert json.loads(events[0].changes)["tag"] == asset.tag
        assert len(events) == asset.version
        if len(events) > 1:
            assert json.loads(events[-1].changes)["status"][1] == asset.status.value
    for pool in db.session.scalars(sa.select(Licence)):
        events = db.session.scalars(audit.events_for("licence", pool.id)).all()
        assert events[0].action == "create" and len(events) == pool.version
        assigned = [e for e in events if e.action == "assign"]
        assert len(assigned) == pool.used


def test_the_asset_reports_read_the_generated_register(app, db):
    client = app.test_client()
    sign_in(client, "procurement")
    for path in ("warranty?days=365", "warranty.csv?days=365", "costs", "licences", "leavers"):
        assert client.get(f"/assets/reports/{path}").status_code == 200, path


# Webhooks ---------------------------------------------------------------------------------


def test_webhook_endpoints_are_registered_and_one_deleted_as_admin_would(db):
    endpoints = db.session.scalars(sa.select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    assert len(endpoints) == len(bench_webhooks.PLAN)
    assert {e.kind for e in endpoints} == {"json", "slack", "teams", "mattermost"}
    deleted = [e for e in endpoints if e.deleted_at is not None]
    assert len(deleted) == 1
    for endpoint in endpoints:
        assert set(endpoint.events) <= set(TYPES)
        assert bool(endpoint.secret_sealed) == (endpoint.kind == "json")
        actions = [e.action for e in db.session.scalars(audit.events_for("webhook", endpoint.id))]
        assert actions == (["create", "delete"] if endpoint.deleted_at else ["create"])
        assert endpoint.created_by.email == LOGINS["admin"]


def test_webhook_deliveries_follow_the_transitions_in_the_retention_window(app, db):
    endpoints = db.session.scalars(sa.select(WebhookEndpoint)).all()
    events = db.session.scalars(sa.select(WebhookEvent)).all()
    assert events, "the window holds no webhook event"
    last = db.session.scalar(sa.select(sa.func.max(AuditEvent.at)))
    window = dt.timedelta(days=app.config["PROCURE_RETENTION_DAYS"])
    assert min(e.occurred_at for e in events) >= last - window - dt.timedelta(days=1)
    # Every transition of the window that an endpoint wanted then is an event.
    wanted = 0
    for row in db.session.execute(
        sa.select(AuditEvent.at, AuditEvent.entity, AuditEvent.entity_id, AuditEvent.action,
                  AuditEvent.changes)
        .where(AuditEvent.at >= min(e.occurred_at for e in events))
    ):  # fmt: skip
        type_ = bench_webhooks.webhook_type(row.entity, row.action, row.changes)
        if type_ and any(
            type_ in e.events
            and e.created_at <= row.at
            and not (e.deleted_at and e.deleted_at <= row.at)
            for e in endpoints
        ):
            wanted += 1
    assert len(events) == wanted
    by_event: dict[int, set[int]] = {}
    for delivery in db.session.scalars(sa.select(WebhookDelivery)):
        by_event.setdefault(delivery.event_id, set()).add(delivery.endpoint_id)
    for event in events:
        assert event.type in TYPES and event.data["id"] == event.entity_id
        assert by_event[event.id] == {
            e.id
            for e in endpoints
            if event.type in e.events
            and e.created_at <= event.occurred_at
            and not (e.deleted_at and e.deleted_at <= event.occurred_at)
        }


def test_webhook_attempts_tell_each_delivery_outcome(db):
    tried: dict[int, list] = {}
    for attempt in db.session.scalars(sa.select(WebhookAttempt).order_by(WebhookAttempt.id)):
        tried.setdefault(attempt.delivery_id, []).append(attempt)
    deliveries = db.session.scalars(sa.select(WebhookDelivery)).all()
    statuses = {"delivered": 0, "failed": 0, "pending": 0}
    first_time = 0
    for delivery in deliveries:
        attempts = tried.get(delivery.id, [])
        statuses[delivery.status.value] += 1
        assert len(attempts) == delivery.attempts
        assert [a.at for a in attempts] == sorted(a.at for a in attempts)
        assert all(a.endpoint_id == delivery.endpoint_id for a in attempts)
        assert all(a.event_id == delivery.event_id for a in attempts)
        assert all(a.at > delivery.event.occurred_at for a in attempts)
        outcomes = [a.status.value for a in attempts]
        if delivery.status.value == "delivered":
            assert outcomes == ["failed"] * (len(outcomes) - 1) + ["delivered"]
            assert delivery.delivered_at == attempts[-1].at and not delivery.last_error
            first_time += len(attempts) == 1
        elif delivery.status.value == "failed":
            assert "delivered" not in outcomes
            assert len(attempts) == MAX_ATTEMPTS or (
                delivery.last_error == bench_webhooks.DELETED
                and delivery.endpoint.deleted_at is not None
            )
        else:
            assert "delivered" not in outcomes and len(attempts) < MAX_ATTEMPTS
    assert statuses["delivered"] >= 0.85 * len(deliveries)
    assert first_time >= 0.8 * statuses["delivered"]
    assert statuses["failed"] > 0


def test_prune_finds_nothing_of_the_webhook_log_to_delete(app, db):
    days = app.config["PROCURE_RETENTION_DAYS"]
    oldest = db.session.scalar(sa.select(sa.func.min(WebhookEvent.occurred_at)))
    removed = retention.prune(days=days, now=oldest + dt.timedelta(days=days))
    assert {r.kind: r.count for r in removed if r.kind.startswith("webhook")} == {
        "webhook attempts": 0,
        "webhook deliveries": 0,
        "webhook events": 0,
    }


def test_the_api_reads_the_data(app, db, client):
    token = app.test_cli_runner().invoke(args=["issue-token", LOGINS["finance"]]).output.strip()
    headers = {"Authorization": f"Bearer {token}"}

    listed = client.get("/api/v1/requests?status=closed", headers=headers)
    log = client.get("/api/v1/audit?entity=request&entity_id=1", headers=headers)

    assert listed.status_code == 200
    assert listed.get_json()["items"]
    assert log.status_code == 200
    assert log.get_json()["items"][0]["action"] == "create"


def test_the_api_lists_what_to_pay_and_exports_it(app, db, client):
    token = app.test_cli_runner().invoke(args=["issue-token", LOGINS["finance"]]).output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    approved = invoices_by_status(db)[InvoiceStatus.APPROVED]
    due_before = (max(i.due_date for i in approved) + dt.timedelta(days=1)).isoformat()

    listed = client.get(
        f"/api/v1/invoices?status=approved&due_before={due_before}&per_page=100",
        headers=headers,
    )
    exported = client.get("/api/v1/invoices/export.csv?status=approved", headers=headers)

    assert listed.status_code == 200
    numbers_listed = {item["number"] for item in listed.get_json()["items"]}
    assert numbers_listed and numbers_listed <= {i.number for i in approved}
    assert exported.status_code == 200
    text = exported.get_data(as_text=True)
    assert all(i.number in text for i in approved)


def test_new_requests_continue_the_numbering_and_the_chain(db):
    from procure.purchasing import services as purchasing

    year = utcnow().year
    last = db.session.scalar(
        sa.select(NumberSequence.last).where(
            NumberSequence.prefix == "PR", NumberSequence.year == year
        )
    )
    requester = db.session.scalar(sa.select(User).where(User.email == LOGINS["requester"]))

    pr = purchasing.create_request(
        purchasing.RequestData(
            title="After the benchmark data",
            lines=[
                purchasing.LineData(
                    description="Cable", quantity=Decimal("2"), unit_price=Decimal("9.50")
                )
            ],
            needed_by=dt.date.today() + dt.timedelta(days=10),
        ),
        actor=requester,
    )
    purchasing.submit(pr, actor=requester)
    db.session.commit()

    assert pr.number == f"PR-{year}-{last + 1:05d}"
    assert pr.pending_step is not None and pr.pending_step.name == "department"
    assert audit.verify().ok


def test_invoices_continue_the_numbering_and_the_chain(app, db):
    """A matched invoice is approved by finance, and a new one recorded against a
    received order takes the next number of the year."""
    year = utcnow().year
    last = db.session.scalar(
        sa.select(NumberSequence.last).where(
            NumberSequence.prefix == "INV", NumberSequence.year == year
        )
    )
    matched = db.session.scalar(
        sa.select(Invoice).where(Invoice.status == InvoiceStatus.MATCHED).order_by(Invoice.id)
    )
    approver = db.session.scalar(
        sa.select(User)
        .where(User.email == LOGINS["finance"], User.id != matched.entered_by_id)
        .limit(1)
    ) or next(
        u
        for u in db.session.scalars(sa.select(User))
        if Role.FINANCE in u.roles and u.id != matched.entered_by_id
    )
    invoice_actions.approve(matched, actor=approver)
    order = db.session.scalar(
        sa.select(PurchaseOrder)
        .where(PurchaseOrder.status == OrderStatus.RECEIVED)
        .order_by(PurchaseOrder.id)
    )
    clerk = db.session.scalar(sa.select(User).where(User.email == LOGINS["procurement"]))
    line = order.lines[0]
    created = invoice_services.create(
        invoice_services.InvoiceData(
            order_id=order.id,
            vendor_invoice_number="BENCH-CHECK-1",
            invoice_date=utcnow().date(),
            lines=[
                invoice_services.LineData(
                    order_line_id=line.id, quantity=Decimal("1"), unit_price=line.unit_price
                )
            ],
        ),
        actor=clerk,
    )
    db.session.commit()

    assert matched.status == InvoiceStatus.APPROVED
    assert created.number == f"INV-{year}-{(last or 0) + 1:05d}"
    assert audit.verify().ok


def empty_app(url: str, folder) -> Flask:
    """An app on an empty database of its own, migrated, for a seed from nothing."""
    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "test",
            "ATTACHMENTS_DIR": str(folder),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    init_db(other)
    return other


def test_an_interrupted_run_leaves_a_consistent_database(
    empty_database_url, tmp_path, monkeypatch
):
    from procure.benchdata import history

    other = empty_app(empty_database_url, tmp_path)
    plan = history.History.plan_request

    def interrupted(self, index, filed):
        if index == 130:  # in the third chunk
            raise KeyboardInterrupt
        return plan(self, index, filed)

    monkeypatch.setattr(history.History, "plan_request", interrupted)
    try:
        with other.app_context():
            with pytest.raises(KeyboardInterrupt):
                seed(200, vendors=40, departments=5, chunk_size=60)
            requests = _db.session.scalars(sa.select(PurchaseRequest)).all()
            issued = _db.session.scalars(
                sa.select(PurchaseOrder.id).where(PurchaseOrder.number.is_not(None))
            ).all()
            issue_events = set(
                _db.session.scalars(
                    sa.select(AuditEvent.entity_id).where(
                        AuditEvent.entity == "order", AuditEvent.action == "issue"
                    )
                )
            )
            verified = audit.verify()
            last_status = {
                pr.id: json.loads(
                    _db.session.scalars(audit.events_for("request", pr.id)).all()[-1].changes
                ).get("status", [None, "draft"])[1]
                for pr in requests
            }
            # The committed chunks are whole: the next run refuses, the app goes on.
            assert len(requests) == 120
            assert verified.ok, verified
            assert issued and set(issued) <= issue_events
            assert all(last_status[pr.id] == pr.status.value for pr in requests)
            invoices = _db.session.scalars(sa.select(Invoice)).all()
            assert invoices
            for invoice in invoices:
                events = _db.session.scalars(audit.events_for("invoice", invoice.id)).all()
                assert events and events[0].action == "create", invoice.number
                last = json.loads(events[-1].changes).get("status", [None, "draft"])[1]
                assert last == invoice.status.value, invoice.number
            # The agreements hold what the committed chunks called off, no more.
            called_off: dict[int, Decimal] = {}
            for order in _db.session.scalars(
                sa.select(PurchaseOrder).where(
                    PurchaseOrder.agreement_id.is_not(None),
                    PurchaseOrder.status != OrderStatus.CANCELLED,
                )
            ):
                called_off[order.agreement_id] = called_off.get(order.agreement_id, 0) + (
                    order.total
                )
            agreements = _db.session.scalars(sa.select(Agreement)).all()
            assert agreements and called_off
            assert {a.id: a.consumed for a in agreements if a.consumed} == called_off
            assert other.test_cli_runner().invoke(args=["verify-audit"]).exit_code == 0
    finally:
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()


def test_a_vendor_registered_lately_has_no_move_after_now(empty_database_url, tmp_path):
    """With this seed and time the newest vendor, registered weeks before, is blocked
    after a review long enough to end in March: it happened by now instead."""
    other = empty_app(empty_database_url, tmp_path)
    now = dt.datetime(2026, 12, 7, 20, 10)
    try:
        with other.app_context():
            seed(300, vendors=400, seed=7, now=now)  # as `seed-bench --seed 7` would
            latest = _db.session.scalar(
                sa.select(sa.func.max(AuditEvent.at)).where(AuditEvent.entity == "vendor")
            )
            assert latest < now
            assert audit.verify().ok
    finally:
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()


def test_the_same_seed_and_time_give_the_same_history(empty_database_url, tmp_path):
    other = empty_app(empty_database_url, tmp_path)
    now = dt.datetime(2026, 3, 2, 14, 30)

    def history() -> tuple:
        seed(60, vendors=30, departments=5, seed=11, now=now, chunk_size=25)
        head = _db.session.execute(sa.select(AuditHead.seq, AuditHead.hash)).one()
        requests = _db.session.execute(
            sa.select(
                PurchaseRequest.number,
                PurchaseRequest.title,
                PurchaseRequest.total,
                PurchaseRequest.status,
                PurchaseRequest.updated_at,
            ).order_by(PurchaseRequest.id)
        ).all()
        return tuple(head), [tuple(row) for row in requests]

    try:
        with other.app_context():
            with _db.engine.connect() as connection:
                migrated = read_rows(connection)
            first = history()
            _db.session.remove()
            reset_database(_db.engine, migrated)
            second = history()
    finally:
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()

    assert len(first[1]) == 60
    assert max(row[4] for row in first[1]) <= now
    # The same events, to the last hash.
    assert first == second


def test_each_chunk_is_freed_once_written(empty_database_url, tmp_path):
    """The generation runs without the automatic cyclic collector, and a chunk's
    documents point at each other (an order at its invoices, each invoice at its order):
    each written chunk is collected at once, so that nothing of it is left for later
    (left to pile up, they took 9.2 GB at a million requests)."""
    other = empty_app(empty_database_url, tmp_path)
    benchdata = seed.__module__
    left: list[int] = []

    def progress(_requests: int) -> None:
        # The generated documents the cyclic collector still finds unreachable once a
        # chunk is written (not what the database driver leaves: only the documents).
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            gc.collect()
            left.append(sum(type(o).__module__.startswith(benchdata) for o in gc.garbage))
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.collect()

    try:
        with other.app_context():
            # Enough requests that the orders a chunk keeps for the next (the last 400
            # issued, for contracts to cover) leave the first chunks behind.
            seed(1000, vendors=60, departments=5, chunk_size=200, progress=progress)
    finally:
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()

    assert len(left) == 5
    assert left == [0] * 5
