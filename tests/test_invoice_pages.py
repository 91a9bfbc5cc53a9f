"""The invoice pages as people use them: recording an invoice against an issued order,
the hold and its resolution, approval and payment (one by one and as a batch), the
field errors of every bad input (nothing stored), the requester's view, the order
page's invoices, and the dashboard tiles."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import currencies
from procure.invoices import actions, pages
from procure.invoices import services as invoices
from procure.models import Invoice, InvoiceStatus
from procure.money import format_date
from procure.orders import services as orders
from tests import invoice_support as support
from tests.documents import issued_order

from .pages import field_errors, flashes, text
from .vendor_support import PDF, counting_queries, signed_in

TODAY = dt.date.today()


@pytest.fixture
def world(make, db):
    buyer = make.user(["procurement"], department="PROC")
    order = issued_order(make, buyer=buyer)
    people = {
        "buyer": buyer,
        "clerk": make.user(["finance"], department="FIN"),
        "controller": make.user(["finance"], department="FIN"),
        "requester": order.request.requester,
        "stranger": make.user(["requester"], department="IT"),
    }
    db.session.commit()
    return {"order": order, **people}


def receive(order, buyer, *quantities):
    orders.receive(
        order,
        [
            orders.ReceiptLineData(line_id=line.id, quantity=Decimal(q))
            for line, q in zip(order.lines, quantities, strict=True)
            if Decimal(q)
        ],
        received_on=TODAY,
        actor=buyer,
    )


def form(order, number="V-100", *, quantities=None, prices=None, **fields):
    quantities = quantities or [str(line.quantity) for line in order.lines]
    prices = prices or [str(line.unit_price) for line in order.lines]
    data = {
        "vendor_invoice_number": number,
        "invoice_date": TODAY.isoformat(),
        "shipping": "0.00",
        "tax": "0.00",
        "credit_for": "",
        "save_submit": "Save and submit",
    }
    for index, (line, quantity, price) in enumerate(
        zip(order.lines, quantities, prices, strict=True)
    ):
        data[f"lines-{index}-order_line_id"] = str(line.id)
        data[f"lines-{index}-quantity"] = quantity
        data[f"lines-{index}-unit_price"] = price
    data.update(fields)
    return data


def recorded(order, actor, number="V-1", *, submit=True):
    invoice = invoices.create(
        invoices.InvoiceData(
            order_id=order.id,
            vendor_invoice_number=number,
            invoice_date=TODAY,
            lines=[
                invoices.LineData(line.id, line.quantity, line.unit_price) for line in order.lines
            ],
        ),
        actor=actor,
    )
    if submit:
        actions.submit(invoice, actor=actor)
    return invoice


def count_invoices(db) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Invoice))


def buttons(response) -> list[str]:
    """The page's buttons, but the navigation's (the menu, signing out)."""
    body = response.get_data(as_text=True)
    labels = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", b)).strip()
        for b in re.findall(r"<button[^>]*>(.*?)</button>", body, re.S)
    ]
    return [label for label in labels if label and label != "Sign out"]


@pytest.fixture
def client_of(app):
    return lambda user: signed_in(app, user)


def test_an_invoice_goes_from_the_order_to_paid_through_the_pages(world, db, client_of):
    order = world["order"]
    receive(order, world["buyer"], "1", "3")
    db.session.commit()

    buyer = client_of(world["buyer"])
    page = buyer.get(f"/orders/{order.id}")
    assert "Record an invoice" in text(page)
    assert "No invoice is recorded yet." in text(page)

    clerk = client_of(world["clerk"])
    blank = clerk.get(f"/invoices/new?order_id={order.id}")
    assert blank.status_code == 200
    body = blank.get_data(as_text=True)
    # Prefilled: what remains to invoice, at the order's price; the terms' due date.
    assert 'name="lines-0-quantity" inputmode="decimal" value="2"' in body
    assert 'value="1000.00"' in body
    assert "30 days net →" in text(blank)

    sent = clerk.post(
        f"/invoices/new?order_id={order.id}",
        data={**form(order, "INV 0042"), "pdf": (io.BytesIO(PDF), "invoice.pdf")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302, text(sent)
    invoice = db.session.scalars(sa.select(Invoice)).one()
    assert invoice.status == InvoiceStatus.ON_HOLD
    shown = clerk.get(sent.headers["Location"])
    assert f"{invoice.number} is recorded and held" in " ".join(flashes(shown))
    words = text(shown)
    assert "Held: the quantity invoiced is more than received" in words
    assert "Procurement records the late receipt, or the requester or procurement" in words
    assert "Held — Quantity: Invoiced 2 of line 1 (0 before, 2 on this invoice), but 1" in words
    assert "Approve for payment" not in buttons(shown)  # on hold, and the clerk entered it
    pdf = clerk.get(f"/invoices/{invoice.id}/pdf")
    assert pdf.status_code == 200 and pdf.data == PDF
    assert pdf.headers["Cache-Control"] == "private, no-store"
    assert pdf.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert pdf.mimetype == "application/pdf"

    # The requester resolves their quantity exception; a reason is required.
    requester = client_of(world["requester"])
    theirs = requester.get(f"/invoices/{invoice.id}")
    assert "Resolve and match again" in buttons(theirs)
    assert "Resolve the exceptions that are yours Quantity, line 1" in text(theirs)
    assert "Release and approve" not in buttons(theirs)
    empty = requester.post(f"/invoices/{invoice.id}/resolve", data={"reason": " "})
    assert empty.status_code == 422
    assert field_errors(empty, "reason") == ["Say how the exception was resolved."]
    done = requester.post(
        f"/invoices/{invoice.id}/resolve",
        data={"reason": "The second laptop came with the docks", "version": invoice.version},
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert invoice.status == InvoiceStatus.MATCHED
    resolved = text(requester.get(f"/invoices/{invoice.id}"))
    assert f"Resolved by {world['requester'].name}" in resolved
    assert "The second laptop came with the docks" in resolved

    # Whoever entered it may not approve it; another person from finance does, and pays.
    assert "Approve for payment" not in buttons(clerk.get(f"/invoices/{invoice.id}"))
    refused = clerk.post(f"/invoices/{invoice.id}/approve", data={})
    assert refused.status_code == 403
    controller = client_of(world["controller"])
    assert "Approve for payment" in buttons(controller.get(f"/invoices/{invoice.id}"))
    assert controller.post(f"/invoices/{invoice.id}/approve", data={}).status_code == 302
    approved = controller.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert f'name="paid_on" type="date" value="{TODAY.isoformat()}"' in approved  # today
    future = controller.post(
        f"/invoices/{invoice.id}/pay",
        data={"paid_on": (TODAY + dt.timedelta(days=2)).isoformat(), "reference": "B-1"},
    )
    assert future.status_code == 422
    assert field_errors(future, "paid_on") == ["The payment date is in the future."]
    paid = controller.post(
        f"/invoices/{invoice.id}/pay", data={"paid_on": TODAY.isoformat(), "reference": "B-1"}
    )
    assert paid.status_code == 302
    final = controller.get(f"/invoices/{invoice.id}")
    assert "Paid on" in text(final) and "reference B-1" in text(final)
    assert buttons(final) == []
    history = text(final)
    for words in ("Created", "Submitted for matching", "Exceptions resolved", "Approved", "Paid"):
        assert words in history

    listed = text(buyer.get(f"/orders/{order.id}"))
    assert invoice.number in listed and "Paid" in listed


def test_every_bad_input_shows_beside_its_field_and_nothing_is_stored(world, db, client_of):
    order = world["order"]
    recorded(order, world["clerk"], "DUP-7")
    db.session.commit()
    before = count_invoices(db)
    clerk = client_of(world["clerk"])
    url = f"/invoices/new?order_id={order.id}"
    cases = [
        ({"vendor_invoice_number": ""}, "vendor_invoice_number", "Give the vendor's invoice"),
        ({"vendor_invoice_number": "dup 007"}, "vendor_invoice_number", "already recorded"),
        ({"invoice_date": ""}, "invoice_date", "Give the invoice date."),
        (
            {"invoice_date": (TODAY + dt.timedelta(days=3)).isoformat()},
            "invoice_date",
            "in the future",
        ),
        ({"invoice_date": "2026-02-31"}, "invoice_date", "Not a valid date"),
        (
            {"due_date": (TODAY - dt.timedelta(days=1)).isoformat()},
            "due_date",
            "before the invoice date",
        ),
        ({"lines-0-quantity": "-2"}, "lines-0-quantity", "greater than zero"),
        ({"lines-1-quantity": "lots"}, "lines-1-quantity", "The quantity"),
        ({"lines-0-unit_price": "1000.001"}, "lines-0-unit_price", "The price"),
        ({"shipping": "-5"}, "shipping", "must not be negative"),
        ({"tax": "NaN"}, "tax", "Tax"),
        ({"total": "1.00"}, "total", "add up to"),
        ({"credit_for": "999999"}, "credit_for", "credits an invoice of the same order"),
    ]
    for change, field, message in cases:
        response = clerk.post(url, data=form(order, "NEW-1", **change))
        assert response.status_code == 422, (change, response.status_code)
        errors = " ".join(field_errors(response, field))
        assert message in errors, (change, field, errors, text(response)[:600])
    not_pdf = clerk.post(
        url,
        data={**form(order, "NEW-2"), "pdf": (io.BytesIO(b"MZ\x90\x00" * 20), "invoice.pdf")},
        content_type="multipart/form-data",
    )
    assert not_pdf.status_code == 422
    assert field_errors(not_pdf, "pdf") == ["Upload a PDF file."]
    no_lines = clerk.post(url, data=form(order, "NEW-3", quantities=["", "0"]))
    assert no_lines.status_code == 422
    assert "An invoice needs at least one line." in text(no_lines)
    assert count_invoices(db) == before


def test_an_order_not_issued_cannot_be_invoiced_and_others_may_not_record(
    world, db, client_of, make
):
    order = world["order"]
    requester = client_of(world["requester"])
    assert requester.get(f"/invoices/new?order_id={order.id}").status_code == 403
    assert requester.post(f"/invoices/new?order_id={order.id}", data=form(order)).status_code == (
        403
    )
    assert "Record an invoice" not in text(requester.get(f"/orders/{order.id}"))
    clerk = client_of(world["clerk"])
    assert clerk.get("/invoices/new?order_id=999999").status_code == 404
    assert clerk.get("/invoices/new").status_code == 404
    orders.cancel(order, actor=world["buyer"], comment="Vendor went away")
    db.session.commit()
    refused = clerk.get(f"/invoices/new?order_id={order.id}")
    assert refused.status_code == 409 or refused.status_code == 400
    assert "only an issued order can be invoiced" in text(refused)
    assert count_invoices(db) == 0


def test_refused_actions_are_explained_and_who_may_not_act_sees_no_buttons(world, db, client_of):
    order = world["order"]
    invoice = recorded(order, world["clerk"])  # nothing received: on hold
    db.session.commit()
    controller = client_of(world["controller"])
    page = controller.get(f"/invoices/{invoice.id}")
    assert "Release and approve" in buttons(page)
    assert "Resolve and match again" not in buttons(page)  # a quantity hold is not finance's
    empty = controller.post(f"/invoices/{invoice.id}/release", data={"justification": ""})
    assert empty.status_code == 422
    assert field_errors(empty, "justification") == [
        "Write why the invoice is approved despite its hold."
    ]
    no_reason = controller.post(f"/invoices/{invoice.id}/reject", data={"comment": ""})
    assert field_errors(no_reason, "comment") == ["Say why the invoice is rejected."]
    stale = controller.post(
        f"/invoices/{invoice.id}/release",
        data={"justification": "Agreed by phone", "version": str(invoice.version - 1)},
    )
    assert stale.status_code == 303
    followed = controller.get(stale.headers["Location"])
    assert any("changed" in message or "reload" in message for message in flashes(followed))
    db.session.expire_all()
    assert invoice.status == InvoiceStatus.ON_HOLD

    requester = client_of(world["requester"])
    theirs = requester.get(f"/invoices/{invoice.id}")
    assert theirs.status_code == 200
    assert buttons(theirs) == ["Resolve and match again"]
    release = {"justification": "Let me through"}
    assert requester.post(f"/invoices/{invoice.id}/release", data=release).status_code == 403
    # Approving a held invoice is refused for anyone, with the reason, back on the page.
    wrong = requester.post(f"/invoices/{invoice.id}/approve", data={})
    assert wrong.status_code == 303
    db.session.expire_all()
    assert invoice.status == InvoiceStatus.ON_HOLD
    stranger = client_of(world["stranger"])
    assert stranger.get(f"/invoices/{invoice.id}").status_code == 404
    assert stranger.post(f"/invoices/{invoice.id}/cancel", data={}).status_code == 404
    assert invoice.number not in text(stranger.get("/invoices/"))
    assert invoice.number in text(requester.get("/invoices/"))


def test_finance_pays_ticked_invoices_as_a_batch_all_or_none(world, db, client_of, make):
    first = world["order"]
    receive(first, world["buyer"], "2", "3")
    second = issued_order(make, buyer=world["buyer"])
    receive(second, world["buyer"], "2", "3")
    a = recorded(first, world["clerk"], "A-1")
    b = recorded(second, world["clerk"], "B-1")
    held = recorded(issued_order(make, buyer=world["buyer"]), world["clerk"], "C-1")
    for invoice in (a, b):
        actions.approve(invoice, actor=world["controller"])
    db.session.commit()

    controller = client_of(world["controller"])
    listing = controller.get("/invoices/?status=approved")
    body = listing.get_data(as_text=True)
    assert f'name="invoice_ids" value="{a.id}"' in body
    assert f'name="invoice_ids" value="{held.id}"' not in body
    assert "Mark paid" in buttons(listing)

    none = controller.post("/invoices/pay", data={"paid_on": TODAY.isoformat()})
    assert none.status_code == 422
    assert "Tick the invoices to pay." in text(none)
    mixed = controller.post(
        "/invoices/pay",
        data={"invoice_ids": [str(a.id), str(held.id)], "paid_on": TODAY.isoformat()},
    )
    assert mixed.status_code == 303  # refused: the held one names itself, nothing paid
    assert any(held.number in m for m in flashes(controller.get(mixed.headers["Location"])))
    db.session.expire_all()
    assert a.status == InvoiceStatus.APPROVED
    no_date = controller.post(
        "/invoices/pay", data={"invoice_ids": [str(a.id), str(b.id)], "paid_on": ""}
    )
    assert no_date.status_code == 422
    assert field_errors(no_date, "paid_on") == [f"{a.number}: Give the payment date."] or (
        "Give the payment date." in text(no_date)
    )
    paid = controller.post(
        "/invoices/pay",
        data={
            "invoice_ids": [str(a.id), str(b.id)],
            "paid_on": TODAY.isoformat(),
            "reference": "RUN-12",
        },
    )
    assert paid.status_code == 302
    db.session.expire_all()
    assert (a.status, b.status) == (InvoiceStatus.PAID, InvoiceStatus.PAID)
    assert a.payment_reference == "RUN-12"

    buyer = client_of(world["buyer"])
    assert "Mark paid" not in buttons(buyer.get("/invoices/"))
    assert buyer.post(
        "/invoices/pay", data={"invoice_ids": [str(held.id)], "paid_on": TODAY.isoformat()}
    ).status_code in (303, 403)


def test_the_list_filters_and_marks_overdue_invoices(world, db, client_of, make):
    order = world["order"]
    receive(order, world["buyer"], "2", "3")
    late = invoices.create(
        invoices.InvoiceData(
            order_id=order.id,
            vendor_invoice_number="OLD-1",
            invoice_date=TODAY - dt.timedelta(days=40),
            lines=[invoices.LineData(order.lines[0].id, Decimal(1), Decimal("1000.00"))],
        ),
        actor=world["clerk"],
    )
    actions.submit(late, actor=world["clerk"])
    held = recorded(issued_order(make, buyer=world["buyer"]), world["clerk"], "H-1")
    db.session.commit()
    clerk = client_of(world["clerk"])
    overdue = clerk.get("/invoices/?quick=overdue")
    assert late.number in text(overdue) and "Overdue" in text(overdue)
    assert held.number not in text(overdue)
    on_hold = text(clerk.get("/invoices/?quick=on_hold"))
    assert held.number in on_hold and late.number not in on_hold
    by_status = text(clerk.get("/invoices/?status=matched"))
    assert late.number in by_status and held.number not in by_status
    assert "2 open" in text(clerk.get("/invoices/")) or "open" in text(clerk.get("/invoices/"))
    # Nonsense filters are ignored, never a 500.
    assert clerk.get("/invoices/?status=nope&vendor_id=x&due_before=soon&quick=?").status_code == (
        200
    )


def test_the_vendor_filter_matches_part_of_the_name_and_a_linked_vendor(
    world, db, make, client_of
):
    mine = recorded(world["order"], world["clerk"], "V-MINE")
    other_order = issued_order(make, buyer=world["buyer"])
    other_order.vendor.name = "Zebra  Networks_100%"
    other_order.vendor.name_key = "zebra networks_100%"
    other = recorded(other_order, world["clerk"], "V-OTHER")
    db.session.commit()
    clerk = client_of(world["clerk"])

    # Part of the name, ignoring case and spacing; % and _ are letters, not wildcards.
    typed = text(clerk.get("/invoices/?vendor=zebra+networks_100%25"))
    assert other.number in typed and mine.number not in typed
    assert mine.number not in text(clerk.get("/invoices/?vendor=_100%25x"))
    # The field keeps what was typed.
    page = clerk.get("/invoices/?vendor=ZEBRA").get_data(as_text=True)
    assert 'id="vendor"' in page and 'value="ZEBRA"' in page
    assert "<option" not in page.split('id="vendor"')[1].split("</div>")[0]
    # A link from the payables report names the vendor and offers the way back.
    linked = text(clerk.get(f"/invoices/?vendor_id={mine.vendor_id}"))
    assert mine.number in linked and other.number not in linked
    assert f"Invoices of {mine.vendor.name}" in linked and "all vendors" in linked
    assert "does not exist" in text(clerk.get("/invoices/?vendor_id=999999999"))
    # What is typed goes no further than the field allows.
    assert clerk.get("/invoices/?vendor=" + "x" * 5000).status_code == 200


def test_the_vendor_filter_keeps_to_the_invoices_one_may_see(world, db, make):
    mine = recorded(world["order"], world["clerk"], "V-MINE")
    other = recorded(issued_order(make, buyer=world["buyer"]), world["clerk"], "V-OTHER")
    db.session.commit()
    with_name = pages.Filters(vendor=other.vendor.name)
    seen = db.session.scalars(pages.filtered_query(world["requester"], with_name)).all()
    assert seen == []
    everyone = db.session.scalars(pages.filtered_query(world["clerk"], with_name)).all()
    assert [i.id for i in everyone] == [other.id]
    assert mine.id not in [i.id for i in everyone]


def test_dashboard_tiles_count_holds_dues_and_overdue_in_the_base_currency(
    world, db, client_of, make
):
    order = world["order"]
    receive(order, world["buyer"], "2", "3")
    late = invoices.create(
        invoices.InvoiceData(
            order_id=order.id,
            vendor_invoice_number="OLD-1",
            invoice_date=TODAY - dt.timedelta(days=40),
            lines=[invoices.LineData(order.lines[0].id, Decimal(1), Decimal("1000.00"))],
        ),
        actor=world["clerk"],
    )
    actions.submit(late, actor=world["clerk"])
    pricey = issued_order(make, buyer=world["buyer"])
    receive(pricey, world["buyer"], "2", "3")
    over = invoices.create(
        invoices.InvoiceData(
            order_id=pricey.id,
            vendor_invoice_number="P-1",
            invoice_date=TODAY,
            lines=[invoices.LineData(pricey.lines[0].id, Decimal(2), Decimal("1100.00"))],
        ),
        actor=world["clerk"],
    )
    actions.submit(over, actor=world["clerk"])
    db.session.commit()

    board = client_of(world["controller"]).get("/").get_data(as_text=True)
    tile = board.split('data-tile="payables"', 1)[1].split("</section>", 1)[0]

    def figure(key: str) -> str:
        part = tile.split(f'data-figure="{key}">', 1)[1].split("</li>", 1)[0]
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part)).strip()

    assert figure("on-hold") == "On hold 1 invoice $2,200.00"
    assert figure("overdue") == "Overdue 1 invoice $1,000.00"
    assert figure("due-this-week") == "Due this week 0 invoices $0.00"
    assert "/invoices/?quick=overdue" in tile

    procurement = client_of(world["buyer"]).get("/").get_data(as_text=True)
    holds = procurement.split('data-tile="price-holds"', 1)[1].split("</section>", 1)[0]
    assert "1 invoice" in holds and "$2,200.00" in holds
    assert f'href="/invoices/{over.id}">{over.number}</a>' in holds
    assert late.number not in holds  # matched, not held
    assert 'data-tile="payables"' not in procurement
    requester = client_of(world["requester"]).get("/").get_data(as_text=True)
    assert 'data-tile="payables"' not in requester and 'data-tile="price-holds"' not in requester


def test_forms_carry_a_csrf_token_and_a_post_without_it_is_refused(world, db, client_of, app):
    invoice = recorded(world["order"], world["clerk"])
    db.session.commit()
    controller = client_of(world["controller"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = controller.post(
            f"/invoices/{invoice.id}/release", data={"justification": "No token"}
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert refused.status_code == 400
    page = controller.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    for action in ("release", "reject", "cancel"):
        form_html = page.split(f'/invoices/{invoice.id}/{action}"', 1)[1].split("</form>")[0]
        assert 'name="csrf_token"' in form_html, action
    db.session.expire_all()
    assert invoice.status == InvoiceStatus.ON_HOLD


UBL = """<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:ID>UBL-77</cbc:ID>
 <cbc:IssueDate>{today}</cbc:IssueDate>
 <cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>
 <cac:OrderReference><cbc:ID>{order}</cbc:ID></cac:OrderReference>
 <cac:AccountingSupplierParty><cac:Party><cac:PartyLegalEntity>
  <cbc:CompanyID>{tax_id}</cbc:CompanyID></cac:PartyLegalEntity></cac:Party>
 </cac:AccountingSupplierParty>
 <cac:TaxTotal><cbc:TaxAmount currencyID="{currency}">0.00</cbc:TaxAmount></cac:TaxTotal>
 <cac:LegalMonetaryTotal>
  <cbc:TaxInclusiveAmount currencyID="{currency}">2450.00</cbc:TaxInclusiveAmount>
  <cbc:PayableAmount currencyID="{currency}">2450.00</cbc:PayableAmount>
 </cac:LegalMonetaryTotal>
 <cac:InvoiceLine><cbc:ID>1</cbc:ID>
  <cbc:InvoicedQuantity unitCode="EA">2</cbc:InvoicedQuantity>
  <cbc:LineExtensionAmount currencyID="{currency}">2000.00</cbc:LineExtensionAmount>
  <cac:OrderLineReference><cbc:LineID>1</cbc:LineID></cac:OrderLineReference>
  <cac:Price><cbc:PriceAmount currencyID="{currency}">1000.00</cbc:PriceAmount></cac:Price>
 </cac:InvoiceLine>
 <cac:InvoiceLine><cbc:ID>2</cbc:ID>
  <cbc:InvoicedQuantity unitCode="EA">3</cbc:InvoicedQuantity>
  <cbc:LineExtensionAmount currencyID="{currency}">450.00</cbc:LineExtensionAmount>
  <cac:OrderLineReference><cbc:LineID>2</cbc:LineID></cac:OrderLineReference>
  <cac:Price><cbc:PriceAmount currencyID="{currency}">150.00</cbc:PriceAmount></cac:Price>
 </cac:InvoiceLine>
</Invoice>
"""


def test_an_e_invoice_is_imported_as_a_draft_and_a_bad_file_refused(world, db, client_of):
    order = world["order"]
    order.vendor.tax_id = "DE123456789"
    db.session.commit()
    xml = UBL.format(
        today=TODAY.isoformat(), currency=order.currency, order=order.number, tax_id="{tax_id}"
    )
    clerk = client_of(world["clerk"])
    assert "Import an e-invoice" in text(clerk.get("/invoices/"))
    assert clerk.get("/invoices/import").status_code == 200

    def upload(data: bytes):
        return clerk.post(
            "/invoices/import",
            data={"file": (io.BytesIO(data), "invoice.xml")},
            content_type="multipart/form-data",
        )

    nothing = clerk.post("/invoices/import", data={})
    assert nothing.status_code == 422
    assert field_errors(nothing, "file") == ["Choose the e-invoice's XML file."]
    bomb = upload(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    assert bomb.status_code == 422
    assert "DOCTYPE" in " ".join(field_errors(bomb, "file"))
    stranger = upload(xml.replace("{tax_id}", "FR999").encode())
    assert stranger.status_code == 422
    assert "No vendor has the tax id" in text(stranger)
    assert count_invoices(db) == 0

    imported = upload(xml.replace("{tax_id}", "DE 123 456 789").encode())
    assert imported.status_code == 302, text(imported)[:800]
    invoice = db.session.scalars(sa.select(Invoice)).one()
    page = client_of(world["clerk"]).get(imported.headers["Location"])
    assert "Imported e-invoice" in text(page)
    assert invoice.status == InvoiceStatus.DRAFT and invoice.vendor_invoice_number == "UBL-77"
    assert "Submit for matching" in buttons(page)

    requester = client_of(world["requester"])
    assert requester.get("/invoices/import").status_code == 403


def test_a_foreign_invoice_shows_its_base_total_and_the_exchange_difference_when_paid(
    make, db, client_of
):
    people = support.People(make)
    currencies.set_enabled(["EUR"], actor=make.user(["admin"], department="IT"))
    support.rate("EUR", "1.10", support.days(-10))
    order = support.issued_order(
        people, make.vendor(), currency="EUR", lines=(("Servers", "2", "1000.00"),)
    )
    support.receive(order, people)
    invoice = support.invoice(order, people, "EU-1", invoice_date=support.days(-5))
    actions.submit(invoice, actor=people.clerk)
    actions.approve(invoice, actor=people.controller)
    support.rate("EUR", "1.25", TODAY)
    db.session.commit()

    controller = client_of(people.controller)
    before = text(controller.get(f"/invoices/{invoice.id}"))
    assert "$2,200.00 at the order's rate of 1.1000" in before
    assert "Approved: it waits for finance to pay it" in before
    paid = controller.post(
        f"/invoices/{invoice.id}/pay", data={"paid_on": TODAY.isoformat(), "reference": "W-9"}
    )
    assert paid.status_code == 302
    after = text(controller.get(f"/invoices/{invoice.id}"))
    assert (
        f"Paid at 1.2500 on {format_date(TODAY)}: $300.00 more than booked at issue — an "
        "exchange difference, not spend." in after
    )


def test_a_credit_note_is_recorded_from_the_order_against_one_of_its_invoices(
    world, db, client_of
):
    order = world["order"]
    receive(order, world["buyer"], "2", "3")
    first = recorded(order, world["clerk"], "V-1")
    db.session.commit()
    clerk = client_of(world["clerk"])
    blank = clerk.get(f"/invoices/new?order_id={order.id}").get_data(as_text=True)
    assert f'<option value="{first.id}">Yes, a credit note for {first.number}' in blank
    sent = clerk.post(
        f"/invoices/new?order_id={order.id}",
        data=form(
            order,
            "CN-1",
            quantities=["1", ""],
            credit_for=str(first.id),
            save="Save draft",
            save_submit="",
        ),
    )
    assert sent.status_code == 302, text(sent)[:600]
    note = db.session.scalars(sa.select(Invoice).where(Invoice.id != first.id)).one()
    assert note.status == InvoiceStatus.DRAFT and note.total == Decimal("-1000.00")
    page = text(clerk.get(f"/invoices/{note.id}"))
    assert "Credit note" in page and f"Credits {first.number}" in page
    assert "-$1,000.00" in page


def test_the_list_costs_as_many_statements_for_20_invoices_as_for_2(world, db, client_of, make):
    controller = client_of(world["controller"])

    def statements() -> int:
        controller.get("/invoices/")
        with counting_queries() as calls:
            assert controller.get("/invoices/").status_code == 200
        return len(calls)

    def more(n: int, start: int) -> None:
        for index in range(n):
            order = issued_order(make, buyer=world["buyer"])
            recorded(order, world["clerk"], f"Q-{start + index}")
        db.session.commit()

    more(2, 0)
    few = statements()
    more(18, 2)
    assert statements() == few
