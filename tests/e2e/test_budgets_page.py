"""Finance's budget page: a bar and the figures per budget, adding one; nobody else's."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from procure.models import Role

from . import org
from .live import sign_in

pytestmark = pytest.mark.e2e

BAR_LABEL = re.compile(r"^Spent \d+(\.\d+)?%, committed \d+(\.\d+)?%, available \d+(\.\d+)?%$")


def main_navigation(page: Page):
    return page.get_by_role("navigation", name="Main")


def budget_row(page: Page, department: str):
    return page.locator(f"tr.budget-row[data-department='{department}']")


def test_finance_sees_the_bars_and_adds_a_budget(page: Page, live_server) -> None:
    # Two departments of this test's own, each with an approved request of 2,500.00:
    # one has a budget already, the other gets one through the form.
    budgeted = org.add_department(live_server, "B", "Budgeted")
    unbudgeted = org.add_department(live_server, "N", "New budget")
    for code in (budgeted, unbudgeted):
        requester = org.add_person(live_server, "Reg Requester", code, Role.REQUESTER)
        approver = org.add_person(live_server, "Abe Approver", code, Role.APPROVER)
        org.file_request(
            live_server,
            requester,
            f"Rack shelves {org.tag()}",
            [("Rack shelf", "10", "250.00")],
            approved_by=approver,
        )
    org.add_budget(live_server, budgeted, "10000.00")
    fiona = org.add_person(live_server, "Fiona Figures", budgeted, Role.FINANCE)
    year = org.fiscal_year(live_server)

    sign_in(page, live_server, fiona.email, fiona.password)
    main_navigation(page).get_by_role("link", name="Budgets").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Budgets, fiscal year {year}")

    # Every budget has its bar, described for those who cannot see it.
    rows = page.locator("tr.budget-row")
    expect(rows.first).to_be_visible()
    for index in range(rows.count()):
        bar = rows.nth(index).get_by_role("img")
        expect(bar).to_have_count(1)
        expect(bar).to_have_attribute("aria-label", BAR_LABEL)
    row = budget_row(page, budgeted)
    expect(row.get_by_role("img")).to_have_accessible_name(
        "Spent 0.0%, committed 25.0%, available 75.0%"
    )
    expect(row.locator("td")).to_contain_text(
        [budgeted, "All", "$10,000.00", "$2,500.00", "$0.00", "$7,500.00"]
    )
    expect(budget_row(page, unbudgeted)).to_have_count(0)

    form = page.locator("form", has=page.get_by_role("button", name="Add budget"))
    form.get_by_label("Department").select_option(value=unbudgeted)
    expect(form.get_by_label("Fiscal year")).to_have_value(str(year))
    expect(form.get_by_label("Category")).to_have_value("")  # the whole department
    form.get_by_label("Amount").fill("5000")
    form.get_by_role("button", name="Add budget").click()

    expect(page.get_by_role("alert")).to_contain_text(
        f"The {year} budget of {unbudgeted} is set: $5,000.00."
    )
    added = budget_row(page, unbudgeted)
    expect(added.get_by_role("img")).to_have_accessible_name(
        "Spent 0.0%, committed 50.0%, available 50.0%"
    )
    expect(added.locator("td")).to_contain_text(
        [unbudgeted, "All", "$5,000.00", "$2,500.00", "$0.00", "$2,500.00"]
    )
    expect(added.get_by_label(f"New amount for {unbudgeted}")).to_have_value("5000.00")


def test_a_requester_may_not_open_the_budgets(page: Page, live_server) -> None:
    department = org.add_department(live_server, "R", "Requesters")
    rex = org.add_person(live_server, "Rex Requester", department, Role.REQUESTER)
    sign_in(page, live_server, rex.email, rex.password)
    expect(main_navigation(page).get_by_role("link", name="Budgets")).to_have_count(0)

    response = page.goto(live_server.url + "/budgets")
    assert response is not None and response.status == 403
    expect(page).to_have_title("Not allowed · Procure")
    expect(page.get_by_role("heading", level=1)).to_have_text("You may not do this")
    expect(page.get_by_role("main")).to_contain_text(
        "Budgets are for finance, admin and department approvers."
    )
    expect(page.get_by_role("main").locator("table")).to_have_count(0)
