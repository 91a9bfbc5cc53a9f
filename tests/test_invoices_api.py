"""Vendor invoices through the JSON API (API.md, "Additions — Invoices"): the issue's
"Done when" as a client sees it, the refusals of its "Bad input" list with nothing
stored, who may do what, the vendor's PDF, batch payment and the payment CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure.models import AuditEvent, Invoice, InvoiceLine
from procure.orders import services as orders
from tests.documents import issued_order

from . import test_quote_currencies as quotes
from .vendor_support import counting_queries

TODAY = dt.date.today()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def people(make):
    return {
        "buyer": make.user(["procurement"], department="PROC"),
        "clerk": make.user(["finance"], department="FIN"),
        "controller": make.user(["finance"], department="FIN"),
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


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def body_for(order, number="INV-1", *, quantities=None, prices=None, **extra):
    quantities = quantities or [str(line.quantity) for line in order.lines]
    prices = prices or [str(line.unit_price) for line in order.lines]
    return {
        "order_id": order.id,
        "vendor_invoice_number": number,
        "invoice_date": TODAY.isoformat(),
        "lines": [
            {"order_line_id": line.id, "quantity": q, "unit_price": p}
            for line, q, p in zip(order.lines, quantities, prices, strict=True)
        ],
        **extra,
    }


def receive(caller, order, *quantities):
    answer = caller.post(
        f"/api/v1/orders/{order.id}/receive",
        json={
            "lines": [
                {"line_id": line.id, "quantity": q}
                for line, q in zip(order.lines, quantities, strict=True)
                if Decimal(q)
            ]
        },
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def enter(caller, order, number="INV-1", **kwargs):
    answer = caller.post("/api/v1/invoices", json=body_for(order, number, **kwargs))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def act(caller, invoice, action, expect=200, **body):
    answer = caller.post(f"/api/v1/invoices/{invoice['id']}/{action}", json=body)
    assert answer.status_code == expect, answer.get_json()
    return answer.get_json()


# The "Done when" ---------------------------------------------------------------------


def test_received_in_part_invoiced_in_full_held_then_matched_approved_and_paid(make, as_, people):
    order = issued_order(make, buyer=people["buyer"])
    receive(as_("buyer"), order, "1", "3")
    invoice = enter(as_("clerk"), order, shipping="0", tax="0", total="2450.00")
    assert invoice["status"] == "draft"
    assert invoice["number"].startswith(f"INV-{TODAY.year}-")
    assert invoice["order_number"] == order.number
    assert invoice["vendor"] == {"id": order.vendor_id, "name": order.vendor.name}
    assert invoice["total"] == "2450.00" and invoice["currency"] == "USD"
    assert invoice["source"] == "entered" and invoice["entered_by"]["id"] == people["clerk"].id
    assert invoice["due_date"] == (TODAY + dt.timedelta(days=30)).isoformat()  # "30 days net"
    assert "submit" in invoice["allowed_actions"]

    held = act(as_("clerk"), invoice, "submit", version=invoice["version"])
    assert held["status"] == "on_hold"
    [exception] = held["exceptions"]
    laptops = held["lines"][0]
    assert exception["kind"] == "quantity" and exception["line_id"] == laptops["id"]
    assert "but 1 received" in exception["message"] and exception["resolved"] is False
    assert (laptops["ordered"], laptops["received"], laptops["previously_invoiced"]) == (
        "2",
        "1",
        "0",
    )

    receive(as_("buyer"), order, "1", "0")  # the rest arrives: matched again by itself
    matched = as_("clerk").get(f"/api/v1/invoices/{invoice['id']}").get_json()
    assert matched["status"] == "matched"
    assert [e["resolved"] for e in matched["exceptions"]] == [True]

    refused = act(as_("clerk"), matched, "approve", expect=403)
    assert "entered this invoice" in refused["error"]["message"]
    approved = act(as_("controller"), matched, "approve", version=matched["version"])
    assert approved["status"] == "approved"
    assert approved["approved_by"]["id"] == people["controller"].id
    assert as_("buyer").get(f"/api/v1/orders/{order.id}").get_json()["status"] == "closed"

    due = (TODAY + dt.timedelta(days=31)).isoformat()
    listed = as_("controller").get(f"/api/v1/invoices?status=approved&due_before={due}")
    assert [item["id"] for item in listed.get_json()["items"]] == [invoice["id"]]
    early = as_("controller").get(f"/api/v1/invoices?status=approved&due_before={TODAY}")
    assert early.get_json()["items"] == []

    paid = act(
        as_("controller"), approved, "pay", paid_on=TODAY.isoformat(), reference="BANK-2026-77"
    )
    assert paid["status"] == "paid"
    assert (paid["paid_on"], paid["payment_reference"]) == (TODAY.isoformat(), "BANK-2026-77")
    assert paid["paid_base"] == "2450.00" and paid["exchange_difference"] == "0.00"
    assert paid["allowed_actions"] == []


def test_a_price_five_percent_over_is_held_for_procurement_who_resolves_it(make, as_, people):
    order = issued_order(make, buyer=people["buyer"])
    receive(as_("buyer"), order, "2", "3")
    invoice = enter(as_("clerk"), order, prices=["1050.00", "150.00"])
    held = act(as_("clerk"), invoice, "submit")
    assert held["status"] == "on_hold"
    price = next(e for e in held["exceptions"] if e["kind"] == "price")
    assert price["line_id"] == held["lines"][0]["id"] and "5.0 % above" in price["message"]

    assert act(as_("controller"), held, "resolve", expect=403, reason="Fine")["error"]
    missing = act(as_("buyer"), held, "resolve", expect=422, reason="  ")
    assert "reason" in missing["error"]["fields"]
    resolved = act(as_("buyer"), held, "resolve", reason="The vendor's new list price, agreed")
    assert resolved["status"] == "matched"
    mine = [e for e in resolved["exceptions"] if e["kind"] == "price"]
    assert mine[0]["resolved"] and mine[0]["resolved_by"]["id"] == people["buyer"].id
    assert mine[0]["resolution"] == "The vendor's new list price, agreed"


def test_release_is_finance_with_a_justification(make, as_, people):
    order = issued_order(make, buyer=people["buyer"])
    held = act(as_("clerk"), enter(as_("clerk"), order), "submit")  # nothing received yet
    assert held["status"] == "on_hold"
    act(as_("buyer"), held, "release", expect=403, justification="Pay it")
    empty = act(as_("controller"), held, "release", expect=422, justification="")
    assert "justification" in empty["error"]["fields"]
    released = act(as_("controller"), held, "release", justification="Prepaid by contract")
    assert released["status"] == "approved"
    assert released["release_justification"] == "Prepaid by contract"


def test_a_duplicate_vendor_number_is_refused_however_written(make, db, as_, people):
    order = issued_order(make, buyer=people["buyer"])
    enter(as_("clerk"), order, "INV-0042", quantities=["1", "1"])
    before = count(db, Invoice)
    for again in ("inv 42", "Inv.042"):
        answer = as_("buyer").post(
            "/api/v1/invoices", json=body_for(order, again, quantities=["1", "1"])
        )
        assert answer.status_code == 422
        assert (
            "already recorded" in answer.get_json()["error"]["fields"]["vendor_invoice_number"][0]
        )
    assert count(db, Invoice) == before


def test_a_credit_note_is_negative_and_names_the_invoice(make, as_, people):
    order = issued_order(make, buyer=people["buyer"])
    receive(as_("buyer"), order, "2", "3")
    first = act(as_("clerk"), enter(as_("clerk"), order, "A-1"), "submit")
    credit = enter(
        as_("clerk"), order, "CN-1", quantities=["1"] * 2, credit_for=first["id"], tax="0"
    )
    assert credit["credit_for"] == first["id"]
    assert credit["total"] == "-1150.00" and credit["lines"][0]["quantity"] == "-1"
    assert act(as_("clerk"), credit, "submit")["status"] == "matched"


# Who may do what ---------------------------------------------------------------------------


def test_who_may_enter_see_approve_and_pay(make, api, as_, people):
    order = issued_order(make, buyer=people["buyer"])
    requester = order.request.requester
    stranger = make.user(["requester"], department="IT")
    refused = api(requester).post("/api/v1/invoices", json=body_for(order))
    assert refused.status_code == 403

    invoice = enter(as_("buyer"), order, "INV-1")
    act(as_("buyer"), invoice, "release", expect=409)  # a draft is not held
    act(as_("buyer"), invoice, "cancel")  # else INV-3 is held as its possible duplicate
    invoice = enter(as_("buyer"), order, "INV-3")
    receive(as_("buyer"), order, "2", "3")
    matched = act(as_("buyer"), invoice, "submit")
    assert matched["status"] == "matched"

    # The order's requester sees it (a quantity hold may be theirs), acts on nothing.
    own = api(requester).get(f"/api/v1/invoices/{invoice['id']}")
    assert own.status_code == 200 and own.get_json()["allowed_actions"] == []
    assert api(requester).post(f"/api/v1/invoices/{invoice['id']}/approve").status_code == 403
    assert api(stranger).get(f"/api/v1/invoices/{invoice['id']}").status_code == 404
    assert api(stranger).get("/api/v1/invoices").get_json()["total"] == 0
    assert api(requester).get("/api/v1/invoices").get_json()["total"] == 2

    assert act(as_("buyer"), matched, "approve", expect=403)["error"]["code"] == "forbidden"
    assert (
        "approve"
        in as_("clerk").get(f"/api/v1/invoices/{invoice['id']}").get_json()["allowed_actions"]
    )
    approved = act(as_("clerk"), matched, "approve")
    pay = {"paid_on": TODAY.isoformat(), "reference": "B-1"}
    assert act(as_("buyer"), approved, "pay", expect=403, **pay)["error"]["code"] == "forbidden"
    assert act(as_("controller"), approved, "pay", **pay)["status"] == "paid"


def test_a_stale_version_is_a_409_conflict(make, as_, people):
    order = issued_order(make, buyer=people["buyer"])
    invoice = enter(as_("clerk"), order)
    act(as_("clerk"), invoice, "submit")
    stale = act(as_("controller"), invoice, "reject", expect=409, comment="No", version=1)
    assert stale["error"]["code"] == "conflict"
    no_comment = act(as_("controller"), invoice, "reject", expect=422)
    assert "comment" in no_comment["error"]["fields"]
    assert act(as_("controller"), invoice, "reject", comment="Not ours")["status"] == "rejected"


# Bad input: a clear 422 on the field, nothing stored ------------------------------------------


def _bad_bodies(order, other, draft):
    good = body_for(order)
    line = good["lines"][0]
    return {
        "unknown order": ({**good, "order_id": 2_000_000_000}, "order_id"),
        "order not issued": ({**good, "order_id": draft.id}, "order_id"),
        "another order's line": (
            {**good, "lines": [{**line, "order_line_id": other.lines[0].id}]},
            "lines.0.order_line_id",
        ),
        "negative quantity": ({**good, "lines": [{**line, "quantity": "-1"}]}, "lines.0.quantity"),
        "zero quantity": ({**good, "lines": [{**line, "quantity": 0}]}, "lines.0.quantity"),
        "total not adding up": ({**good, "total": "2449.99"}, "total"),
        "due before the invoice date": (
            {**good, "due_date": (TODAY - dt.timedelta(days=1)).isoformat()},
            "due_date",
        ),
        "invoice date in the future": (
            {**good, "invoice_date": (TODAY + dt.timedelta(days=2)).isoformat()},
            "invoice_date",
        ),
        "no lines": ({**good, "lines": []}, "lines"),
        "no vendor number": ({**good, "vendor_invoice_number": " "}, "vendor_invoice_number"),
        "a price with three decimals": (
            {**good, "lines": [{**line, "unit_price": "1.005"}]},
            "lines.0.unit_price",
        ),
        "negative shipping": ({**good, "shipping": "-5"}, "shipping"),
        "not a date": ({**good, "invoice_date": "05/12/2026"}, "invoice_date"),
        "credit for an unknown invoice": ({**good, "credit_for": 2_000_000_000}, "credit_for"),
    }


def test_every_bad_input_is_a_422_on_its_field_and_nothing_is_stored(make, db, as_, people):
    order = issued_order(make, buyer=people["buyer"])
    other = issued_order(make, buyer=people["buyer"])
    draft = issued_order(make, buyer=people["buyer"])
    orders.cancel(draft, actor=people["buyer"], comment="Not needed after all")
    db.session.commit()
    clerk = as_("clerk")
    before = (count(db, Invoice), count(db, InvoiceLine), count(db, AuditEvent))
    for name, (body, field) in _bad_bodies(order, other, draft).items():
        answer = clerk.post("/api/v1/invoices", json=body)
        assert answer.status_code == 422, (name, answer.get_json())
        error = answer.get_json()["error"]
        assert error["code"] == "validation_error"
        assert field in error["fields"], (name, error)
        after = (count(db, Invoice), count(db, InvoiceLine), count(db, AuditEvent))
        assert after == before, name


def test_bad_action_bodies_are_422(make, as_, people):
    order = issued_order(make, buyer=people["buyer"])
    invoice = enter(as_("clerk"), order, "B-1")
    not_a_version = act(as_("clerk"), invoice, "submit", expect=422, version="x")
    assert "version" in not_a_version["error"]["fields"]
    bad = act(as_("clerk"), invoice, "resolve", expect=422, reason="x", exception_ids=[0])
    assert "exception_ids.0" in bad["error"]["fields"]
    none = act(as_("clerk"), invoice, "resolve", expect=422, reason="x", exception_ids=[])
    assert "exception_ids" in none["error"]["fields"]
    bad = as_("clerk").post(f"/api/v1/invoices/{invoice['id']}/pay", json={"paid_on": "soon"})
    assert bad.status_code == 422 and "paid_on" in bad.get_json()["error"]["fields"]


# Batch payment ----------------------------------------------------------------------------------


def _approved(make, as_, people, number):
    order = issued_order(make, buyer=people["buyer"])
    receive(as_("buyer"), order, "2", "3")
    invoice = act(as_("clerk"), enter(as_("clerk"), order, number), "submit")
    return act(as_("controller"), invoice, "approve")


def test_a_batch_is_paid_all_or_none(make, as_, people):
    first = _approved(make, as_, people, "P-1")
    second = _approved(make, as_, people, "P-2")
    order = issued_order(make, buyer=people["buyer"])
    draft = enter(as_("clerk"), order, "P-3")
    pay = {"paid_on": TODAY.isoformat(), "reference": "RUN-12"}

    refused = as_("controller").post(
        "/api/v1/invoices/pay", json={"invoice_ids": [first["id"], draft["id"]], **pay}
    )
    assert refused.status_code == 409
    assert draft["number"] in refused.get_json()["error"]["message"]
    still = as_("controller").get(f"/api/v1/invoices/{first['id']}").get_json()
    assert still["status"] == "approved"
    empty = as_("controller").post("/api/v1/invoices/pay", json={"invoice_ids": [], **pay})
    assert empty.status_code == 422 and "invoice_ids" in empty.get_json()["error"]["fields"]
    assert (
        as_("buyer")
        .post("/api/v1/invoices/pay", json={"invoice_ids": [first["id"]], **pay})
        .status_code
        == 403
    )

    paid = as_("controller").post(
        "/api/v1/invoices/pay", json={"invoice_ids": [first["id"], second["id"]], **pay}
    )
    assert paid.status_code == 200, paid.get_json()
    assert [(i["id"], i["status"], i["payment_reference"]) for i in paid.get_json()["items"]] == [
        (first["id"], "paid", "RUN-12"),
        (second["id"], "paid", "RUN-12"),
    ]


# The vendor's PDF --------------------------------------------------------------------------------


def test_the_vendors_pdf_is_attached_audited_and_downloaded(make, db, as_, people):
    order = issued_order(make, buyer=people["buyer"])
    invoice = enter(as_("clerk"), order)
    url = f"/api/v1/invoices/{invoice['id']}/pdf"
    assert as_("clerk").get(url).status_code == 404  # none yet

    fake = as_("clerk").post(
        url,
        data={"file": (io.BytesIO(b"MZ not a pdf"), "invoice.pdf")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422 and "file" in fake.get_json()["error"]["fields"]
    nothing = as_("clerk").post(url, data={}, content_type="multipart/form-data")
    assert nothing.status_code == 422

    attached = as_("clerk").post(
        url,
        data={"file": (io.BytesIO(PDF), "vendor invoice.pdf")},
        content_type="multipart/form-data",
    )
    assert attached.status_code == 200, attached.get_json()
    sha = attached.get_json()["pdf_sha256"]
    assert sha and len(sha) == 64
    event = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity == "invoice",
            AuditEvent.entity_id == invoice["id"],
            AuditEvent.action == "attach_pdf",
        )
    ).one()
    assert json.loads(event.changes)["pdf_sha256"] == sha

    download = as_("controller").get(url)
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Cache-Control"] == "private, no-store"
    requester = order.request.requester
    assert as_(requester).get(url).status_code == 200
    assert as_(make.user(["requester"])).get(url).status_code == 404
    assert (
        as_(requester)
        .post(url, data={"file": (io.BytesIO(PDF), "x.pdf")}, content_type="multipart/form-data")
        .status_code
        == 403
    )

    act(as_("clerk"), invoice, "cancel")
    late = as_("clerk").post(
        url, data={"file": (io.BytesIO(PDF), "x.pdf")}, content_type="multipart/form-data"
    )
    assert late.status_code == 409


# The payment CSV ---------------------------------------------------------------------------------


def _csv(answer):
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))


def test_the_payment_csv_has_a_row_per_line_and_adds_up(make, db, as_, people):
    first = _approved(make, as_, people, "C-1")
    order = issued_order(make, buyer=people["buyer"])
    order.vendor.name = '=HYPERLINK("http://evil.example","x")'
    order.vendor.tax_id = "DE123456789"
    db.session.commit()
    receive(as_("buyer"), order, "2", "3")
    second = enter(as_("clerk"), order, "+C-2", shipping="25.00", tax="100.50")
    second = act(
        as_("controller"),
        act(as_("clerk"), second, "submit"),
        "release",
        justification="Shipping and tax agreed",
    )
    enter(as_("clerk"), issued_order(make, buyer=people["buyer"]), "C-3")  # a draft: not in it

    answer = as_("controller").get("/api/v1/invoices/export.csv?status=approved")
    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert answer.headers["Cache-Control"] == "private, no-store"
    assert (
        answer.headers["Content-Disposition"]
        == f'attachment; filename="invoices-approved-{TODAY.isoformat()}.csv"'
    )
    text = answer.get_data(as_text=True)
    assert text.splitlines()[0] == (
        "number,vendor_invoice_number,vendor,vendor_tax_id,category,quantity,unit_price,"
        "amount,currency,amount_base,due_date,"
        "vendor_iban,vendor_bic,vendor_account_number,vendor_routing_number"
    )
    rows = _csv(answer)
    assert {row["number"] for row in rows} == {first["number"], second["number"]}
    mine = [row for row in rows if row["number"] == second["number"]]
    assert [row["category"] for row in mine] == ["hardware", "hardware", "shipping", "tax"]
    assert mine[0]["vendor"].startswith("'=HYPERLINK")  # shown as text, never run
    assert mine[0]["vendor_invoice_number"] == "'+C-2"
    assert mine[0]["vendor_tax_id"] == "DE123456789"
    assert (mine[0]["quantity"], mine[0]["unit_price"], mine[0]["amount"]) == (
        "2",
        "1000.00",
        "2000.00",
    )
    assert mine[0]["amount_base"] == "2000.00" and mine[0]["currency"] == "USD"
    assert mine[0]["due_date"] == second["due_date"]
    for invoice in (first, second):
        amounts = [Decimal(r["amount"]) for r in rows if r["number"] == invoice["number"]]
        assert sum(amounts) == Decimal(invoice["total"])

    everything = _csv(as_("controller").get("/api/v1/invoices/export.csv"))
    assert len({row["number"] for row in everything}) == 3
    due = dt.date.fromisoformat(second["due_date"])
    assert _csv(as_("controller").get(f"/api/v1/invoices/export.csv?due_before={due}")) == []
    later = due + dt.timedelta(days=1)
    assert len(_csv(as_("controller").get(f"/api/v1/invoices/export.csv?due_before={later}"))) == 8


def test_a_credit_note_exports_negative_numbers_not_text(make, as_, people):
    order = issued_order(make, buyer=people["buyer"])
    receive(as_("buyer"), order, "2", "3")
    first = act(as_("clerk"), enter(as_("clerk"), order, "A-1"), "submit")
    credit = enter(
        as_("clerk"), order, "CN-1", quantities=["1", "1"], credit_for=first["id"], shipping="5"
    )
    answer = as_("controller").get("/api/v1/invoices/export.csv?status=draft")
    rows = _csv(answer)
    assert answer.headers["Content-Disposition"].endswith(f'invoices-draft-{TODAY}.csv"')
    assert [(r["category"], r["quantity"], r["unit_price"], r["amount"]) for r in rows] == [
        ("hardware", "-1", "1000.00", "-1000.00"),
        ("hardware", "-1", "150.00", "-150.00"),
        ("shipping", "-1", "5.00", "-5.00"),
    ]
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal(credit["total"]) == -1155


def test_only_finance_and_admin_export_payables(make, as_, people):
    url = "/api/v1/invoices/export.csv?status=approved"
    assert as_("buyer").get(url).status_code == 403
    assert as_(make.user(["requester"])).get(url).status_code == 403
    assert as_(make.user(["admin"], department="IT")).get(url).status_code == 200
    bad = as_("clerk").get("/api/v1/invoices/export.csv?status=unpaid")
    assert bad.status_code == 422 and "status" in bad.get_json()["error"]["fields"]


# The OpenAPI document ----------------------------------------------------------------------------


def test_the_invoice_operations_are_documented_under_their_tag(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert any(tag["name"] == "Invoices" for tag in doc["tags"])
    paths = [path for path in doc["paths"] if path.startswith("/api/v1/invoices")]
    assert "/api/v1/invoices/{invoice_id}/approve" in paths
    for path in paths:
        for operation in doc["paths"][path].values():
            assert operation["tags"] == ["Invoices"]
            assert operation["summary"] and len(operation["description"]) > 20


# A foreign invoice ---------------------------------------------------------------------------

team, vendors, currencies_on, open_rfq, three_quotes = (
    quotes.team,
    quotes.vendors,
    quotes.currencies_on,
    quotes.open_rfq,
    quotes.three_quotes,
)


def test_a_pound_invoice_counts_at_the_orders_rate_and_is_paid_at_the_days(
    three_quotes, as_, people
):
    """The pound quote (2 × £800.00, issued at 1.27): the CSV's base amounts are at the
    order's rate; the payment at the payment date's rate, the difference answered."""
    rfq, buyer, ids = three_quotes
    awarded = buyer.post(
        f"/api/v1/rfqs/{rfq['id']}/award",
        json={"quote_id": ids["gbp"], "justification": "Supports us on site."},
    )
    order_id = awarded.get_json()["order_id"]
    order = buyer.post(f"/api/v1/orders/{order_id}/issue").get_json()
    [line] = order["lines"]
    buyer.post(
        f"/api/v1/orders/{order_id}/receive",
        json={"lines": [{"line_id": line["id"], "quantity": "2"}]},
    )
    body = {
        "order_id": order_id,
        "vendor_invoice_number": "PP-881",
        "invoice_date": TODAY.isoformat(),
        "lines": [{"order_line_id": line["id"], "quantity": "2", "unit_price": "800.00"}],
        "tax": "0.01",
    }
    entered = as_("clerk").post("/api/v1/invoices", json=body).get_json()
    assert (entered["currency"], entered["total"], entered["rate"]) == (
        "GBP",
        "1600.01",
        "1.270000",
    )
    assert entered["total_base"] == "2032.01"  # 1,600.01 × 1.27, rounded half-up
    approved = act(as_("controller"), act(as_("clerk"), entered, "submit"), "approve")

    rows = _csv(as_("controller").get("/api/v1/invoices/export.csv?status=approved"))
    assert [(r["category"], r["amount"], r["currency"], r["amount_base"]) for r in rows] == [
        ("hardware", "1600.00", "GBP", "2032.00"),
        ("tax", "0.01", "GBP", "0.01"),  # 0.0127 rounds to a cent
    ]

    quotes.record_rates(TODAY, GBP="1.30")
    paid = act(as_("controller"), approved, "pay", paid_on=TODAY.isoformat(), reference="FX-1")
    assert (paid["paid_rate"], paid["paid_base"]) == ("1.300000", "2080.01")
    assert paid["exchange_difference"] == "48.00"  # 2,080.01 − 2,032.01, in dollars


# Queries ---------------------------------------------------------------------------------------


def _held_and_resolved(make, as_, people, number):
    """An invoice with an open and a resolved exception, a PDF and a person on each."""
    order = issued_order(make, buyer=people["buyer"])
    receive(as_("buyer"), order, "1", "3")
    invoice = act(
        as_("clerk"), enter(as_("clerk"), order, number, prices=["1050", "150"]), "submit"
    )
    act(
        as_("buyer"),
        invoice,
        "resolve",
        reason="Agreed",
        exception_ids=[e["id"] for e in invoice["exceptions"] if e["kind"] == "price"],
    )
    as_("clerk").post(
        f"/api/v1/invoices/{invoice['id']}/pdf",
        data={"file": (io.BytesIO(PDF + number.encode()), "invoice.pdf")},
        content_type="multipart/form-data",
    )


def test_the_list_costs_as_many_queries_for_six_invoices_as_for_two(make, as_, people):
    counts = []
    for numbers in (("Q-1", "Q-2"), ("Q-3", "Q-4", "Q-5", "Q-6")):
        for number in numbers:
            _held_and_resolved(make, as_, people, number)
        as_("controller").get("/api/v1/invoices")  # what the first call caches
        with counting_queries() as calls:
            listed = as_("controller").get("/api/v1/invoices?per_page=50")
        assert listed.status_code == 200
        counts.append(len(calls))
    assert listed.get_json()["total"] == 6
    assert counts[0] == counts[1], counts
    # Read for the whole page at once, each answer is what reading it alone answers.
    for item in listed.get_json()["items"]:
        assert item == as_("controller").get(f"/api/v1/invoices/{item['id']}").get_json()


def test_previously_invoiced_is_the_same_in_the_list_and_alone(make, as_, people):
    order = issued_order(make, buyer=people["buyer"])
    receive(as_("buyer"), order, "2", "3")
    first = act(as_("clerk"), enter(as_("clerk"), order, "S-1", quantities=["1", "2"]), "submit")
    second = enter(as_("clerk"), order, "S-2", quantities=["1", "1"])
    act(as_("clerk"), enter(as_("clerk"), order, "S-3", quantities=["1", "1"]), "cancel")
    listed = as_("controller").get(f"/api/v1/invoices?order_id={order.id}").get_json()["items"]
    by_id = {item["id"]: item for item in listed}
    assert [line["previously_invoiced"] for line in by_id[second["id"]]["lines"]] == ["1", "2"]
    assert [line["previously_invoiced"] for line in by_id[first["id"]]["lines"]] == ["0", "0"]
    for item in listed:
        assert item == as_("controller").get(f"/api/v1/invoices/{item['id']}").get_json()
    # Once the second is submitted too, the first still counts only what came before it.
    act(as_("clerk"), second, "submit")
    listed = as_("controller").get(f"/api/v1/invoices?order_id={order.id}").get_json()["items"]
    by_id = {item["id"]: item for item in listed}
    assert [line["previously_invoiced"] for line in by_id[first["id"]]["lines"]] == ["0", "0"]
    assert [line["previously_invoiced"] for line in by_id[second["id"]]["lines"]] == ["1", "2"]
    for item in listed:
        assert item == as_("controller").get(f"/api/v1/invoices/{item['id']}").get_json()
