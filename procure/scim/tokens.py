"""The directory's bearer tokens: issued and revoked by admin (page or CLI), shown
once, stored as SHA-256, each use recorded."""

from __future__ import annotations

import sqlalchemy as sa

from .. import audit
from ..errors import NotFound
from ..extensions import db
from ..models import ScimToken, User, utcnow
from ..reference import require_admin
from ..validation import text


def issue(name: str, *, actor: User | None) -> tuple[ScimToken, str]:
    """A new token for a directory; returns it with its secret, which is never stored.
    ``actor`` None: the command line, run by whoever holds the server."""
    require_admin(actor, "issue SCIM tokens")
    secret = ScimToken.generate()
    token = ScimToken(
        name=text(name, "name", max_length=200),
        token_hash=ScimToken.hash_token(secret),
        hint=secret[: len(ScimToken.PREFIX) + 4],
        created_by=actor,
    )
    db.session.add(token)
    db.session.flush()
    audit.record("scim_token", token.id, "issue", actor=actor, changes={"name": token.name})
    return token, secret


def revoke(token_id: int, *, actor: User) -> ScimToken:
    require_admin(actor, "revoke SCIM tokens")
    token = db.session.get(ScimToken, token_id)
    if token is None:
        raise NotFound("No such SCIM token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("scim_token", token.id, "revoke", actor=actor, changes={"name": token.name})
    return token


def all_tokens() -> list[ScimToken]:
    return list(
        db.session.scalars(
            sa.select(ScimToken).order_by(ScimToken.revoked_at.is_not(None), ScimToken.id.desc())
        )
    )


def authenticate(secret: str) -> ScimToken | None:
    """The live token ``secret`` is, or None (unknown or revoked)."""
    if not secret.startswith(ScimToken.PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(
        sa.select(ScimToken).where(ScimToken.token_hash == ScimToken.hash_token(secret))
    )
    if token is None or token.revoked_at is not None:
        return None
    return token
