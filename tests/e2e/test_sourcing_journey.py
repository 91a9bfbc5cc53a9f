"""Procurement sources an approved request: an RFQ to three vendors, their quotes
entered by hand, the comparison, and an award that is not the cheapest quote -- first
refused without a reason, then given one -- which leaves a draft purchase order."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from . import org
from .sourcing_steps import (
    QUOTES,
    VENDORS,
    approved_request,
    create_and_send_rfq,
    enter_quote,
    invitation_entry,
    ranking_item,
    status_badge,
)

pytestmark = pytest.mark.e2e


def column(page: Page, vendor: str) -> int:
    """The index of ``vendor``'s column among the comparison's cells (its row heading aside)."""
    # Their text, not as shown: the headings are in capitals by CSS.
    headings = [h.strip() for h in page.locator(".comparison-table thead th").all_text_contents()]
    return headings.index(vendor) - 1


def cell(page: Page, row: str, vendor: str):
    line = page.locator(".comparison-table tbody tr").filter(
        has=page.get_by_role("rowheader", name=row)
    )
    return line.locator("td").nth(column(page, vendor))


def test_rfq_quotes_comparison_and_justified_award(new_page, live_server) -> None:
    approved = approved_request(live_server, f"Build servers {org.tag()}")
    buyer = new_page()
    rfq_url, _ = create_and_send_rfq(buyer, live_server, approved)
    rfq_number = buyer.get_by_role("heading", level=1).locator("span").inner_text()
    assert re.fullmatch(r"RFQ-\d{4}-\d{5}", rfq_number), rfq_number
    expect(buyer.get_by_text("No quotes yet.")).to_be_visible()

    for vendor in VENDORS:
        enter_quote(buyer, vendor)
        expect(buyer).to_have_url(rfq_url + "#comparison")
    for vendor in VENDORS:
        entry = invitation_entry(buyer, vendor)
        expect(entry.locator(".invitation-state")).to_have_text("Quoted")
        expect(entry).to_contain_text("entered by procurement")

    # The comparison side by side, the best of each row starred.
    table = buyer.locator(".comparison-table")
    expect(table.locator("thead th")).to_have_count(4)
    for vendor in VENDORS:
        expect(table.locator("thead th").filter(has_text=vendor)).to_have_count(1)
    for vendor in VENDORS:
        prices, lead_time, warranty = QUOTES[vendor]
        expect(cell(buyer, "Rack server, 1U × 2 each", vendor)).to_contain_text(
            f"${float(prices[0]):,.2f}"
        )
        expect(cell(buyer, "Lead time", vendor)).to_contain_text(f"{lead_time} days")
        expect(cell(buyer, "Warranty", vendor)).to_contain_text(f"{warranty} months")
    starred = {
        "Rack server, 1U × 2 each": "Coho Computers",
        "Sliding rail kit × 2 each": "Woodgrove Systems",
        "Grand total": "Coho Computers",
        "Lead time": "Woodgrove Systems",
        "Warranty": "Woodgrove Systems",
        "Rating": "Woodgrove Systems",
        # Every quote ships for free: where all are the same, none is starred.
        "Shipping": None,
        "Tax": None,
    }
    for row, best in starred.items():
        for vendor in VENDORS:
            star = cell(buyer, row, vendor).locator(".best")
            expect(star).to_have_count(1 if vendor == best else 0)
    expect(cell(buyer, "Grand total", "Coho Computers")).to_contain_text("$2,380.00")
    expect(cell(buyer, "Grand total", "Northwind Hardware")).to_contain_text("$2,450.00")
    expect(cell(buyer, "Grand total", "Woodgrove Systems")).to_contain_text("$2,520.00")

    # The ranking: best score first, each criterion's contribution spelled out.
    ranking = buyer.locator(".ranking-item")
    expect(ranking.locator("strong")).to_have_text(
        ["1. Woodgrove Systems", "2. Northwind Hardware", "3. Coho Computers"]
    )
    expect(ranking.locator(".score")).to_have_text(["Score 0.967", "Score 0.843", "Score 0.768"])
    northwind = ranking_item(buyer, "Northwind Hardware")
    criteria = northwind.locator(".criteria")
    expect(criteria).to_contain_text(re.compile(r"Price 0\.583\s+\(0\.97 × weight 0\.6"))
    expect(criteria).to_contain_text(re.compile(r"Lead time 0\.100\s+\(0\.50 × weight 0\.2"))
    expect(criteria).to_contain_text(re.compile(r"Rating 0\.160\s+\(0\.80 × weight 0\.2"))
    expect(northwind.get_by_role("img")).to_have_accessible_name(
        "Score 0.843 of 1: price 0.583, lead time 0.100, rating 0.160"
    )
    coho = ranking_item(buyer, "Coho Computers")
    expect(coho.get_by_text("Lowest total", exact=True)).to_be_visible()
    expect(northwind.get_by_text("Lowest total", exact=True)).to_have_count(0)

    # The second-cheapest without a reason: refused, the error beside the field.
    justification = northwind.get_by_label("Justification")
    expect(justification).to_have_accessible_name("Justification (required: not the lowest total)")
    northwind.get_by_role("button", name="Award to Northwind Hardware").click()
    expect(buyer).to_have_url(re.compile(r"/rfqs/\d+/award$"))
    message = (
        "This is not the lowest total (Coho Computers quotes $2,380.00); "
        "say why this quote is the better choice."
    )
    justification = ranking_item(buyer, "Northwind Hardware").get_by_label("Justification")
    expect(justification).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(justification).to_have_accessible_description(message)
    expect(ranking_item(buyer, "Northwind Hardware").locator(".invalid-feedback")).to_have_text(
        message
    )
    # Only the chosen quote's field shows it, and nothing was awarded.
    expect(buyer.locator(".award-form .invalid-feedback")).to_have_count(1)
    expect(status_badge(buyer)).to_have_text("Open")
    expect(buyer.get_by_role("link", name=re.compile("^Purchase order"))).to_have_count(0)

    reason = "Ten days sooner than Coho, and a three-year warranty against one."
    justification.fill(reason)
    ranking_item(buyer, "Northwind Hardware").get_by_role(
        "button", name="Award to Northwind Hardware"
    ).click()

    # The draft purchase order, for the chosen vendor at its quoted prices.
    expect(buyer).to_have_url(re.compile(r"/orders/\d+$"))
    expect(buyer.get_by_role("alert")).to_contain_text(
        f"{rfq_number} is awarded. The purchase order is ready as a draft."
    )
    expect(buyer.get_by_role("heading", level=1)).to_contain_text("Draft order #")
    expect(buyer.get_by_role("heading", level=1)).to_contain_text("Northwind Hardware")
    expect(status_badge(buyer)).to_have_text("Draft")
    lines = buyer.locator("table tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("Rack server, 1U")
    expect(lines.nth(0)).to_contain_text("$1,150.00")
    expect(lines.nth(1)).to_contain_text("Sliding rail kit")
    expect(buyer.locator("table tfoot")).to_contain_text("$2,450.00")
    expect(buyer.get_by_role("link", name=rfq_number)).to_be_visible()
    expect(buyer.get_by_role("button", name="Issue order")).to_be_visible()

    # The RFQ now shows the award and its reason.
    buyer.goto(rfq_url)
    expect(status_badge(buyer)).to_have_text("Awarded")
    awarded = ranking_item(buyer, "Northwind Hardware").get_by_text("Awarded", exact=True)
    expect(awarded).to_be_visible()
    justification = buyer.get_by_role("heading", name="Award justification")
    expect(justification.locator("xpath=following-sibling::blockquote[1]")).to_have_text(reason)
    # And its history, in the words every document's history uses.
    awarded_entry = buyer.locator(".timeline-item").filter(has_text="Awarded by Paul")
    expect(awarded_entry.locator("blockquote")).to_have_text(reason)
