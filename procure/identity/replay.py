"""Values a sign-in protocol accepts once, kept in the database so that every app
server agrees: a used OpenID Connect nonce, an outstanding SAML request id (the
response arrives as a cross-site POST, without our cookie), a SAML assertion id seen.

``remember`` inserts inside a savepoint: when two servers race with one value, the
database's primary key lets exactly one through."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import SignInNonce, utcnow

VALUE_MAX = 255


def remember(kind: str, value: str, expires_at: dt.datetime) -> bool:
    """Record ``value``; False when it was recorded before and has not expired (a replay)."""
    now = utcnow()
    value = value[:VALUE_MAX]
    db.session.execute(
        sa.delete(SignInNonce).where(
            SignInNonce.kind == kind, SignInNonce.value == value, SignInNonce.expires_at <= now
        )
    )
    try:
        with db.session.begin_nested():
            db.session.add(SignInNonce(kind=kind, value=value, expires_at=expires_at))
    except IntegrityError:
        return False
    return True


def take(kind: str, value: str) -> bool:
    """True once for a value remembered earlier and not expired; it is gone afterwards."""
    removed = db.session.execute(
        sa.delete(SignInNonce).where(
            SignInNonce.kind == kind,
            SignInNonce.value == value[:VALUE_MAX],
            SignInNonce.expires_at > utcnow(),
        )
    )
    return removed.rowcount == 1


def prune(now: dt.datetime | None = None) -> int:
    """Delete what has expired (``flask prune``); returns how many."""
    result = db.session.execute(
        sa.delete(SignInNonce).where(SignInNonce.expires_at <= (now or utcnow()))
    )
    return result.rowcount or 0
