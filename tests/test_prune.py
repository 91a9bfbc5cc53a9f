"""``flask --app wsgi prune`` (API.md "Operations"): what goes, what stays."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from procure import retention
from procure.models import (
    ActionLink,
    AttemptStatus,
    AuditEvent,
    AuditHead,
    DeliveryStatus,
    LoginAttempt,
    Notification,
    NotificationStatus,
    SignInNonce,
    UserSession,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    utcnow,
)

from .factories import Factories

OLD = timedelta(days=91)  # beyond the default PROCURE_RETENTION_DAYS of 90
RECENT = timedelta(days=89)


def _session(user, *, created_ago, ended_ago=None) -> UserSession:
    now = utcnow()
    return UserSession(
        key_hash=UserSession.hash_key(UserSession.new_key()),
        user_id=user.id,
        created_at=now - created_ago,
        ended_at=now - ended_ago if ended_ago is not None else None,
    )


def _attempt(email: str, *, failed_ago, blocked_for=None) -> LoginAttempt:
    now = utcnow()
    return LoginAttempt(
        email=email,
        failures=3,
        last_failure_at=now - failed_ago,
        blocked_until=now + blocked_for if blocked_for is not None else None,
    )


def _notification(status: NotificationStatus, *, ago) -> Notification:
    at = utcnow() - ago
    return Notification(
        email="someone@example.org",
        kind="test",
        subject=f"{status.value} {ago.days} days ago",
        body_text="text",
        body_html="<p>text</p>",
        status=status,
        created_at=at,
        sent_at=at if status is NotificationStatus.SENT else None,
    )


def _webhook_history(db, user) -> None:
    """A decision link expired long ago and one expired lately; an event delivered long
    ago, one delivered lately, and one still waiting however old."""
    now = utcnow()
    make = Factories(db)
    pr = make.approved_request(
        make.user(["requester"], department="IT"), make.user(["approver"], department="IT")
    )
    step = pr.steps[0]
    for action, ago in (("approve", OLD), ("reject", RECENT)):
        db.session.add(
            ActionLink(
                token_hash=action * 8,
                user_id=user.id,
                request_id=pr.id,
                step_id=step.id,
                action=action,
                request_version=1,
                expires_at=now - ago,
            )
        )
    endpoint = WebhookEndpoint(url="https://hooks.example.org/", events=["request.approved"])
    db.session.add(endpoint)
    for uid, ago, status in (
        ("old", OLD, DeliveryStatus.DELIVERED),
        ("recent", RECENT, DeliveryStatus.DELIVERED),
        ("waiting", OLD, DeliveryStatus.PENDING),
    ):
        event = WebhookEvent(
            uid=uid,
            type="request.approved",
            occurred_at=now - ago,
            entity="request",
            entity_id=pr.id,
            data={},
            summary={},
        )
        delivery = WebhookDelivery(
            endpoint=endpoint,
            event=event,
            status=status,
            next_attempt_at=now - ago,
            delivered_at=now - ago if status == DeliveryStatus.DELIVERED else None,
        )
        db.session.add(delivery)
        db.session.flush()
        if status == DeliveryStatus.DELIVERED:
            db.session.add(
                WebhookAttempt(
                    uid=uid,
                    delivery_id=delivery.id,
                    endpoint_id=endpoint.id,
                    event_id=event.id,
                    at=now - ago,
                    status=AttemptStatus.DELIVERED,
                    response_code=200,
                )
            )
    db.session.commit()


def _audit_state(db):
    head = db.session.get(AuditHead, 1, populate_existing=True)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    return head.seq, head.hash, count


def test_prune_removes_what_is_old_and_keeps_the_rest(app, db, runner):
    user = Factories(db).user()
    db.session.add_all(
        [
            _session(user, created_ago=OLD * 2, ended_ago=OLD),  # removed
            _session(user, created_ago=OLD * 2, ended_ago=RECENT),  # ended lately: kept
            _session(user, created_ago=OLD * 2),  # still open, however old: kept
            _attempt("old@example.org", failed_ago=OLD),  # removed
            _attempt("older@example.org", failed_ago=OLD * 3),  # removed
            _attempt("recent@example.org", failed_ago=RECENT),  # kept
            _attempt("blocked@example.org", failed_ago=OLD, blocked_for=timedelta(hours=1)),
            _notification(NotificationStatus.SENT, ago=OLD),  # removed
            _notification(NotificationStatus.SENT, ago=RECENT),  # kept
            _notification(NotificationStatus.PENDING, ago=OLD),  # not delivered: kept
            _notification(NotificationStatus.FAILED, ago=OLD),  # not delivered: kept
            # Single-use values of sign-in protocols go once expired, whatever the setting.
            SignInNonce(kind="oidc_nonce", value="spent", expires_at=utcnow() - RECENT),
            SignInNonce(kind="oidc_nonce", value="live", expires_at=utcnow() + RECENT),
        ]
    )
    db.session.commit()
    _webhook_history(db, user)
    audit_before = _audit_state(db)

    result = runner.invoke(args=["prune"])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "removed 1 sessions",
        "removed 2 sign-in attempts",
        "removed 1 notifications",
        "removed 1 e-mail decision links",
        "removed 1 webhook attempts",
        "removed 1 webhook deliveries",
        "removed 1 webhook events",
        "removed 1 sign-in nonces",
    ]
    db.session.expire_all()
    assert list(db.session.scalars(sa.select(SignInNonce.value))) == ["live"]
    sessions = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id))
    assert sorted((s.ended_at is None) for s in sessions) == [False, True]
    assert sorted(db.session.scalars(sa.select(LoginAttempt.email))) == [
        "blocked@example.org",
        "recent@example.org",
    ]
    kept = sa.select(Notification.subject).where(Notification.kind == "test")
    assert sorted(db.session.scalars(kept)) == [
        "failed 91 days ago",
        "pending 91 days ago",
        "sent 89 days ago",
    ]
    assert _audit_state(db) == audit_before
    ours = ActionLink.token_hash.in_(["approve" * 8, "reject" * 8])
    assert list(db.session.scalars(sa.select(ActionLink.action).where(ours))) == ["reject"]
    assert list(db.session.scalars(sa.select(WebhookAttempt.uid))) == ["recent"]
    assert list(db.session.scalars(sa.select(WebhookEvent.uid))) == ["recent", "waiting"]
    assert [d.status for d in db.session.scalars(sa.select(WebhookDelivery))] == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.PENDING,
    ]

    again = runner.invoke(args=["prune"])
    assert again.output.splitlines() == [
        "removed 0 sessions",
        "removed 0 sign-in attempts",
        "removed 0 notifications",
        "removed 0 e-mail decision links",
        "removed 0 webhook attempts",
        "removed 0 webhook deliveries",
        "removed 0 webhook events",
        "removed 0 sign-in nonces",
    ]


def test_prune_works_in_batches_and_follows_the_setting(app, db, runner):
    db.session.add_all(
        [
            _notification(NotificationStatus.SENT, ago=timedelta(days=days))
            for days in (8, 9, 11, 12, 13)
        ]
    )
    db.session.commit()
    app.config["PROCURE_RETENTION_DAYS"] = 10
    try:
        removed = retention.prune(days=10, batch_size=2)
        assert [(r.kind, r.count) for r in removed] == [
            ("sessions", 0),
            ("sign-in attempts", 0),
            ("notifications", 3),
            ("e-mail decision links", 0),
            ("webhook attempts", 0),
            ("webhook deliveries", 0),
            ("webhook events", 0),
            ("sign-in nonces", 0),
        ]
        db.session.add(_notification(NotificationStatus.SENT, ago=timedelta(days=30)))
        db.session.commit()
        result = runner.invoke(args=["prune"])
    finally:
        app.config["PROCURE_RETENTION_DAYS"] = 90
    assert result.output.splitlines()[2] == "removed 1 notifications"
    remaining = db.session.scalars(sa.select(Notification.subject)).all()
    assert sorted(remaining) == ["sent 8 days ago", "sent 9 days ago"]
