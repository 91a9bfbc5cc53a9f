"""The vendor's invoice link: made when the order is issued and sent in the purchase
order's e-mail; the page through which the vendor sends its invoice without an account
(a draft, entered by nobody, its PDF attached); what it refuses."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure.invoices import actions, links
from procure.models import (
    AuditEvent,
    Invoice,
    InvoiceSource,
    InvoiceStatus,
    Notification,
    OrderStatus,
)
from procure.money import format_date
from procure.orders import services as orders

from .documents import issued_order
from .pages import field_errors, text
from .report_support import fast_pdf  # noqa: F401 -- fast_pdf is a fixture
from .test_invoice_pages import form as invoice_form
from .test_invoice_ubl import TAX_ID, peppol_invoice

TODAY = dt.date.today()
PDF = b"%PDF-1.4\n% the vendor's invoice\n"
LINK = re.compile(r"http://procure\.test/invoice/([A-Za-z0-9_-]+)")


@pytest.fixture
def shop(make, db, fast_pdf):  # noqa: F811 -- the fixture imported above
    buyer = make.user(["procurement"], department="PROC", name="Bea Buyer")
    finance = make.user(["finance"], department="FIN", name="Fay Finance")
    order = issued_order(make, buyer=buyer)
    mail = db.session.scalars(
        sa.select(Notification).where(
            Notification.kind == "purchase_order", Notification.entity_id == order.id
        )
    ).one()
    token = LINK.search(mail.body_text).group(1)
    return {"order": order, "buyer": buyer, "finance": finance, "mail": mail, "token": token}


def send(client, token, data, pdf=(PDF, "invoice.pdf")):
    if pdf is not None:
        data = {**data, "pdf": (io.BytesIO(pdf[0]), pdf[1])}
    return client.post(f"/invoice/{token}", data=data, content_type="multipart/form-data")


def invoices_of(db, order) -> list[Invoice]:
    return list(db.session.scalars(sa.select(Invoice).where(Invoice.order_id == order.id)))


def test_issuing_the_order_sends_the_vendor_its_invoice_link(db, shop):
    order, mail, token = shop["order"], shop["mail"], shop["token"]
    link = f"http://procure.test/invoice/{token}"
    assert f"Send your invoice for this order here: {link}" in mail.body_text
    assert f'href="{link}"' in mail.body_html
    # Only the token's hash is kept; the random value it is made from is not the token.
    assert order.invoice_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert order.invoice_link_nonce and token not in order.invoice_link_nonce
    assert links.current_link(order) == link


def test_the_vendor_sees_the_order_and_sends_an_invoice_with_its_pdf(app, db, shop):
    order, token = shop["order"], shop["token"]
    client = app.test_client()
    page = client.get(f"/invoice/{token}")
    assert page.status_code == 200
    shown = text(page)
    assert f"Your invoice for {order.number}" in shown
    assert "Laptop" in shown and "Dock" in shown
    assert 'name="lines-0-quantity"' in page.get_data(True)

    sent = send(client, token, invoice_form(order, shipping="20.00", tax="5.00"))
    assert sent.status_code == 200, field_errors(sent, "pdf")
    [invoice] = invoices_of(db, order)
    assert f"our reference {invoice.number}" in text(sent)
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.source == InvoiceSource.VENDOR
    assert invoice.entered_by_id is None
    assert invoice.vendor_id == order.vendor_id
    assert invoice.total == Decimal("2475.00")
    assert invoice.pdf is not None and invoice.pdf.content_type == "application/pdf"
    assert invoice.pdf.sha256 == hashlib.sha256(PDF).hexdigest()
    event = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity == "invoice", AuditEvent.entity_id == invoice.id
        )
    ).one()
    assert event.action == "create" and event.actor_id is None

    # Finance and procurement are told to check it and submit it.
    told = db.session.scalars(
        sa.select(Notification.email).where(
            Notification.kind == "invoice_from_vendor", Notification.entity_id == invoice.id
        )
    ).all()
    assert set(told) == {shop["buyer"].email, shop["finance"].email}

    # The page says what was sent already, and what remains is nothing.
    again = client.get(f"/invoice/{token}")
    assert "V-100 of" in text(again) and invoice.number in text(again)
    assert re.search(r'name="lines-0-quantity"[^>]*value=""', again.get_data(True))


def test_the_link_sends_invoices_never_credit_notes(app, db, shop):
    order, token = shop["order"], shop["token"]
    client = app.test_client()
    assert send(client, token, invoice_form(order, number="A-1")).status_code == 200
    [first] = invoices_of(db, order)
    actions.submit(first, actor=shop["finance"])  # submitted: one a credit note could credit
    db.session.commit()
    data = invoice_form(order, number="A-2", quantities=["1", ""], credit_for=str(first.id))
    assert send(client, token, data).status_code == 200
    second = next(i for i in invoices_of(db, order) if i.id != first.id)
    assert second.credit_for_id is None and second.total > 0


def test_the_page_says_how_each_invoice_stands_but_not_why(app, db, shop):
    order, token, client = shop["order"], shop["token"], app.test_client()
    orders.receive(
        order,
        [orders.ReceiptLineData(line.id, line.quantity) for line in order.lines],
        received_on=TODAY,
        actor=shop["buyer"],
    )
    db.session.commit()
    assert send(client, token, invoice_form(order, "A-1", quantities=["1", ""])).status_code == 200
    assert send(client, token, invoice_form(order, "A-2", quantities=["", "3"])).status_code == 200
    paid, refused = invoices_of(db, order)
    actions.submit(paid, actor=shop["buyer"])  # whoever submits it does not approve it
    actions.approve(paid, actor=shop["finance"])
    actions.pay(paid, actions.Payment(TODAY, "BANK-7"), actor=shop["finance"])
    actions.reject(refused, "Their <bank> details look wrong", actor=shop["finance"])
    db.session.commit()

    shown = text(client.get(f"/invoice/{token}"))
    assert f"our reference {paid.number}, paid on {format_date(TODAY)}" in shown
    assert f"our reference {refused.number}, not accepted: contact the buyer" in shown
    assert "bank" not in shown


def test_a_partial_invoice_bills_only_the_lines_given(app, db, shop):
    order, token = shop["order"], shop["token"]
    sent = send(app.test_client(), token, invoice_form(order, quantities=["1", ""]))
    assert sent.status_code == 200
    [invoice] = invoices_of(db, order)
    assert [(line.order_line_id, line.quantity) for line in invoice.lines] == [
        (order.lines[0].id, Decimal(1))
    ]


def test_bad_input_is_refused_beside_its_fields_and_nothing_is_stored(app, db, shop):
    order, token = shop["order"], shop["token"]
    later = (TODAY + dt.timedelta(days=3)).isoformat()
    refused = send(
        app.test_client(),
        token,
        invoice_form(order, number="", prices=["abc", "150.00"], due_date=later, tax="-1"),
        pdf=None,
    )
    assert refused.status_code == 422
    assert field_errors(refused, "lines-0-unit_price") == ["The price must be a number."]
    assert field_errors(refused, "tax") == ["Tax must not be negative."]
    assert invoices_of(db, order) == []

    # Numbers right, the rest wrong: every problem is said at once, by field.
    wrong = send(
        app.test_client(),
        token,
        invoice_form(order, number="", due_date=(TODAY - dt.timedelta(days=1)).isoformat()),
        pdf=None,
    )
    assert wrong.status_code == 422
    assert field_errors(wrong, "vendor_invoice_number") == ["Give the vendor's invoice number."]
    assert field_errors(wrong, "due_date") == ["The due date is before the invoice date."]
    assert field_errors(wrong, "pdf") == ["Attach your invoice as a PDF."]
    assert invoices_of(db, order) == []


def test_only_a_pdf_is_taken(app, db, shop):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    refused = send(app.test_client(), shop["token"], invoice_form(shop["order"]), (png, "a.png"))
    assert refused.status_code == 422
    assert field_errors(refused, "pdf") == ["Upload a PDF file."]
    assert invoices_of(db, shop["order"]) == []


def test_a_line_of_another_order_is_refused(app, make, db, shop):
    other = issued_order(make)
    data = invoice_form(shop["order"])
    data["lines-0-order_line_id"] = str(other.lines[0].id)
    refused = send(app.test_client(), shop["token"], data)
    assert refused.status_code == 422
    assert f"not part of {shop['order'].number}" in text(refused)
    assert invoices_of(db, shop["order"]) == []


def test_the_same_vendor_number_twice_is_refused_beside_the_field(app, db, shop):
    order, token = shop["order"], shop["token"]
    client = app.test_client()
    assert send(client, token, invoice_form(order, number="INV-0042")).status_code == 200
    twice = send(client, token, invoice_form(order, number="inv 42"))
    assert twice.status_code == 422
    [message] = field_errors(twice, "vendor_invoice_number")
    assert "INV-0042 is already recorded" in message
    assert len(invoices_of(db, order)) == 1


@pytest.mark.parametrize(
    "token",
    ["nothing-like-it", "A" * 43, "x" * 500],
    ids=["unknown", "token-shaped", "too-long"],
)
def test_an_unknown_token_is_refused_saying_nothing_of_any_order(app, db, shop, token):
    for response in (
        app.test_client().get(f"/invoice/{token}"),
        send(app.test_client(), token, invoice_form(shop["order"])),
    ):
        assert response.status_code == 404
        assert "This invoice link cannot be used" in text(response)
        assert shop["order"].number not in text(response)
    assert invoices_of(db, shop["order"]) == []


def test_a_tampered_token_is_refused(app, shop):
    token = shop["token"]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert app.test_client().get(f"/invoice/{tampered}").status_code == 404


def test_a_cancelled_orders_link_no_longer_works(app, db, shop):
    orders.cancel(shop["order"], actor=shop["buyer"], comment="Ordered twice")
    db.session.commit()
    assert shop["order"].status == OrderStatus.CANCELLED
    assert links.current_link(shop["order"]) is None
    refused = app.test_client().get(f"/invoice/{shop['token']}")
    assert refused.status_code == 410
    assert "can no longer be invoiced" in text(refused)
    assert send(app.test_client(), shop["token"], invoice_form(shop["order"])).status_code == 410


def test_a_reissued_link_replaces_the_earlier_one(app, db, shop):
    link = links.reissue_link(shop["order"], actor=shop["buyer"])
    db.session.commit()
    token = LINK.search(link).group(1)
    assert token != shop["token"]
    assert app.test_client().get(f"/invoice/{shop['token']}").status_code == 404
    assert app.test_client().get(f"/invoice/{token}").status_code == 200
    event = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity == "order", AuditEvent.action == "reissue_invoice_link"
        )
    ).one()
    assert event.actor_id == shop["buyer"].id


def test_the_form_needs_its_csrf_token(app, db, shop, csrf):
    client = app.test_client()
    page = client.get(f"/invoice/{shop['token']}")
    assert 'name="csrf_token"' in page.get_data(True)
    refused = send(client, shop["token"], invoice_form(shop["order"]))
    assert refused.status_code == 400
    assert invoices_of(db, shop["order"]) == []


def test_procurement_reissues_the_link_from_the_order(app, db, make, auth, shop):
    order = shop["order"]
    auth.login(shop["buyer"].email)
    answer = auth.client.post(f"/orders/{order.id}/invoice-link")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/orders/{order.id}")
    link = links.current_link(order)
    assert link is not None and shop["token"] not in link
    page = auth.client.get(f"/orders/{order.id}")
    assert f"new invoice link for {order.number}: {link}" in text(page)
    assert app.test_client().get(f"/invoice/{shop['token']}").status_code == 404


@pytest.mark.parametrize("role", ["finance", "requester"])
def test_only_procurement_reissues_the_link(app, db, auth, make, shop, role):
    order = shop["order"]
    person = order.request.requester if role == "requester" else shop["finance"]
    auth.login(person.email)
    answer = auth.client.post(f"/orders/{order.id}/invoice-link")
    assert answer.status_code in (403, 404)
    assert links.current_link(order) == f"http://procure.test/invoice/{shop['token']}"


# An e-invoice instead of typing ---------------------------------------------------------


def upload(client, token, xml, pdf=None):
    data = {"einvoice-xml": (io.BytesIO(xml), "invoice.xml")}
    if pdf is not None:
        data["einvoice-pdf"] = (io.BytesIO(pdf), "invoice.pdf")
    return client.post(f"/invoice/{token}/einvoice", data=data, content_type="multipart/form-data")


@pytest.fixture
def taxed(db, shop):
    shop["order"].vendor.tax_id = "DE 123 456 789"
    db.session.commit()
    return shop


def test_the_vendor_uploads_its_e_invoice_instead_of_typing(app, db, taxed):
    order = taxed["order"]
    xml = peppol_invoice(order, "NW-7", tax_id=TAX_ID, pdf=PDF)
    sent = upload(app.test_client(), taxed["token"], xml)
    assert sent.status_code == 200, field_errors(sent, "einvoice-xml")
    [invoice] = invoices_of(db, order)
    assert f"our reference {invoice.number}" in text(sent)
    assert (invoice.status, invoice.source, invoice.entered_by_id) == (
        InvoiceStatus.DRAFT,
        InvoiceSource.VENDOR,
        None,
    )
    assert invoice.vendor_invoice_number == "NW-7" and invoice.total == order.total
    assert invoice.xml.sha256 == hashlib.sha256(xml).hexdigest()
    assert invoice.pdf.sha256 == hashlib.sha256(PDF).hexdigest()
    told = db.session.scalars(
        sa.select(Notification.email).where(Notification.kind == "invoice_from_vendor")
    ).all()
    assert set(told) == {taxed["buyer"].email, taxed["finance"].email}


def test_an_e_invoice_without_its_pdf_needs_one_beside_it(app, db, taxed):
    order, client = taxed["order"], app.test_client()
    xml = peppol_invoice(order, "NW-8", tax_id=TAX_ID)
    refused = upload(client, taxed["token"], xml)
    assert refused.status_code == 422
    assert field_errors(refused, "einvoice-pdf") == [
        "Your e-invoice carries no PDF: attach the invoice as a PDF beside it."
    ]
    assert invoices_of(db, order) == []
    assert upload(client, taxed["token"], xml, pdf=PDF).status_code == 200
    [invoice] = invoices_of(db, order)
    assert invoice.pdf.sha256 == hashlib.sha256(PDF).hexdigest()


def test_an_e_invoice_for_another_order_or_vendor_is_refused_naming_nobody_else(
    app, make, db, taxed
):
    order, client = taxed["order"], app.test_client()
    other = issued_order(make)
    other.vendor.tax_id = "FR 999"
    other.vendor.name = "Other Vendor SA"
    db.session.commit()

    wrong_order = upload(client, taxed["token"], peppol_invoice(other, tax_id=TAX_ID, pdf=PDF))
    assert wrong_order.status_code == 422
    assert field_errors(wrong_order, "einvoice-xml") == [
        f"The file is for order {other.number}, not {order.number} (cac:OrderReference/cbc:ID)."
    ]
    wrong_vendor = upload(client, taxed["token"], peppol_invoice(order, tax_id="FR999", pdf=PDF))
    assert wrong_vendor.status_code == 422
    [message] = field_errors(wrong_vendor, "einvoice-xml")
    assert "not the one the buyer has on record for you" in message
    assert "Other Vendor" not in text(wrong_vendor)
    assert invoices_of(db, order) == []


def test_a_credit_note_or_hostile_xml_is_refused_on_the_upload(app, db, taxed):
    order, client = taxed["order"], app.test_client()
    credit = peppol_invoice(order, tax_id=TAX_ID, pdf=PDF).replace(b"Invoice-2", b"CreditNote-2")
    assert upload(client, taxed["token"], credit).status_code == 422
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><x>&b;</x>'
    )
    hostile = upload(client, taxed["token"], laughs)
    assert hostile.status_code == 422
    [message] = field_errors(hostile, "einvoice-xml")
    assert "DOCTYPE" in message
    assert invoices_of(db, order) == []


def test_a_wrong_figure_in_the_e_invoice_is_named_on_the_upload(app, db, taxed):
    order = taxed["order"]
    xml = peppol_invoice(order, tax_id=TAX_ID, pdf=PDF, lines=[(9, "1", "10.00")])
    refused = upload(app.test_client(), taxed["token"], xml)
    assert refused.status_code == 422
    assert field_errors(refused, "einvoice-xml") == [
        f"Line 1, order line id: {order.number} has no line 9 (cac:OrderLineReference/cbc:LineID)."
    ]
    assert invoices_of(db, order) == []


def test_procurement_sees_the_vendors_link_on_the_order_page(db, shop, client, auth):
    order, token = shop["order"], shop["token"]
    auth.login(shop["buyer"].email)
    page = client.get(f"/orders/{order.id}")
    assert f"/invoice/{token}" in page.get_data(as_text=True)
    auth.logout()
    auth.login(shop["finance"].email)  # finance reads the order but does not change it
    assert f"/invoice/{token}" not in client.get(f"/orders/{order.id}").get_data(as_text=True)
