"""Steps the sourcing and order journeys share: an approved request of the test's own
(written through the services), and procurement's RFQ driven through the pages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from playwright.sync_api import Locator, Page, expect

from procure.models import Role

from . import org
from .live import LiveServer, sign_in

BUYER = "paul@example.org"
# Approved hardware vendors of the demo with valid insurance: none is flagged.
VENDORS = ("Northwind Hardware", "Coho Computers", "Woodgrove Systems")

# The request's lines: description, quantity, unit price (below finance's threshold).
LINES = [("Rack server, 1U", "2", "1200.00"), ("Sliding rail kit", "2", "80.00")]

# Each vendor's quote: unit prices of the lines, lead time (days), warranty (months).
# Coho has the lowest total (2,380.00), Northwind the second lowest (2,450.00).
QUOTES = {
    "Northwind Hardware": (("1150.00", "75.00"), "10", "36"),
    "Coho Computers": (("1100.00", "90.00"), "21", "12"),
    "Woodgrove Systems": (("1190.00", "70.00"), "5", "60"),
}


@dataclasses.dataclass(frozen=True)
class Approved:
    request: org.Filed
    requester: org.Person


def approved_request(live_server: LiveServer, title: str) -> Approved:
    """A request of a fresh department, filed by its requester and approved by its
    approver, ready to be sourced."""
    department = org.add_department(live_server, "S", "Sourcing")
    requester = org.add_person(live_server, "Sam Requester", department, Role.REQUESTER)
    approver = org.add_person(live_server, "Abe Approver", department, Role.APPROVER)
    filed = org.file_request(live_server, requester, title, LINES, approved_by=approver)
    return Approved(request=filed, requester=requester)


def in_days(days: int) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def create_and_send_rfq(
    page: Page, live_server: LiveServer, approved: Approved
) -> tuple[str, list[str]]:
    """As procurement: invite the three vendors, create the RFQ and send it; returns
    the RFQ's address and the vendors' private links, in the order of ``VENDORS``."""
    sign_in(page, live_server, BUYER)
    page.goto(f"{live_server.url}/rfqs/new?request_id={approved.request.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite vendors to quote")
    expect(page.get_by_role("main")).to_contain_text(approved.request.number)
    for name in VENDORS:
        choice = page.get_by_role("checkbox", name=name)
        expect(choice).to_be_enabled()
        choice.check()
    page.get_by_label("Quotes due by").fill(in_days(14))
    page.get_by_role("button", name="Create RFQ").click()
    expect(page).to_have_url(re.compile(r"/rfqs/\d+$"))
    expect(page.get_by_role("alert")).to_contain_text("is a draft: check it and send it")
    expect(status_badge(page)).to_have_text("Draft")
    expect(page.locator(".invitations > li")).to_have_count(3)
    rfq_url = page.url

    page.get_by_role("button", name="Send to vendors").click()
    # Sent, then back on the RFQ's page (a reload reads it again, sends nothing).
    expect(page).to_have_url(rfq_url + "#invitations")
    expect(page.get_by_role("alert")).to_contain_text("is open.")
    expect(status_badge(page)).to_have_text("Open")
    links = []
    for name in VENDORS:
        entry = invitation_entry(page, name)
        expect(entry.locator(".invitation-state")).to_have_text("Waiting for the quote")
        link = entry.locator(".invitation-link code").inner_text()
        assert re.fullmatch(re.escape(live_server.url) + r"/quote/[\w-]+", link), link
        links.append(link)
    return rfq_url, links


def invitation_entry(page: Page, vendor: str) -> Locator:
    """``vendor``'s entry in the RFQ page's list of invited vendors."""
    return page.locator(".invitations > li").filter(
        has=page.locator("strong", has_text=re.compile(rf"^{re.escape(vendor)}$"))
    )


def status_badge(page: Page) -> Locator:
    # The page's own badge sits under its heading, before any other.
    return page.get_by_role("main").locator(".status-badge").first


def enter_quote(page: Page, vendor: str) -> None:
    """Procurement's "Enter a quote" form, for a vendor who answered by e-mail."""
    prices, lead_time, warranty = QUOTES[vendor]
    form = page.locator("#enter-quote")
    expect(form.get_by_role("heading")).to_have_text("Enter a quote")
    form.get_by_label("Vendor").select_option(label=vendor)
    for (description, _, _), price in zip(LINES, prices, strict=True):
        form.get_by_label(f"Unit price of {description}").fill(price)
    form.get_by_label("Lead time (days)").fill(lead_time)
    form.get_by_label("Warranty (months)").fill(warranty)
    form.get_by_label("Valid until").fill(in_days(30))
    form.get_by_role("button", name="Save quote").click()
    expect(page.get_by_role("alert")).to_contain_text(f"The quote of {vendor} is recorded")


def ranking_item(page: Page, vendor: str) -> Locator:
    # By the item's title ("2. Northwind Hardware"): an error may name another vendor.
    title = page.locator("strong", has_text=re.compile(rf"^\d+\. {re.escape(vendor)}$"))
    return page.locator(".ranking-item").filter(has=title)


@dataclasses.dataclass(frozen=True)
class Draft:
    approved: Approved
    order_id: int
    rfq_number: str
    vendor: str


def draft_order(live_server: LiveServer, title: str) -> Draft:
    """An approved request sourced through the services, as the journey above does
    it through the pages: an RFQ to the three vendors, their quotes, and the cheapest
    (Coho's) awarded, which leaves its draft order."""
    from decimal import Decimal

    from procure.auth.services import find_user_by_email
    from procure.extensions import db
    from procure.models import PurchaseRequest, Vendor
    from procure.sourcing import services as sourcing

    approved = approved_request(live_server, title)
    with org.writing(live_server):
        buyer = find_user_by_email(BUYER)
        pr = db.session.get(PurchaseRequest, approved.request.id)
        vendors = {
            v.name: v
            for v in db.session.scalars(db.select(Vendor).where(Vendor.name.in_(VENDORS)))
        }
        rfq = sourcing.create_rfq(
            sourcing.RfqData(
                request_id=pr.id,
                vendor_ids=[vendors[name].id for name in VENDORS],
                due_date=dt.date.today() + dt.timedelta(days=14),
            ),
            actor=buyer,
        )
        sourcing.send(rfq, actor=buyer)
        quotes = {}
        for name, (prices, lead_time, warranty) in QUOTES.items():
            quotes[name] = sourcing.record_quote(
                rfq,
                sourcing.QuoteData(
                    vendor_id=vendors[name].id,
                    valid_until=dt.date.today() + dt.timedelta(days=30),
                    lead_time_days=int(lead_time),
                    warranty_months=int(warranty),
                    payment_terms="30 days net",
                    lines=[
                        sourcing.QuoteLineData(
                            description=line.description,
                            quantity=line.quantity,
                            unit=line.unit,
                            unit_price=Decimal(price),
                            request_line_id=line.id,
                        )
                        for line, price in zip(pr.lines, prices, strict=True)
                    ],
                ),
                actor=buyer,
            )
        order = sourcing.award(rfq, quotes["Coho Computers"].id, actor=buyer)
        draft = Draft(approved, order.id, rfq.number, "Coho Computers")
    return draft
