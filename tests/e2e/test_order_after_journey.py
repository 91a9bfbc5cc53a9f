"""An order after issue, in the browser: procurement revises it down (rev 1, both PDFs
downloadable), then up beyond the tolerance; the request's approver finds the increase
in the inbox and approves it on the request's page; procurement sees rev 2, receives,
sends two laptops back, reverses a wrong receipt and records it again."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from procure.auth.services import find_user_by_email
from procure.extensions import db
from procure.models import PurchaseOrder, PurchaseRequest, Role, Vendor
from procure.orders import services as orders
from procure.sourcing import services as sourcing

from . import org
from .live import LiveServer, sign_in
from .sourcing_steps import BUYER, status_badge

pytestmark = [pytest.mark.e2e, pytest.mark.every_database]

LINES = [("Laptop, 14-inch", "2", "1000.00"), ("Docking station", "2", "150.00")]


def _issued_order(live_server: LiveServer) -> tuple[int, str, org.Person]:
    """An approved request of a fresh department (with a budget), quoted by Coho,
    awarded and issued through the services: the order's id, number and the approver."""
    department = org.add_department(live_server, "R", "Revisions")
    org.add_budget(live_server, department, "100000.00")
    requester = org.add_person(live_server, "Rhea Requester", department, Role.REQUESTER)
    approver = org.add_person(live_server, "Ari Approver", department, Role.APPROVER)
    filed = org.file_request(
        live_server, requester, f"Laptops {org.tag()}", LINES, approved_by=approver
    )
    with org.writing(live_server):
        buyer = find_user_by_email(BUYER)
        pr = db.session.get(PurchaseRequest, filed.id)
        coho = db.session.scalar(db.select(Vendor).where(Vendor.name == "Coho Computers"))
        later = dt.date.today() + dt.timedelta(days=14)
        rfq = sourcing.create_rfq(
            sourcing.RfqData(request_id=pr.id, vendor_ids=[coho.id], due_date=later),
            actor=buyer,
        )
        sourcing.send(rfq, actor=buyer)
        quote = sourcing.record_quote(
            rfq,
            sourcing.QuoteData(
                vendor_id=coho.id,
                valid_until=later,
                lead_time_days=7,
                payment_terms="30 days net",
                lines=[
                    sourcing.QuoteLineData(
                        description=line.description,
                        quantity=line.quantity,
                        unit=line.unit,
                        unit_price=Decimal(price),
                        request_line_id=line.id,
                    )
                    for line, (_, _, price) in zip(pr.lines, LINES, strict=True)
                ],
            ),
            actor=buyer,
        )
        order = sourcing.award(rfq, quote.id, actor=buyer)
        orders.issue(order, actor=buyer)
        found = (order.id, order.number)
    return found[0], found[1], approver


def _download(page: Page, link_name: str) -> tuple[str, bytes]:
    with page.expect_download() as download_info:
        page.get_by_role("link", name=link_name, exact=True).click()
    download = download_info.value
    return download.suggested_filename, download.path().read_bytes()


def _revise(page: Page, changes: dict[str, str], reason: str) -> None:
    page.get_by_role("link", name="Revise", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Revise ")
    for label, value in changes.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Reason for the revision").fill(reason)
    page.get_by_role("button", name="Issue the revision").click()


def test_an_order_is_revised_approved_returned_and_a_receipt_reversed(
    new_page, live_server
) -> None:
    order_id, number, approver = _issued_order(live_server)
    order_url = f"{live_server.url}/orders/{order_id}"
    buyer = new_page()
    sign_in(buyer, live_server, BUYER)
    buyer.goto(order_url)
    expect(status_badge(buyer)).to_have_text("Issued")

    # Down: issued at once, with its own PDF; the first stays downloadable.
    _revise(buyer, {"Quantity of line 2": "1"}, "One dock is enough for now.")
    expect(buyer).to_have_url(order_url)
    expect(buyer.get_by_role("alert")).to_contain_text(
        f"{number} rev 1 is issued and sent to the vendor."
    )
    revisions = buyer.locator(".revisions-table tbody tr")
    expect(revisions).to_have_count(2)
    expect(revisions.first).to_contain_text("Rev 1")
    expect(revisions.first).to_contain_text("Line 2 quantity 2 → 1")
    expect(revisions.first).to_contain_text("One dock is enough for now.")
    name, first = _download(buyer, f"Download {number}.pdf")
    assert name == f"{number}.pdf" and first.startswith(b"%PDF")
    name, revised = _download(buyer, f"Download {number}-rev1.pdf")
    assert name == f"{number}-rev1.pdf" and revised.startswith(b"%PDF")
    assert hashlib.sha256(first).digest() != hashlib.sha256(revised).digest()
    shown_hash = buyer.locator("dt", has_text="SHA-256 of the PDF file").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(shown_hash.locator("code").first).to_have_text(hashlib.sha256(revised).hexdigest())

    # A field refused stays beside its field, nothing stored.
    buyer.get_by_role("link", name="Revise", exact=True).click()
    buyer.get_by_label("Unit price of line 1", exact=True).fill("12.345")
    buyer.get_by_role("button", name="Issue the revision").click()
    price = buyer.get_by_label("Unit price of line 1", exact=True)
    expect(price).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(buyer.get_by_label("Reason for the revision")).to_have_class(
        re.compile(r"\bis-invalid\b")
    )
    buyer.goto(order_url)

    # Up beyond the tolerance: it waits for the request's approver.
    _revise(buyer, {"Quantity of line 1": "4"}, "Two new starters next month.")
    expect(buyer.get_by_role("alert").first).to_contain_text("waits for approval of the increase")
    waiting = buyer.locator(".revision-waiting")
    expect(waiting).to_contain_text("Revision waits for approval of an increase of $1,850.00")
    expect(waiting).to_contain_text("Line 1 quantity 2 → 4")
    expect(buyer.get_by_role("link", name="Revise", exact=True)).to_have_count(0)

    checker = new_page()
    sign_in(checker, live_server, approver.email, approver.password)
    checker.goto(f"{live_server.url}/approvals")
    with org.writing(live_server):
        request_number = db.session.get(PurchaseOrder, order_id).request.number
    row = checker.locator("tbody tr", has_text=request_number)
    expect(row).to_have_count(1)
    row.get_by_role("link", name=request_number).click()
    expect(checker.locator(".increase-round")).to_contain_text(
        f"These steps approve an increase of $1,850.00 on {number}"
    )
    checker.locator("#decide").get_by_role("button", name="Approve").click()
    expect(checker.get_by_role("alert").first).to_be_visible()

    # Procurement sees rev 2 and the order as approved.
    buyer.goto(order_url)
    expect(buyer.locator(".revision-waiting")).to_have_count(0)
    expect(buyer.locator(".revisions-table tbody tr").first).to_contain_text("Rev 2")
    expect(buyer.locator("h1")).to_contain_text(number)

    # Everything arrives, in two receipts; two laptops go back.
    buyer.get_by_label("Quantity of line 1 received").fill("4")
    buyer.get_by_role("button", name="Record receipt").click()
    expect(buyer.get_by_role("alert")).to_contain_text("The receipt is recorded.")
    buyer.get_by_label("Quantity of line 2 received").fill("1")
    buyer.get_by_label("Note").fill("Wrong dock model.")
    buyer.get_by_role("button", name="Record receipt").click()
    expect(status_badge(buyer)).to_have_text("Received")

    buyer.get_by_role("link", name="Return goods").click()
    buyer.get_by_label("Quantity of line 1 to send back").fill("2")
    buyer.get_by_label("RMA number").fill("RMA-4411")
    buyer.get_by_label("Reason").fill("Two screens cracked in transit.")
    buyer.get_by_role("button", name="Record the return").click()
    expect(buyer.get_by_role("alert")).to_contain_text("The return is recorded")
    expect(status_badge(buyer)).to_have_text("Partially received")
    returned = buyer.locator("table.returns tbody tr")
    expect(returned).to_have_count(1)
    expect(returned).to_contain_text("2 × Laptop, 14-inch")
    expect(returned).to_contain_text("RMA-4411")

    # The dock's receipt was wrong: reversed, then recorded again.
    dock_receipt = buyer.locator("table.receipts tbody tr", has_text="Wrong dock model.")
    dock_receipt.get_by_role("link", name=re.compile("^Reverse")).click()
    buyer.get_by_label("Reason").fill("The vendor sent the USB-A model.")
    buyer.get_by_role("button", name="Reverse the receipt").click()
    expect(buyer).to_have_url(order_url)
    expect(buyer.get_by_role("alert")).to_contain_text("is reversed")
    expect(dock_receipt).to_contain_text("Reversed on")
    expect(dock_receipt).to_contain_text("The vendor sent the USB-A model.")
    expect(dock_receipt.get_by_role("link", name=re.compile("^Reverse"))).to_have_count(0)
    buyer.get_by_label("Quantity of line 2 received").fill("1")
    buyer.get_by_role("button", name="Record receipt").click()
    expect(buyer.get_by_role("alert")).to_contain_text("The receipt is recorded.")
    expect(buyer.locator("table.receipts tbody tr")).to_have_count(3)
