"""Purchase orders: issue with a frozen PDF, receive, close, cancel; budgets follow."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from decimal import Decimal

import pypdf
import pytest

from procure.budgets import services as budgets
from procure.models import PurchaseOrder

LATER = (dt.date.today() + dt.timedelta(days=14)).isoformat()
HOSTILE = '<img src="file:///etc/passwd"> <link href="http://127.0.0.1:9/x.css"> & <b>bold</b>'


@pytest.fixture
def awarded(api, make):
    requester = make.user(["requester"], department="IT")
    approver = make.user(["approver"], department="IT")
    buyer = make.user(["procurement"], department="PROC")
    pr = make.approved_request(
        requester, approver, lines=((f"Laptop {HOSTILE}", "2", "1000.00"), ("Dock", "3", "150.00"))
    )
    vendor = make.vendor(f"Acme {HOSTILE}", email="orders@acme.example")
    client = api(buyer)
    rfq = client.post(
        "/api/v1/rfqs", json={"request_id": pr.id, "due_date": LATER, "vendor_ids": [vendor.id]}
    ).get_json()
    client.post(f"/api/v1/rfqs/{rfq['id']}/send")
    quote = client.post(
        f"/api/v1/rfqs/{rfq['id']}/quotes",
        json={
            "vendor_id": vendor.id,
            "valid_until": LATER,
            "lead_time_days": 5,
            "shipping": "25.00",
            "tax": "100.00",
            "payment_terms": "30 days net",
            "lines": [
                {
                    "description": line.description,
                    "quantity": str(line.quantity),
                    "unit_price": str(line.unit_price),
                    "request_line_id": line.id,
                }
                for line in pr.lines
            ],
        },
    ).get_json()
    body = client.post(
        f"/api/v1/rfqs/{rfq['id']}/award", json={"quote_id": quote["id"]}
    ).get_json()
    return {
        "client": client,
        "order_id": body["order_id"],
        "pr": pr,
        "buyer": buyer,
        "requester": requester,
        "api": api,
    }


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_issue_freezes_the_pdf_and_orders_the_request(awarded, db):
    client, order_id = awarded["client"], awarded["order_id"]
    draft = client.get(f"/api/v1/orders/{order_id}/pdf")
    assert draft.status_code == 200 and draft.mimetype == "application/pdf"
    assert "DRAFT" in pdf_text(draft.data)
    issued = client.post(f"/api/v1/orders/{order_id}/issue")
    assert issued.status_code == 200, issued.get_json()
    body = issued.get_json()
    assert body["status"] == "issued" and body["number"].startswith("PO-")
    first = client.get(f"/api/v1/orders/{order_id}/pdf").data
    second = client.get(f"/api/v1/orders/{order_id}/pdf").data
    assert first == second
    assert hashlib.sha256(first).hexdigest() == body["pdf_sha256"]
    text = pdf_text(first)
    assert body["number"] in text and "DRAFT" not in text
    assert "2,575.00" in text  # 2 x 1,000 + 3 x 150 + 25 + 100, with separators
    assert "Page 1 of" in text
    # what a user typed is printed as text, never fetched or embedded
    assert "<img src=" in text and "/etc/passwd" in text
    assert b"root:x:0:0" not in first
    request = (
        awarded["api"](awarded["requester"]).get(f"/api/v1/requests/{awarded['pr'].id}").get_json()
    )
    assert request["status"] == "ordered"
    again = client.post(f"/api/v1/orders/{order_id}/issue")
    assert again.status_code == 409
    # the vendor gets the PDF through the outbox
    from procure.models import Notification

    mail = db.session.scalars(
        db.select(Notification).where(Notification.kind == "purchase_order")
    ).one()
    assert mail.email == "orders@acme.example" and mail.attachment_id is not None


def test_receipts_move_the_status_and_the_budget(awarded, db):
    client, order_id, pr = awarded["client"], awarded["order_id"], awarded["pr"]
    budget = budgets.create(
        budgets.BudgetData(department="IT", fiscal_year=pr.fiscal_year, amount=Decimal("10000")),
        actor=None,
    )
    db.session.commit()
    assert budgets.figures_of(budget).committed == Decimal("2450.00")  # approved estimate
    order = client.post(f"/api/v1/orders/{order_id}/issue").get_json()
    db.session.expire_all()
    # the order's total (with shipping and tax) replaces the request's estimate
    assert budgets.figures_of(budget).committed == Decimal("2575.00")
    laptop, dock = order["lines"]
    too_many = client.post(
        f"/api/v1/orders/{order_id}/receive",
        json={"lines": [{"line_id": laptop["id"], "quantity": "3"}]},
    )
    assert too_many.status_code == 422
    negative = client.post(
        f"/api/v1/orders/{order_id}/receive",
        json={"lines": [{"line_id": laptop["id"], "quantity": "-1"}]},
    )
    assert negative.status_code == 422
    part = client.post(
        f"/api/v1/orders/{order_id}/receive",
        json={
            "lines": [{"line_id": laptop["id"], "quantity": "1"}],
            "received_on": dt.date.today().isoformat(),
        },
    )
    assert part.get_json()["status"] == "partially_received"
    db.session.expire_all()
    figures = budgets.figures_of(budget)
    assert figures.spent == Decimal("1000.00") and figures.committed == Decimal("1575.00")
    rest = client.post(
        f"/api/v1/orders/{order_id}/receive",
        json={
            "lines": [
                {"line_id": laptop["id"], "quantity": "1"},
                {"line_id": dock["id"], "quantity": "3"},
            ]
        },
    )
    assert rest.get_json()["status"] == "received"
    db.session.expire_all()
    figures = budgets.figures_of(budget)
    assert figures.spent == Decimal("2575.00") and figures.committed == Decimal("0.00")
    assert figures.available == Decimal("7425.00")
    closed = client.post(f"/api/v1/orders/{order_id}/close")
    assert closed.get_json()["status"] == "closed"
    request = client.get(f"/api/v1/requests/{pr.id}").get_json()
    assert request["status"] == "closed"


def test_cancelling_an_issued_order_reopens_the_request(awarded):
    client, order_id, pr = awarded["client"], awarded["order_id"], awarded["pr"]
    client.post(f"/api/v1/orders/{order_id}/issue")
    no_reason = client.post(f"/api/v1/orders/{order_id}/cancel", json={"comment": ""})
    assert no_reason.status_code == 422
    cancelled = client.post(
        f"/api/v1/orders/{order_id}/cancel", json={"comment": "Vendor cannot deliver"}
    )
    assert cancelled.get_json()["status"] == "cancelled"
    assert client.get(f"/api/v1/requests/{pr.id}").get_json()["status"] == "approved"
    refused = client.post(
        f"/api/v1/orders/{order_id}/receive",
        json={"lines": [{"line_id": cancelled.get_json()["lines"][0]["id"], "quantity": "1"}]},
    )
    assert refused.status_code == 409


def test_draft_edits_then_frozen(awarded):
    client, order_id = awarded["client"], awarded["order_id"]
    edited = client.patch(
        f"/api/v1/orders/{order_id}",
        json={"delivery_address": "Loading dock B\n2 Example Road", "terms": "Deliver 9-5."},
    )
    assert edited.status_code == 200 and "Loading dock B" in edited.get_json()["delivery_address"]
    client.post(f"/api/v1/orders/{order_id}/issue")
    frozen = client.patch(f"/api/v1/orders/{order_id}", json={"terms": "changed"})
    assert frozen.status_code == 409


def test_requesters_cannot_act_on_orders(awarded):
    requester = awarded["api"](awarded["requester"])
    order_id = awarded["order_id"]
    assert requester.get(f"/api/v1/orders/{order_id}").status_code == 200
    assert requester.post(f"/api/v1/orders/{order_id}/issue").status_code == 403


def test_order_pages(awarded, app, db):
    order = db.session.get(PurchaseOrder, awarded["order_id"])
    client = app.test_client()
    client.post(
        "/login", data={"email": awarded["buyer"].email, "password": "correct horse battery"}
    )
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Issue order" in page and "Preview PDF" in page
    assert "&lt;img src=" in page  # escaped in the page too
    issued = client.post(f"/orders/{order.id}/issue", data={"version": str(order.version)})
    assert issued.status_code == 302
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Record receipt" in page and "Download PDF" in page
    line = order.lines[0]
    bad = client.post(f"/orders/{order.id}/receive", data={f"line-{line.id}": "99"})
    assert bad.status_code == 422 and f'id="line-{line.id}-errors"' in bad.get_data(as_text=True)
    good = client.post(f"/orders/{order.id}/receive", data={f"line-{line.id}": "2"})
    assert good.status_code == 302
    listing = client.get("/orders/?status=partially_received").get_data(as_text=True)
    assert order.vendor.name.split(" ")[0] in listing


def test_a_thousand_line_order_renders_over_many_pages(make, db):
    from procure.orders import services as order_services
    from procure.sourcing import services as sourcing

    requester = make.user(["requester"], department="IT")
    approver = make.user(["approver"], department="IT")
    buyer = make.user(["procurement"], department="PROC")
    pr = make.approved_request(
        requester, approver, lines=tuple((f"Cable {n}", "1", "1.00") for n in range(1000))
    )
    vendor = make.vendor("Cable World")
    rfq = sourcing.create_rfq(
        sourcing.RfqData(request_id=pr.id, vendor_ids=[vendor.id], due_date=dt.date.today()),
        actor=buyer,
    )
    sourcing.send(rfq, actor=buyer)
    quote = sourcing.record_quote(
        rfq,
        sourcing.QuoteData(
            vendor_id=vendor.id,
            valid_until=dt.date.today(),
            lead_time_days=1,
            lines=[
                sourcing.QuoteLineData(
                    description=line.description,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    request_line_id=line.id,
                )
                for line in pr.lines
            ],
        ),
        actor=buyer,
    )
    order = sourcing.award(rfq, quote.id, actor=buyer, justification="Only one")
    order_services.issue(order, actor=buyer)
    data, _ = order_services.document(order)
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 10
    last = reader.pages[-1].extract_text()
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in last
    # the table header repeats on every page
    assert "DESCRIPTION" in reader.pages[5].extract_text().upper()


def test_the_vendor_receives_the_order_with_its_pdf(awarded, db, runner, app, monkeypatch):
    from tests.test_notifications import Inbox, free_port, start_smtp

    inbox = Inbox()
    controller = start_smtp(inbox, free_port())
    monkeypatch.setitem(app.config, "PROCURE_SMTP_URL", inbox.url)
    try:
        client, order_id = awarded["client"], awarded["order_id"]
        order = client.post(f"/api/v1/orders/{order_id}/issue").get_json()
        db.session.commit()
        result = runner.invoke(args=["send-notifications"])
        assert result.exit_code == 0, result.output
    finally:
        controller.stop()
    by_recipient = {rcpt[0]: message for _sender, rcpt, message in inbox.messages}
    # the invitation to quote, with the private link, and the order with its PDF
    assert "orders@acme.example" in by_recipient
    messages = [m for _s, rcpt, m in inbox.messages if rcpt == ["orders@acme.example"]]
    po_mail = next(m for m in messages if order["number"] in m["Subject"])
    invitation = next(m for m in messages if "quotation" in m["Subject"])
    assert "/quote/" in invitation.get_body(preferencelist=("plain",)).get_content()
    attachments = list(po_mail.iter_attachments())
    assert [a.get_filename() for a in attachments] == [f"{order['number']}.pdf"]
    data = attachments[0].get_content()
    assert hashlib.sha256(data).hexdigest() == order["pdf_sha256"]


def test_the_pdf_is_the_same_after_a_restart(awarded, app, database_url):
    """A second app process on the same database and files serves the same bytes."""
    from procure import create_app
    from procure.extensions import db as second_db

    client, order_id = awarded["client"], awarded["order_id"]
    order = client.post(f"/api/v1/orders/{order_id}/issue").get_json()
    first = client.get(f"/api/v1/orders/{order_id}/pdf").data
    from procure.extensions import db

    db.session.commit()
    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "ATTACHMENTS_DIR": app.config["ATTACHMENTS_DIR"],
            "SECRET_KEY": "another-process",
        }
    )
    # The test's transaction is not visible to another connection: read through it.
    other.extensions["sqlalchemy"]._app_engines[other][None] = app.extensions[
        "sqlalchemy"
    ]._app_engines[app][None]
    with other.app_context():
        from procure.models import PurchaseOrder
        from procure.orders import services as order_services

        again, _name = order_services.document(second_db.session.get(PurchaseOrder, order_id))
    assert again == first
    assert hashlib.sha256(again).hexdigest() == order["pdf_sha256"]


# The order's transition table, every (state, action): the expected outcome written out.
ORDER_TABLE = {
    ("draft", "issue"): "issued",
    ("draft", "cancel"): "cancelled",
    ("issued", "receive"): "partially_received",
    ("issued", "cancel"): "cancelled",
    ("partially_received", "receive"): "received",
    ("received", "close"): "closed",
}
ORDER_STATES = ["draft", "issued", "partially_received", "received", "closed", "cancelled"]
ORDER_ACTIONS = ["issue", "receive", "close", "cancel"]


def _order_in(state, awarded):
    from procure.models import PurchaseOrder
    from procure.orders import services as order_services

    client, order_id = awarded["client"], awarded["order_id"]
    from procure.extensions import db

    order = db.session.get(PurchaseOrder, order_id)
    buyer = awarded["buyer"]
    if state == "draft":
        return order
    if state == "cancelled":
        order_services.cancel(order, actor=buyer, comment="test")
        return order
    order_services.issue(order, actor=buyer)
    first = order.lines[0]
    if state in ("partially_received", "received", "closed"):
        order_services.receive(
            order,
            [order_services.ReceiptLineData(first.id, first.quantity)],
            received_on=None,
            actor=buyer,
        )
    if state in ("received", "closed"):
        order_services.receive(
            order,
            [order_services.ReceiptLineData(line.id, line.quantity) for line in order.lines[1:]],
            received_on=None,
            actor=buyer,
        )
    if state == "closed":
        order_services.close(order, actor=buyer)
    assert order.status.value == state
    _ = client
    return order


@pytest.mark.parametrize("state", ORDER_STATES)
@pytest.mark.parametrize("action", ORDER_ACTIONS)
@pytest.mark.parametrize("who", ["procurement", "requester"])
def test_order_transitions(awarded, state, action, who):
    from procure import errors
    from procure.orders import services as order_services

    order = _order_in(state, awarded)
    actor = awarded["buyer"] if who == "procurement" else awarded["requester"]
    calls = {
        "issue": lambda: order_services.issue(order, actor=actor),
        "receive": lambda: order_services.receive(
            order,
            [
                order_services.ReceiptLineData(line.id, line.quantity - line.received_quantity)
                for line in order.lines
                if line.quantity > line.received_quantity
            ][:1]
            or [order_services.ReceiptLineData(order.lines[0].id, Decimal(1))],
            received_on=None,
            actor=actor,
        ),
        "close": lambda: order_services.close(order, actor=actor),
        "cancel": lambda: order_services.cancel(order, actor=actor, comment="test"),
    }
    expected = ORDER_TABLE.get((state, action))
    if expected is None:
        with pytest.raises(errors.InvalidTransition):
            calls[action]()
        assert order.status.value == state
    elif who != "procurement":
        with pytest.raises(errors.Forbidden):
            calls[action]()
        assert order.status.value == state
    else:
        calls[action]()
        assert order.status.value == expected
