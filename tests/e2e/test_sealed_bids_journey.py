"""Procurement seals an RFQ's bids: the quotes entered by hand show no amount on its page
until the day after the due date, when the buyer opens the bids and the comparison
appears with every price."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from procure.extensions import db
from procure.models import Rfq

from . import org
from .live import sign_in
from .sourcing_steps import BUYER, VENDORS, approved_request, enter_quote, status_badge

pytestmark = pytest.mark.e2e

# What the three quotes of ``sourcing_steps.QUOTES`` would show: their unit prices.
PRICES = ("$1,150.00", "$1,100.00", "$1,190.00")


def test_sealed_bids_stay_hidden_until_the_buyer_opens_them(new_page, live_server) -> None:
    approved = approved_request(live_server, f"Sealed servers {org.tag()}")
    buyer = new_page()
    sign_in(buyer, live_server, BUYER)
    buyer.goto(f"{live_server.url}/rfqs/new?request_id={approved.request.id}")
    for name in VENDORS:
        buyer.get_by_role("checkbox", name=name).check()
    buyer.get_by_label("Quotes due by").fill(dt.date.today().isoformat())
    buyer.get_by_role("checkbox", name="Sealed bids").check()
    buyer.get_by_role("button", name="Create RFQ").click()
    expect(buyer).to_have_url(re.compile(r"/rfqs/\d+$"))
    rfq_url = buyer.url
    buyer.get_by_role("button", name="Send to vendors").click()
    expect(status_badge(buyer)).to_have_text("Open")

    for vendor in VENDORS:
        enter_quote(buyer, vendor)
        expect(buyer.get_by_role("alert")).to_contain_text("sealed until the bids are opened")
    main = buyer.get_by_role("main")
    sealed = buyer.locator("#sealed")
    for vendor in VENDORS:
        expect(sealed).to_contain_text(vendor)
    for price in PRICES:
        expect(main).not_to_contain_text(price)
    expect(buyer.locator(".comparison-table")).to_have_count(0)
    expect(buyer.get_by_role("button", name="Open the bids")).to_have_count(0)

    # The due date passes.
    rfq_id = int(rfq_url.rsplit("/", 1)[1])
    with org.writing(live_server):
        db.session.get(Rfq, rfq_id).due_date = dt.date.today() - dt.timedelta(days=1)

    buyer.goto(rfq_url)
    buyer.get_by_role("button", name="Open the bids").click()
    expect(buyer.get_by_role("alert")).to_contain_text("are open")
    expect(buyer.locator(".sealed-state")).to_contain_text("sealed bids, opened")
    table = buyer.locator(".comparison-table")
    for price in PRICES:
        expect(table).to_contain_text(price)
    expect(buyer.locator(".ranking-item")).to_have_count(3)
    expect(buyer.locator(".timeline")).to_contain_text("Bids opened")
