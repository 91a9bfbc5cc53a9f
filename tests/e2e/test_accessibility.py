"""axe-core finds no serious or critical violation on any page, as each role sees it.

Each role of the demo signs in and opens every page its navigation reaches (the
profile and the notifications included), then the key documents those pages link
to: a request, an RFQ with its comparison, an order, a contract, a vendor, and
every report. axe runs on each page as the browser shows it (at the desktop size,
scripts run); a failure names the page, the rule, its impact and the elements.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page

from procure.extensions import db
from procure.models import AttemptStatus, User
from procure.webhooks import endpoints as webhooks

from ..webhook_support import logged_attempts
from . import org
from .axe import Violation, violations
from .live import sign_in

pytestmark = pytest.mark.e2e

# The demo's people, one per role.
ROLES = {
    "requester": "ada@example.org",
    "approver": "ian@example.org",
    "finance": "fiona@example.org",
    "procurement": "paul@example.org",
    "admin": "adam@example.org",
    "executive": "eve@example.org",
    "asset_manager": "alan@example.org",
    "security": "sam@example.org",
}
# The documents the lists link to: of each kind the first and the last linked (a
# list's newest and oldest, in different states), every report.
DOCUMENTS = [
    re.compile(r"^/requests/\d+$"),
    re.compile(r"^/rfqs/\d+$"),
    re.compile(r"^/orders/\d+$"),
    re.compile(r"^/invoices/\d+$"),
    re.compile(r"^/contracts/\d+$"),
    re.compile(r"^/vendors/\d+$"),
    re.compile(r"^/assets/(?!reports\b|export\.csv|labels\.pdf)[^/?]+$"),
    re.compile(r"^/licences/\d+$"),
    re.compile(r"^/agreements/\d+$"),
]
REPORTS = re.compile(r"^/(reports|assets/reports)/[\w-]+$")


def links(page: Page, selector: str = "main a[href^='/']") -> list[str]:
    return page.locator(selector).evaluate_all("els => els.map(e => e.getAttribute('href'))")


def check(page: Page, url: str, who: str, found: list[Violation]) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    found.extend(violations(page, f"{who} on {url}"))


@pytest.mark.parametrize("role", ROLES)
def test_no_serious_violation_on_the_pages_a_role_reaches(
    new_page: Callable[..., Page], live_server, role: str
) -> None:
    # axe is injected as a script of its own: the pages' policy allows none.
    page = new_page(bypass_csp=True)
    sign_in(page, live_server, ROLES[role])
    start = [
        url
        for url in links(page, "nav[aria-label='Main'] a[href^='/']")
        if not url.startswith("/logout")
    ]
    assert len(start) >= 4, start
    found: list[Violation] = []
    linked: list[str] = []
    for url in dict.fromkeys(start):
        check(page, live_server.url + url, role, found)
        linked += links(page)
    documents = [href for href in dict.fromkeys(linked) if REPORTS.match(href)]
    for pattern in DOCUMENTS:
        kind = [href for href in dict.fromkeys(linked) if pattern.match(href)]
        documents += list(dict.fromkeys(kind[:1] + kind[-1:]))
    for url in documents:
        check(page, live_server.url + url, role, found)
    print(f"{role}: axe ran on {len(set(start)) + len(documents)} pages: {start + documents}")
    assert not found, f"{len(found)} serious or critical violations:\n" + "\n".join(
        str(violation) for violation in found
    )


# What procurement does to an order after issue: no list links these forms.
ORDER_FORMS = re.compile(r"^/orders/\d+/(revise|return|receipts/\d+/reverse)$")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_no_serious_violation_on_the_forms_of_an_issued_order(
    new_page: Callable[..., Page], live_server, size: str
) -> None:
    viewport = {"width": 390, "height": 844} if size == "phone" else None
    page = new_page(bypass_csp=True, **({"viewport": viewport} if viewport else {}))
    sign_in(page, live_server, ROLES["procurement"])
    page.goto(live_server.url + "/orders/")
    orders = [href for href in links(page) if re.match(r"^/orders/\d+$", href)]
    forms: dict[str, str] = {}
    for url in dict.fromkeys(orders):
        page.goto(live_server.url + url)
        for href in links(page):
            match = ORDER_FORMS.match(href)
            if match:
                forms.setdefault(match.group(1).split("/")[0], href)
        if len(forms) == 3:
            break
    assert set(forms) == {"revise", "return", "receipts"}, forms
    found: list[Violation] = []
    for url in forms.values():
        check(page, live_server.url + url, f"procurement ({size})", found)
        if size == "phone":
            assert page.evaluate("document.documentElement.scrollWidth <= 390"), url
    assert not found, f"{len(found)} serious or critical violations:\n" + "\n".join(
        str(violation) for violation in found
    )


def test_no_serious_violation_on_the_sign_in_page(new_page: Callable[..., Page], live_server):
    page = new_page(bypass_csp=True)
    found: list[Violation] = []
    check(page, live_server.url + "/login", "anonymous", found)
    page.get_by_label("E-mail").fill("nobody@example.org")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    found.extend(violations(page, "anonymous after a refused sign-in"))
    assert not found, "\n".join(str(violation) for violation in found)


# The administration's settings pages, which no navigation bar links: at the desktop
# size and on a phone, where none may scroll sideways.
ADMIN_PAGES = [
    "/admin",
    "/admin/users",
    "/admin/policy",
    "/admin/organisation",
    "/admin/invoices",
    "/admin/orders",
    "/admin/assets",
    "/admin/request-types",
    "/admin/webhooks",
    "/invoices/import",
    "/admin/sign-in",
    "/admin/scim",
    "/admin/currencies",
    "/rates",
    "/rates?currency=EUR",
]


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_no_serious_violation_on_the_administration_pages(
    new_page: Callable[..., Page], live_server, size: str
) -> None:
    viewport = {"width": 390, "height": 844} if size == "phone" else None
    page = new_page(bypass_csp=True, **({"viewport": viewport} if viewport else {}))
    sign_in(page, live_server, ROLES["admin"])
    found: list[Violation] = []
    for url in ADMIN_PAGES:
        check(page, live_server.url + url, f"admin ({size})", found)
        assert page.title() != "Not found · Procure", url
        if size == "phone":
            width, screen = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]"
            )
            assert width <= screen, f"{url} is {width} px wide on a {screen} px screen"
    assert not found, "\n".join(str(violation) for violation in found)


def _webhook_endpoint(live_server) -> int:
    """An endpoint with a failed and a delivered attempt in its log (the demo has none)."""
    with org.writing(live_server):
        admin = db.session.scalar(sa.select(User).where(User.email == ROLES["admin"]))
        endpoint = webhooks.create(
            url="https://93.184.215.14/hooks/service-desk/" + "x" * 120,
            secret="axe-webhook-secret-0123456789",
            events=["request.approved", "order.issued", "invoice.on_hold"],
            kind="slack",
            description="Posts approvals to the service desk channel",
            actor=admin,
        )
        logged_attempts(
            db,
            endpoint.id,
            [
                (AttemptStatus.FAILED, 500, "HTTP 500: upstream timed out"),
                (AttemptStatus.DELIVERED, 200, ""),
            ],
        )
        return endpoint.id


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_no_serious_violation_on_a_webhook_endpoints_page(
    new_page: Callable[..., Page], live_server, size: str
) -> None:
    endpoint_id = _webhook_endpoint(live_server)
    viewport = {"width": 390, "height": 844} if size == "phone" else None
    page = new_page(bypass_csp=True, **({"viewport": viewport} if viewport else {}))
    sign_in(page, live_server, ROLES["admin"])
    found: list[Violation] = []
    for url in ("/admin/webhooks", f"/admin/webhooks/{endpoint_id}"):
        check(page, live_server.url + url, f"admin ({size})", found)
        width, screen = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= screen, f"{url} is {width} px wide on a {screen} px screen"
    assert not found, "\n".join(str(violation) for violation in found)


# The asset register as its keeper sees it, and what a contract covers: at the desktop
# size and on a phone, where none may scroll sideways.
ASSET_PAGES = re.compile(r"^/(assets/(?!export\.csv|labels\.pdf)[^?]+|licences/\d+)$")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_no_serious_violation_on_the_asset_pages(
    new_page: Callable[..., Page], live_server, size: str
) -> None:
    viewport = {"width": 390, "height": 844} if size == "phone" else None
    page = new_page(bypass_csp=True, **({"viewport": viewport} if viewport else {}))
    sign_in(page, live_server, ROLES["asset_manager"])
    found: list[Violation] = []
    urls = ["/assets", "/licences", "/assets/reports"]
    for start in list(urls):
        page.goto(live_server.url + start)
        kind = [href for href in dict.fromkeys(links(page)) if ASSET_PAGES.match(href)]
        urls += kind[:3]
    assert len(urls) >= 8, urls
    for url in dict.fromkeys(urls):
        _check_fits(page, live_server.url + url, f"asset manager ({size})", size, found)
    # What a support contract covers, as procurement chooses it.
    buyer = new_page(bypass_csp=True, **({"viewport": viewport} if viewport else {}))
    sign_in(buyer, live_server, ROLES["procurement"])
    buyer.goto(live_server.url + "/contracts/")
    contracts = [href for href in links(buyer) if re.match(r"^/contracts/\d+$", href)]
    coverage = []
    for url in dict.fromkeys(contracts):
        buyer.goto(live_server.url + url)
        coverage = [href for href in links(buyer) if href.endswith("/coverage")]
        if coverage:
            break
    assert coverage, contracts
    _check_fits(buyer, live_server.url + coverage[0], f"procurement ({size})", size, found)
    assert not found, "\n".join(str(violation) for violation in found)


def _check_fits(page: Page, url: str, who: str, size: str, found: list[Violation]) -> None:
    check(page, url, who, found)
    assert page.title() != "Not found · Procure", url
    if size == "phone":
        width, screen = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= screen, f"{url} is {width} px wide on a {screen} px screen"
