"""Registering and removing webhook endpoints (admin), and reading their delivery log.

An endpoint has a URL (http or https, public unless the operator allows private
addresses: ``outbound.py``), a kind (``json``, or a chat product's incoming webhook:
``slack``, ``teams``, ``mattermost``), the event types it wants, and a secret that
signs each delivery. The secret is never shown again: it is kept encrypted (Fernet,
with a key derived from ``SECRET_KEY``), since signing needs it whole.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy.orm import joinedload

from .. import access, audit, outbound
from ..errors import NotFound
from ..extensions import db
from ..models import WEBHOOK_KINDS, User, WebhookAttempt, WebhookEndpoint, utcnow
from ..validation import FieldErrors
from .events import TYPES

SECRET_MIN = 16
SECRET_MAX = 200
DESCRIPTION_MAX = 200
KIND_NAMES = {
    "json": "JSON (signed)",
    "slack": "Slack incoming webhook",
    "teams": "Microsoft Teams incoming webhook",
    "mattermost": "Mattermost incoming webhook",
}


def _fernet() -> Fernet:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"procure.webhook-secret"
    ).derive(key)
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode() if secret else ""


def unseal(endpoint: WebhookEndpoint) -> str:
    """The endpoint's secret; empty when it has none or ``SECRET_KEY`` changed since."""
    if not endpoint.secret_sealed:
        return ""
    try:
        return _fernet().decrypt(endpoint.secret_sealed.encode()).decode()
    except InvalidToken:
        return ""


def require_admin(actor: User) -> None:
    access.require(actor, "administer", action="manage webhooks")


def allow_private() -> bool:
    return bool(current_app.config.get("PROCURE_WEBHOOK_ALLOW_PRIVATE"))


def _checked(
    url: Any, secret: Any, events: Any, kind: Any, description: Any
) -> tuple[str, str, list[str], str, str]:
    errors = FieldErrors()
    url = url.strip() if isinstance(url, str) else ""
    try:
        outbound.checked_addresses(url, allow_private=allow_private())
    except outbound.UnsafeUrl as exc:
        errors.add("url", str(exc))
    kind = kind if kind not in (None, "") else "json"
    if kind not in WEBHOOK_KINDS:
        errors.add("kind", f"Choose one of {', '.join(WEBHOOK_KINDS)}.")
    secret = secret if isinstance(secret, str) else ("" if secret is None else None)
    if secret is None:
        errors.add("secret", "The secret is text.")
        secret = ""
    elif secret and not SECRET_MIN <= len(secret) <= SECRET_MAX:
        errors.add("secret", f"Use {SECRET_MIN} to {SECRET_MAX} characters.")
    elif not secret and kind == "json":
        errors.add(
            "secret", f"A JSON endpoint needs a secret of at least {SECRET_MIN} characters."
        )
    chosen: list[str] = []
    if not isinstance(events, list) or not events:
        errors.add("events", "Choose at least one event.")
    else:
        for index, name in enumerate(events):
            if not isinstance(name, str) or name not in TYPES:
                errors.add(f"events.{index}", f"{name!r} is not an event; see the list of events.")
            elif name not in chosen:
                chosen.append(name)
    description = description.strip() if isinstance(description, str) else ""
    if len(description) > DESCRIPTION_MAX:
        errors.add("description", f"Use at most {DESCRIPTION_MAX} characters.")
    errors.raise_if_any()
    return url, secret, chosen, kind, description


def create(
    *,
    url: Any,
    secret: Any,
    events: Any,
    kind: Any = "json",
    description: Any = "",
    actor: User,
) -> WebhookEndpoint:
    """A new endpoint; every problem at once, by field (``url``, ``secret``,
    ``events.N``, ``kind``)."""
    require_admin(actor)
    url, secret, chosen, kind, description = _checked(url, secret, events, kind, description)
    endpoint = WebhookEndpoint(
        url=url,
        kind=kind,
        events=chosen,
        description=description,
        secret_sealed=seal(secret),
        created_by_id=actor.id,
    )
    db.session.add(endpoint)
    db.session.flush()
    audit.record(
        "webhook",
        endpoint.id,
        "create",
        actor=actor,
        changes={"url": url, "kind": kind, "events": chosen, "signed": bool(secret)},
    )
    return endpoint


def delete(endpoint: WebhookEndpoint, *, actor: User) -> None:
    """Nothing more is sent to it; its delivery log stays readable in the audit trail."""
    require_admin(actor)
    endpoint.deleted_at = utcnow()
    db.session.flush()
    audit.record("webhook", endpoint.id, "delete", actor=actor, changes={"url": endpoint.url})


def get(endpoint_id: int, actor: User) -> WebhookEndpoint:
    require_admin(actor)
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.deleted_at is not None:
        raise NotFound("There is no such webhook endpoint.")
    return endpoint


def list_query(actor: User) -> sa.Select[tuple[WebhookEndpoint]]:
    require_admin(actor)
    return (
        sa.select(WebhookEndpoint)
        .where(WebhookEndpoint.deleted_at.is_(None))
        .order_by(WebhookEndpoint.id)
    )


def attempts_query(endpoint: WebhookEndpoint) -> sa.Select[tuple[WebhookAttempt]]:
    """The endpoint's delivery log, latest first, each attempt with its event."""
    return (
        sa.select(WebhookAttempt)
        .where(WebhookAttempt.endpoint_id == endpoint.id)
        .options(joinedload(WebhookAttempt.event))
        .order_by(WebhookAttempt.id.desc())
    )


def event_names(events: Iterable[str]) -> list[str]:
    return [TYPES[name] for name in events if name in TYPES]
