"""A request of 7,500.00 from the form to "Approved": the department's approver,
then finance, each from their inbox; the requester reads the outcome."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Request, expect

from procure import currencies
from procure.models import Role

from . import org
from .live import sign_in

pytestmark = pytest.mark.e2e


def main_navigation(page: Page):
    return page.get_by_role("navigation", name="Main")


def line(page: Page, number: int):
    return page.get_by_role("group", name=f"Line {number}")


def status_badge(page: Page):
    # The request's own badge sits under its heading, before the steps' badges.
    return page.get_by_role("main").locator(".status-badge").first


def test_request_is_filed_and_approved_by_department_and_finance(new_page, live_server) -> None:
    department = org.add_department(live_server, "J", "Journeys")
    rita = org.add_person(live_server, "Rita Requester", department, Role.REQUESTER)
    alan = org.add_person(live_server, "Alan Approver", department, Role.APPROVER)
    fay = org.add_person(live_server, "Fay Finance", department, Role.FINANCE)
    title = f"Docking stations and monitors {org.tag()}"

    # The requester fills the form; "Add a line" adds a row in the page itself.
    requester = new_page()
    sign_in(requester, live_server, rita.email, rita.password)
    requester.get_by_role("link", name="New request").click()
    expect(requester.get_by_role("heading", level=1)).to_have_text("New purchase request")
    requester.get_by_label("Title").fill(title)
    requester.get_by_label("Justification").fill("Two new desks for the team in May.")
    first = line(requester, 1)
    first.get_by_label("Description").fill("Thunderbolt docking station")
    first.get_by_label("Category").select_option(label="Peripherals")
    first.get_by_label("Quantity").fill("3")
    first.get_by_label("Unit price").fill("1650.00")
    expect(first.locator("[data-line-total]")).to_have_text("4,950.00")
    total = requester.locator("[data-grand-total]")
    expect(total).to_have_text("4,950.00")

    navigations: list[Request] = []
    requester.on("request", lambda r: navigations.append(r) if r.is_navigation_request() else None)
    requester.get_by_role("button", name="Add a line").click()
    second = line(requester, 2)
    expect(second.get_by_label("Description")).to_be_focused()
    assert navigations == [], "adding a line went to the server"
    expect(second.get_by_label("Quantity")).to_have_value("1")
    expect(second.get_by_label("Unit", exact=True)).to_have_value("each")
    expect(second.get_by_label("Unit price")).to_have_value("")
    expect(total).to_have_text("—")  # incomplete until the new line has its price
    # What was typed in the first row is still there.
    expect(first.get_by_label("Description")).to_have_value("Thunderbolt docking station")
    expect(first.get_by_label("Category")).to_have_value("peripherals")
    expect(first.get_by_label("Quantity")).to_have_value("3")
    expect(first.get_by_label("Unit price")).to_have_value("1650.00")

    second.get_by_label("Description").fill('27" monitor')
    second.get_by_label("Category").select_option(label="Hardware")
    second.get_by_label("Quantity").fill("15")
    second.get_by_label("Unit price").fill("170")
    expect(second.locator("[data-line-total]")).to_have_text("2,550.00")
    expect(total).to_have_text("7,500.00")

    requester.get_by_role("button", name="Save draft").click()
    expect(requester.get_by_role("alert")).to_contain_text("is saved as a draft")
    expect(requester).to_have_url(re.compile(r"/requests/\d+$"))
    request_url = requester.url
    number = requester.get_by_role("heading", level=1).locator("span").inner_text()
    assert re.fullmatch(r"PR-\d{4}-\d{5}", number), number
    expect(status_badge(requester)).to_have_text("Draft")
    lines = requester.locator("table tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("Thunderbolt docking station")
    expect(lines.nth(1)).to_contain_text('27" monitor')
    expect(requester.locator("table tfoot")).to_contain_text("$7,500.00")
    preview = requester.locator(".policy-preview")
    expect(preview.get_by_role("heading")).to_have_text("Submitting will need these approvals")
    expect(preview.get_by_role("listitem")).to_have_text(
        [
            f"Department (approver) — Every request is signed off by an approver of {department}",
            "Finance (finance) — Total $7,500.00 is at least $5,000.00",
        ]
    )

    requester.get_by_role("button", name="Submit for approval").click()
    expect(requester.get_by_role("alert")).to_contain_text(f"{number}: Submitted for approval.")
    expect(status_badge(requester)).to_have_text("Pending approval")
    expect(requester.locator(".policy-preview")).to_have_count(0)
    expect(requester.locator("[data-step=department] .status-badge")).to_have_text("Pending")
    expect(requester.locator("[data-step=finance] .status-badge")).to_have_text("Waiting")

    # The department's approver: on the dashboard, then in the inbox (only this one).
    approver = new_page()
    sign_in(approver, live_server, alan.email, alan.password)
    inbox_tile = approver.get_by_role("region", name="Waiting for your decision")
    expect(inbox_tile.get_by_role("link", name=number)).to_be_visible()
    inbox_tile.get_by_role("link", name="Open your inbox (1)").click()
    expect(approver).to_have_url(live_server.url + "/approvals")
    rows = approver.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(title)
    expect(rows).to_contain_text("Rita Requester")
    expect(rows).to_contain_text("Department")
    expect(rows).to_contain_text("$7,500.00")
    rows.get_by_role("link", name=number).click()
    expect(approver).to_have_url(request_url)
    panel = approver.locator("#decide")
    expect(panel.get_by_role("heading")).to_have_text("Your decision: department step")

    # Rejecting needs a reason: the error stands beside the comment, nothing changes.
    panel.get_by_role("button", name="Reject").click()
    comment = approver.locator("#decide").get_by_label("Comment")
    expect(comment).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(comment).to_have_accessible_description("Say why you reject the request.")
    expect(approver.locator("#comment-errors")).to_have_text("Say why you reject the request.")
    expect(status_badge(approver)).to_have_text("Pending approval")

    comment.fill("Agreed: the new desks are in the plan.")
    approver.locator("#decide").get_by_role("button", name="Approve").click()
    expect(approver).to_have_url(live_server.url + "/approvals")
    expect(approver.get_by_role("alert")).to_contain_text(
        f"{number}: the department step is approved; the finance step now waits for finance."
    )
    expect(approver.get_by_text("Nothing is waiting for you. Well done.")).to_be_visible()

    # Finance, from the inbox in the navigation.
    finance = new_page()
    sign_in(finance, live_server, fay.email, fay.password)
    main_navigation(finance).get_by_role("link", name="Approvals").click()
    row = finance.get_by_role("row", name=title)
    expect(row).to_contain_text("Finance")
    row.get_by_role("link", name=number).click()
    expect(finance.locator("#decide").get_by_role("heading")).to_have_text(
        "Your decision: finance step"
    )
    finance.locator("#decide").get_by_label("Comment").fill("Within this year's plan.")
    finance.locator("#decide").get_by_role("button", name="Approve").click()
    expect(finance.get_by_role("alert")).to_contain_text(
        f"{number}: Approved. Procurement can now source it."
    )
    expect(finance.get_by_role("row", name=title)).to_have_count(0)

    # The requester sees the outcome, who decided, and the whole history.
    requester.goto(request_url)
    expect(status_badge(requester)).to_have_text("Approved")
    expect(requester.locator("#decide")).to_have_count(0)
    department_step = requester.locator("[data-step=department]")
    expect(department_step.locator(".status-badge")).to_have_text("Approved")
    expect(department_step).to_contain_text("Alan Approver,")
    expect(department_step).to_contain_text("Agreed: the new desks are in the plan.")
    finance_step = requester.locator("[data-step=finance]")
    expect(finance_step.locator(".status-badge")).to_have_text("Approved")
    expect(finance_step).to_contain_text("Fay Finance,")
    expect(finance_step).to_contain_text("Within this year's plan.")
    history = requester.locator(".timeline-item")
    expect(history).to_have_count(4)
    expect(history).to_contain_text(
        [
            re.compile(r"^\s*Created\s+by Rita Requester"),
            re.compile(r"^\s*Submitted for approval\s+by Rita Requester"),
            re.compile(
                r"^\s*Approved — department step\s+by Alan Approver\b.*"
                r"Agreed: the new desks are in the plan\.",
                re.S,
            ),
            re.compile(
                r"^\s*Approved — finance step\s+by Fay Finance\b.*Within this year's plan\.",
                re.S,
            ),
        ]
    )


def test_the_live_total_follows_the_currencys_decimals(new_page, live_server) -> None:
    """Yen have no decimals, dinars three: the running total rounds as the server will."""
    with org.writing(live_server):
        enabled = currencies.enabled()[1:]
        currencies.set_enabled([*enabled, "JPY", "BHD"], actor=None)
    try:
        department = org.add_department(live_server, "Y", "Yen buyers")
        rita = org.add_person(live_server, "Rita Yen", department, Role.REQUESTER)
        page = new_page()
        sign_in(page, live_server, rita.email, rita.password)
        page.goto(live_server.url + "/requests/new")
        first = line(page, 1)
        first.get_by_label("Quantity").fill("3")
        first.get_by_label("Unit price").fill("1649.5")
        total = page.locator("[data-grand-total]")
        expect(total).to_have_text("4,948.50")

        page.get_by_label("Currency").select_option("JPY")
        expect(first.locator("[data-line-total]")).to_have_text("4,949")
        expect(total).to_have_text("4,949")
        page.get_by_label("Currency").select_option("BHD")
        first.get_by_label("Quantity").fill("2.5")
        first.get_by_label("Unit price").fill("0.333")
        expect(total).to_have_text("0.833")
    finally:
        with org.writing(live_server):
            currencies.set_enabled(enabled, actor=None)
