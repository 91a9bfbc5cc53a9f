"""Finance reads the reports of a department of the test's own: each report's chart
(an SVG drawn by the server, named for screen readers) and its numbers, a bad filter
answered beside the field; the department's approver sees the split purchase flagged
on a request's page; a requester may not open the reports."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from procure.auth.services import find_user_by_email
from procure.extensions import db
from procure.models import PurchaseRequest, Role, Vendor
from procure.orders import services as orders
from procure.sourcing import services as sourcing

from . import org
from .live import LiveServer, sign_in
from .sourcing_steps import BUYER, in_days

pytestmark = pytest.mark.e2e

FINANCE = "fiona@example.org"
# Four requests of 2,000.00, each under finance's 5,000.00, together 8,000.00.
SPLIT = [("Laptop, 14-inch", "1", "2000.00")]


def department_with_a_split(live_server: LiveServer) -> dict:
    """A fresh department with a split purchase of four requests of 2,000.00: three
    approved, the first of them sourced from Northwind at 1,900.00 against Coho's
    2,100.00, ordered and received; the fourth waiting for its approver."""
    code = org.add_department(live_server, "R", "Reporting")
    requester = org.add_person(live_server, "Rita Requester", code, Role.REQUESTER)
    approver = org.add_person(live_server, "Arne Approver", code, Role.APPROVER)
    filed = [
        org.file_request(
            live_server, requester, f"Laptops {n} {org.tag()}", SPLIT, approved_by=approver
        )
        for n in (1, 2, 3)
    ]
    waiting = org.file_request(live_server, requester, f"Monitors {org.tag()}", SPLIT)
    with org.writing(live_server):
        buyer = find_user_by_email(BUYER)
        vendors = {v.name: v for v in db.session.scalars(db.select(Vendor))}
        pr = db.session.get(PurchaseRequest, filed[0].id)
        northwind, coho = vendors["Northwind Hardware"], vendors["Coho Computers"]
        rfq = sourcing.create_rfq(
            sourcing.RfqData(
                request_id=pr.id,
                vendor_ids=[northwind.id, coho.id],
                due_date=dt.date.fromisoformat(in_days(14)),
            ),
            actor=buyer,
        )
        sourcing.send(rfq, actor=buyer)
        quotes = {}
        for vendor, price in ((northwind, "1900.00"), (coho, "2100.00")):
            quotes[vendor.name] = sourcing.record_quote(
                rfq,
                sourcing.QuoteData(
                    vendor_id=vendor.id,
                    valid_until=dt.date.fromisoformat(in_days(30)),
                    lead_time_days=5,
                    lines=[
                        sourcing.QuoteLineData(
                            description=pr.lines[0].description,
                            quantity=Decimal("1"),
                            unit_price=Decimal(price),
                            request_line_id=pr.lines[0].id,
                        )
                    ],
                ),
                actor=buyer,
            )
        order = sourcing.award(rfq, quotes["Northwind Hardware"].id, actor=buyer)
        orders.issue(order, actor=buyer)
        orders.receive(
            order,
            [orders.ReceiptLineData(line_id=order.lines[0].id, quantity=Decimal("1"))],
            received_on=None,
            actor=buyer,
        )
        rfq_number = rfq.number
    return {
        "code": code,
        "filed": filed,
        "waiting": waiting,
        "approver": approver,
        "requester": requester,
        "rfq": rfq_number,
    }


def open_report(page: Page, name: str, department: str) -> None:
    """From the reports' index, open a report and narrow it to ``department``."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    filters = page.get_by_role("search", name="Filter the report")
    filters.get_by_label("Department").select_option(value=department)
    filters.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(rf"department={department}"))


def chart(page: Page, chart_id: str, name: str):
    svg = page.locator(f"svg#{chart_id}")
    expect(svg).to_be_visible()
    expect(svg).to_have_attribute("role", "img")
    expect(svg).to_have_accessible_name(re.compile("^" + re.escape(name)))
    return svg


def test_finance_reads_each_report_of_a_department(page: Page, live_server) -> None:
    world = department_with_a_split(live_server)
    code, filed = world["code"], world["filed"]
    sign_in(page, live_server, FINANCE)

    open_report(page, "Spend", code)
    svg = chart(page, "spend-chart", "Spend by vendor")
    expect(svg.locator("text.chart-label")).to_have_text(["Northwind Hardware"])
    expect(svg.locator("text.chart-value")).to_have_text(["$1,900.00"])
    row = page.locator("#spend-table tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("th, td")).to_have_text(
        ["Northwind Hardware", "$1,900.00", "$0.00", "$1,900.00"]
    )
    expect(page.get_by_role("link", name="Download CSV")).to_have_attribute(
        "href", re.compile(rf"^/reports/spend\.csv\?.*department={code}")
    )

    open_report(page, "Approval cycle time", code)
    chart(page, "cycle-steps-chart", "Approval time per step")
    chart(page, "cycle-departments-chart", "Submission to decision per department")
    expect(page.locator("#departments-table tbody tr td").first).to_have_text("3")
    expect(page.locator("tr.waiting-row")).to_have_count(1)
    expect(page.locator("tr.waiting-row")).to_contain_text(world["waiting"].number)

    open_report(page, "Sourcing savings", code)
    svg = chart(page, "savings-chart", "Awarded quote against the median and the highest quote")
    expect(svg.locator("text.chart-value")).to_have_text(["$1,900.00", "$2,000.00", "$2,100.00"])
    expect(page.locator("#saved-highest")).to_contain_text("$200.00")
    expect(page.locator("#saved-median")).to_have_text("$100.00")
    expect(page.locator("#savings-table tbody tr")).to_contain_text(world["rfq"])

    open_report(page, "Vendor scorecards", code)
    chart(page, "vendors-chart", "On-time delivery and quote win rate per vendor")
    rows = page.locator("#vendors-table tbody tr")
    expect(rows.first.locator("th")).to_contain_text("Northwind Hardware")
    expect(rows.first.locator("td").first).to_have_text("$1,900.00")

    open_report(page, "Split purchases", code)
    svg = chart(page, "splits-chart", "Split purchases: together against the limit")
    expect(svg.locator("text.chart-value")).to_have_text(["$8,000.00", "$5,000.00"])
    split = page.locator("tr.split-row")
    expect(split).to_have_count(1)
    for request in [*filed, world["waiting"]]:
        expect(split.get_by_role("link", name=request.number)).to_be_visible()
    expect(split).to_contain_text("$8,000.00")

    # Dates out of order: the message beside the field, no figures.
    filters = page.get_by_role("search", name="Filter the report")
    filters.get_by_label("From").fill("2026-05-01")
    filters.get_by_label("To").fill("2026-01-01")
    filters.get_by_role("button", name="Apply").click()
    expect(filters.get_by_label("To")).to_have_accessible_description(
        "The end date is before the start date."
    )
    expect(page.locator("svg.report-chart")).to_have_count(0)
    expect(page.get_by_role("alert")).to_contain_text("no figures are shown")


def test_the_approver_sees_the_split_on_a_request_and_a_requester_no_reports(
    new_page, live_server
) -> None:
    world = department_with_a_split(live_server)
    first, _second, third = world["filed"]
    waiting = world["waiting"]
    # The request awaiting the approver's decision names the three others.
    approver = new_page()
    sign_in(approver, live_server, world["approver"].email, world["approver"].password)
    approver.goto(f"{live_server.url}/requests/{waiting.id}")
    expect(approver.locator("#decide")).to_be_visible()
    flag = approver.locator(".split-flag")
    expect(flag).to_contain_text("Possible split purchase")
    expect(flag).to_contain_text("come to $8,000.00 together")
    expect(flag).to_contain_text("$5,000.00 limit of the finance step")
    expect(flag).to_contain_text(f"{waiting.number} (this request, $2,000.00)")
    flag.get_by_role("link", name=third.number).click()
    expect(approver.get_by_role("heading", level=1)).to_contain_text(third.title)
    expect(approver.locator(".split-flag").get_by_role("link", name=first.number)).to_be_visible()

    requester = new_page()
    sign_in(requester, live_server, world["requester"].email, world["requester"].password)
    navigation = requester.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Reports")).to_have_count(0)
    expect(requester.locator(".split-flag")).to_have_count(0)
    response = requester.goto(f"{live_server.url}/reports/spend")
    assert response is not None and response.status == 403
    expect(requester.get_by_role("main")).to_contain_text(
        "Reports are for finance, procurement and admin."
    )
