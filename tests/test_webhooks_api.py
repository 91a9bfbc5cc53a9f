"""Webhook endpoints through the API (API.md, "Decisions by e-mail, webhooks"): admin
registers, lists, deletes them and reads their delivery log; nobody else may, and the
secret never comes back out, nor sits in the database in clear."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from procure.models import (
    AttemptStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from procure.webhooks import delivery, endpoints

from .webhook_receiver import Receiver
from .webhook_support import approved_request, logged_attempts

SECRET = "s3cret-signing-key-for-tests"
PUBLIC = "https://93.184.216.34/hooks/procure"
NON_ADMIN_ROLES = [
    "requester",
    "approver",
    "finance",
    "executive",
    "procurement",
    "asset_manager",
    "security",
]


@pytest.fixture
def admin(make):
    return make.user(["admin"], name="Ada Admin")


@pytest.fixture
def allow_private(app):
    app.config["PROCURE_WEBHOOK_ALLOW_PRIVATE"] = True
    yield
    app.config["PROCURE_WEBHOOK_ALLOW_PRIVATE"] = False


def body(**changes):
    data = {"url": PUBLIC, "secret": SECRET, "events": ["request.approved"]}
    data.update(changes)
    return data


def register(api, admin, **changes) -> int:
    answer = api(admin).post("/api/v1/webhooks", json=body(**changes))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def test_admin_registers_an_endpoint_and_reads_it_in_the_list(api, admin, db):
    answer = api(admin).post(
        "/api/v1/webhooks",
        json=body(events=["order.issued", "request.approved"], description="Service desk"),
    )
    assert answer.status_code == 201
    assert set(answer.get_json()) == {"id"}
    listed = api(admin).get("/api/v1/webhooks").get_json()
    assert listed["total"] == 1
    (item,) = listed["items"]
    assert item["id"] == answer.get_json()["id"]
    assert item["url"] == PUBLIC
    assert item["kind"] == "json"  # the default
    assert item["events"] == ["order.issued", "request.approved"]
    assert item["description"] == "Service desk"
    assert item["created_by"] == {"id": admin.id, "name": "Ada Admin", "email": admin.email}
    assert item["created_at"].endswith("Z")
    assert item["last_delivery"] is None


@pytest.mark.parametrize("kind", ["slack", "teams", "mattermost"])
def test_a_chat_endpoint_needs_no_secret(api, admin, kind):
    webhook_id = register(api, admin, kind=kind, secret="")
    (item,) = api(admin).get("/api/v1/webhooks").get_json()["items"]
    assert (item["id"], item["kind"]) == (webhook_id, kind)


def test_the_secret_is_never_answered_nor_stored_in_clear(api, admin, db):
    webhook_id = register(api, admin)
    answers = [
        api(admin).get("/api/v1/webhooks"),
        api(admin).get(f"/api/v1/webhooks/{webhook_id}/deliveries"),
        api(admin).get(f"/api/v1/audit?entity=webhook&entity_id={webhook_id}"),
    ]
    for answer in answers:
        assert SECRET not in answer.get_data(as_text=True)
    endpoint = db.session.get(WebhookEndpoint, webhook_id)
    assert SECRET not in endpoint.secret_sealed
    assert endpoints.unseal(endpoint) == SECRET
    rows = db.session.execute(sa.text("SELECT * FROM webhook_endpoints")).all()
    assert all(SECRET not in str(value) for row in rows for value in row)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"url": "ftp://93.184.216.34/hook"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": ""}, "url"),
        ({"url": None}, "url"),
        ({"url": "https://93.184.216.34/" + "a" * 2000}, "url"),
        ({"url": "http://127.0.0.1:8080/hook"}, "url"),
        ({"url": "http://10.1.2.3/hook"}, "url"),
        ({"url": "http://192.168.0.10/hook"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, "url"),
        ({"url": "http://[::1]/hook"}, "url"),
        ({"url": "http://user:pw@93.184.216.34/hook"}, "url"),
        ({"secret": "short"}, "secret"),
        ({"secret": ""}, "secret"),
        ({"secret": "x" * 201}, "secret"),
        ({"secret": 12345678901234567}, "secret"),
        ({"events": []}, "events"),
        ({"events": "request.approved"}, "events"),
        ({"events": ["request.approved", "request.exploded"]}, "events.1"),
        ({"events": [7]}, "events.0"),
        ({"kind": "discord"}, "kind"),
        ({"description": "d" * 201}, "description"),
    ],
)
def test_bad_input_is_refused_by_field_and_nothing_is_stored(api, admin, db, changes, field):
    answer = api(admin).post("/api/v1/webhooks", json=body(**changes))
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 0


def test_every_problem_is_said_at_once(api, admin):
    answer = api(admin).post(
        "/api/v1/webhooks",
        json={"url": "gopher://x", "secret": "1", "events": ["nope"], "kind": "irc"},
    )
    assert answer.status_code == 422
    assert set(answer.get_json()["error"]["fields"]) == {"url", "secret", "events.0", "kind"}


def test_a_private_address_is_allowed_when_the_operator_says_so(api, admin, allow_private):
    register(api, admin, url="http://127.0.0.1:9/hook")


def test_a_body_that_is_not_an_object_is_a_400(api, admin):
    answer = api(admin).post("/api/v1/webhooks", data="[]", content_type="application/json")
    assert answer.status_code == 400


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_only_admin_may_touch_webhooks(api, admin, make, db, role):
    webhook_id = register(api, admin)
    other = api(make.user([role]))
    calls = [
        other.get("/api/v1/webhooks"),
        other.post("/api/v1/webhooks", json=body()),
        other.delete(f"/api/v1/webhooks/{webhook_id}"),
        other.get(f"/api/v1/webhooks/{webhook_id}/deliveries"),
    ]
    assert [call.status_code for call in calls] == [403, 403, 403, 403]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) == 1
    assert db.session.get(WebhookEndpoint, webhook_id).deleted_at is None


def test_without_a_token_it_is_a_401(client):
    assert client.get("/api/v1/webhooks").status_code == 401


def test_delete_then_the_endpoint_is_gone(api, admin, db):
    webhook_id = register(api, admin)
    answer = api(admin).delete(f"/api/v1/webhooks/{webhook_id}")
    assert answer.status_code == 204
    assert answer.get_data() == b""
    assert api(admin).get("/api/v1/webhooks").get_json()["items"] == []
    assert api(admin).delete(f"/api/v1/webhooks/{webhook_id}").status_code == 404
    deliveries = api(admin).get(f"/api/v1/webhooks/{webhook_id}/deliveries")
    assert deliveries.status_code == 404
    assert db.session.get(WebhookEndpoint, webhook_id).deleted_at is not None


@pytest.mark.parametrize("path", ["/api/v1/webhooks/999999", "/api/v1/webhooks/999999/deliveries"])
def test_an_unknown_endpoint_is_a_404(api, admin, path):
    method = "delete" if path.endswith("999999") else "get"
    assert getattr(api(admin), method)(path).status_code == 404


# The delivery log ----------------------------------------------------------------------


def test_the_log_lists_real_attempts_latest_first(api, admin, db, make, allow_private):
    with Receiver(script=[500]) as server:
        webhook_id = register(api, admin, url=server.url)
        approved_request(make)
        db.session.commit()
        event = db.session.scalar(sa.select(WebhookEvent))
        first = delivery.send_pending()
        due = db.session.scalar(sa.select(WebhookDelivery)).next_attempt_at
        second = delivery.send_pending(now=due)
    assert (first.failed, second.delivered) == (1, 1)
    assert len(server.requests) == 2
    log = api(admin).get(f"/api/v1/webhooks/{webhook_id}/deliveries").get_json()
    assert log["total"] == 2
    attempts = db.session.scalars(
        sa.select(WebhookAttempt).order_by(WebhookAttempt.id.desc())
    ).all()
    assert log["items"] == [
        {
            "id": attempt.uid,
            "event_id": event.uid,
            "type": "request.approved",
            "status": status,
            "response_code": code,
            "at": attempt.at.isoformat() + "Z",
        }
        for attempt, status, code in zip(
            attempts, ["delivered", "failed"], [200, 500], strict=True
        )
    ]
    # The delivery id each attempt was sent with is the log's id.
    sent = [request.header("X-Procure-Delivery") for request in server.requests]
    assert sent == [attempts[1].uid, attempts[0].uid]
    (listed,) = api(admin).get("/api/v1/webhooks").get_json()["items"]
    assert listed["last_delivery"] == {
        "status": "delivered",
        "response_code": 200,
        "at": attempts[0].at.isoformat() + "Z",
    }


def test_the_log_pages(api, admin, db):
    webhook_id = register(api, admin)
    logged_attempts(db, webhook_id, [(AttemptStatus.FAILED, None, "connection refused")] * 3)
    db.session.commit()
    first = db.session.scalars(sa.select(WebhookAttempt).order_by(WebhookAttempt.id)).first()
    page = api(admin).get(f"/api/v1/webhooks/{webhook_id}/deliveries?per_page=2&page=2")
    assert page.get_json()["total"] == 3
    assert [row["id"] for row in page.get_json()["items"]] == [first.uid]
    assert page.get_json()["items"][0]["response_code"] is None


def test_the_openapi_document_lists_the_webhook_operations(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert "Webhooks" in [tag["name"] for tag in document["tags"]]
    assert set(document["paths"]["/api/v1/webhooks"]) == {"get", "post"}
    assert "delete" in document["paths"]["/api/v1/webhooks/{webhook_id}"]
    assert "get" in document["paths"]["/api/v1/webhooks/{webhook_id}/deliveries"]
