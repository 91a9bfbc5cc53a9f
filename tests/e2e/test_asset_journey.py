"""The asset register in the browser: procurement receives 3 laptops with their serial
numbers typed in the receipt form and finds 3 assets; deploys one to a person; covers
two by a support contract on the contract's page; the "not covered" filter finds the
third; the labels and the Snipe-IT CSV download through the page's links; the deployed
laptop is later retired."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from procure.auth.services import find_user_by_email
from procure.contracts import services as contracts
from procure.extensions import db
from procure.models import PurchaseRequest, Role, Vendor
from procure.orders import services as orders
from procure.sourcing import services as sourcing

from . import org
from .live import LiveServer, sign_in
from .sourcing_steps import BUYER, status_badge

pytestmark = [pytest.mark.e2e, pytest.mark.every_database]

WARRANTY_MONTHS = 36


def _issued_order(live_server: LiveServer, model: str) -> tuple[int, str]:
    """3 laptops requested, approved, quoted by Coho with 36 months' warranty, awarded
    and issued through the services: the order's id and number."""
    department = org.add_department(live_server, "A", "Assets")
    org.add_budget(live_server, department, "100000.00")
    requester = org.add_person(live_server, "Ash Requester", department, Role.REQUESTER)
    approver = org.add_person(live_server, "Abe Approver", department, Role.APPROVER)
    filed = org.file_request(
        live_server,
        requester,
        f"Laptops {org.tag()}",
        [(model, "3", "1400.00")],
        approved_by=approver,
    )
    with org.writing(live_server):
        buyer = find_user_by_email(BUYER)
        pr = db.session.get(PurchaseRequest, filed.id)
        coho = db.session.scalar(db.select(Vendor).where(Vendor.name == "Coho Computers"))
        later = dt.date.today() + dt.timedelta(days=14)
        rfq = sourcing.create_rfq(
            sourcing.RfqData(request_id=pr.id, vendor_ids=[coho.id], due_date=later),
            actor=buyer,
        )
        sourcing.send(rfq, actor=buyer)
        quote = sourcing.record_quote(
            rfq,
            sourcing.QuoteData(
                vendor_id=coho.id,
                valid_until=later,
                lead_time_days=7,
                payment_terms="30 days net",
                warranty_months=WARRANTY_MONTHS,
                lines=[
                    sourcing.QuoteLineData(
                        description=line.description,
                        quantity=line.quantity,
                        unit=line.unit,
                        unit_price=Decimal("1400.00"),
                        request_line_id=line.id,
                    )
                    for line in pr.lines
                ],
            ),
            actor=buyer,
        )
        order = sourcing.award(rfq, quote.id, actor=buyer)
        orders.issue(order, actor=buyer)
        found = (order.id, order.number)
    return found


def _support_contract(live_server: LiveServer, title: str) -> int:
    """An active support contract with Coho for a year, not tied to an order."""
    with org.writing(live_server):
        buyer = find_user_by_email(BUYER)
        coho = db.session.scalar(db.select(Vendor).where(Vendor.name == "Coho Computers"))
        contract = contracts.create(
            contracts.ContractData(
                vendor_id=coho.id,
                title=title,
                kind="support",
                start_date=dt.date.today(),
                end_date=dt.date.today() + dt.timedelta(days=365),
            ),
            actor=buyer,
        )
        contracts.activate(contract, actor=buyer)
        contract_id = contract.id
    return contract_id


def _download(page: Page, link_name: str) -> tuple[str, bytes]:
    with page.expect_download() as download_info:
        page.get_by_role("link", name=link_name, exact=True).click()
    download = download_info.value
    return download.suggested_filename, download.path().read_bytes()


def test_laptops_received_with_serials_become_assets_that_move_are_covered_and_export(
    new_page, live_server
) -> None:
    stamp = org.tag()
    model = f"Laptop T14 {stamp}"
    serials = [f"PF{stamp}-{n}" for n in (1, 2, 3)]
    order_id, number = _issued_order(live_server, model)
    person = org.add_person(live_server, "Dee Deployed", "IT", Role.REQUESTER)

    buyer = new_page()
    sign_in(buyer, live_server, BUYER)
    buyer.goto(f"{live_server.url}/orders/{order_id}")
    expect(status_badge(buyer)).to_have_text("Issued")

    # Receive: the quantity and the three serials, scanned one per line.
    buyer.get_by_label("Quantity of line 1 received", exact=True).fill("3")
    buyer.get_by_label("Serial numbers of line 1", exact=True).fill("\n".join(serials))
    buyer.get_by_role("button", name="Record receipt").click()
    expect(buyer.get_by_role("alert").first).to_contain_text(
        "The receipt is recorded. It made 3 assets."
    )
    buyer.get_by_role("link", name="See its assets in the register").click()
    rows = buyer.locator("table.data-table tbody tr")
    expect(rows).to_have_count(3)
    for serial in serials:
        expect(buyer.locator("table.data-table")).to_contain_text(serial)
    register_url = buyer.url

    # The labels of the listed assets and the Snipe-IT export, through the page's links.
    name, pdf = _download(buyer, "Print labels of this page")
    assert name.endswith(".pdf") and pdf.startswith(b"%PDF")
    name, data = _download(buyer, "Export CSV for Snipe-IT")
    assert name.startswith("assets-snipeit-") and name.endswith(".csv")
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert sorted(row["Serial Number"] for row in table) == serials
    assert {row["Order Number"] for row in table} == {number}
    assert {row["Warranty Months"] for row in table} == {str(WARRANTY_MONTHS)}
    assert all(row["Model Name"] == model for row in table)

    # One step: a serial typed in the search box opens its asset.
    buyer.get_by_label("Tag, serial, model or holder").fill(serials[0])
    buyer.get_by_role("button", name="Find").click()
    expect(buyer.get_by_role("heading", level=1)).to_contain_text(model)
    expect(buyer.locator(".asset-facts")).to_contain_text(serials[0])
    expect(status_badge(buyer)).to_have_text("In stock")
    first_url = buyer.url
    first_tag = buyer.url.rsplit("/", 1)[-1]

    # Deploy it to a person, somewhere.
    buyer.get_by_label("Give it to (e-mail)").fill(person.email)
    buyer.locator("#deploy-location").fill("Room 4.12")
    buyer.get_by_role("button", name="Deploy", exact=True).click()
    expect(buyer.get_by_role("alert").first).to_contain_text(
        f"{first_tag} is deployed to Dee Deployed."
    )
    expect(status_badge(buyer)).to_have_text("Deployed")
    expect(buyer.locator(".asset-facts")).to_contain_text("Room 4.12")

    # A support contract covers the first two, chosen on the contract's page.
    contract_id = _support_contract(live_server, f"Laptop support {stamp}")
    buyer.goto(f"{live_server.url}/contracts/{contract_id}")
    buyer.get_by_role("link", name="Choose the assets it covers").click()
    buyer.get_by_label("Find other assets: tag, serial, model or holder").fill(model)
    buyer.get_by_role("button", name="Find").click()
    choices = buyer.locator("table.data-table tbody tr")
    expect(choices).to_have_count(3)
    for serial in serials[:2]:
        buyer.locator("tr", has_text=serial).get_by_role("checkbox").check()
    buyer.get_by_role("button", name="Save what it covers").click()
    expect(buyer.get_by_role("alert").first).to_contain_text("covers 2 assets")
    covers = buyer.locator("#covers")
    for serial in serials[:2]:
        expect(covers).to_contain_text(serial)
    expect(covers).not_to_contain_text(serials[2])

    # The asset page shows the coverage; the filter finds the third.
    buyer.goto(first_url)
    expect(buyer.locator(".coverage")).to_contain_text(f"Laptop support {stamp}")
    buyer.goto(f"{live_server.url}/assets")
    buyer.get_by_label("Tag, serial, model or holder").fill(model)
    buyer.get_by_label("Not covered by a contract").check()
    buyer.get_by_role("button", name="Find").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(serials[2])

    # Later the deployed laptop is retired; its story tells it all.
    buyer.goto(first_url)
    buyer.locator("#retire-comment").fill("Keyboard worn out.")
    buyer.once("dialog", lambda dialog: dialog.accept())
    buyer.get_by_role("button", name="Retire", exact=True).click()
    expect(buyer.get_by_role("alert").first).to_contain_text(f"{first_tag} is retired.")
    expect(status_badge(buyer)).to_have_text("Retired")
    story = buyer.locator(".timeline")
    expect(story).to_contain_text(f"{number}: Received")
    expect(story).to_contain_text("Keyboard worn out.")
    assert register_url.endswith(f"order_id={order_id}")
