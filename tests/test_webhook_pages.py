"""The admin's webhook pages: the endpoints and the form to add one on
``/admin/webhooks``, one endpoint's details and delivery log on ``/admin/webhooks/<id>``,
deleting it; admin only, CSRF checked."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from procure.models import (
    AttemptStatus,
    AuditEvent,
    WebhookEndpoint,
)
from procure.pagination import PAGE_SIZE
from procure.webhooks import endpoints

from .pages import csrf_token, field_errors, flashes, text
from .webhook_support import logged_attempts

PUBLIC = "https://93.184.216.34/hooks/procure"
SECRET = "a-secret-of-enough-length"
FIRST = dt.datetime(2026, 3, 2, 9, 0)


@pytest.fixture
def admin(make):
    return make.user(["admin"], department="ADM", name="Ada Admin")


def signed_in(app, user):
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    return client


def registered(admin, db, **changes) -> WebhookEndpoint:
    data = {"url": PUBLIC, "secret": SECRET, "events": ["order.issued"]}
    data.update(changes)
    endpoint = endpoints.create(**data, actor=admin)
    db.session.commit()
    return endpoint


def attempts(db, endpoint, count: int, *, status=AttemptStatus.DELIVERED, code=200):
    """``count`` attempts of one event on ``endpoint``'s log, a minute apart; the event."""
    error = "" if code == 200 else "the receiver answered 503"
    event = logged_attempts(
        db, endpoint.id, [(status, code, error)] * count, event_type="order.issued", at=FIRST
    )
    db.session.commit()
    return event


def test_the_list_shows_each_endpoint_and_its_last_delivery(app, admin, db):
    quiet = registered(admin, db, description="Accounting")
    busy = registered(admin, db, url="https://93.184.216.35/x", kind="slack", secret="")
    attempts(db, busy, 2, status=AttemptStatus.FAILED, code=503)
    page = signed_in(app, admin).get("/admin/webhooks")
    assert page.status_code == 200
    shown = text(page)
    assert quiet.url in shown and "Accounting" in shown and "None yet" in shown
    assert busy.url in shown and "Slack" in shown and "Failed" in shown
    assert "order.issued — A purchase order is issued to its vendor" in shown
    assert SECRET not in page.get_data(as_text=True)


def test_the_admin_page_links_to_webhooks(app, admin):
    page = signed_in(app, admin).get("/admin/")
    assert 'href="/admin/webhooks"' in page.get_data(as_text=True)


def test_adding_with_errors_shows_each_beside_its_field(app, admin, db):
    client = signed_in(app, admin)
    answer = client.post(
        "/admin/webhooks",
        data={
            "url": "ftp://example.org/x",
            "kind": "json",
            "secret": "short",
            "events": ["request.approved", "request.exploded"],
            "description": "d" * 201,
        },
    )
    assert answer.status_code == 422
    assert field_errors(answer, "url") == ["Only http:// and https:// URLs can receive webhooks."]
    assert field_errors(answer, "secret")
    assert field_errors(answer, "description")
    body = answer.get_data(as_text=True)
    assert 'id="events-errors"' in body and "request.exploded" in body
    # What was typed stays, but the secret.
    assert 'value="ftp://example.org/x"' in body and "short" not in body
    assert 'value="request.approved" checked' in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 0


def test_a_private_address_and_no_event_are_refused(app, admin, db):
    answer = signed_in(app, admin).post(
        "/admin/webhooks",
        data={"url": "http://169.254.169.254/latest", "kind": "json", "secret": SECRET},
    )
    assert answer.status_code == 422
    assert "private, loopback or link-local" in field_errors(answer, "url")[0]
    assert "Choose at least one event." in answer.get_data(as_text=True)


def test_adding_an_endpoint(app, admin, db):
    client = signed_in(app, admin)
    answer = client.post(
        "/admin/webhooks",
        data={
            "url": PUBLIC,
            "kind": "teams",
            "secret": SECRET,
            "events": ["request.approved", "invoice.paid"],
            "description": "Finance channel",
        },
    )
    assert answer.status_code == 302
    endpoint = db.session.scalar(sa.select(WebhookEndpoint))
    assert answer.headers["Location"] == f"/admin/webhooks/{endpoint.id}"
    assert (endpoint.kind, endpoint.events, endpoint.description) == (
        "teams",
        ["request.approved", "invoice.paid"],
        "Finance channel",
    )
    assert endpoints.unseal(endpoint) == SECRET and SECRET not in endpoint.secret_sealed
    page = client.get(answer.headers["Location"])
    assert "The webhook endpoint is added: the events it wants are sent to it." in flashes(page)
    assert SECRET not in page.get_data(as_text=True)


def test_the_detail_shows_the_log_latest_first_and_pages(app, admin, db):
    endpoint = registered(admin, db)
    event = attempts(db, endpoint, PAGE_SIZE + 2, status=AttemptStatus.FAILED, code=503)
    client = signed_in(app, admin)
    page = client.get(f"/admin/webhooks/{endpoint.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert body.count('class="attempt-row"') == PAGE_SIZE
    times = re.findall(r'<tr class="attempt-row">\s*<td><time datetime="([^"]+)"', body)
    assert len(times) == PAGE_SIZE and times == sorted(times, reverse=True)
    assert times[0].startswith(f"2026-03-02T09:{PAGE_SIZE + 1:02d}")
    shown = text(page)
    assert "Microsoft" not in shown and "JSON (signed)" in shown
    assert event.uid in shown and "the receiver answered 503" in shown and "503" in shown
    # On a phone the error column is hidden: the error shows under the event instead.
    assert 'd-md-none small text-body-secondary text-break">the receiver answered 503' in body
    assert 'rel="next"' in body
    second = client.get(
        body.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    )
    assert second.get_data(as_text=True).count('class="attempt-row"') == 2


def test_an_empty_log_says_so(app, admin, db):
    endpoint = registered(admin, db)
    page = signed_in(app, admin).get(f"/admin/webhooks/{endpoint.id}")
    assert "Nothing has been sent to this endpoint yet." in text(page)


def test_deleting_goes_back_to_the_list_with_a_flash(app, admin, db):
    endpoint = registered(admin, db)
    client = signed_in(app, admin)
    page = client.get(f"/admin/webhooks/{endpoint.id}")
    assert "data-confirm=" in page.get_data(as_text=True)
    answer = client.post(f"/admin/webhooks/{endpoint.id}/delete")
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/webhooks"
    listing = client.get("/admin/webhooks")
    assert "The webhook endpoint is deleted: nothing more is sent to it." in flashes(listing)
    assert "No webhook endpoint yet" in text(listing)
    assert client.get(f"/admin/webhooks/{endpoint.id}").status_code == 404
    assert client.post(f"/admin/webhooks/{endpoint.id}/delete").status_code == 404
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(
            AuditEvent.entity == "webhook", AuditEvent.entity_id == endpoint.id
        )
    ).all()
    assert sorted(actions) == ["create", "delete"]


def test_an_unknown_endpoint_is_a_404(app, admin):
    assert signed_in(app, admin).get("/admin/webhooks/424242").status_code == 404


@pytest.mark.parametrize(
    "role", ["requester", "approver", "finance", "executive", "procurement", "asset_manager"]
)
def test_others_are_refused_everywhere(app, admin, db, make, role):
    endpoint = registered(admin, db)
    client = signed_in(app, make.user([role]))
    answers = [
        client.get("/admin/webhooks"),
        client.post("/admin/webhooks", data={"url": PUBLIC, "secret": SECRET, "events": "x"}),
        client.get(f"/admin/webhooks/{endpoint.id}"),
        client.post(f"/admin/webhooks/{endpoint.id}/delete"),
    ]
    assert [answer.status_code for answer in answers] == [403, 403, 403, 403]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 1
    db.session.refresh(endpoint)
    assert endpoint.deleted_at is None


def test_nobody_signed_in_is_sent_to_sign_in(client):
    answer = client.get("/admin/webhooks")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")


def test_without_the_csrf_token_nothing_changes(app, admin, db, monkeypatch):
    endpoint = registered(admin, db)
    client = signed_in(app, admin)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # as in production
    form = {"url": PUBLIC, "kind": "json", "secret": SECRET, "events": ["order.issued"]}
    assert client.post("/admin/webhooks", data=form).status_code == 400
    assert client.post(f"/admin/webhooks/{endpoint.id}/delete").status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 1
    db.session.refresh(endpoint)
    assert endpoint.deleted_at is None
    page = client.get("/admin/webhooks")
    added = client.post(
        "/admin/webhooks",
        data={**form, "url": "https://93.184.216.35/y", "csrf_token": csrf_token(page)},
    )
    assert added.status_code == 302
    detail = client.get(f"/admin/webhooks/{endpoint.id}")
    deleted = client.post(
        f"/admin/webhooks/{endpoint.id}/delete", data={"csrf_token": csrf_token(detail)}
    )
    assert deleted.status_code == 302
    db.session.refresh(endpoint)
    assert endpoint.deleted_at is not None
