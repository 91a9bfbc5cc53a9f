"""Every page the app serves passes the Nu HTML Checker (``vnu.jar``): 0 errors.

The pages are found, not listed: the demo organisation is seeded, then each role
signs in and follows the links of its pages from the dashboard (up to
``PER_ENDPOINT`` addresses per page of the URL map: real documents, as that role
sees them), and sends every form it was shown with nothing filled in (the page
that comes back shows the form's validation errors; each such post is rolled
back). Sign-in, error pages and the vendors' quote pages are visited by hand. A
GET page of the URL map that nobody reached fails the test by name, so a new page
cannot be forgotten.

All the pages are then checked in one run of the validator (one Java start), and
the test fails with each error's page, line and message. Warnings are allowed.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import html
import re
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import render_template
from werkzeug.exceptions import HTTPException

from procure.db import write_intent
from procure.demo import DEMO_PASSWORD, seed_all
from procure.extensions import db as _db
from procure.invoices import links as invoice_links
from procure.models import (
    AttemptStatus,
    Notification,
    OrderStatus,
    PurchaseOrder,
    User,
)
from procure.webhooks import endpoints as webhooks

from . import checkers
from .report_support import fast_pdf  # noqa: F401 -- a fixture
from .webhook_support import logged_attempts

# The demo's people, one per role (and one who holds two).
PEOPLE = {
    "requester": "ada@example.org",
    "approver": "ian@example.org",
    "finance": "fiona@example.org",
    "procurement": "paul@example.org",
    "admin": "adam@example.org",
    "executive": "eve@example.org",
    "asset_manager": "alan@example.org",
    "security": "sam@example.org",
    "approver+requester": "olivia@example.org",
}
PER_ENDPOINT = 2
# Where each role starts following links: the dashboard, then lists of the documents
# in a state the dashboard's first links may not show (drafts can be edited).
STARTS = ["/", "/logout", "/requests?status=draft", "/contracts/?status=draft"]
BASE = "http://procure.test"  # the test app's PROCURE_BASE_URL: links in pages use it
# GET routes that answer something other than a page.
NOT_PAGES = {
    "static",
    "main.healthz",
    "main.livez",
    "main.readyz",
    "metrics",
    "orders.pdf",
    "invoices.pdf",
    "contracts.pdf",
    "contracts.signed_copy",
    "contracts.feed",
    "vendors.export",
    "vendors.document",
    "sourcing.quote_attachment",
    "assets.export_csv",
    "assets.labels_pdf",
    "assets.report_warranty_csv",
    # Reached through the catalogue's GET form; it only redirects to the request form.
    "agreements.request_item",
    # Sign-in through a provider: redirects to it and back (the sign-in page with the
    # providers' buttons and the refusal page are checked below), and SAML's XML metadata.
    "auth.oidc_login",
    "auth.oidc_callback",
    "auth.saml_login",
    "auth.saml_metadata",
}

_FORM = re.compile(r"<form\b([^>]*)>", re.I)
_ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
_HREF = re.compile(r'href="([^"#]*)')


@dataclasses.dataclass
class Page:
    who: str
    method: str
    url: str
    status: int
    endpoint: str
    body: str

    @property
    def label(self) -> str:
        return f"{self.who}: {self.method} {self.url} -> {self.status}"


class Visit:
    """What the roles saw: the pages, and the endpoints reached."""

    def __init__(self, app) -> None:
        self.app = app
        self.adapter = app.url_map.bind("procure.test")
        self.pages: list[Page] = []
        self.reached: set[str] = set()

    def endpoint(self, url: str, method: str = "GET") -> str | None:
        try:
            endpoint, _args = self.adapter.match(urlsplit(url).path, method=method)
        except HTTPException:
            return None
        if endpoint.startswith(("api.", "scim.")) or endpoint in NOT_PAGES:
            return None
        return endpoint

    def keep(self, who: str, method: str, url: str, response) -> Page | None:
        self.reached.add(self.endpoint(url, method) or "?")
        if response.mimetype != "text/html":
            return None
        if response.history:  # a form sent, and the page it led to
            shown = response.request.path
            url = f"{url} -> GET {shown}"
        else:
            shown = url
        endpoint = self.endpoint(shown) or self.endpoint(shown, method) or "?"
        page = Page(who, method, url, response.status_code, endpoint, response.get_data(True))
        self.pages.append(page)
        return page

    def crawl(self, who: str, client, start: str, seen: set[str]) -> list[str]:
        """Follow links from ``start`` to pages not ``seen`` yet, up to ``PER_ENDPOINT``
        of each; returns the forms' post addresses seen."""
        queue = collections.deque([start])
        taken: collections.Counter[str] = collections.Counter()
        forms: list[str] = []
        while queue:
            url = queue.popleft()
            endpoint = self.endpoint(url)
            if url in seen or endpoint is None or taken[endpoint] >= PER_ENDPOINT:
                continue
            seen.add(url)
            taken[endpoint] += 1
            page = self.keep(who, "GET", url, client.get(url))
            if page is None or page.status != 200:
                continue
            queue.extend(links(page.body))
            forms.extend(post_actions(page.body))
        return forms


def links(body: str) -> list[str]:
    found = []
    for href in _HREF.findall(body):
        href = html.unescape(href)
        if href.startswith(BASE + "/"):
            href = href[len(BASE) :]
        if href.startswith("/") and not href.startswith("//"):
            found.append(href)
    return found


def post_actions(body: str) -> list[str]:
    actions = []
    for attributes in _FORM.findall(body):
        fields = dict(_ATTRIBUTE.findall(attributes))
        if fields.get("method", "get").lower() == "post" and fields.get("action", "").startswith(
            "/"
        ):
            actions.append(html.unescape(fields["action"]))
    return actions


def sign_in(app, email: str):
    client = app.test_client()
    answer = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert answer.status_code == 302, f"{email} could not sign in"
    return client


def post_empty(visit: Visit, app, who: str, cookie: str | None, actions: list[str]) -> None:
    """Send each form with nothing filled in (once per kind of form), each in a
    savepoint rolled back afterwards; keep the page that comes back."""
    connection = _db.engine  # the test's connection (conftest's _transaction)
    done: set[str] = set()
    for action in actions:
        kind = re.sub(r"\d+", "N", action)
        if kind in done or visit.endpoint(action, "POST") is None:
            continue
        done.add(kind)
        client = app.test_client()
        if cookie:
            client.set_cookie("procure_session", cookie)
        savepoint = connection.begin_nested()
        try:
            response = client.post(action, data={}, follow_redirects=True)
            visit.keep(who, "POST", action, response)
        finally:
            savepoint.rollback()


def _webhook_with_a_log() -> None:
    """An endpoint whose page lists a delivered and a failed attempt (the demo has none)."""
    admin = _db.session.scalar(sa.select(User).where(User.email == PEOPLE["admin"]))
    endpoint = webhooks.create(
        url="https://93.184.215.14/hooks/<desk>?a=1&b=2",
        secret="validity-secret-0123456789",
        events=["request.approved", "order.issued"],
        kind="json",
        description="The service desk <tickets>",
        actor=admin,
    )
    logged_attempts(
        _db,
        endpoint.id,
        [(AttemptStatus.FAILED, 500, "Internal <error>"), (AttemptStatus.DELIVERED, 200, "")],
    )


def test_every_page_passes_the_nu_html_checker(app, tmp_path: Path, fast_pdf):  # noqa: F811
    checkers.require_nu()
    with write_intent():
        seed_all()
        _webhook_with_a_log()
        _db.session.commit()
    visit = Visit(app)

    for who, email in PEOPLE.items():
        client = sign_in(app, email)
        seen: set[str] = set()
        forms = [form for start in STARTS for form in visit.crawl(who, client, start, seen)]
        post_empty(visit, app, who, client.get_cookie("procure_session").value, forms)

    # Signed out: the sign-in form, empty and refused; a vendor's quote page, its
    # form refused, and a link that does not work.
    anonymous = app.test_client()
    visit.keep("anonymous", "GET", "/login", anonymous.get("/login"))
    refused = anonymous.post("/login", data={"email": "ada@example.org", "password": "wrong"})
    visit.keep("anonymous", "POST", "/login", refused)
    quote_pages = [
        page.url for page in visit.pages if page.endpoint == "sourcing.vendor_quote"
    ] or [link for page in visit.pages for link in links(page.body) if link.startswith("/quote/")]
    for url in quote_pages[:1]:
        visit.keep("vendor", "GET", url, anonymous.get(url))
        post_empty(visit, app, "vendor", None, [url])
    visit.keep(
        "vendor", "GET", "/quote/not-a-real-token", anonymous.get("/quote/not-a-real-token")
    )
    # A vendor's invoice link: the page, both its forms refused, a link that does not work.
    issued = _db.session.scalar(
        sa.select(PurchaseOrder)
        .where(
            PurchaseOrder.status == OrderStatus.ISSUED,
            PurchaseOrder.invoice_token_hash.is_not(None),
        )
        .order_by(PurchaseOrder.id)
    )
    url = urlsplit(invoice_links.current_link(issued)).path
    visit.keep("vendor", "GET", url, anonymous.get(url))
    post_empty(visit, app, "vendor", None, [url, url + "/einvoice"])
    visit.keep(
        "vendor", "GET", "/invoice/not-a-real-token", anonymous.get("/invoice/not-a-real-token")
    )
    # The e-mail's decision links: the confirmation page, a reject refused for want of a
    # reason (the form again), one opened in somebody else's session (409), and a link
    # that does not verify (404).
    notes = _db.session.scalars(
        sa.select(Notification)
        .where(Notification.kind == "step_pending", Notification.email == PEOPLE["approver"])
        .order_by(Notification.id.desc())
    )
    usable = (
        dict(re.findall(r"^(Approve|Reject): \S+?(/act/\S+)$", note.body_text, re.M))
        for note in notes
    )
    # A link still usable: the demo decided some of the steps it asked about.
    decide = next(d for d in usable if d and anonymous.get(d["Approve"]).status_code == 200)
    visit.keep("approver", "GET", decide["Approve"], anonymous.get(decide["Approve"]))
    page = anonymous.get(decide["Reject"])
    visit.keep("approver", "GET", decide["Reject"], page)
    refused = anonymous.post(decide["Reject"], data={"decision": "reject", "comment": ""})
    assert refused.status_code == 422
    visit.keep("approver", "POST", decide["Reject"], refused)
    someone_else = sign_in(app, PEOPLE["finance"])
    visit.keep("finance", "GET", decide["Approve"], someone_else.get(decide["Approve"]))
    visit.keep("anyone", "GET", "/act/not-a-real-token", anonymous.get("/act/not-a-real-token"))
    # With identity providers: their buttons, the password form folded away for the
    # break-glass admins, and a refused sign-in (a callback whose state does not match).
    app.config.update(
        PROCURE_OIDC_ISSUER="https://login.procure.test",
        PROCURE_OIDC_CLIENT_ID="procure",
        PROCURE_SAML_IDP_METADATA="idp-metadata.xml",
        PROCURE_PASSWORD_LOGIN=False,
    )
    try:
        providers = app.test_client()
        visit.keep("anonymous", "GET", "/login", providers.get("/login"))
        callback = "/login/oidc/callback?state=forged&code=x"
        visit.keep("anonymous", "GET", callback, providers.get(callback))
    finally:
        app.config.update(
            PROCURE_OIDC_ISSUER="",
            PROCURE_OIDC_CLIENT_ID="",
            PROCURE_SAML_IDP_METADATA="",
            PROCURE_PASSWORD_LOGIN=True,
        )

    # Error pages: not found, forbidden, a bad filter; and those no request here
    # can provoke, rendered as the error handlers do.
    requester = sign_in(app, PEOPLE["requester"])
    visit.keep("requester", "GET", "/requests/2000000000", requester.get("/requests/2000000000"))
    visit.keep("requester", "GET", "/reports/", requester.get("/reports/"))
    finance = sign_in(app, PEOPLE["finance"])
    visit.keep(
        "finance", "GET", "/reports/spend?by=colour", finance.get("/reports/spend?by=colour")
    )
    with app.test_request_context("/"):
        for template, context in (
            ("errors/500.html", {}),
            ("errors/503.html", {"message": "The database cannot be reached."}),
        ):
            body = render_template(template, **context)
            visit.pages.append(Page("anyone", "render", template, 0, template, body))

    get_pages = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.endpoint.startswith(("api.", "scim."))  # JSON: SCIM speaks its own
        and rule.endpoint not in NOT_PAGES
    }
    missing = sorted(get_pages - visit.reached)
    assert not missing, (
        f"no role reached these pages (link them, visit them here, or list them in "
        f"NOT_PAGES if they are not pages): {missing}"
    )

    files = []
    for number, page in enumerate(visit.pages):
        path = tmp_path / f"{number:04d}.html"
        path.write_text(page.body, encoding="utf-8")
        files.append(path)
    by_path = dict(zip(files, visit.pages, strict=True))
    # Each distinct error once per page of the URL map, with where it was seen first.
    grouped: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    for finding in checkers.nu_errors(files):
        page = by_path[finding.path]
        message = re.sub(r"^Bad value “[^”]*”", "Bad value “…”", finding.message)
        grouped[(page.endpoint, message)].append(
            f"{page.label}, line {finding.line}: {finding.extract[:160]!r}"
        )
    report = [
        f"{endpoint}: {message}\n    {len(seen)}× e.g. {seen[0]}"
        for (endpoint, message), seen in sorted(grouped.items())
    ]
    assert not report, (
        f"{len(report)} kinds of HTML error on {len({e for e, _m in grouped})} pages of the "
        f"{len(visit.pages)} checked:\n" + "\n".join(report)
    )
    assert len(visit.pages) > 100  # the crawl really ran


def test_a_time_element_says_its_time_to_the_second(app):
    with app.test_request_context("/"):
        rendered = app.jinja_env.from_string(
            '{% import "_macros.html" as ui %}{{ ui.datetime(at) }}'
        ).render(at=dt.datetime(2026, 3, 2, 9, 5, 7, 123456))
    assert '<time datetime="2026-03-02T09:05:07Z">' in rendered
