"""Orders after issue through the JSON API (API.md, "Orders after issue"): issue 21's
acceptance path as a client drives it — a revision down issued at once, one up beyond
the tolerance approved on the request, every revision's PDF downloadable with its
hash —, budgets seeing the increase only once issued, returns, reversed receipts, the
refusals of bad input with nothing stored, who may, and two people revising at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from procure import audit
from procure.extensions import db as _db
from procure.models import AuditEvent, OrderRevision, PurchaseOrder
from tests.documents import issued_order

TODAY = dt.date.today()
SYSTEM_ACTIONS = {"issue_revision", "withdraw_revision", "settle"}


@pytest.fixture
def people(make):
    return {
        "buyer": make.user(["procurement"], department="PROC"),
        "other_buyer": make.user(["procurement"], department="PROC"),
        # Procurement who is also an approver of the request's department: may propose
        # an increase, never approve it.
        "proposer": make.user(["procurement", "approver"], department="IT"),
        "approver": make.user(["approver"], department="IT"),
        "clerk": make.user(["finance"], department="FIN"),
        "admin": make.user(["admin"], department="ADM"),
    }


@pytest.fixture
def as_(api, people):
    clients = {}

    def caller(who):
        user = people[who] if isinstance(who, str) else who
        if user.id not in clients:
            clients[user.id] = api(user)
        return clients[user.id]

    return caller


@pytest.fixture
def order(make, people):
    """2 laptops at 1,000.00 and 3 docks at 150.00: 2,450.00, issued."""
    return issued_order(make, buyer=people["buyer"])


def events(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


def read(caller, order) -> dict:
    answer = caller.get(f"/api/v1/orders/{order.id}")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def post(caller, order, action, expect=200, **body):
    answer = caller.post(f"/api/v1/orders/{order.id}/{action}", json=body)
    assert answer.status_code == expect, answer.get_json()
    return answer.get_json()


def line_ids(answer) -> tuple[int, int]:
    laptops, docks = answer["lines"]
    return laptops["id"], docks["id"]


def receive(caller, order, quantities: dict[int, str]) -> dict:
    lines = [{"line_id": line_id, "quantity": q} for line_id, q in quantities.items()]
    return post(caller, order, "receive", lines=lines)


def pdf_hash(caller, order, revision=None) -> str:
    query = "" if revision is None else f"?revision={revision}"
    answer = caller.get(f"/api/v1/orders/{order.id}/pdf{query}")
    assert answer.status_code == 200, answer.get_json()
    assert answer.mimetype == "application/pdf" and answer.data.startswith(b"%PDF")
    return hashlib.sha256(answer.data).hexdigest()


def budget(caller, order) -> dict:
    answer = caller.get(f"/api/v1/budgets?department=IT&fiscal_year={order.request.fiscal_year}")
    assert answer.status_code == 200, answer.get_json()
    (found,) = answer.get_json()["items"]
    return found


# Issue 21's acceptance path ------------------------------------------------------------------


def test_revised_down_at_once_then_up_through_the_approvers_with_every_pdf_kept(
    db, as_, people, order, runner
):
    made = as_("clerk").post(
        "/api/v1/budgets",
        json={"department": "IT", "fiscal_year": order.request.fiscal_year, "amount": "100000"},
    )
    assert made.status_code == 201, made.get_json()
    first = read(as_("buyer"), order)
    assert (first["revision"], first["revision_status"], first["pending_revision"]) == (
        0,
        "issued",
        None,
    )
    [rev0] = first["revisions"]
    assert rev0["revision"] == 0 and rev0["pdf_sha256"] == first["pdf_sha256"]
    assert "revise" in first["allowed_actions"]
    assert not SYSTEM_ACTIONS & set(first["allowed_actions"])
    assert {"return", "reverse_receipt"}.isdisjoint(first["allowed_actions"])  # nothing received
    assert first["receipts"] == first["returns"] == [] and first["credit_expected"] == "0.00"
    assert budget(as_("clerk"), order)["committed"] == "2450.00"
    laptops, docks = line_ids(first)

    # Down: within the tolerance, issued at once as revision 1.
    down = post(
        as_("buyer"),
        order,
        "revise",
        reason="The vendor cannot deliver the third dock.",
        lines=[{"line_id": docks, "quantity": "2"}],
        version=first["version"],
    )
    assert (down["revision"], down["revision_status"], down["total"]) == (1, "issued", "2300.00")
    assert [line["quantity"] for line in down["lines"]] == ["2", "2"]
    assert [r["revision"] for r in down["revisions"]] == [0, 1]
    rev1 = down["revisions"][1]
    assert rev1["reason"] == "The vendor cannot deliver the third dock."
    assert rev1["changes"] == ["Line 2 quantity 3 → 2"] and rev1["total"] == "2300.00"
    assert rev1["pdf_sha256"] == down["pdf_sha256"] != rev0["pdf_sha256"]
    assert pdf_hash(as_("buyer"), order, 0) == rev0["pdf_sha256"]
    assert pdf_hash(as_("buyer"), order, 1) == rev1["pdf_sha256"]
    assert pdf_hash(as_("buyer"), order) == rev1["pdf_sha256"]  # the latest by default
    assert budget(as_("clerk"), order)["committed"] == "2300.00"

    # Up beyond the tolerance (4,300.00 against 2,450.00 approved): it waits.
    up = post(
        as_("proposer"),
        order,
        "revise",
        reason="Two more laptops for the new starters.",
        lines=[{"line_id": laptops, "quantity": 4}],
        version=down["version"],
    )
    assert up["revision_status"] == "pending_approval"
    assert (up["revision"], up["total"]) == (1, "2300.00")  # as issued, until approved
    assert [line["quantity"] for line in up["lines"]] == ["2", "2"]
    assert [r["revision"] for r in up["revisions"]] == [0, 1]
    waiting = up["pending_revision"]
    assert waiting["total"] == "4300.00" and waiting["increase"] == "1850.00"
    assert waiting["reason"] == "Two more laptops for the new starters."
    assert waiting["changes"] == ["Line 1 quantity 2 → 4"]
    assert [(line["line_id"], line["quantity"]) for line in waiting["lines"]] == [
        (laptops, "4"),
        (docks, "2"),
    ]
    assert waiting["created_by"]["id"] == people["proposer"].id
    assert "revise" not in up["allowed_actions"]  # one revision waits at a time
    assert budget(as_("clerk"), order)["committed"] == "2300.00"  # not before it is issued

    pr_path = f"/api/v1/requests/{order.request_id}"
    seen = as_("approver").get(pr_path).get_json()
    assert seen["status"] == "ordered"
    pending = [step for step in seen["approvals"] if step["status"] == "pending"]
    assert len(pending) == 1 and "increase" in pending[0]["reason"]
    assert {"approve", "reject"} <= set(seen["allowed_actions"])
    mine = as_("proposer").get(pr_path).get_json()
    assert "approve" not in mine["allowed_actions"]
    refused = as_("proposer").post(f"{pr_path}/approve", json={})
    assert refused.status_code == 403, refused.get_json()
    assert refused.get_json()["error"]["code"] == "forbidden"

    approved = as_("approver").post(f"{pr_path}/approve", json={"version": seen["version"]})
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] == "ordered"

    issued = read(as_("buyer"), order)
    assert (issued["revision"], issued["revision_status"], issued["total"]) == (
        2,
        "issued",
        "4300.00",
    )
    assert issued["pending_revision"] is None and issued["status"] == "issued"
    assert [r["revision"] for r in issued["revisions"]] == [0, 1, 2]
    for revision in issued["revisions"]:
        assert pdf_hash(as_("buyer"), order, revision["revision"]) == revision["pdf_sha256"]
    assert issued["pdf_sha256"] == issued["revisions"][2]["pdf_sha256"]
    assert budget(as_("clerk"), order)["committed"] == "4300.00"

    actions = [
        e.action
        for e in db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity == "order", AuditEvent.entity_id == order.id
            )
        )
    ]
    assert actions[-3:] == ["revise", "revise", "issue_revision"]
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok ")


def test_a_rejected_increase_leaves_the_order_as_issued(as_, order):
    first = read(as_("buyer"), order)
    laptops, _docks = line_ids(first)
    post(
        as_("proposer"),
        order,
        "revise",
        reason="A bigger screen.",
        lines=[{"line_id": laptops, "unit_price": "2000.00"}],
    )
    pr_path = f"/api/v1/requests/{order.request_id}"
    rejected = as_("approver").post(f"{pr_path}/reject", json={"comment": "Not this quarter."})
    assert rejected.status_code == 200, rejected.get_json()
    after = read(as_("buyer"), order)
    assert (after["revision"], after["revision_status"], after["total"]) == (
        0,
        "issued",
        "2450.00",
    )
    assert after["pending_revision"] is None and len(after["revisions"]) == 1
    assert "revise" in after["allowed_actions"]


def test_an_unknown_revision_pdf_is_a_422_on_revision(as_, order):
    for query in ("?revision=3", "?revision=-1", "?revision=x"):
        answer = as_("buyer").get(f"/api/v1/orders/{order.id}/pdf{query}")
        assert answer.status_code == 422, (query, answer.get_json())
        assert "revision" in answer.get_json()["error"]["fields"], query


# Returns, reversals ----------------------------------------------------------------------


def test_two_laptops_returned(as_, order):
    laptops, docks = line_ids(read(as_("buyer"), order))
    received = receive(as_("buyer"), order, {laptops: "2", docks: "3"})
    assert received["status"] == "received" and "return" in received["allowed_actions"]
    spent = budget_spent(as_, order)

    sent = post(
        as_("buyer"),
        order,
        "return",
        lines=[{"line_id": laptops, "quantity": "2"}],
        reason="Both screens cracked on arrival.",
        rma="RMA-7781",
        version=received["version"],
    )
    assert sent["status"] == "partially_received"
    line = sent["lines"][0]
    assert (line["received_quantity"], line["returned_quantity"]) == ("0", "2")
    [back] = sent["returns"]
    assert back["returned_on"] == TODAY.isoformat() and back["rma"] == "RMA-7781"
    assert back["reason"] == "Both screens cracked on arrival."
    assert back["lines"] == [{"line_id": laptops, "quantity": "2"}]
    assert budget_spent(as_, order) == spent - 2000  # received value: the docks, 450.00
    assert budget_spent(as_, order) == 450


def budget_spent(as_, order) -> int:
    """What the request's department has spent, whole units (a budget made if missing)."""
    path = f"/api/v1/budgets?department=IT&fiscal_year={order.request.fiscal_year}"
    items = as_("clerk").get(path).get_json()["items"]
    if not items:
        as_("clerk").post(
            "/api/v1/budgets",
            json={"department": "IT", "fiscal_year": order.request.fiscal_year, "amount": "50000"},
        )
        items = as_("clerk").get(path).get_json()["items"]
    return int(float(items[0]["spent"]))


def test_a_return_after_invoicing_expects_a_credit_note(as_, order):
    laptops, docks = line_ids(read(as_("buyer"), order))
    receive(as_("buyer"), order, {laptops: "2", docks: "3"})
    invoice = enter_invoice(as_, order)
    assert invoice["status"] == "matched"
    sent = post(
        as_("buyer"), order, "return", lines=[{"line_id": laptops, "quantity": "1"}], reason="Dead"
    )
    assert sent["credit_expected"] == "1000.00"
    listed = as_("buyer").get(f"/api/v1/orders?request_id={order.request_id}").get_json()
    assert listed["items"][0]["credit_expected"] == "1000.00"


def enter_invoice(as_, order) -> dict:
    body = {
        "order_id": order.id,
        "vendor_invoice_number": "INV-77",
        "invoice_date": TODAY.isoformat(),
        "lines": [
            {
                "order_line_id": line.id,
                "quantity": str(line.quantity),
                "unit_price": str(line.unit_price),
            }
            for line in order.lines
        ],
    }
    made = as_("clerk").post("/api/v1/invoices", json=body)
    assert made.status_code == 201, made.get_json()
    submitted = as_("clerk").post(f"/api/v1/invoices/{made.get_json()['id']}/submit", json={})
    assert submitted.status_code == 200, submitted.get_json()
    return submitted.get_json()


def test_a_mistaken_receipt_is_reversed_and_recorded_again(db, as_, order):
    laptops, docks = line_ids(read(as_("buyer"), order))
    wrong = receive(as_("buyer"), order, {laptops: "2"})  # it was the docks
    assert "reverse_receipt" in wrong["allowed_actions"]
    [receipt] = wrong["receipts"]
    assert receipt["reversed"] is False and receipt["lines"] == [
        {"line_id": laptops, "quantity": "2"}
    ]
    path = f"/api/v1/orders/{order.id}/receipts/{receipt['id']}/reverse"
    reversed_ = as_("buyer").post(path, json={"reason": "Booked against the laptops."})
    assert reversed_.status_code == 200, reversed_.get_json()
    undone = reversed_.get_json()
    assert undone["status"] == "issued" and undone["lines"][0]["received_quantity"] == "0"
    [receipt] = undone["receipts"]
    assert receipt["reversed"] is True and receipt["reversed_at"]
    assert receipt["reversal_reason"] == "Booked against the laptops."
    assert "reverse_receipt" not in undone["allowed_actions"]  # none stands

    again = receive(as_("buyer"), order, {docks: "2"})
    assert again["status"] == "partially_received"
    assert [r["reversed"] for r in again["receipts"]] == [True, False]

    before = events(db)
    twice = as_("buyer").post(path, json={"reason": "Again."})
    assert twice.status_code == 409, twice.get_json()
    assert twice.get_json()["error"]["code"] == "invalid_transition"
    assert "reversed already" in twice.get_json()["error"]["message"]
    assert events(db) == before

    for missing in (f"/api/v1/orders/{order.id}/receipts/999999/reverse",):
        assert as_("buyer").post(missing, json={"reason": "Wrong"}).status_code == 404


def test_a_receipt_an_invoice_bills_is_not_reversed(db, as_, order, make, people):
    laptops, docks = line_ids(read(as_("buyer"), order))
    received = receive(as_("buyer"), order, {laptops: "2", docks: "3"})
    invoice = enter_invoice(as_, order)
    before = events(db)
    [receipt] = received["receipts"]
    refused = as_("buyer").post(
        f"/api/v1/orders/{order.id}/receipts/{receipt['id']}/reverse", json={"reason": "Wrong"}
    )
    assert refused.status_code == 409, refused.get_json()
    error = refused.get_json()["error"]
    assert error["code"] == "invalid_transition" and invoice["number"] in error["message"]
    assert events(db) == before
    after = read(as_("buyer"), order)
    assert after["status"] == "received" and after["receipts"][0]["reversed"] is False

    # A receipt of another order is not this order's: 404.
    other = issued_order(make, buyer=people["buyer"])
    elsewhere = as_("buyer").post(
        f"/api/v1/orders/{other.id}/receipts/{receipt['id']}/reverse", json={"reason": "Wrong"}
    )
    assert elsewhere.status_code == 404, elsewhere.get_json()


# Bad input: refused beside the field, nothing stored ----------------------------------------


def fill(body: dict, laptops: int, docks: int) -> dict:
    """``body`` with the line ids named "laptops" and "docks" put in."""
    ids = {"laptops": laptops, "docks": docks}
    lines = [
        {**line, "line_id": ids.get(line.get("line_id"), line.get("line_id"))}
        for line in body.get("lines", [])
    ]
    return {**body, "lines": lines} if "lines" in body else body


PAST = (TODAY - dt.timedelta(days=1)).isoformat()
FUTURE = (TODAY + dt.timedelta(days=1)).isoformat()

BAD_REVISIONS = [
    ("no reason", {"reason": " ", "shipping": "10.00"}, "reason"),
    ("reason too long", {"reason": "x" * 10_001, "tax": "1"}, "reason"),
    (
        "negative quantity",
        {"lines": [{"line_id": "laptops", "quantity": "-1"}]},
        "lines.0.quantity",
    ),
    (
        "not a quantity",
        {"lines": [{"line_id": "laptops", "quantity": "many"}]},
        "lines.0.quantity",
    ),
    (
        "four decimals",
        {"lines": [{"line_id": "laptops", "quantity": "1.0001"}]},
        "lines.0.quantity",
    ),
    (
        "cents of a cent",
        {"lines": [{"line_id": "laptops", "unit_price": "1.001"}]},
        "lines.0.unit_price",
    ),
    (
        "negative price",
        {"lines": [{"line_id": "laptops", "unit_price": -5}]},
        "lines.0.unit_price",
    ),
    (
        "new line undescribed",
        {"lines": [{"quantity": "1", "unit_price": "5"}]},
        "lines.0.description",
    ),
    (
        "new line unpriced",
        {"lines": [{"description": "Bag", "quantity": "1"}]},
        "lines.0.unit_price",
    ),
    (
        "new line of nothing",
        {"lines": [{"description": "Bag", "quantity": "0", "unit_price": "5"}]},
        "lines.0.quantity",
    ),
    (
        "another order's line",
        {"lines": [{"line_id": 999999, "quantity": "1"}]},
        "lines.0.line_id",
    ),
    (
        "second line bad",
        {
            "lines": [
                {"line_id": "docks", "quantity": "1"},
                {"line_id": "laptops", "quantity": "-2"},
            ]
        },
        "lines.1.quantity",
    ),
    ("negative shipping", {"shipping": "-1"}, "shipping"),
    ("tax not money", {"tax": "ten"}, "tax"),
    ("past needed-by", {"needed_by": PAST}, "needed_by"),
    ("not a date", {"needed_by": "tomorrow"}, "needed_by"),
    ("payment terms too long", {"payment_terms": "x" * 201}, "payment_terms"),
    ("terms too long", {"terms": "x" * 10_001}, "terms"),
    ("nothing changes", {}, "lines"),
    ("the same again", {"lines": [{"line_id": "laptops", "quantity": "2"}]}, "lines"),
    (
        "every line removed",
        {"lines": [{"line_id": "laptops", "quantity": 0}, {"line_id": "docks", "quantity": 0}]},
        "lines",
    ),
]


def stored(db, order) -> tuple[int, int, int]:
    revisions = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(OrderRevision)
        .where(OrderRevision.order_id == order.id)
    )
    version = db.session.scalar(
        sa.select(PurchaseOrder.version).where(PurchaseOrder.id == order.id)
    )
    return events(db), revisions, version


@pytest.mark.parametrize(
    "body, field", [case[1:] for case in BAD_REVISIONS], ids=[c[0] for c in BAD_REVISIONS]
)
def test_a_bad_revision_is_refused_on_its_field_and_stores_nothing(db, as_, order, body, field):
    laptops, docks = line_ids(read(as_("buyer"), order))
    sent = {"reason": "Because.", **fill(body, laptops, docks)}
    before = stored(db, order)
    answer = as_("buyer").post(f"/api/v1/orders/{order.id}/revise", json=sent)
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"], error
    assert stored(db, order) == before
    assert read(as_("buyer"), order)["revision"] == 0


def test_a_revision_below_what_was_received_is_refused(db, as_, order):
    laptops, _docks = line_ids(read(as_("buyer"), order))
    receive(as_("buyer"), order, {laptops: "2"})
    before = stored(db, order)
    for quantity in ("1", "0"):  # lowered below, or removed
        answer = as_("buyer").post(
            f"/api/v1/orders/{order.id}/revise",
            json={"reason": "Fewer", "lines": [{"line_id": laptops, "quantity": quantity}]},
        )
        assert answer.status_code == 422, answer.get_json()
        assert "lines.0.quantity" in answer.get_json()["error"]["fields"]
    assert stored(db, order) == before


BAD_RETURNS = [
    (
        "more than received",
        {"lines": [{"line_id": "laptops", "quantity": "3"}]},
        "lines.0.quantity",
    ),
    (
        "more in two lines",
        {
            "lines": [
                {"line_id": "laptops", "quantity": "1"},
                {"line_id": "laptops", "quantity": "2"},
            ]
        },
        "lines.1.quantity",
    ),
    (
        "nothing of a line received",
        {"lines": [{"line_id": "docks", "quantity": "1"}]},
        "lines.0.quantity",
    ),
    ("zero", {"lines": [{"line_id": "laptops", "quantity": "0"}]}, "lines.0.quantity"),
    ("negative", {"lines": [{"line_id": "laptops", "quantity": -1}]}, "lines.0.quantity"),
    (
        "another order's line",
        {"lines": [{"line_id": 999999, "quantity": "1"}]},
        "lines.0.line_id",
    ),
    ("no lines", {"lines": []}, "lines"),
    ("in the future", {"returned_on": FUTURE}, "returned_on"),
    ("not a date", {"returned_on": "soon"}, "returned_on"),
    ("no reason", {"reason": ""}, "reason"),
    ("rma too long", {"rma": "R" * 101}, "rma"),
]


@pytest.mark.parametrize(
    "body, field", [case[1:] for case in BAD_RETURNS], ids=[c[0] for c in BAD_RETURNS]
)
def test_a_bad_return_is_refused_on_its_field_and_stores_nothing(db, as_, order, body, field):
    laptops, docks = line_ids(read(as_("buyer"), order))
    receive(as_("buyer"), order, {laptops: "2"})
    sent = {
        "lines": [{"line_id": laptops, "quantity": "1"}],
        "reason": "Broken",
        **fill(body, laptops, docks),
    }
    before = stored(db, order)
    answer = as_("buyer").post(f"/api/v1/orders/{order.id}/return", json=sent)
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["fields"], error
    assert stored(db, order) == before
    after = read(as_("buyer"), order)
    assert after["returns"] == [] and after["lines"][0]["received_quantity"] == "2"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_reversal_without_a_reason_is_refused(db, as_, order, reason):
    laptops, _docks = line_ids(read(as_("buyer"), order))
    [receipt] = receive(as_("buyer"), order, {laptops: "2"})["receipts"]
    before = stored(db, order)
    body = {} if reason is None else {"reason": reason}
    answer = as_("buyer").post(
        f"/api/v1/orders/{order.id}/receipts/{receipt['id']}/reverse", json=body
    )
    assert answer.status_code == 422, answer.get_json()
    assert "reason" in answer.get_json()["error"]["fields"]
    assert stored(db, order) == before


def test_nothing_is_returned_from_an_order_that_received_nothing(db, as_, order):
    laptops, _docks = line_ids(read(as_("buyer"), order))
    before = stored(db, order)
    answer = as_("buyer").post(
        f"/api/v1/orders/{order.id}/return",
        json={"lines": [{"line_id": laptops, "quantity": "1"}], "reason": "Broken"},
    )
    assert answer.status_code == 409, answer.get_json()
    assert answer.get_json()["error"]["code"] == "invalid_transition"
    assert stored(db, order) == before


# States and people ------------------------------------------------------------------------


def test_a_cancelled_or_closed_order_is_not_revised(db, as_, order, make, people):
    cancelled = post(as_("buyer"), order, "cancel", comment="Sourced elsewhere.")
    assert cancelled["status"] == "cancelled"
    assert "revise" not in cancelled["allowed_actions"]
    closed_order = issued_order(make, buyer=people["buyer"])
    laptops, docks = line_ids(read(as_("buyer"), closed_order))
    receive(as_("buyer"), closed_order, {laptops: "2", docks: "3"})
    closed = post(as_("buyer"), closed_order, "close")
    assert closed["status"] == "closed"
    for gone in (order, closed_order):
        before = stored(db, gone)
        answer = as_("buyer").post(
            f"/api/v1/orders/{gone.id}/revise", json={"reason": "Late", "shipping": "5.00"}
        )
        assert answer.status_code == 409, answer.get_json()
        assert answer.get_json()["error"]["code"] == "invalid_transition"
        assert stored(db, gone) == before


def test_only_procurement_revises_returns_and_reverses(db, as_, order, make):
    laptops, _docks = line_ids(read(as_("buyer"), order))
    [receipt] = receive(as_("buyer"), order, {laptops: "2"})["receipts"]
    requester = order.request.requester
    for who in (requester, "clerk", "approver", "admin"):
        caller = as_(who)
        seen = read(caller, order)
        assert {"revise", "return", "reverse_receipt"}.isdisjoint(seen["allowed_actions"])
        before = stored(db, order)
        calls = [
            ("revise", {"reason": "Mine", "shipping": "1.00"}),
            ("return", {"lines": [{"line_id": laptops, "quantity": "1"}], "reason": "Mine"}),
            (f"receipts/{receipt['id']}/reverse", {"reason": "Mine"}),
        ]
        for action, body in calls:
            answer = caller.post(f"/api/v1/orders/{order.id}/{action}", json=body)
            assert answer.status_code == 403, (who, action, answer.get_json())
            assert answer.get_json()["error"]["code"] == "forbidden"
        assert stored(db, order) == before
    buyer = read(as_("buyer"), order)
    assert {"revise", "return", "reverse_receipt"} <= set(buyer["allowed_actions"])
    assert not SYSTEM_ACTIONS & set(buyer["allowed_actions"])


def test_an_order_nobody_may_see_is_a_404(as_, order, make):
    stranger = make.user(["requester"], department="HR")
    for method, path, body in (
        ("post", "revise", {"reason": "Mine", "shipping": "1.00"}),
        ("post", "return", {"lines": [{"line_id": 1, "quantity": "1"}], "reason": "Mine"}),
        ("post", "receipts/1/reverse", {"reason": "Mine"}),
        ("get", "pdf?revision=0", None),
    ):
        call = getattr(as_(stranger), method)
        answer = call(f"/api/v1/orders/{order.id}/{path}", **({"json": body} if body else {}))
        assert answer.status_code == 404, (path, answer.get_json())


# Two people at once -----------------------------------------------------------------------


def test_two_revisions_sent_with_the_same_version_one_wins(db, as_, order):
    first = read(as_("buyer"), order)
    laptops, docks = line_ids(first)
    won = post(
        as_("buyer"),
        order,
        "revise",
        reason="One dock fewer.",
        lines=[{"line_id": docks, "quantity": "2"}],
        version=first["version"],
    )
    assert won["revision"] == 1
    other = as_("other_buyer")  # its token first: issuing it is audited
    before = stored(db, order)
    lost = other.post(
        f"/api/v1/orders/{order.id}/revise",
        json={
            "reason": "Cheaper laptops.",
            "lines": [{"line_id": laptops, "unit_price": "900"}],
            "version": first["version"],
        },
    )
    assert lost.status_code == 409, lost.get_json()
    assert lost.get_json()["error"]["code"] == "conflict"
    assert stored(db, order) == before
    for action, body in (
        ("return", {"lines": [{"line_id": laptops, "quantity": "1"}], "reason": "Late"}),
    ):
        stale = as_("buyer").post(
            f"/api/v1/orders/{order.id}/{action}", json={**body, "version": first["version"]}
        )
        assert stale.status_code == 409


@pytest.mark.committing
def test_two_people_revising_at_the_same_instant_one_wins(app, committed_db, make):
    """Real threads, real commits (as ``test_invoice_races.py``): both send the version
    they read; one revision is issued, the other answers 409 ``conflict``."""
    buyers = [make.user(["procurement"], department="PROC") for _ in range(2)]
    tokens = [make.token(buyer) for buyer in buyers]
    order = issued_order(make, buyer=buyers[0])
    order_id, version = order.id, order.version
    laptops, docks = (line.id for line in order.lines)
    _db.session.remove()
    bodies = [
        {"reason": "One dock fewer.", "lines": [{"line_id": docks, "quantity": "2"}]},
        {"reason": "Cheaper laptops.", "lines": [{"line_id": laptops, "unit_price": "900"}]},
    ]
    barrier = threading.Barrier(2)

    def send(token_and_body):
        token, body = token_and_body
        client = app.test_client()
        barrier.wait(60)
        answer = client.post(
            f"/api/v1/orders/{order_id}/revise",
            json={**body, "version": version},
            headers={"Authorization": f"Bearer {token}"},
        )
        return answer.status_code, answer.get_json()

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(send, zip(tokens, bodies, strict=True)))
    assert sorted(status for status, _ in answers) == [200, 409], answers
    (won,) = [body for status, body in answers if status == 200]
    (lost,) = [body for status, body in answers if status == 409]
    assert won["revision"] == 1 and lost["error"]["code"] == "conflict", answers
    checker = sa.create_engine(committed_db.engine.url)
    try:
        with checker.connect() as connection:
            numbers = connection.scalars(
                sa.select(OrderRevision.revision).where(OrderRevision.order_id == order_id)
            ).all()
            revised = connection.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(
                    AuditEvent.entity == "order",
                    AuditEvent.entity_id == order_id,
                    AuditEvent.action == "revise",
                )
            )
    finally:
        checker.dispose()
    assert sorted(numbers) == [0, 1] and revised == 1
    assert audit.verify().ok


# The revision settings ---------------------------------------------------------------------


def test_everyone_reads_the_revision_settings_and_admin_sets_them(db, as_, order):
    for who in ("buyer", "clerk", "approver", "admin"):
        answer = as_(who).get("/api/v1/settings/orders")
        assert answer.status_code == 200
        assert answer.get_json() == {
            "revision_tolerance_percent": "5",
            "revision_tolerance_amount": "500.00",
        }
    body = {"revision_tolerance_percent": "90", "revision_tolerance_amount": 5000}
    refused = as_("buyer").put("/api/v1/settings/orders", json=body)
    assert refused.status_code == 403, refused.get_json()
    put = as_("admin").put("/api/v1/settings/orders", json=body)
    assert put.status_code == 200, put.get_json()
    assert put.get_json() == {
        "revision_tolerance_percent": "90",
        "revision_tolerance_amount": "5000.00",
    }
    # Now 2,000.00 more than the 2,450.00 approved is within 90 %: issued at once.
    laptops, _docks = line_ids(read(as_("buyer"), order))
    up = post(
        as_("buyer"), order, "revise", reason="More", lines=[{"line_id": laptops, "quantity": 4}]
    )
    assert (up["revision"], up["revision_status"], up["total"]) == (1, "issued", "4450.00")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"revision_tolerance_percent": "101"}, "revision_tolerance_percent"),
        ({"revision_tolerance_percent": "-1"}, "revision_tolerance_percent"),
        ({"revision_tolerance_percent": "five"}, "revision_tolerance_percent"),
        ({"revision_tolerance_percent": "NaN"}, "revision_tolerance_percent"),
        ({"revision_tolerance_percent": True}, "revision_tolerance_percent"),
        ({"revision_tolerance_amount": "-5"}, "revision_tolerance_amount"),
        ({"revision_tolerance_amount": "5.001"}, "revision_tolerance_amount"),
        ({"revision_tolerance_amount": "2000000000"}, "revision_tolerance_amount"),
        ({"revision_tolerance_amount": None}, "revision_tolerance_amount"),
    ],
)
def test_bad_revision_settings_are_refused_on_their_field(db, as_, body, field):
    sent = {"revision_tolerance_percent": "5", "revision_tolerance_amount": "500", **body}
    admin = as_("admin")  # its token first: issuing it is audited
    before = events(db)
    answer = admin.put("/api/v1/settings/orders", json=sent)
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["error"]["fields"], answer.get_json()
    assert events(db) == before
