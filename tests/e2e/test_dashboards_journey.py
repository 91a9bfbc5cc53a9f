"""Each role's dashboard in the browser: its tiles, the finance bars with their
numbers, and a tile's link to the list behind it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from procure.models import Role

from . import org
from .live import sign_in

pytestmark = pytest.mark.e2e


def tile(page: Page, name: str):
    return page.locator(f'[data-tile="{name}"]')


def test_the_requester_follows_a_waiting_request_from_the_dashboard(page: Page, live_server):
    department = org.add_department(live_server, "D", "Dashboards")
    requester = org.add_person(live_server, "Rosa Requester", department, Role.REQUESTER)
    org.add_person(live_server, "Abel Approver", department, Role.APPROVER)
    title = f"Label printer {org.tag()}"
    org.file_request(live_server, requester, title, [("Label printer", "1", "310.00")])

    sign_in(page, live_server, requester.email, requester.password)
    waiting = tile(page, "waiting")
    expect(waiting.get_by_text(title)).to_be_visible()
    expect(waiting).to_contain_text("Department step, waiting just now")
    waiting.get_by_role("link", name=re.compile(r"^All \(1\)$")).click()
    expect(page).to_have_url(re.compile(r"/requests\?status=pending_approval&mine=1$"))
    expect(page.get_by_role("cell", name=title)).to_be_visible()


def test_the_approver_sees_the_wait_and_the_overdue_flag(page: Page, live_server):
    # ian@example.org, the demo's IT approver: the demo's laptops have waited a week.
    sign_in(page, live_server, "ian@example.org")
    inbox = tile(page, "inbox")
    laptops = inbox.get_by_role("row").filter(has_text="Laptops for new developers")
    expect(laptops).to_contain_text("7 days")
    expect(laptops.get_by_text("Overdue")).to_be_visible()
    expect(tile(page, "delegations")).to_contain_text("You stand in for Olivia Ops Lead")
    inbox.get_by_role("link", name=re.compile(r"^Open your inbox")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting for your decision")


def test_procurement_sees_its_three_tiles(page: Page, live_server):
    sign_in(page, live_server, "paul@example.org")
    for name, heading in (
        ("to-source", "Approved, not yet sourced"),
        ("rfqs-due", "Quotes due within 7 days"),
        ("receipts", "Orders awaiting receipt"),
    ):
        expect(tile(page, name).get_by_role("heading")).to_have_text(heading)
    receipts = tile(page, "receipts")
    order_link = receipts.get_by_role("link", name=re.compile(r"^PO-\d{4}-\d{5}$"))
    expect(order_link.first).to_be_visible()
    receipts.get_by_role("link", name=re.compile(r"^All \(\d+\)$")).click()
    expect(page).to_have_url(re.compile(r"/orders/\?awaiting=receipt$"))
    expect(page.get_by_label("Awaiting receipt")).to_be_checked()


def test_finance_reads_the_department_budgets(page: Page, live_server):
    sign_in(page, live_server, "fiona@example.org")
    budgets = tile(page, "budgets")
    rows = budgets.locator("tbody tr")
    expect(rows.first).to_be_visible()
    for index in range(rows.count()):
        bar = rows.nth(index).get_by_role("img")
        expect(bar).to_have_attribute(
            "aria-label", re.compile(r"^Spent [\d.]+%, committed [\d.]+%, available [\d.]+%$")
        )
    ops = rows.filter(has_text="Operations")
    expect(ops.get_by_role("cell").nth(1)).to_have_text(re.compile(r"^\$[\d,]+\.\d\d$"))
    budgets.get_by_role("link", name="All budgets").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Budgets, fiscal year")
