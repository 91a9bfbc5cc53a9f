"""Private links for people without an account (a vendor quoting, a vendor sending
its invoice): a token derived by HMAC from a random value kept on the document and
the application's secret key. Only the token's SHA-256 is stored and looked up, so a
copy of the database alone gives nobody a working link, while Procure can show the
link again; drawing a new random value makes the earlier token stop working."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from flask import current_app

TOKEN_MAX = 200  # anything longer is not one of ours: refused before it is hashed


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def derive(purpose: bytes, nonce: str) -> str:
    """The token for ``nonce``; ``purpose`` keeps each kind of link apart from every
    other thing signed with the same key."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    digest = hmac.new(key, purpose + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def matches(token: str, stored_hash: str | None) -> bool:
    return stored_hash is not None and hmac.compare_digest(hash_token(token), stored_hash)


def address(path: str) -> str:
    """The absolute address of a page: ``PROCURE_BASE_URL``, never the request's host."""
    return f"{current_app.config['PROCURE_BASE_URL'].rstrip('/')}{path}"
