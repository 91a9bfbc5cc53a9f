"""Cross-cutting request security: response headers, safe redirects, write intent."""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import urlsplit

from flask import Flask, Response, has_request_context, request

from .db import set_write_intent

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

log = logging.getLogger("procure.security")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def init_app(app: Flask) -> None:
    @app.before_request
    def _declare_write_intent() -> None:
        set_write_intent(request.method not in SAFE_METHODS)

    @app.teardown_request
    def _clear_write_intent(_exc: BaseException | None) -> None:
        set_write_intent(False)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if request.path.startswith("/api/") or response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def is_safe_next(target: str | None) -> bool:
    """A ``next`` target is a path on this site: no scheme, no host, no tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ord(char) < 0x20 or char == "\\" for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str = "/") -> str:
    return target if target is not None and is_safe_next(target) else default


def _who() -> str:
    """The signed-in person (page session or API token), or "anonymous"."""
    from flask import g
    from flask_login import current_user

    user = g.get("api_user")
    if user is None and current_user and current_user.is_authenticated:
        user = current_user
    return f"{user.id}:{user.email}" if user is not None else "anonymous"


def security_event(event: str, *, user: object = None, **details: object) -> None:
    """Log a security event on ``procure.security``, one line: what (``event=``), when
    (``at=``, UTC), who (``user=`` id:e-mail or anonymous), from where (``remote=``),
    then the details. Values are quoted with repr, so no detail can start a line of
    its own; never pass a password or a token."""
    at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if has_request_context():
        who = f"{user.id}:{user.email}" if user is not None else _who()  # type: ignore[attr-defined]
        remote = request.remote_addr or "-"
        where = f"{request.method} {request.path}"
    else:
        who, remote, where = "system", "-", "-"
    fields = "".join(f" {key}={value!r}" for key, value in sorted(details.items()))
    log.warning(
        "event=%s at=%s user=%s remote=%s request=%r%s", event, at, who, remote, where, fields
    )


def referrer_path() -> str | None:
    """The path of the Referer header when it points at this site."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
