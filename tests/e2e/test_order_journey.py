"""From the award to the order: procurement completes the draft, issues it, downloads
its frozen PDF and records a partial delivery; the requester sees the request ordered.
And the vendor's side: a quote sent through the private link, which works once."""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import expect

from procure import organisation

from . import org
from .live import sign_in
from .sourcing_steps import (
    BUYER,
    LINES,
    VENDORS,
    approved_request,
    create_and_send_rfq,
    draft_order,
    in_days,
    invitation_entry,
    ranking_item,
    status_badge,
)

pytestmark = pytest.mark.e2e


def test_order_is_issued_downloaded_and_partly_received(new_page, live_server) -> None:
    draft = draft_order(live_server, f"Lab servers {org.tag()}")
    order_url = f"{live_server.url}/orders/{draft.order_id}"
    buyer = new_page()
    sign_in(buyer, live_server, BUYER)
    buyer.goto(order_url)
    expect(buyer.get_by_role("heading", level=1)).to_contain_text(f"Draft order #{draft.order_id}")
    expect(status_badge(buyer)).to_have_text("Draft")
    expect(buyer.get_by_role("link", name="Preview PDF (draft)")).to_be_visible()
    expect(buyer.get_by_role("link", name=draft.rfq_number)).to_be_visible()

    # Where it goes, before it is frozen.
    address = "Procure Ltd., Goods in\n1 Dock Road\nLondon E16 2AB"
    buyer.get_by_label("Delivery address").fill(address)
    buyer.get_by_role("button", name="Save draft").click()
    expect(buyer).to_have_url(order_url)
    expect(buyer.get_by_role("alert")).to_contain_text("The draft is saved.")
    expect(buyer.get_by_label("Delivery address")).to_have_value(address)
    deliver_to = buyer.locator("dt", has_text="Deliver to").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(deliver_to).to_have_text(address)

    # Issuing asks first; then the order has its number and its frozen PDF.
    dialogs: list[str] = []

    def accept(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    buyer.on("dialog", accept)
    buyer.get_by_role("button", name="Issue order").click()
    expect(status_badge(buyer)).to_have_text("Issued")
    assert dialogs == [
        f"Issue this order to {draft.vendor}? Its content is frozen from then on."
    ], dialogs
    heading = buyer.get_by_role("heading", level=1)
    expect(heading).to_contain_text(re.compile(r"PO-\d{4}-\d{5}"))
    number = re.search(r"PO-\d{4}-\d{5}", heading.inner_text()).group(0)
    expect(buyer.get_by_role("alert")).to_contain_text(f"{number} is issued.")
    expect(buyer.get_by_label("Delivery address")).to_have_count(0)  # frozen
    expect(buyer.get_by_role("button", name="Issue order")).to_have_count(0)
    shown_hash = buyer.locator("dt", has_text="SHA-256 of the PDF file").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(shown_hash.locator("code").first).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    sha256 = shown_hash.locator("code").first.inner_text()

    with buyer.expect_download() as download_info:
        buyer.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"{number}.pdf"
    data = download.path().read_bytes()
    assert data.startswith(b"%PDF"), data[:16]
    assert hashlib.sha256(data).hexdigest() == sha256

    # One of the two servers arrives.
    buyer.get_by_label("Quantity of line 1 received").fill("1")
    buyer.get_by_label("Note").fill("Second server back-ordered.")
    buyer.get_by_role("button", name="Record receipt").click()
    expect(buyer).to_have_url(order_url)
    expect(buyer.get_by_role("alert")).to_contain_text("The receipt is recorded.")
    expect(status_badge(buyer)).to_have_text("Partially received")
    received = buyer.locator("table tbody tr")
    expect(received.nth(0).locator("td").nth(5)).to_have_text("1")
    expect(received.nth(1).locator("td").nth(5)).to_have_text("0")
    expect(buyer.get_by_role("main")).to_contain_text("Second server back-ordered.")

    # The requester: the request is ordered, and leads to its order.
    requester = new_page()
    sign_in(requester, live_server, draft.approved.requester.email, org.PASSWORD)
    requester.goto(f"{live_server.url}/requests/{draft.approved.request.id}")
    expect(status_badge(requester)).to_have_text("Ordered")
    requester.get_by_role("link", name=number).click()
    expect(requester).to_have_url(order_url)
    expect(requester.get_by_role("heading", level=1)).to_contain_text(number)
    expect(status_badge(requester)).to_have_text("Partially received")


def test_vendor_quotes_once_through_the_private_link(new_page, live_server) -> None:
    approved = approved_request(live_server, f"Edge routers {org.tag()}")
    buyer = new_page()
    rfq_url, links = create_and_send_rfq(buyer, live_server, approved)
    rfq_number = buyer.get_by_role("heading", level=1).locator("span").inner_text()
    woodgrove_link = links[VENDORS.index("Woodgrove Systems")]

    # The vendor, without an account, in a browser of their own.
    vendor = new_page()
    vendor.goto(woodgrove_link)
    expect(vendor).to_have_url(woodgrove_link)
    expect(vendor.get_by_role("heading", level=1)).to_have_text(f"Your quote for {rfq_number}")
    expect(vendor.get_by_role("main")).to_contain_text("For Woodgrove Systems")
    expect(vendor.get_by_label("Vendor", exact=True)).to_have_count(0)
    # Who is buying, and where and by when the goods are wanted.
    with org.writing(live_server):
        buyer_name = organisation.current().name
    expect(vendor.locator(".buyer-name")).to_have_text(buyer_name)
    expect(vendor.get_by_role("main")).to_contain_text("Deliver to")
    expect(vendor.get_by_role("main")).to_contain_text("Needed by")
    # The total adds up while the vendor types, before anything is sent.
    total = vendor.locator("[data-quote-total]")
    expect(total).to_have_text("$0.00")
    for (description, _, _), price in zip(LINES, ("1180.00", "72.50"), strict=True):
        vendor.get_by_label(f"Unit price of {description}").fill(price)
    vendor.get_by_label("Shipping").fill("25.00")
    expect(total).to_have_text("$2,530.00")
    vendor.get_by_label("Lead time (days)").fill("6")
    vendor.get_by_label("Warranty (months)").fill("36")
    vendor.get_by_label("Valid until").fill(in_days(45))
    vendor.get_by_role("button", name="Send the quote").click()
    expect(vendor.get_by_role("heading", level=1)).to_have_text(
        "Thank you — your quote is received"
    )
    expect(vendor.get_by_role("main")).to_contain_text(
        f"Woodgrove Systems quotes $2,530.00 for {rfq_number}"
    )

    # The link has done its work.
    vendor.goto(woodgrove_link)
    expect(vendor.get_by_role("heading", level=1)).to_have_text("This quote link cannot be used")
    expect(vendor.get_by_role("main")).to_contain_text(
        "A quote was already sent with this link. Contact the buyer to correct it."
    )

    # Procurement sees it in the comparison.
    buyer.goto(rfq_url)
    invitation = invitation_entry(buyer, "Woodgrove Systems")
    expect(invitation.locator(".invitation-state")).to_have_text("Quoted")
    expect(invitation).to_contain_text("through the link")
    expect(ranking_item(buyer, "Woodgrove Systems")).to_contain_text("$2,530.00")

    # To correct the quote, the vendor needs a new link: procurement re-issues it.
    buyer.on("dialog", lambda dialog: dialog.accept())
    invitation.get_by_role("button", name="Re-issue link").click()
    expect(buyer).to_have_url(rfq_url + "#invitations")
    expect(buyer.get_by_role("alert")).to_contain_text(
        "Woodgrove Systems has a new quote link; the earlier one no longer works."
    )
    new_link = invitation_entry(buyer, "Woodgrove Systems").locator(".invitation-link code")
    assert new_link.inner_text() != woodgrove_link
    vendor.goto(woodgrove_link)
    expect(vendor.get_by_role("main")).to_contain_text("replaced by a newer one")
    vendor.goto(new_link.inner_text())
    expect(vendor.get_by_role("heading", level=1)).to_have_text(f"Your quote for {rfq_number}")
