"""A maintenance contract from an issued order: procurement files it from the order,
activates it, finds its notice deadline and end date on the renewal calendar and
downloads its PDF."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from procure.contracts import dates

from . import org
from .live import LiveServer, sign_in
from .sourcing_steps import BUYER, LINES, draft_order, status_badge

pytestmark = pytest.mark.e2e


def issued_order(live_server: LiveServer, title: str) -> tuple[int, str, str]:
    """A draft order of the test's own, issued through the services; returns its id,
    number and vendor."""
    from procure.auth.services import find_user_by_email
    from procure.extensions import db
    from procure.models import PurchaseOrder
    from procure.orders import services as orders

    draft = draft_order(live_server, title)
    with org.writing(live_server):
        order = db.session.get(PurchaseOrder, draft.order_id)
        orders.issue(order, actor=find_user_by_email(BUYER))
        number = order.number
    return draft.order_id, number, draft.vendor


def test_maintenance_contract_from_an_order(new_page, live_server) -> None:
    order_id, order_number, vendor = issued_order(live_server, f"Lab servers {org.tag()}")
    today = dt.date.today()
    end = dates.add_months(today, 11)
    deadline = end - dt.timedelta(days=30)
    title = f"Server maintenance {org.tag()}"

    buyer = new_page()
    sign_in(buyer, live_server, BUYER)
    buyer.goto(f"{live_server.url}/contracts/new?order_id={order_id}")
    expect(buyer.get_by_role("heading", level=1)).to_have_text("New contract")
    # Prefilled from the order: its vendor, its lines as the covered items.
    expect(buyer.get_by_label("Vendor")).to_have_value(re.compile(r"^\d+$"))
    expect(buyer.get_by_label("Vendor").locator("option:checked")).to_have_text(vendor)
    expect(buyer.get_by_label("Covered items")).to_have_value(
        "\n".join(description for description, _, _ in LINES)
    )
    expect(buyer.get_by_label("Title")).to_have_value(f"Maintenance for {order_number}")
    expect(buyer.get_by_label("Kind")).to_have_value("maintenance")
    expect(buyer.get_by_label("Start date")).to_have_value(today.isoformat())

    buyer.get_by_label("Title").fill(title)
    buyer.get_by_label("Kind").select_option(label="Maintenance")
    buyer.get_by_label("Start date").fill(today.isoformat())
    buyer.get_by_label("End date").fill(end.isoformat())
    buyer.get_by_label("Value for the term").fill("4800.00")
    buyer.get_by_label("Billing").select_option(label="Quarterly")
    buyer.get_by_label("Renews automatically").check()
    buyer.get_by_label("Notice period (days)").fill("30")
    buyer.get_by_label("SLA response (hours)").fill("4")
    buyer.get_by_label("SLA resolution (hours)").fill("24")
    buyer.get_by_role("button", name="Save draft").click()

    expect(buyer).to_have_url(re.compile(r"/contracts/\d+$"))
    contract_url = buyer.url
    heading = buyer.get_by_role("heading", level=1)
    expect(heading).to_contain_text(re.compile(r"CT-\d{4}-\d+"))
    expect(heading).to_contain_text(title)
    number = re.search(r"CT-\d{4}-\d+", heading.inner_text()).group(0)
    expect(buyer.get_by_role("alert")).to_contain_text(f"{number} is filed as a draft.")
    expect(status_badge(buyer)).to_have_text("Draft")
    main = buyer.get_by_role("main")
    expect(main).to_contain_text(f"Maintenance with {vendor}")
    expect(main).to_contain_text("billed quarterly")
    expect(main).to_contain_text("response 4 h, resolution 24 h")
    expect(main).to_contain_text("30 days' notice")
    expect(main.get_by_role("link", name=order_number)).to_be_visible()
    for description, _, _ in LINES:
        expect(main.get_by_role("listitem").filter(has_text=description)).to_be_visible()

    # Activated: its first term begins.
    buyer.get_by_role("button", name="Activate").click()
    expect(buyer).to_have_url(contract_url)
    expect(buyer.get_by_role("alert")).to_contain_text(f"{number} is active.")
    expect(status_badge(buyer)).to_have_text("Active")
    expect(buyer.get_by_role("button", name="Activate")).to_have_count(0)
    first_term = buyer.locator("#term-history table tbody tr")
    expect(first_term).to_have_count(1)
    expect(first_term.locator("td").nth(3)).to_have_text("initial")

    # The renewal calendar: its notice deadline and its end date.
    buyer.goto(f"{live_server.url}/contracts/calendar")
    expect(buyer.get_by_role("heading", level=1)).to_have_text("Renewal calendar")
    entries = buyer.get_by_role("listitem").filter(
        has=buyer.get_by_role("link", name=number, exact=True)
    )
    expect(entries).to_have_count(2)
    # Each under its own month, on its day.
    for day, what in ((deadline, "Notice deadline"), (end, "Ends")):
        month = buyer.locator("section").filter(
            has=buyer.get_by_role("heading", name=day.strftime("%B %Y"), exact=True)
        )
        entry = month.get_by_role("listitem").filter(
            has=buyer.get_by_role("link", name=number, exact=True)
        )
        expect(entry).to_have_count(1)
        expect(entry).to_contain_text(f"{what}: {number} {title}")
        expect(entry).to_contain_text(vendor)
        expect(entry.locator("time")).to_have_attribute("datetime", day.isoformat())
    entries.first.get_by_role("link", name=number).click()
    expect(buyer).to_have_url(contract_url)

    # The PDF.
    with buyer.expect_download() as download_info:
        buyer.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
    data = download.path().read_bytes()
    assert data.startswith(b"%PDF"), data[:16]
