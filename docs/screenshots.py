"""Take the README's screenshots of the demo organisation in headless Chromium.

    .venv/bin/python docs/screenshots.py [OUTPUT_DIR]

Starts Procure with the demo data on a temporary SQLite file (the same server
the browser tests use, ``tests/e2e/live.py``), files a few more requests so that
the approver's inbox is not a single line, and writes ``login.png``,
``dashboard.png``, ``request.png``, ``approvals.png``, ``new-request.png``,
``budgets.png``, ``admin.png``, ``profile.png``, ``comparison.png``, ``order.png``,
``vendors.png``, ``report-spend.png``, ``phone-request.png``, ``vendor-quote.png``,
``admin-organisation.png``, ``login-sso.png``, ``admin-sign-in.png``,
``comparison-currencies.png``, ``rates.png``, ``invoice.png``, ``order-revised.png``,
``report-payables.png``, ``asset.png``, ``agreement.png``, ``phone-email.png``,
``phone-email-decision.png`` and ``admin-webhooks.png`` into ``docs/images/``.
Needs Chromium (Debian package ``chromium``, or ``PROCURE_CHROMIUM``).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the live server lives with the tests

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from tests.e2e.live import (  # noqa: E402
    ChromiumNotFound,
    LiveServer,
    find_chromium,
    launch_chromium,
    sign_in,
    start_live_server,
)

VIEWPORT = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
LOCALE = "en-US"  # the new-request form formats its live total in the browser's locale
REQUEST_TITLE = "Laptops for new developers"  # pending at its department step in the demo
RFQ_TITLE = "Backup storage expansion"  # the demo's open RFQ, three quotes to compare
ORDER_TITLE = "Docking stations for hot desks"  # an issued order of the demo
REVISED_TITLE = "Wireless access points for the annex"
CURRENCIES_TITLE = "Rack servers for the Frankfurt office"  # quoted in USD, EUR and GBP
HELD_INVOICE = "NW-2026-0360"  # the demo's laptop bags, invoiced before the filters came
ASSET_MANAGER = "alan@example.org"  # the demo's asset manager
ASSET_MODEL = "Latitude 5450 laptop"  # Ada's laptop, covered by a support contract
# Northwind's laptop agreement: five laptops called off for Ada, the order issued.
AGREEMENT_TITLE = "Standard laptops and workplace equipment"

# More requests waiting for Ian (IT's approver, standing in for Olivia of OPS in the
# demo): title, requester, lines (description, quantity, unit price, category).
WAITING = [
    (
        "Replacement UPS batteries",
        "ada@example.org",
        [("UPS battery module, 2U", "4", "310.00", "hardware")],
    ),
    (
        "Security awareness training",
        "ada@example.org",
        [("Online course, annual seat", "40", "18.50", "software")],
    ),
    (
        "Barcode scanners for the warehouse",
        "oscar@example.org",
        [("Handheld scanner with cradle", "6", "420.00", "hardware")],
    ),
]


def file_waiting_requests(server: LiveServer) -> None:
    """File and submit ``WAITING`` through the services, as the requesters would."""
    from decimal import Decimal

    from procure.auth.services import find_user_by_email
    from procure.db import write_intent
    from procure.extensions import db
    from procure.purchasing import services

    with server.app.app_context(), write_intent():
        for title, email, lines in WAITING:
            requester = find_user_by_email(email)
            pr = services.create_request(
                services.RequestData(
                    title=title,
                    lines=[
                        services.LineData(
                            description=description,
                            quantity=Decimal(quantity),
                            unit_price=Decimal(price),
                            category=category,
                        )
                        for description, quantity, price, category in lines
                    ],
                ),
                actor=requester,
            )
            services.submit(pr, actor=requester)
        db.session.commit()


def shoot(page: Page, path: Path) -> None:
    # Images and fonts in place first: the heading can show before the logo has loaded.
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=path, full_page=True, animations="disabled", caret="hide")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def take(page: Page, server: LiveServer, out: Path) -> None:
    page.goto(server.url + "/login")
    shoot(page, out / "login.png")

    # The approver of IT: demo requests wait for him.
    sign_in(page, server, "ian@example.org")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ian")
    shoot(page, out / "dashboard.png")

    # A request at its department step, as its approver sees it: the decision panel.
    page.goto(server.url + "/approvals")
    expect(page.get_by_role("row", name=WAITING[-1][0])).to_be_visible()
    shoot(page, out / "approvals.png")
    page.get_by_role("row", name=REQUEST_TITLE).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(REQUEST_TITLE)
    shoot(page, out / "request.png")

    # The same request on a phone: no sideways scrolling, the decision at hand.
    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_contain_text(REQUEST_TITLE)
    shoot(page, out / "phone-request.png")
    page.set_viewport_size(VIEWPORT)
    page.context.clear_cookies()

    # A requester's new request with two lines, the estimated total added up as typed.
    sign_in(page, server, "ada@example.org")
    page.goto(server.url + "/requests/new")
    page.get_by_label("Title").fill("Docking stations and monitors for the new desks")
    page.get_by_label("Justification").fill(
        "Four hot desks open on the second floor in May; each needs a dock and a screen."
    )
    page.get_by_label("Needed by").fill(f"{date.today().year + 1}-05-01")
    for number, (description, category, quantity, unit_price) in enumerate(
        [
            ("Thunderbolt 4 docking station", "Peripherals", "4", "289.00"),
            ('27" 4K monitor, height adjustable', "Hardware", "4", "389.00"),
        ],
        start=1,
    ):
        if number > 1:
            page.get_by_role("button", name="Add a line").click()
        row = page.get_by_role("group", name=f"Line {number}")
        row.get_by_label("Description").fill(description)
        row.get_by_label("Category").select_option(label=category)
        row.get_by_label("Quantity").fill(quantity)
        row.get_by_label("Unit price").fill(unit_price)
    expect(page.locator("[data-grand-total]")).to_have_text("2,712.00")
    page.locator(":focus").blur()
    shoot(page, out / "new-request.png")
    page.context.clear_cookies()

    # Finance's dashboard: the inbox, delegations, the year's department budgets.
    sign_in(page, server, "fiona@example.org")
    expect(page.locator('[data-tile="budgets"] svg.budget-bar').first).to_be_visible()
    shoot(page, out / "dashboard-finance.png")

    # Finance's view of this year's budgets.
    page.goto(server.url + "/budgets/")
    expect(page.locator("tr.budget-row").first).to_be_visible()
    shoot(page, out / "budgets.png")
    page.context.clear_cookies()

    sign_in(page, server, "adam@example.org")
    page.goto(server.url + "/admin")
    shoot(page, out / "admin.png")
    page.goto(server.url + "/admin/organisation")
    shoot(page, out / "admin-organisation.png")
    take_sign_in(page, server, out)
    page.context.clear_cookies()

    sign_in(page, server, "frank@example.org")
    page.goto(server.url + "/profile")
    page.get_by_label("Token name").fill("inventory sync")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("status")).to_be_visible()
    # Come back to the page as a user would later: the token by its hint only.
    page.goto(server.url + "/profile")
    shoot(page, out / "profile.png")
    page.context.clear_cookies()

    # Procurement: the open RFQ's comparison and ranking, an issued order, the register.
    sign_in(page, server, "paul@example.org")
    page.goto(server.url + "/rfqs?status=open")
    page.get_by_role("row", name=RFQ_TITLE).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(RFQ_TITLE)
    expect(page.locator(".ranking-item")).to_have_count(3)
    shoot(page, out / "comparison.png")

    # What a vendor sees behind their private link: who buys, what, the running total.
    link = page.locator(".invitation-link code").first.inner_text()
    vendor = page.context.browser.new_page(viewport=VIEWPORT, locale=LOCALE)
    vendor.goto(server.url + urlsplit(link).path)
    expect(vendor.get_by_role("heading", level=1)).to_be_visible()
    shoot(vendor, out / "vendor-quote.png")
    vendor.close()

    # The same comparison across currencies: each quote in its own, ranked in dollars.
    page.goto(server.url + "/rfqs?status=open")
    page.get_by_role("row", name=CURRENCIES_TITLE).get_by_role("link").first.click()
    expect(page.locator(".ranking-item")).to_have_count(3)
    shoot(page, out / "comparison-currencies.png")

    page.goto(server.url + "/orders/?status=issued")
    page.get_by_role("row", name=ORDER_TITLE).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("PO-")
    shoot(page, out / "order.png")

    # An order revised twice after issue, the second time beyond the tolerance: each
    # revision with why, what changed and its own PDF.
    page.goto(server.url + "/orders/")
    page.get_by_role("row", name=REVISED_TITLE).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("PO-")
    shoot(page, out / "order-revised.png")

    page.goto(server.url + "/vendors")
    expect(page.locator("tr.vendor-flagged").first).to_be_visible()
    shoot(page, out / "vendors.png")

    # A framework agreement: its items with what is ordered and what remains, the
    # ceiling consumed, and its call-off order.
    page.goto(server.url + "/agreements")
    page.get_by_role("row", name=AGREEMENT_TITLE).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("AG-")
    shoot(page, out / "agreement.png")
    page.context.clear_cookies()

    # The asset manager on Ada's laptop: serial, warranty, the support contract covering
    # it, the moves it allows and its story from the request to her desk.
    sign_in(page, server, ASSET_MANAGER)
    page.goto(server.url + "/assets?q=ada")
    page.locator("tr", has_text=ASSET_MODEL).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(ASSET_MODEL)
    shoot(page, out / "asset.png")
    page.context.clear_cookies()

    # Finance's spend report by category: the stacked bars and the table under them.
    sign_in(page, server, "fiona@example.org")
    page.goto(server.url + "/rates")
    shoot(page, out / "rates.png")
    page.goto(server.url + "/reports/spend?by=category")
    expect(page.locator("svg#spend-chart")).to_be_visible()
    shoot(page, out / "report-spend.png")

    # A vendor invoice held because more is invoiced than received: the three columns.
    page.goto(server.url + "/invoices/?status=on_hold")
    page.get_by_role("row", name=HELD_INVOICE).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("INV-")
    shoot(page, out / "invoice.png")
    page.goto(server.url + "/reports/payables")
    expect(page.locator("#ageing-chart")).to_be_visible()
    shoot(page, out / "report-payables.png")


def email_to_ian(server: LiveServer) -> tuple[str, str]:
    """The HTML of the "waits for you" e-mail Ian got for REQUEST_TITLE, and the path of
    its Approve button."""
    import re

    import sqlalchemy as sa

    from procure.extensions import db
    from procure.models import Notification, PurchaseRequest

    with server.app.app_context():
        note = db.session.scalars(
            sa.select(Notification)
            .join(PurchaseRequest, PurchaseRequest.id == Notification.entity_id)
            .where(
                Notification.kind == "step_pending",
                Notification.email == "ian@example.org",
                PurchaseRequest.title == REQUEST_TITLE,
            )
            .order_by(Notification.id.desc())
        ).first()
        approve = re.search(r"^Approve: \S+?(/act/\S+)$", note.body_text, re.M).group(1)
        return note.body_html, approve


def take_email_decision(browser, server: LiveServer, out: Path) -> None:
    """Ian's e-mail on a phone, and the page its Approve button opens (nobody signed in)."""
    html, approve = email_to_ian(server)
    phone = browser.new_page(viewport=PHONE, locale=LOCALE)
    phone.set_content(html)
    shoot(phone, out / "phone-email.png")
    phone.goto(server.url + approve)
    expect(phone.get_by_role("button", name="Approve")).to_be_visible()
    shoot(phone, out / "phone-email-decision.png")
    phone.close()


def take_webhooks(page: Page, server: LiveServer, out: Path) -> None:
    """Admin's webhook endpoints: the service desk's JSON and a Teams channel."""
    from procure.auth.services import find_user_by_email
    from procure.db import write_intent
    from procure.extensions import db
    from procure.webhooks import endpoints

    with server.app.app_context(), write_intent():
        admin = find_user_by_email("adam@example.org")
        endpoints.create(
            url="https://93.184.215.14/servicedesk/procure-events",
            secret="service-desk-shared-secret-2026",  # noqa: S106 -- a picture's
            events=["request.approved", "order.issued", "order.received"],
            description="Service desk: opens a ticket to set up what was bought",
            actor=admin,
        )
        endpoints.create(
            url="https://93.184.215.14/workflows/it-purchasing-channel",
            secret="",
            events=["request.submitted", "rfq.awarded", "invoice.on_hold"],
            kind="teams",
            description="IT purchasing channel in Teams",
            actor=admin,
        )
        db.session.commit()
    page.context.clear_cookies()
    sign_in(page, server, "adam@example.org")
    page.goto(server.url + "/admin/webhooks")
    shoot(page, out / "admin-webhooks.png")
    page.context.clear_cookies()


# What the company's identity provider would be: the pages only name it.
SSO_SETTINGS = {
    "PROCURE_OIDC_ISSUER": "https://login.northwind.example/realms/staff",
    "PROCURE_OIDC_CLIENT_ID": "procure",
    "PROCURE_OIDC_NAME": "Northwind account",
    "PROCURE_PASSWORD_LOGIN": False,
    "PROCURE_BREAK_GLASS": "adam@example.org",
}
SSO_MAPPING = (
    "procure-staff = requester\n"
    "procure-approvers = approver\n"
    "procure-approvers = requester\n"
    "finance-team = finance\n"
    "it-purchasing = procurement\n"
    "procure-admins = admin"
)


def take_sign_in(page: Page, server: LiveServer, out: Path) -> None:
    """Admin (signed in) maps the provider's groups to roles; then the sign-in page as
    everyone sees it once password sign-in is off."""
    saved = {key: server.app.config[key] for key in SSO_SETTINGS}
    server.app.config.update(SSO_SETTINGS)
    try:
        page.goto(server.url + "/admin/sign-in")
        page.get_by_label("Groups and the roles they give").fill(SSO_MAPPING)
        page.get_by_label("Whom to ask for access").fill("the IT service desk, extension 4444")
        page.get_by_role("button", name="Save the sign-in mapping").click()
        expect(page.get_by_role("alert").first).to_contain_text("saved")
        shoot(page, out / "admin-sign-in.png")
        login = page.context.browser.new_page(viewport=VIEWPORT, locale=LOCALE)
        login.goto(server.url + "/login")
        expect(login.get_by_role("link", name="Sign in with Northwind account")).to_be_visible()
        shoot(login, out / "login-sso.png")
        login.close()
    finally:
        server.app.config.update(saved)


def main(argv: list[str]) -> int:
    out = Path(argv[0]).resolve() if argv else ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    try:
        chromium = find_chromium()
    except ChromiumNotFound as exc:
        print(exc, file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="procure-screenshots-") as folder:
        server = start_live_server(Path(folder))
        try:
            file_waiting_requests(server)
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright, chromium)
                page = browser.new_page(viewport=VIEWPORT, locale=LOCALE)
                take(page, server, out)
                take_email_decision(browser, server, out)
                take_webhooks(page, server, out)
                browser.close()
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
