"""Notifications of vendor invoices: a held invoice tells whoever must resolve it (one
e-mail each, naming their exceptions), a vendor's invoice through its link tells
finance and procurement, approval and payment are quiet; delivered by
``send-notifications`` to a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from procure.invoices import actions, links
from procure.invoices import services as invoices
from procure.models import InvoiceStatus, Notification

from . import invoice_support as support
from .report_support import fast_pdf  # noqa: F401 -- fast_pdf is a fixture
from .test_notifications import Inbox, free_port, parts, start_smtp

TODAY = dt.date.today()
BASE_URL = "http://procure.test"


@pytest.fixture
def shop(make, db, fast_pdf):  # noqa: F811 -- the fixture imported above
    people = support.People(make)
    return {
        "people": people,
        "requester": people.requester,
        "buyer": people.buyer,
        "buyer2": make.user(["procurement"], department="PROC", name="Ben Buyer"),
        "gone": make.user(["procurement"], department="PROC", active=False),
        "clerk": people.clerk,
        "controller": people.controller,
        "order": support.issued_order(
            people, make.vendor("Acme Parts", email="orders@acme.example")
        ),
    }


def told(db, kind, invoice=None) -> dict[str, Notification]:
    """The notifications of ``kind``, by address (one each)."""
    query = sa.select(Notification).where(Notification.kind == kind)
    if invoice is not None:
        query = query.where(Notification.entity_id == invoice.id)
    rows = list(db.session.scalars(query.order_by(Notification.id)))
    by_email = {row.email: row for row in rows}
    assert len(by_email) == len(rows), [row.email for row in rows]
    return by_email


def test_a_quantity_hold_tells_the_requester_and_procurement(db, shop):
    order = shop["order"]
    support.receive(order, shop["people"], "1", "3")
    invoice = support.invoice(order, shop["people"], "V-1")
    actions.submit(invoice, actor=shop["clerk"])
    assert invoice.status == InvoiceStatus.ON_HOLD

    mails = told(db, "invoice_held", invoice)
    assert set(mails) == {
        shop["requester"].email,
        shop["buyer"].email,
        shop["buyer2"].email,
    }
    note = mails[shop["requester"].email]
    assert note.user_id == shop["requester"].id
    assert note.subject == (
        f"{invoice.number} is on hold: {order.vendor.name}'s invoice for {order.number}"
    )
    [exception] = invoice.open_exceptions
    assert exception.message in note.body_text
    assert "Quantity, line 1 (Laptop)" in note.body_text
    assert "have the receipt recorded" in note.body_text
    assert f"{BASE_URL}/invoices/{invoice.id}" in note.body_text
    assert note.link == f"{BASE_URL}/invoices/{invoice.id}"


def test_a_price_hold_tells_procurement_only(db, shop):
    order = shop["order"]
    support.receive(order, shop["people"], "2", "3")
    # The laptops' price 5 % over the order's.
    invoice = support.invoice(order, shop["people"], "V-1", prices=["1050.00", "150.00"])
    actions.submit(invoice, actor=shop["clerk"])
    # Over the order's total too: also procurement's.
    assert {e.kind.value for e in invoice.open_exceptions} == {"price", "over_order"}

    mails = told(db, "invoice_held", invoice)
    assert set(mails) == {shop["buyer"].email, shop["buyer2"].email}
    text = mails[shop["buyer"].email].body_text
    assert all(exception.message in text for exception in invoice.open_exceptions)
    assert "5.0 % above" in text
    assert "Check the price with the vendor" in text


def test_whoever_held_it_is_not_told_and_each_hears_of_their_own_exceptions(db, shop):
    order = shop["order"]
    support.receive(order, shop["people"], "1", "3")
    invoice = support.invoice(order, shop["people"], "V-1", prices=["1050.00", "150.00"])
    actions.submit(invoice, actor=shop["buyer"])
    kinds = {e.kind.value for e in invoice.open_exceptions}
    assert {"price", "quantity"} <= kinds

    mails = told(db, "invoice_held", invoice)
    assert shop["buyer"].email not in mails
    assert set(mails) == {shop["buyer2"].email, shop["requester"].email}
    # The requester resolves the quantity, not the price.
    assert "Quantity, line 1" in mails[shop["requester"].email].body_text
    assert "Price, line 1" not in mails[shop["requester"].email].body_text
    assert "Price, line 1" in mails[shop["buyer2"].email].body_text
    assert "Quantity, line 1" in mails[shop["buyer2"].email].body_text


def test_a_possible_duplicate_tells_finance(db, shop):
    order = shop["order"]
    support.receive(order, shop["people"], "2", "3")
    first = support.invoice(order, shop["people"], "V-1", quantities=["1", "0"])
    actions.submit(first, actor=shop["buyer"])
    assert first.status == InvoiceStatus.MATCHED
    second = support.invoice(order, shop["people"], "V-2", quantities=["1", "0"])
    actions.submit(second, actor=shop["buyer"])
    assert {e.kind.value for e in second.open_exceptions} == {"possible_duplicate"}

    mails = told(db, "invoice_held", second)
    assert set(mails) == {shop["clerk"].email, shop["controller"].email}
    assert first.number in mails[shop["clerk"].email].body_text
    assert told(db, "invoice_held", first) == {}


def test_matching_approving_paying_and_holding_again_are_quiet(db, shop):
    order = shop["order"]
    support.receive(order, shop["people"], "1", "3")
    invoice = support.invoice(order, shop["people"], "V-1")
    actions.submit(invoice, actor=shop["clerk"])
    assert len(told(db, "invoice_held")) == 3
    actions.submit(invoice, actor=shop["clerk"])  # still on hold: nobody is told again
    assert len(told(db, "invoice_held")) == 3
    support.receive(order, shop["people"], "1", "0")  # matched by itself
    assert invoice.status == InvoiceStatus.MATCHED
    actions.approve(invoice, actor=shop["controller"])
    actions.pay(invoice, actions.Payment(TODAY, "BANK-1"), actor=shop["controller"])
    assert invoice.status == InvoiceStatus.PAID
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.entity == "invoice")
        )
        == 3
    )


def test_a_vendors_invoice_tells_finance_and_procurement(db, shop):
    order = shop["order"]
    pdf = FileStorage(io.BytesIO(b"%PDF-1.4\n% invoice\n"), filename="invoice.pdf")
    invoice = links.receive(
        order,
        invoices.InvoiceData(
            order_id=order.id,
            vendor_invoice_number="ACME/77",
            invoice_date=TODAY,
            lines=[
                invoices.LineData(line.id, line.quantity, line.unit_price) for line in order.lines
            ],
        ),
        pdf,
    )
    mails = told(db, "invoice_from_vendor", invoice)
    assert set(mails) == {shop[name].email for name in ("buyer", "buyer2", "clerk", "controller")}
    note = mails[shop["clerk"].email]
    assert note.subject == (
        f"{order.vendor.name} sent {invoice.number} for {order.number}: check and submit it"
    )
    assert "ACME/77" in note.body_text and "a draft" in note.body_text
    assert shop["gone"].email not in mails


def test_held_invoice_mail_reaches_the_smtp_server_escaped(app, db, runner, monkeypatch, shop):
    order = shop["order"]
    order.vendor.name = "Acme <Parts> & Co"
    support.receive(order, shop["people"], "1", "3")
    invoice = support.invoice(order, shop["people"], "<b>V-9</b>")
    actions.submit(invoice, actor=shop["clerk"])
    db.session.commit()

    inbox = Inbox()
    controller = start_smtp(inbox, free_port())
    monkeypatch.setitem(app.config, "PROCURE_SMTP_URL", inbox.url)
    try:
        result = runner.invoke(args=["send-notifications"])
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    received = {rcpt[0]: message for _sender, rcpt, message in inbox.messages}
    assert shop["requester"].email in received
    message = received[shop["requester"].email]
    # A subject longer than a header line is folded; unfolded, it reads as it was written.
    assert message["Subject"].strip() == (
        f"{invoice.number} is on hold: Acme <Parts> & Co's invoice for {order.number}"
    )
    text, html = parts(message)
    [exception] = invoice.open_exceptions
    assert exception.message in text and "<b>V-9</b>" in text
    assert "&lt;b&gt;V-9&lt;/b&gt;" in html and "Acme &lt;Parts&gt; &amp; Co" in html
    assert f'href="{BASE_URL}/invoices/{invoice.id}"' in html
