"""Cross-cutting request security: trusted hosts, response headers, safe redirects,
absolute links, write intent."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, has_request_context, request, url_for
from markupsafe import escape
from werkzeug.exceptions import SecurityError
from werkzeug.wsgi import get_host

from . import config
from .db import set_write_intent
from .observability import ENVIRON_KEY, redacted

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
    # Another site may not embed our answers (an image, a script, a PDF) in its pages.
    "Cross-Origin-Resource-Policy": "same-origin",
}

# Pages, API answers and every download (PDFs, CSVs, attachments, the calendar feed)
# hold somebody's data: neither a shared cache nor the browser's may keep them.
PRIVATE = "private, no-store"

UNTRUSTED_HOST = "This server does not answer for that host name."
UNTRUSTED_HOST_PAGE = (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Bad request</title>'
    "</head><body><h1>Bad request</h1><p>" + UNTRUSTED_HOST + "</p>{reference}</body></html>\n"
)


class TrustedHosts:
    """WSGI middleware: a request whose ``Host`` header names none of the app's
    ``TRUSTED_HOSTS`` is answered 400 before Flask sees it, so that no link, redirect
    or log line is ever built from that host."""

    def __init__(self, app: Flask, wsgi_app: Any) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        try:
            get_host(environ, self.app.config.get("TRUSTED_HOSTS") or None)
        except SecurityError:
            # security_event's shape; no request context exists, nor should one.
            at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            remote = environ.get("REMOTE_ADDR") or "-"
            where = f"{environ.get('REQUEST_METHOD', '')} {environ.get('PATH_INFO', '')}"
            host = environ.get("HTTP_HOST", "")
            log.warning(
                "event=untrusted_host at=%s user=anonymous remote=%s request=%r host=%r",
                at,
                remote,
                where,
                host,
                extra={
                    "fields": _json_fields(
                        "untrusted_host", at, "anonymous", remote, where, {"host": host}
                    )
                },
            )
            return refuse_host(environ)(environ, start_response)
        return self.wsgi_app(environ, start_response)


SCIM_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


def is_scim_path(path: str) -> bool:
    return path == "/scim" or path.startswith("/scim/")


def scim_error(status: int, detail: str, scim_type: str | None = None) -> Response:
    """RFC 7644 §3.12's error, for refusals made before the SCIM blueprint is reached."""
    body: dict[str, Any] = {
        "schemas": [SCIM_ERROR_SCHEMA],
        "status": str(status),
        "detail": detail,
    }
    if scim_type:
        body["scimType"] = scim_type
    return Response(json.dumps(body), status=status, mimetype="application/scim+json")


def refuse_host(environ: dict[str, Any]) -> Response:
    """The 400 for an untrusted host: API.md's JSON error under ``/api``, SCIM's under
    ``/scim``, a page elsewhere."""
    path = environ.get("PATH_INFO", "")
    if is_scim_path(path):
        response = scim_error(400, UNTRUSTED_HOST)
    elif path == "/api" or path.startswith("/api/"):
        body = json.dumps({"error": {"code": "bad_request", "message": UNTRUSTED_HOST}})
        response = Response(body, status=400, mimetype="application/json")
    else:
        # The request id the logs carry (``observability``), if one was given.
        request_id = environ.get(ENVIRON_KEY)
        reference = f"<p>Reference: <code>{escape(request_id)}</code></p>" if request_id else ""
        page = UNTRUSTED_HOST_PAGE.format(reference=reference)
        response = Response(page, status=400, mimetype="text/html")
    response.headers.update(SECURITY_HEADERS)
    response.headers["Cache-Control"] = PRIVATE
    return response


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link to ``endpoint``: ``PROCURE_BASE_URL`` + its path, whatever host
    the request named (``url_for(..., _external=True)`` would echo that host)."""
    path = url_for(endpoint, **values)
    # The base URL is the public address, the prefix the app is mounted under included.
    root = request.script_root if has_request_context() else ""
    if root and path.startswith(root + "/"):
        path = path[len(root) :]
    return current_app.config["PROCURE_BASE_URL"].rstrip("/") + path


def init_app(app: Flask) -> None:
    if not app.config.get("TRUSTED_HOSTS"):
        app.config["TRUSTED_HOSTS"] = config.trusted_hosts(app.config)
    app.wsgi_app = TrustedHosts(app, app.wsgi_app)  # type: ignore[method-assign]

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
        if request.endpoint != "static":
            response.headers["Cache-Control"] = PRIVATE
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
        where = f"{request.method} {redacted(request.path)}"
    else:
        who, remote, where = "system", "-", "-"
    fields = "".join(f" {key}={value!r}" for key, value in sorted(details.items()))
    log.warning(
        "event=%s at=%s user=%s remote=%s request=%r%s",
        event,
        at,
        who,
        remote,
        where,
        fields,
        extra={"fields": _json_fields(event, at, who, remote, where, details)},
    )


def _json_fields(
    event: str, at: str, who: str, remote: str, where: str, details: dict[str, object]
) -> dict[str, object]:
    """The event's fields as keys of its JSON log line (``observability``)."""
    return {**details, "event": event, "at": at, "user": who, "remote": remote, "request": where}


def referrer_path() -> str | None:
    """The path of the Referer header when it points at this site."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
