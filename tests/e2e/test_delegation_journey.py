"""An approver on leave names a delegate on the profile page; the delegate decides
"on behalf of" them until the approver ends the delegation early."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from procure import delegation
from procure.models import Role

from . import org
from .live import sign_in

pytestmark = pytest.mark.e2e


def main_navigation(page: Page):
    return page.get_by_role("navigation", name="Main")


def test_delegate_approves_on_behalf_until_the_delegation_ends(new_page, live_server) -> None:
    department = org.add_department(live_server, "L", "On leave")
    elsewhere = org.add_department(live_server, "D", "Deputies")
    anna = org.add_person(live_server, "Anna Away", department, Role.APPROVER)
    dan = org.add_person(live_server, "Dan Deputy", elsewhere, Role.APPROVER)
    rory = org.add_person(live_server, "Rory Requester", department, Role.REQUESTER)
    first = org.file_request(
        live_server, rory, f"Spare keyboards {org.tag()}", [("Keyboard", "10", "45.00")]
    )
    second = org.file_request(
        live_server, rory, f"Spare mice {org.tag()}", [("Mouse", "10", "25.00")]
    )
    today = delegation.today()

    # The approver delegates on the profile page.
    approver = new_page()
    sign_in(approver, live_server, anna.email, anna.password)
    main_navigation(approver).get_by_role("button", name="Anna Away").click()
    approver.get_by_role("link", name="Profile & API tokens").click()
    card = approver.locator("#delegation")
    card.get_by_label("Who stands in for you").select_option(label=f"Dan Deputy ({elsewhere})")
    card.get_by_label("From", exact=True).fill(today.isoformat())
    card.get_by_label("Until (inclusive)").fill((today + dt.timedelta(days=4)).isoformat())
    card.get_by_label("Note").fill("Annual leave")
    card.get_by_role("button", name="Delegate").click()
    expect(approver.get_by_role("alert")).to_contain_text("Dan Deputy decides your steps from")
    given = card.locator(".delegation-list li")
    expect(given).to_have_count(1)
    expect(given).to_contain_text("Dan Deputy")
    expect(given).to_contain_text("Annual leave")
    expect(given.locator(".status-badge")).to_have_text("Now")
    expect(given.get_by_role("button", name="End now")).to_be_visible()

    # The delegate finds both of the approver's requests in the inbox.
    deputy = new_page()
    sign_in(deputy, live_server, dan.email, dan.password)
    main_navigation(deputy).get_by_role("link", name="Approvals").click()
    rows = deputy.locator("tbody tr")
    expect(rows).to_have_count(2)
    deputy.get_by_role("row", name=first.title).get_by_role("link", name=first.number).click()
    panel = deputy.locator("#decide")
    expect(panel.locator(".on-behalf")).to_have_text(
        "You decide on behalf of Anna Away, who has delegated to you."
    )
    panel.get_by_label("Comment").fill("Covering for Anna: fine.")
    panel.get_by_role("button", name="Approve").click()
    expect(deputy.get_by_role("alert")).to_contain_text(f"{first.number}: Approved.")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(second.title)

    # The request's page names both people, in the step and in the history.
    deputy.goto(f"{live_server.url}/requests/{first.id}")
    expect(deputy.get_by_role("main").locator(".status-badge").first).to_have_text("Approved")
    step = deputy.locator("[data-step=department]")
    expect(step).to_contain_text("Dan Deputy on behalf of Anna Away,")
    expect(step).to_contain_text("Covering for Anna: fine.")
    expect(deputy.locator(".timeline-item").last).to_contain_text(
        re.compile(r"Approved — department step\s+by Dan Deputy on behalf of Anna Away")
    )

    # Back early: the approver ends the delegation, and the inbox forgets her requests.
    given.get_by_role("button", name="End now").click()
    expect(approver.get_by_role("alert")).to_contain_text(
        "Dan Deputy no longer decides your steps."
    )
    expect(given.locator(".status-badge")).to_have_text("Ended early")
    expect(given.get_by_role("button", name="End now")).to_have_count(0)

    deputy.goto(live_server.url + "/approvals")
    expect(deputy.get_by_text("Nothing is waiting for you. Well done.")).to_be_visible()
    expect(deputy.get_by_role("row", name=second.title)).to_have_count(0)
    # The approver decides it herself again.
    approver.goto(live_server.url + "/approvals")
    expect(approver.get_by_role("row", name=second.title)).to_be_visible()
