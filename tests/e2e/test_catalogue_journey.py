"""The catalogue in the browser: a requester finds a laptop of an active framework
agreement, asks for 5 at the agreed price (fixed on the form), the department's approver
approves, procurement calls the request off the agreement from the request's page and
issues the order, and the agreement's page shows the 5 ordered and what remains.

5 laptops at $800.00 stay under the finance step's threshold: only the department step
applies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from procure import currencies
from procure.agreements import services as agreements
from procure.auth.services import find_user_by_email
from procure.extensions import db
from procure.models import Role, Vendor

from . import org
from .live import LiveServer, sign_in
from .sourcing_steps import BUYER, status_badge

pytestmark = [pytest.mark.e2e, pytest.mark.every_database]


def _agreement(live_server: LiveServer, laptop: str) -> tuple[int, str]:
    """An active agreement with Coho: the laptop up to 50, a dock at a rate only."""
    with org.writing(live_server):
        buyer = find_user_by_email(BUYER)
        coho = db.session.scalar(db.select(Vendor).where(Vendor.name == "Coho Computers"))
        made = agreements.create(
            agreements.AgreementData(
                vendor_id=coho.id,
                title=f"Laptops {laptop}",
                start_date=dt.date.today(),
                end_date=dt.date.today() + dt.timedelta(days=365),
                currency=currencies.base(),
                ceiling=Decimal("100000.00"),
                items=[
                    agreements.ItemData(
                        description=laptop,
                        unit_price=Decimal("800.00"),
                        category="hardware",
                        max_quantity=Decimal("50"),
                    ),
                    agreements.ItemData(
                        description=f"Dock for {laptop}", unit_price=Decimal("150.00")
                    ),
                ],
            ),
            buyer,
        )
        agreements.activate(made, buyer)
        found = (made.id, made.number)
    return found


def test_a_catalogue_request_is_called_off_and_the_agreement_counts_it(
    new_page, live_server
) -> None:
    stamp = org.tag()
    laptop = f"Catalogue laptop {stamp}"
    agreement_id, number = _agreement(live_server, laptop)
    department = org.add_department(live_server, "C", "Catalogue")
    org.add_budget(live_server, department, "100000.00")
    requester = org.add_person(live_server, "Cara Requester", department, Role.REQUESTER)
    approver = org.add_person(live_server, "Carl Approver", department, Role.APPROVER)

    # The requester finds the laptop in the catalogue and asks for 5.
    page = new_page()
    sign_in(page, live_server, requester.email, requester.password)
    page.get_by_role("link", name="Catalogue").first.click()
    page.get_by_label("Item or vendor").fill(stamp)
    page.get_by_role("button", name="Search").click()
    rows = page.locator("table.data-table tbody tr")
    expect(rows).to_have_count(2)
    row = page.locator("tr", has_text=laptop).filter(has_not_text="Dock")
    expect(row).to_contain_text("$800.00")
    row.get_by_label(f"Quantity of {laptop}").fill("5")
    row.get_by_role("button", name="Request").click()
    expect(page.get_by_label("Description")).to_have_value(laptop)
    expect(page.get_by_label("Unit price")).to_have_value("800.00")
    expect(page.get_by_label("Unit price")).to_have_attribute("readonly", "")
    expect(page.get_by_label("Quantity")).to_have_value("5")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("alert").first).to_contain_text("is saved as a draft")
    request_url = page.url
    page.get_by_role("button", name="Submit for approval").click()
    expect(status_badge(page)).to_have_text("Pending approval")

    # The department's approver approves it.
    decider = new_page()
    sign_in(decider, live_server, approver.email, approver.password)
    decider.goto(request_url)
    decider.locator("#decide").get_by_role("button", name="Approve").click()
    decider.goto(request_url)
    expect(status_badge(decider)).to_have_text("Approved")

    # Procurement calls it off the agreement and issues the order.
    buyer = new_page()
    sign_in(buyer, live_server, BUYER)
    buyer.goto(request_url)
    buyer.get_by_role("button", name=f"Call off from {number}").click()
    expect(buyer.get_by_role("alert").first).to_contain_text(f"is called off {number}")
    expect(status_badge(buyer)).to_have_text("Draft")
    buyer.once("dialog", lambda dialog: dialog.accept())
    buyer.get_by_role("button", name="Issue order").click()
    expect(status_badge(buyer)).to_have_text("Issued")

    # The agreement's page counts the 5 laptops and the amount.
    buyer.goto(f"{live_server.url}/agreements/{agreement_id}")
    items = buyer.locator("#items tbody tr", has_text=laptop).filter(has_not_text="Dock")
    expect(items).to_contain_text("45 of 50")
    expect(items.locator("td").nth(5)).to_have_text("5")
    expect(buyer.locator("#consumed")).to_contain_text("$4,000.00")
    expect(buyer.locator("#call-offs")).to_contain_text("Issued")
