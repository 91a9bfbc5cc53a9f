"""``seed-bench``: years of generated history, written in bulk, that the application
reads and extends exactly as data made through its services.

The seeded database is shared by the tests of this module (seeding once keeps them
quick); it commits, so the module is ``committing`` and puts the database back as
the migrations left it at the end."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import audit, create_app, currencies
from procure.audit import canonical_json
from procure.benchdata import PASSWORD, SeedRefused, seed
from procure.db import init_db
from procure.extensions import db as _db
from procure.models import (
    ApprovalStep,
    AuditEvent,
    AuditHead,
    Contract,
    ContractStatus,
    ExchangeRate,
    NumberSequence,
    OrderStatus,
    PurchaseOrder,
    PurchaseRequest,
    Quote,
    RequestLine,
    RequestStatus,
    Rfq,
    RfqStatus,
    User,
    Vendor,
    utcnow,
)
from procure.money import round_money

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
    for table in ("purchase_requests", "request_lines", "quotes", "purchase_orders"):
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
            RequestStatus.CLOSED: {"close"},
        }[pr.status]
        assert events[-1].action in last, pr.number
        assert json.loads(events[-1].changes).get("status", [None, pr.status.value])[1] == (
            pr.status.value
        )


def test_the_number_sequences_match_the_numbers_given(db):
    sequences = {(s.prefix, s.year): s.last for s in db.session.scalars(sa.select(NumberSequence))}
    for model, prefix in ((PurchaseRequest, "PR"), (Rfq, "RFQ"), (PurchaseOrder, "PO")):
        numbers = [n for n in db.session.scalars(sa.select(model.number)) if n]
        by_year: dict[int, list[int]] = {}
        for number in numbers:
            _, year, serial = number.split("-")
            by_year.setdefault(int(year), []).append(int(serial))
        for year, serials in by_year.items():
            # Gap-free from 1, and the sequence at the last one given.
            assert sorted(serials) == list(range(1, len(serials) + 1)), (prefix, year)
            assert sequences[(prefix, year)] == len(serials)


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


def test_the_api_reads_the_data(app, db, client):
    token = app.test_cli_runner().invoke(args=["issue-token", LOGINS["finance"]]).output.strip()
    headers = {"Authorization": f"Bearer {token}"}

    listed = client.get("/api/v1/requests?status=closed", headers=headers)
    log = client.get("/api/v1/audit?entity=request&entity_id=1", headers=headers)

    assert listed.status_code == 200
    assert listed.get_json()["items"]
    assert log.status_code == 200
    assert log.get_json()["items"][0]["action"] == "create"


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


def test_an_interrupted_run_leaves_a_consistent_database(
    empty_database_url, tmp_path, monkeypatch
):
    from procure.benchdata import history

    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "SECRET_KEY": "test",
            "ATTACHMENTS_DIR": str(tmp_path),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    init_db(other)
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
            assert other.test_cli_runner().invoke(args=["verify-audit"]).exit_code == 0
    finally:
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()


def test_the_same_seed_and_time_give_the_same_history(empty_database_url, tmp_path):
    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "SECRET_KEY": "test",
            "ATTACHMENTS_DIR": str(tmp_path),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    init_db(other)
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
