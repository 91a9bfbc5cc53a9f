"""A vendor quotes in its own currency through its private link: the running total
follows the currency chosen, to its minor unit (three decimals for the Bahraini dinar),
and procurement's comparison shows the quote in dinars and in the base currency."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from procure import currencies, rates, settings

from . import org
from .sourcing_steps import VENDORS, approved_request, create_and_send_rfq, in_days

pytestmark = pytest.mark.e2e


def enable_dinars(live_server) -> None:
    """BHD enabled (beside whatever the demo enables), with a rate of yesterday."""
    with org.writing(live_server):
        wanted = sorted(set(currencies.enabled()[1:]) | {"BHD"})
        settings.put("currencies.enabled", wanted, actor=None)
        rates.record("BHD", dt.date.today() - dt.timedelta(days=1), "2.65", actor=None)


def test_vendor_quotes_in_dinars_and_the_total_follows(new_page, live_server) -> None:
    enable_dinars(live_server)
    approved = approved_request(live_server, f"Gulf office kit {org.tag()}")
    buyer = new_page()
    rfq_url, links = create_and_send_rfq(buyer, live_server, approved)

    vendor = new_page()
    vendor.goto(links[VENDORS.index("Coho Computers")])
    total = vendor.locator("[data-quote-total]")
    vendor.get_by_label("Currency").select_option("BHD")
    # Lines of 2 × 12.345 and 2 × 1.5 dinars, and half a dinar of shipping.
    vendor.get_by_label("Unit price of Rack server, 1U").fill("12.345")
    vendor.get_by_label("Unit price of Sliding rail kit").fill("1.5")
    vendor.get_by_label("Shipping").fill("0.500")
    expect(total).to_contain_text("28.190")
    expect(vendor.locator("[data-quote-currency='Total']")).to_have_text("Total (BHD)")
    # Four decimals are not an amount of dinars: the total says it is not counted yet.
    vendor.get_by_label("Shipping").fill("0.5001")
    expect(vendor.locator("[data-quote-total-note]")).to_be_visible()
    vendor.get_by_label("Shipping").fill("0.500")
    vendor.get_by_label("Lead time (days)").fill("9")
    vendor.get_by_label("Valid until").fill(in_days(30))
    vendor.get_by_role("button", name="Send the quote").click()
    expect(vendor.get_by_role("main")).to_contain_text("quotes BHD")
    expect(vendor.get_by_role("main")).to_contain_text("28.190")

    # 28.190 BD × 2.65 = $74.70 (half up): both amounts in the comparison.
    buyer.goto(rfq_url)
    expect(buyer.locator(".ranking")).to_contain_text("28.190 ≈ $74.70")
