"""What every answer says about caching and embedding, and which hosts are answered
(issue 15, point 22)."""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path

import icalendar
import pytest
import sqlalchemy as sa

from procure import attachments, config, create_app, demo
from procure.contracts import calendar
from procure.models import (
    Asset,
    Contract,
    Invoice,
    Notification,
    PurchaseOrder,
    Quote,
    Role,
    VendorDocument,
)
from procure.vendors.demo import tiny_pdf

from .factories import PASSWORD

PRIVATE = "private, no-store"
ROOT = Path(__file__).resolve().parent.parent


def sign_in(client, email: str, headers: dict | None = None) -> None:
    answer = client.post("/login", data={"email": email, "password": PASSWORD}, headers=headers)
    assert answer.status_code == 302, answer.status_code


def fetch(client, url: str, **kwargs):
    """GET ``url`` and close the answer (files are streamed from disk)."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def assert_private(response, where: str) -> None:
    assert response.headers.get("Cache-Control") == PRIVATE, (where, response.headers)
    assert response.headers.get("Cross-Origin-Resource-Policy") == "same-origin", where


# Downloads ---------------------------------------------------------------------------------


@pytest.fixture
def downloads(app, db, make):
    """Every kind of download the app answers, with a document of each on disk."""
    demo.seed_all()
    admin = make.user([role.value for role in Role], department="IT", name="Ada Admin")
    order = db.session.scalar(
        sa.select(PurchaseOrder).where(PurchaseOrder.pdf_attachment_id.is_not(None)).limit(1)
    )
    contract = db.session.scalar(sa.select(Contract).order_by(Contract.id).limit(1))
    document = db.session.scalar(sa.select(VendorDocument).order_by(VendorDocument.id).limit(1))
    quote = db.session.scalar(sa.select(Quote).order_by(Quote.id).limit(1))
    invoice = db.session.scalar(
        sa.select(Invoice).where(Invoice.pdf_attachment_id.is_not(None)).order_by(Invoice.id)
    )
    asset = db.session.scalar(sa.select(Asset).order_by(Asset.id).limit(1))
    assert order and contract and document and quote and invoice and asset, (
        "the demo has every kind"
    )
    signed = tiny_pdf("Signed contract", contract.number)
    contract.signed_copy = attachments.store_bytes(
        signed, "signed.pdf", "application/pdf", user=admin
    )
    quote.attachment = attachments.store_bytes(
        tiny_pdf("Quote", "Acme"), "quote.pdf", "application/pdf", user=admin
    )
    feed = calendar.issue_feed_token(admin)
    db.session.commit()
    return {
        "admin": admin,
        "token": make.token(admin),
        "urls": {
            "order PDF": (f"/orders/{order.id}/pdf", "application/pdf"),
            "order PDF (API)": (f"/api/v1/orders/{order.id}/pdf", "application/pdf"),
            "contract PDF": (f"/contracts/{contract.id}/pdf", "application/pdf"),
            "contract PDF (API)": (f"/api/v1/contracts/{contract.id}/pdf", "application/pdf"),
            "signed contract": (f"/contracts/{contract.id}/signed-copy", "application/pdf"),
            "vendor document": (
                f"/vendors/{document.vendor_id}/documents/{document.id}",
                "application/pdf",
            ),
            "quote attachment": (
                f"/rfqs/{quote.rfq_id}/quotes/{quote.id}/attachment",
                "application/pdf",
            ),
            "invoice PDF": (f"/invoices/{invoice.id}/pdf", "application/pdf"),
            "invoice PDF (API)": (f"/api/v1/invoices/{invoice.id}/pdf", "application/pdf"),
            "payment CSV (API)": ("/api/v1/invoices/export.csv?status=approved", "text/csv"),
            "vendors CSV": ("/vendors/export.csv", "text/csv"),
            "spend CSV": ("/reports/spend.csv", "text/csv"),
            "savings CSV": ("/reports/savings.csv", "text/csv"),
            "cycle-time CSV": ("/reports/cycle-time.csv", "text/csv"),
            "vendors report CSV": ("/reports/vendors.csv", "text/csv"),
            "split purchases CSV": ("/reports/split-purchases.csv", "text/csv"),
            "price variance CSV": ("/reports/price-variance.csv", "text/csv"),
            "payables CSV": ("/reports/payables.csv", "text/csv"),
            "exchange differences CSV": ("/reports/exchange-differences.csv", "text/csv"),
            "calendar feed": (f"/contracts/calendar.ics?token={feed}", "text/calendar"),
            "assets CSV": ("/assets/export.csv?format=snipeit", "text/csv"),
            "assets CSV (API)": ("/api/v1/assets/export.csv?format=glpi", "text/csv"),
            "warranty report CSV": ("/assets/reports/warranty.csv", "text/csv"),
            "asset labels": (f"/assets/labels.pdf?ids={asset.id}", "application/pdf"),
            "asset labels (API)": (f"/api/v1/assets/labels.pdf?ids={asset.id}", "application/pdf"),
        },
    }


def test_every_download_is_private_and_not_embeddable(client, downloads):
    sign_in(client, downloads["admin"].email)
    bearer = {"Authorization": f"Bearer {downloads['token']}"}
    for kind, (url, mimetype) in downloads["urls"].items():
        response = fetch(client, url, headers=bearer if url.startswith("/api/") else {})
        assert response.status_code == 200, (kind, response.status_code)
        assert response.mimetype == mimetype, (kind, response.mimetype)
        assert_private(response, kind)


def test_every_download_route_is_covered(app, downloads):
    """A new download route joins the list above, or this fails."""
    kinds = re.compile(r"(\.csv|\.ics|\.pdf|/pdf|/attachment|/signed-copy|/documents/<)")
    routes = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and kinds.search(rule.rule)
    }
    covered = set()
    for url, _mimetype in downloads["urls"].values():
        path = url.split("?")[0]
        covered |= {
            rule for rule in routes if re.fullmatch(re.sub(r"<[^>]+>", r"[^/]+", rule), path)
        }
    assert routes == covered, sorted(routes - covered)


# Every answer: pages, API, errors, static files ---------------------------------------------


def test_a_page_is_private_and_not_embeddable(client, make):
    sign_in(client, make.user().email)
    assert_private(client.get("/"), "dashboard")
    assert_private(client.get("/login"), "sign-in page")


def test_an_api_answer_is_private_and_not_embeddable(api, make):
    answer = api(make.user()).get("/api/v1/me")
    assert answer.status_code == 200
    assert_private(answer, "API")


def test_error_answers_are_not_embeddable(app, client, make, monkeypatch):
    sign_in(client, make.user().email)
    for url in ("/no-such-page", "/api/v1/no-such-thing", "/api/v1/me"):
        response = client.get(url)
        assert response.status_code in {401, 404}, url
        assert_private(response, url)

    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setitem(app.view_functions, "main.healthz", broken)
    monkeypatch.setattr(logging.getLogger("procure"), "disabled", True)
    failed = client.get("/healthz")
    assert failed.status_code == 500
    assert_private(failed, "500")


def test_a_static_file_is_not_embeddable_but_may_be_cached(client):
    response = fetch(client, "/static/css/app.css")
    assert response.status_code == 200
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert "no-store" not in response.headers.get("Cache-Control", "")


# Hosts -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"PROCURE_BASE_URL": "https://buy.example.org"}, ["buy.example.org", "localhost"]),
        (
            {
                "PROCURE_BASE_URL": "https://buy.example.org:8443/procure",
                "PROCURE_ENV": "production",
            },
            ["buy.example.org"],
        ),
        (
            {
                "PROCURE_BASE_URL": "https://buy.example.org",
                "PROCURE_TRUSTED_HOSTS": " A.example, b.example,",
            },
            ["a.example", "b.example"],
        ),
    ],
)
def test_the_trusted_hosts_follow_the_settings(settings, expected):
    hosts = config.trusted_hosts(settings)
    assert hosts[: len(expected)] == expected
    assert ("127.0.0.1" in hosts) == ("localhost" in expected)


def test_the_environment_sets_the_trusted_hosts(monkeypatch, tmp_path):
    monkeypatch.setenv("PROCURE_TRUSTED_HOSTS", "buy.example.org,.buy.example.org")
    monkeypatch.setenv("PROCURE_ENV", "production")
    monkeypatch.setenv("PROCURE_BASE_URL", "https://buy.example.org")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "k"})
    assert app.config["TRUSTED_HOSTS"] == ["buy.example.org", ".buy.example.org"]
    client = app.test_client()
    assert client.get("/livez", headers={"Host": "localhost"}).status_code == 400
    answer = client.get("/no-such-page", headers={"Host": "eu.buy.example.org"})
    assert answer.status_code == 404


@pytest.mark.parametrize("host", ["evil.example", "procure.test.evil.example", "evil.example:80"])
def test_a_page_for_another_host_is_400(client, make, host, caplog):
    sign_in(client, make.user().email)
    answer = client.get("/", headers={"Host": host})
    assert answer.status_code == 400
    assert answer.mimetype == "text/html"
    page = answer.get_data(as_text=True)
    assert "does not answer for that host" in page and "evil" not in page
    assert_private(answer, host)
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert any("untrusted_host" in record.getMessage() for record in caplog.records)


def test_a_form_post_for_another_host_changes_nothing(client, make, db):
    user = make.user()
    db.session.commit()
    answer = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"Host": "evil.example"},
    )
    assert answer.status_code == 400
    assert "Set-Cookie" not in answer.headers


def test_an_api_call_for_another_host_is_a_json_400(api, make):
    answer = api(make.user()).get("/api/v1/me", headers={"Host": "evil.example"})
    assert answer.status_code == 400
    assert answer.get_json() == {
        "error": {
            "code": "bad_request",
            "message": "This server does not answer for that host name.",
        }
    }
    assert_private(answer, "API 400")


@pytest.mark.parametrize("host", ["procure.test", "localhost", "127.0.0.1:5000"])
def test_the_configured_and_local_hosts_are_answered(client, host):
    assert client.get("/login", headers={"Host": host}).status_code == 200


# Links are built from PROCURE_BASE_URL only ------------------------------------------------


ALIAS = "alias.internal"


@pytest.fixture
def alias(app, monkeypatch):
    """A host the server answers for that is not the one of PROCURE_BASE_URL."""
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", [*app.config["TRUSTED_HOSTS"], ALIAS])
    return {"Host": ALIAS}


def test_no_page_echoes_the_requests_host(app, client, db, make, alias):
    demo.seed_all()
    admin = make.user([role.value for role in Role], department="IT")
    db.session.commit()
    sign_in(client, admin.email, headers=alias)
    adapter = app.url_map.bind("procure.test")
    seen = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.rule.startswith("/api"):
            continue
        if rule.endpoint == "auth.logout":
            continue
        response = fetch(client, adapter.build(rule.endpoint, method="GET"), headers=alias)
        seen += response.status_code == 200
        assert ALIAS not in response.get_data(as_text=True), rule.rule
        assert ALIAS not in response.headers.get("Location", ""), rule.rule
    assert seen > 20


def test_the_calendar_feed_links_use_the_base_url(client, db, make, alias):
    demo.seed_all()
    admin = make.user([role.value for role in Role], department="IT")
    db.session.commit()
    sign_in(client, admin.email, headers=alias)
    page = client.post("/contracts/calendar/feed", headers=alias, follow_redirects=True)
    text = page.get_data(as_text=True)
    link = re.search(r"(https?://[^\s<\"]+calendar\.ics\?token=[\w-]+)", text)
    assert link is not None and link.group(1).startswith("http://procure.test/contracts/")
    assert ALIAS not in text

    feed = client.get(link.group(1).removeprefix("http://procure.test"), headers=alias)
    assert feed.status_code == 200
    events = list(icalendar.Calendar.from_ical(feed.data).walk("VEVENT"))
    assert events
    for event in events:
        assert str(event["url"]).startswith("http://procure.test/contracts/"), event["url"]


def test_an_email_link_uses_the_base_url(api, db, make, alias):
    requester = make.user(["requester"], department="IT")
    approver = make.user(["approver"], department="IT")
    caller = api(requester)
    created = caller.post(
        "/api/v1/requests",
        json={
            "title": "Docking stations",
            "justification": "New desks.",
            "lines": [
                {"description": "Dock", "category": "hardware", "quantity": 2, "unit_price": "150"}
            ],
        },
        headers=alias,
    )
    assert created.status_code == 201, created.get_json()
    submitted = caller.post(f"/api/v1/requests/{created.get_json()['id']}/submit", headers=alias)
    assert submitted.status_code == 200, submitted.get_json()
    messages = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == approver.id)
    )
    messages = list(messages)
    assert messages, "the approver is told"
    for message in messages:
        assert message.link.startswith("http://procure.test/requests/")
        assert message.link in message.body_text
        assert ALIAS not in message.body_text + message.body_html


def test_no_module_builds_a_link_from_the_requests_host():
    """``url_for(..., _external=True)`` echoes the Host header: ``security.external_url``
    builds absolute links from PROCURE_BASE_URL instead."""
    found = []
    for path in (ROOT / "procure").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "_external":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    for path in (ROOT / "templates").rglob("*"):
        if path.is_file() and "_external" in path.read_text():
            found.append(str(path.relative_to(ROOT)))
    assert found == []
