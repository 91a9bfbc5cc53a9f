"""An approver on a phone (390 × 844): the inbox, a request read and approved, and an
RFQ's comparison with its winner, none of them scrolling sideways.

Tables too wide for the screen become cards; the comparison of quotes keeps its
columns (they scroll inside their own box, the row headings stay put) and its
ranking, cards already, names the winner first. axe checks each page at this width
too (a table that scrolls must be reachable by keyboard).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from playwright.sync_api import Locator, Page, expect

from procure.auth.services import find_user_by_email
from procure.extensions import db
from procure.models import PurchaseRequest, Role, Vendor
from procure.sourcing import services as sourcing

from . import org
from .axe import violations
from .live import LiveServer, no_sideways_scrolling, sign_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
BUYER = "paul@example.org"
LINES = [("Rugged tablet for the warehouse floor", "4", "1180.00"), ("Tablet mount", "4", "45.50")]
# Unit prices each demo vendor quotes for the two lines; Woodgrove is cheapest.
QUOTES = {
    "Northwind Hardware": ("1150.00", "48.00"),
    "Coho Computers": ("1120.00", "44.00"),
    "Woodgrove Systems": ("1090.00", "41.00"),
}


def on_screen(locator: Locator) -> None:
    """Visible, and within the screen's width as the page stands (nothing scrolled
    sideways, the page nor a box inside it)."""
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


def no_serious_violation(page: Page, what: str) -> None:
    found = violations(page, f"{what} at {PHONE['width']} px")
    assert not found, "\n".join(str(violation) for violation in found)


def quoted_request(live_server: LiveServer, requester: org.Person, approver: org.Person) -> int:
    """An approved request of the approver's department with an RFQ and three quotes."""
    filed = org.file_request(
        live_server, requester, f"Warehouse tablets {org.tag()}", LINES, approved_by=approver
    )
    with org.writing(live_server):
        buyer = find_user_by_email(BUYER)
        request = db.session.get(PurchaseRequest, filed.id)
        vendors = {
            vendor.name: vendor
            for vendor in db.session.query(Vendor).filter(Vendor.name.in_(QUOTES))
        }
        rfq = sourcing.create_rfq(
            sourcing.RfqData(
                request_id=request.id,
                vendor_ids=[vendors[name].id for name in QUOTES],
                due_date=dt.date.today() + dt.timedelta(days=14),
            ),
            actor=buyer,
        )
        sourcing.send(rfq, actor=buyer)
        for name, prices in QUOTES.items():
            sourcing.record_quote(
                rfq,
                sourcing.QuoteData(
                    vendor_id=vendors[name].id,
                    valid_until=dt.date.today() + dt.timedelta(days=30),
                    lead_time_days=7,
                    warranty_months=24,
                    lines=[
                        sourcing.QuoteLineData(
                            description=line.description,
                            quantity=line.quantity,
                            unit_price=Decimal(price),
                            request_line_id=line.id,
                        )
                        for line, price in zip(request.lines, prices, strict=True)
                    ],
                ),
                actor=buyer,
            )
        rfq_id = rfq.id
    return rfq_id


def test_an_approver_decides_on_a_phone(new_page: Callable[..., Page], live_server) -> None:
    department = org.add_department(live_server, "M", "Mobile")
    requester = org.add_person(live_server, "Mia Requester", department, Role.REQUESTER)
    approver = org.add_person(live_server, "Max Approver", department, Role.APPROVER)
    title = f"Barcode scanners {org.tag()}"
    filed = org.file_request(live_server, requester, title, [("Barcode scanner", "6", "210.00")])
    rfq_id = quoted_request(live_server, requester, approver)

    page = new_page(viewport=PHONE, bypass_csp=True)  # axe is injected as a script
    sign_in(page, live_server, approver.email, approver.password)

    # The inbox: the request, its requester and total, all on the screen.
    page.goto(live_server.url + "/approvals")
    no_sideways_scrolling(page)
    row = page.get_by_role("row").filter(has_text=title)
    for text in (filed.number, "Mia Requester", "$1,260.00"):
        on_screen(row.get_by_text(text, exact=True))
    no_serious_violation(page, "the inbox")

    # The request: its lines and total readable, the decision within reach.
    row.get_by_role("link", name=filed.number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    no_sideways_scrolling(page)
    lines = page.locator("table tbody tr")
    expect(lines).to_have_count(1)
    on_screen(lines.get_by_text("Barcode scanner", exact=True))
    on_screen(lines.get_by_text("$1,260.00", exact=True))
    panel = page.locator("#decide")
    approve = panel.get_by_role("button", name="Approve")
    on_screen(approve)
    on_screen(panel.get_by_label("Comment"))
    no_serious_violation(page, "a request")
    panel.get_by_label("Comment").fill("Fine for the pilot.")
    approve.click()
    expect(page).to_have_url(live_server.url + "/approvals")
    expect(page.get_by_role("alert")).to_contain_text(f"{filed.number}: Approved.")
    on_screen(page.get_by_role("alert"))
    no_sideways_scrolling(page)

    # The comparison: quotes side by side in their own scrolling box, the winner first.
    page.goto(f"{live_server.url}/rfqs/{rfq_id}")
    expect(page.get_by_role("heading", name="Comparison")).to_be_visible()
    no_sideways_scrolling(page)
    winner = page.locator(".ranking-item").first
    on_screen(winner)
    expect(winner).to_contain_text(re.compile(r"^\s*1\. Woodgrove Systems"))
    expect(winner.get_by_text("Lowest total")).to_be_visible()
    grand_total = page.locator(".comparison-table").get_by_role("rowheader", name="Grand total")
    on_screen(grand_total)
    no_serious_violation(page, "an RFQ's comparison")
