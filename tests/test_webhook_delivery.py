"""Delivering webhooks to a real HTTP receiver on loopback (``tests/webhook_receiver.py``):
the signed JSON body and its headers, retries with back-off, an endpoint down for an
hour, giving up, timeouts, redirects, the SSRF guard at send time, deleted endpoints,
the chat presets, two senders at once, and the command's output."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure.models import (
    AttemptStatus,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    utcnow,
)
from procure.purchasing import services as purchasing
from procure.webhooks import delivery, endpoints, presets

from .webhook_receiver import Receiver, Sleep, certificates, free_port

SECRET = "s3cret-for-the-receiver-0123"
BASE_URL = "http://procure.test"
BARRIER_TIMEOUT = 60


@pytest.fixture
def allow_private(app, monkeypatch):
    """The receivers listen on loopback, which production refuses by default."""
    monkeypatch.setitem(app.config, "PROCURE_WEBHOOK_ALLOW_PRIVATE", True)


@pytest.fixture
def people(make):
    return {
        "admin": make.user(["admin"], name="Ada Admin"),
        "requester": make.user(["requester"], department="IT", name="Rita <Requester> & Co"),
        "approver": make.user(["approver"], department="IT", name="Alan Approver"),
    }


@pytest.fixture
def receiver():
    with Receiver(SECRET) as running:
        yield running


def endpoint(people, url, *, kind="json", secret=SECRET, events=("request.submitted",)):
    return endpoints.create(
        url=url, secret=secret, events=list(events), kind=kind, actor=people["admin"]
    )


def submit(db, people, title="Docking stations", price="900.00"):
    """A real submission: the workflow's listener queues ``request.submitted``."""
    pr = purchasing.create_request(
        purchasing.RequestData(
            title=title,
            lines=[
                purchasing.LineData(
                    description="Dock", quantity=Decimal(1), unit_price=Decimal(price)
                )
            ],
        ),
        actor=people["requester"],
    )
    purchasing.submit(pr, actor=people["requester"])
    db.session.commit()
    return pr


def attempts(db, hook):
    """The endpoint's delivery log, oldest first."""
    return list(reversed(db.session.scalars(endpoints.attempts_query(hook)).all()))


def the_delivery(db):
    (row,) = db.session.scalars(sa.select(WebhookDelivery)).all()
    db.session.refresh(row)
    return row


# The JSON delivery -------------------------------------------------------------------------


def test_a_json_delivery_is_signed_and_carries_the_event(app, db, people, receiver, allow_private):
    hook = endpoint(people, receiver.url)
    pr = submit(db, people)
    report = delivery.send_pending()
    assert (report.delivered, report.failed, report.waiting) == (1, 0, 0)
    (got,) = receiver.requests
    assert got.signed
    assert got.path == "/hooks/procure"
    assert got.header("Content-Type") == "application/json"
    assert got.header("User-Agent") == "Procure-Webhooks/1"
    assert got.header("X-Procure-Event") == "request.submitted"
    assert got.header("Host") == f"127.0.0.1:{receiver.port}"
    body = json.loads(got.body)
    assert list(body) == ["id", "type", "occurred_at", "data"]
    assert body["type"] == "request.submitted"
    assert body["occurred_at"].endswith("Z")
    assert dt.datetime.fromisoformat(body["occurred_at"])
    assert body["data"]["id"] == pr.id and body["data"]["number"] == pr.number
    # compact, serialised once: the signature is over these very bytes
    assert got.body == json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    t, v1 = (part.split("=", 1)[1] for part in got.header("X-Procure-Signature").split(","))
    mac = hmac.new(SECRET.encode(), f"{t}.".encode() + got.body, hashlib.sha256)
    assert v1 == mac.hexdigest()
    (log,) = attempts(db, hook)
    assert log.uid == got.header("X-Procure-Delivery")
    assert (log.status, log.response_code, log.error) == (AttemptStatus.DELIVERED, 200, "")
    row = the_delivery(db)
    assert row.status == DeliveryStatus.DELIVERED and row.attempts == 1
    assert delivery.send_pending().anything is False  # nothing is sent twice


def test_500_then_200_is_received_twice_and_logged_twice(app, db, people, allow_private):
    with Receiver(SECRET, script=[500]) as receiver:
        hook = endpoint(people, receiver.url)
        submit(db, people)
        start = utcnow()
        first = delivery.send_pending(now=start)
        assert (first.delivered, first.failed, first.waiting) == (0, 1, 1)
        row = the_delivery(db)
        assert row.status == DeliveryStatus.PENDING
        assert row.next_attempt_at == start + dt.timedelta(seconds=60)
        assert delivery.send_pending(now=start + dt.timedelta(seconds=59)).anything
        assert len(receiver.requests) == 1  # not due yet
        second = delivery.send_pending(now=start + dt.timedelta(seconds=60))
        assert (second.delivered, second.failed, second.waiting) == (1, 0, 0)
    assert len(receiver.requests) == 2
    ids = [json.loads(got.body)["id"] for got in receiver.requests]
    assert ids[0] == ids[1]
    uids = [got.header("X-Procure-Delivery") for got in receiver.requests]
    assert uids[0] != uids[1]
    assert all(got.signed for got in receiver.requests)
    log = attempts(db, hook)
    assert [(a.status, a.response_code) for a in log] == [
        (AttemptStatus.FAILED, 500),
        (AttemptStatus.DELIVERED, 200),
    ]
    assert [a.uid for a in log] == uids
    assert log[0].error.startswith("answered 500: Internal trouble")
    assert "<b>" in log[0].error and len(log[0].error) <= 500


def test_an_endpoint_down_for_an_hour_loses_nothing(app, db, people, allow_private):
    port = free_port()  # nothing listens there yet
    hook = endpoint(people, f"http://127.0.0.1:{port}/hooks")
    submit(db, people)
    start = utcnow()
    for minute in range(0, 71, 1):
        delivery.send_pending(now=start + dt.timedelta(minutes=minute))
    log = attempts(db, hook)
    # due at 0, 1, 3, 7, 15, 31 and 63 minutes: 60 s doubling, at most an hour
    assert [round((a.at - start).total_seconds() / 60) for a in log] == [0, 1, 3, 7, 15, 31, 63]
    assert all(a.status == AttemptStatus.FAILED and a.response_code is None for a in log)
    assert log[0].error.startswith("could not connect")
    row = the_delivery(db)
    assert row.status == DeliveryStatus.PENDING
    assert row.next_attempt_at == start + dt.timedelta(minutes=123)
    with Receiver(SECRET, port=port) as receiver:
        assert not delivery.send_pending(now=start + dt.timedelta(minutes=122)).delivered
        report = delivery.send_pending(now=start + dt.timedelta(minutes=123))
        assert report.delivered == 1
        delivery.send_pending(now=start + dt.timedelta(hours=5))
    (got,) = receiver.requests
    assert got.signed
    assert the_delivery(db).status == DeliveryStatus.DELIVERED


def test_it_gives_up_after_ten_attempts(app, db, people, allow_private):
    hook = endpoint(people, f"http://127.0.0.1:{free_port()}/")
    submit(db, people)
    start = utcnow()
    reports = [delivery.send_pending(now=start + dt.timedelta(hours=hour)) for hour in range(12)]
    assert [r.failed for r in reports] == [1] * 10 + [0, 0]
    assert [r.given_up for r in reports] == [0] * 9 + [1, 0, 0]
    assert reports[-1].waiting == 0
    assert len(attempts(db, hook)) == 10
    row = the_delivery(db)
    assert row.status == DeliveryStatus.FAILED and row.attempts == 10
    assert row.last_error.startswith("could not connect")


def test_a_claim_left_by_a_dead_sender_is_taken_again_after_15_minutes(
    app, db, people, receiver, allow_private
):
    hook = endpoint(people, receiver.url)
    submit(db, people)
    start = utcnow()
    (dead,) = delivery.claim(10, start)  # a sender that claimed, then died
    assert not delivery.send_pending(now=start + dt.timedelta(minutes=14)).delivered
    assert receiver.requests == []
    assert delivery.send_pending(now=start + dt.timedelta(minutes=16)).delivered == 1
    # the dead sender wakes up: its attempt is logged, the delivery is no longer its own
    late = delivery.Outcome(False, 500, "answered 500")
    delivery.record(dead, late, start + dt.timedelta(minutes=17), uid="late", duration_ms=1)
    row = the_delivery(db)
    assert row.status == DeliveryStatus.DELIVERED and row.attempts == 1
    assert [a.status for a in attempts(db, hook)] == [
        AttemptStatus.DELIVERED,
        AttemptStatus.FAILED,
    ]
    assert len(receiver.requests) == 1


def test_a_read_timeout_is_a_failed_attempt(app, db, people, allow_private, monkeypatch):
    monkeypatch.setattr(delivery, "READ_TIMEOUT", 0.3)
    with Receiver(SECRET, script=[Sleep(0.8)]) as receiver:
        hook = endpoint(people, receiver.url)
        submit(db, people)
        report = delivery.send_pending()
    assert report.failed == 1 and len(receiver.requests) == 1
    (log,) = attempts(db, hook)
    assert (log.status, log.response_code) == (AttemptStatus.FAILED, None)
    assert log.error == "no answer within 0.3 s"
    assert the_delivery(db).status == DeliveryStatus.PENDING


def test_a_redirect_is_not_followed(app, db, people, allow_private):
    with (
        Receiver(SECRET) as elsewhere,
        Receiver(SECRET, script=[(302, {"Location": elsewhere.url})]) as receiver,
    ):
        hook = endpoint(people, receiver.url)
        submit(db, people)
        report = delivery.send_pending()
    assert report.failed == 1
    assert len(receiver.requests) == 1 and elsewhere.requests == []
    (log,) = attempts(db, hook)
    assert (log.status, log.response_code) == (AttemptStatus.FAILED, 302)
    assert "redirects are not followed" in log.error


def test_https_goes_to_the_checked_address_with_the_certificate_verified(
    app, db, people, allow_private, monkeypatch, tmp_path
):
    tls = certificates(tmp_path, ["localhost"])
    monkeypatch.setattr(delivery, "CA_CERTS", tls.ca_file)
    with Receiver(SECRET, tls=tls) as receiver:
        hook = endpoint(people, receiver.url)
        submit(db, people)
        assert delivery.send_pending().delivered == 1
    (got,) = receiver.requests
    assert got.signed
    assert got.header("Host") == f"localhost:{receiver.port}"
    assert attempts(db, hook)[0].status == AttemptStatus.DELIVERED


@pytest.mark.parametrize("trusted", [True, False], ids=["another-name", "untrusted-ca"])
def test_a_certificate_that_does_not_verify_is_a_failed_attempt(
    app, db, people, allow_private, monkeypatch, tmp_path, trusted
):
    tls = certificates(tmp_path, ["other.example"] if trusted else ["localhost"])
    if trusted:
        monkeypatch.setattr(delivery, "CA_CERTS", tls.ca_file)
    with Receiver(SECRET, tls=tls) as receiver:
        hook = endpoint(people, receiver.url)
        submit(db, people)
        assert delivery.send_pending().failed == 1
    assert receiver.requests == []
    (log,) = attempts(db, hook)
    assert log.status == AttemptStatus.FAILED and log.response_code is None
    assert log.error.startswith("TLS failed (the certificate must be valid for the URL's host)")
    expected = "doesn't match 'other.example'" if trusted else "CERTIFICATE_VERIFY_FAILED"
    assert expected in log.error


def test_a_private_address_is_refused_at_send_time(app, db, people, monkeypatch):
    with Receiver(SECRET) as receiver:
        monkeypatch.setitem(app.config, "PROCURE_WEBHOOK_ALLOW_PRIVATE", True)
        hook = endpoint(people, receiver.url)
        submit(db, people)
        # the operator switched the setting off since the endpoint was registered
        monkeypatch.setitem(app.config, "PROCURE_WEBHOOK_ALLOW_PRIVATE", False)
        report = delivery.send_pending()
    assert report.failed == 1
    assert receiver.requests == []
    (log,) = attempts(db, hook)
    assert log.status == AttemptStatus.FAILED and log.response_code is None
    assert log.error.startswith("refused: 127.0.0.1 resolves to 127.0.0.1, a private")


def test_a_deleted_endpoint_gets_nothing(app, db, people, receiver, allow_private):
    hook = endpoint(people, receiver.url)
    submit(db, people)
    endpoints.delete(hook, actor=people["admin"])
    db.session.commit()
    report = delivery.send_pending()
    assert (report.delivered, report.failed, report.waiting) == (0, 1, 0)
    assert receiver.requests == []
    assert attempts(db, hook) == []
    row = the_delivery(db)
    assert row.status == DeliveryStatus.FAILED and row.last_error == "the endpoint was deleted"
    submit(db, people, title="Another")  # a deleted endpoint is no subscriber
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 1


def test_a_secret_sealed_with_another_key_is_not_sent_unsigned(
    app, db, people, receiver, allow_private, monkeypatch
):
    hook = endpoint(people, receiver.url)
    submit(db, people)
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-secret-key-since-then")
    assert delivery.send_pending().failed == 1
    assert receiver.requests == []
    (log,) = attempts(db, hook)
    assert log.error == delivery.NOT_SIGNABLE
    assert the_delivery(db).status == DeliveryStatus.PENDING  # the old key may come back


def test_each_endpoint_gets_the_event_once(app, db, people, allow_private):
    with Receiver(SECRET) as one, Receiver("another-secret-4567890") as two:
        endpoint(people, one.url)
        endpoint(people, two.url, secret="another-secret-4567890")
        submit(db, people)
        assert delivery.send_pending().delivered == 2
    assert [len(one.requests), len(two.requests)] == [1, 1]
    assert one.requests[0].signed and two.requests[0].signed
    assert json.loads(one.requests[0].body)["id"] == json.loads(two.requests[0].body)["id"]


# Chat presets ------------------------------------------------------------------------------

TRICKY = "Monitors *urgent* <@here> & _more_"


def chat_delivery(db, people, kind, secret=""):
    with Receiver(secret) as receiver:
        endpoint(people, receiver.url, kind=kind, secret=secret)
        pr = submit(db, people, title=TRICKY, price="1234.50")
        assert delivery.send_pending().delivered == 1
    (got,) = receiver.requests
    assert got.header("X-Procure-Event") == "request.submitted"
    return pr, got, json.loads(got.body)


def test_slack_gets_block_kit_with_escaped_text(app, db, people, allow_private):
    pr, got, body = chat_delivery(db, people, "slack")
    assert got.header("X-Procure-Signature") is None  # no secret, no signature
    link = f"{BASE_URL}/requests/{pr.id}"
    (section,) = body["blocks"]
    assert section["type"] == "section"
    title = f"{pr.number} was submitted for approval: Monitors *urgent* &lt;@here&gt; &amp; _more_"
    assert section["text"] == {"type": "mrkdwn", "text": f"*<{link}|{title}>*"}
    assert section["fields"] == [
        {"type": "mrkdwn", "text": "*Amount*\n1,234.50 USD"},
        {"type": "mrkdwn", "text": "*Requester*\nRita &lt;Requester&gt; &amp; Co"},
    ]
    assert "<@here>" not in body["text"] and "&lt;@here&gt;" in body["text"]
    assert body["text"].endswith(link)


def test_teams_gets_an_adaptive_card(app, db, people, allow_private):
    pr, got, body = chat_delivery(db, people, "teams", secret=SECRET)
    assert got.signed  # a chat endpoint with a secret is signed too
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    text, facts = card["body"]
    assert text["type"] == "TextBlock"
    assert text["text"] == f"{pr.number} was submitted for approval: {TRICKY}"
    assert facts["type"] == "FactSet"
    assert facts["facts"] == [
        {"title": "Amount", "value": "1,234.50 USD"},
        {"title": "Requester", "value": "Rita <Requester> & Co"},
    ]
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Open in Procure",
            "url": f"{BASE_URL}/requests/{pr.id}",
        }
    ]


def test_a_title_cannot_make_a_link_in_a_teams_card():
    title = "Laptops [urgent](https://phish.example/login)"
    card = presets.teams({"title": title, "amount": "", "requester": "[x](y)", "link": "/"})
    text, facts = card["attachments"][0]["content"]["body"]
    assert "](" not in text["text"] and "](" not in facts["facts"][1]["value"]
    assert text["text"].replace("\u200b", "") == title


def test_mattermost_gets_an_attachment_with_markdown_escaped(app, db, people, allow_private):
    pr, _got, body = chat_delivery(db, people, "mattermost")
    (attachment,) = body["attachments"]
    title = f"{pr.number} was submitted for approval: {TRICKY}"
    assert attachment["title"] == title
    assert attachment["title_link"] == f"{BASE_URL}/requests/{pr.id}"
    assert attachment["fallback"].startswith(title)
    assert attachment["fields"] == [
        {"title": "Amount", "value": "1,234\\.50 USD", "short": True},
        {"title": "Requester", "value": "Rita \\<Requester\\> & Co", "short": True},
    ]
    assert "\\*urgent\\* \\<\\@here\\> & \\_more\\_" in body["text"]


def test_markdown_escape_leaves_no_markup():
    escaped = presets.markdown_escape("[x](http://e) **b** `c` #1 ~s~ :smile: $x$")
    assert escaped == (
        "\\[x\\]\\(http\\://e\\) \\*\\*b\\*\\* \\`c\\` \\#1 \\~s\\~ \\:smile\\: \\$x\\$"
    )


# The command -------------------------------------------------------------------------------


def test_the_command_prints_a_webhook_line_only_when_there_was_something(
    app, db, people, runner, allow_private, monkeypatch
):
    monkeypatch.setitem(app.config, "PROCURE_SMTP_URL", f"smtp://127.0.0.1:{free_port()}")
    quiet = runner.invoke(args=["send-notifications"])
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stdout == "sent 0, failed 0, waiting 0\n"
    with Receiver(SECRET, script=[500]) as receiver:
        endpoint(people, receiver.url, events=["request.submitted", "request.approved"])
        pr = submit(db, people)
        purchasing.approve(pr, actor=people["approver"])
        db.session.commit()
        # the e-mail cannot be sent (nothing listens): exit 1 as before, webhooks still go
        result = runner.invoke(args=["send-notifications"])
    lines = result.stdout.splitlines()
    assert lines[0].startswith("sent 0, failed ")
    assert lines[1] == "webhooks: delivered 1, failed 1, waiting 1"
    assert result.exit_code == 1
    assert len(receiver.requests) == 2


# Several senders at once -------------------------------------------------------------------


@pytest.mark.committing
@pytest.mark.postgres_only
def test_two_senders_at_once_deliver_each_event_once(app, committed_db, make, request):
    if request.config.getoption("--db") != "postgres":
        pytest.skip("needs PostgreSQL (run with --db postgres)")
    db = committed_db
    app.config["PROCURE_WEBHOOK_ALLOW_PRIVATE"] = True
    try:
        people = {
            "admin": make.user(["admin"]),
            "requester": make.user(["requester"], department="IT"),
            "approver": make.user(["approver"], department="IT"),
        }
        with Receiver(SECRET) as receiver:
            endpoint(people, receiver.url)
            db.session.commit()
            for number in range(24):
                submit(db, people, title=f"Request {number}")
            db.session.remove()
            barrier = threading.Barrier(2)

            def sender() -> delivery.Report:
                with app.app_context():
                    try:
                        barrier.wait(BARRIER_TIMEOUT)
                        return delivery.send_pending(batch_size=3)
                    finally:
                        db.session.remove()

            with ThreadPoolExecutor(max_workers=2) as pool:
                reports = [f.result() for f in [pool.submit(sender) for _ in range(2)]]
    finally:
        app.config["PROCURE_WEBHOOK_ALLOW_PRIVATE"] = False
    assert sum(report.delivered for report in reports) == 24
    assert [report.failed for report in reports] == [0, 0]
    received = Counter(json.loads(got.body)["id"] for got in receiver.requests)
    assert len(received) == 24 and set(received.values()) == {1}
    assert all(got.signed for got in receiver.requests)
    statuses = Counter(db.session.scalars(sa.select(WebhookDelivery.status)))
    assert statuses == {DeliveryStatus.DELIVERED: 24}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookAttempt)) == 24
