"""What an operator sees of a running Procure: its logs.

One line on stderr per request (``procure.requests``) and one per warning or error of
any ``procure`` logger, JSON by default (``PROCURE_LOG_FORMAT=json``), plain text for
development (``text``). Every line carries the request's id: the proxy's
``X-Request-ID`` when it is a sane one, else a new one; the answer echoes it and the
error pages show it, so that a user's "it failed at 10:02, reference 3f2a…" finds
the line. Behind ``PROCURE_PROXY_HOPS`` reverse proxies the client's address and
scheme come from their ``X-Forwarded-For`` / ``-Proto`` (werkzeug's ``ProxyFix``).

Logging is set up by ``create_app`` (never at import), on the ``procure`` logger
only, and once however many apps a process creates.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask.logging import default_handler
from werkzeug.middleware.proxy_fix import ProxyFix

FORMATS = ("json", "text")
HEADER = "X-Request-ID"
ENVIRON_KEY = "procure.request_id"
# What a proxy may hand us as a request id (nginx's $request_id, an AWS trace id, a
# UUID): letters, digits and a few separators, at most 128 of them. Anything else
# could forge a log line or a header, and is replaced by an id of our own.
INCOMING_ID = re.compile(r"[A-Za-z0-9._:=+/@-]{1,128}")

requests_log = logging.getLogger("procure.requests")

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "procure_request_id", default=None
)


def check_settings(config: Mapping[str, Any]) -> None:
    """Refuse a log format or proxy count that cannot be meant, naming the setting."""
    log_format = config.get("PROCURE_LOG_FORMAT")
    if log_format not in FORMATS:
        raise ValueError(f"PROCURE_LOG_FORMAT must be json or text, not {log_format!r}")
    hops = config.get("PROCURE_PROXY_HOPS")
    if not isinstance(hops, int) or isinstance(hops, bool) or hops < 0:
        raise ValueError(f"PROCURE_PROXY_HOPS must be a whole number 0 or more, not {hops!r}")


def init_app(app: Flask) -> None:
    check_settings(app.config)
    configure_logging(app.config["PROCURE_LOG_FORMAT"])
    app.add_template_global(current_request_id, "request_id")
    # Outermost last: the proxies' address first, then the id and the request's line.
    app.wsgi_app = RequestLog(app, app.wsgi_app)  # type: ignore[method-assign]
    app.wsgi_app = TrustedProxies(app, app.wsgi_app)  # type: ignore[method-assign]


# The request id -------------------------------------------------------------------------


def incoming_id(value: str | None) -> str | None:
    """The proxy's request id if it is a sane one."""
    if value and INCOMING_ID.fullmatch(value):
        return value
    return None


def current_request_id() -> str | None:
    """The id of the request being answered (``None`` outside a request)."""
    found = _request_id.get()
    if found is None and has_request_context():
        found = request.environ.get(ENVIRON_KEY)
    return found


def _user_id() -> int | None:
    """The signed-in person's id, if this request loaded them (page session or API
    token); read from the identity map, so that logging never queries the database."""
    if not has_request_context():
        return None
    user = g.get("api_user") or g.get("_login_user")
    state = sa.inspect(user, raiseerr=False) if user is not None else None
    if state is None or not state.identity:
        return None  # anonymous
    return state.identity[0]


class TrustedProxies:
    """WSGI middleware: ``ProxyFix`` for ``PROCURE_PROXY_HOPS`` proxies (none: as is)."""

    def __init__(self, app: Flask, wsgi_app: Any) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._fixes: dict[int, ProxyFix] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        hops = self.app.config["PROCURE_PROXY_HOPS"]
        if not hops:
            return self.wsgi_app(environ, start_response)
        fix = self._fixes.get(hops)
        if fix is None:
            fix = self._fixes[hops] = ProxyFix(self.wsgi_app, x_for=hops, x_proto=hops)
        return fix(environ, start_response)


class RequestLog:
    """WSGI middleware: give each request its id, echo it in the answer, and log one
    line when the answer starts (its status, how long it took, who asked)."""

    def __init__(self, app: Flask, wsgi_app: Any) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request_id = incoming_id(environ.get("HTTP_X_REQUEST_ID")) or uuid.uuid4().hex
        environ[ENVIRON_KEY] = request_id
        started = time.perf_counter()
        logged = False

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
            nonlocal logged
            headers = [(k, v) for k, v in headers if k.lower() != HEADER.lower()]
            headers.append((HEADER, request_id))
            if not logged:
                logged = True
                self._log(environ, status, started)
            return start_response(status, headers, exc_info)

        token = _request_id.set(request_id)
        try:
            return self.wsgi_app(environ, start)
        finally:
            _request_id.reset(token)

    def _log(self, environ: dict[str, Any], status: str, started: float) -> None:
        code = int(status.split(" ", 1)[0])
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        method = environ.get("REQUEST_METHOD", "")
        path = redacted(request.path if has_request_context() else _path(environ))
        level = logging.ERROR if code >= 500 else logging.WARNING if code >= 400 else logging.INFO
        fields = {
            "method": method,
            "path": path,
            "status": code,
            "duration_ms": duration_ms,
            "user_id": _user_id(),
            "remote_addr": environ.get("REMOTE_ADDR"),
        }
        requests_log.log(
            level,
            "%s %s %s %.1fms",
            method,
            path,
            code,
            duration_ms,
            extra={"fields": fields, "log_format": self.app.config["PROCURE_LOG_FORMAT"]},
        )


# A private link (a vendor's, an e-mail's decision) carries its credential in the path:
# the logs never keep it.
_PRIVATE_LINK = re.compile(r"^/(quote|invoice|act)/[^/]+")


def redacted(path: str) -> str:
    """``path`` with a private link's token replaced: ``/invoice/…/einvoice``."""
    return _PRIVATE_LINK.sub(r"/\1/…", path)


def _path(environ: dict[str, Any]) -> str:
    raw = environ.get("PATH_INFO", "")
    return raw.encode("latin-1", "replace").decode("utf-8", "replace")


# The lines ------------------------------------------------------------------------------


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is written (a test runner
    swaps it), as logging's own last-resort handler does."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class RequestFields(logging.Filter):
    """Adds the request's id to every line, and for a warning or an error inside a
    request, which request it was."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        if record.levelno >= logging.WARNING and has_request_context():
            fields = dict(getattr(record, "fields", None) or {})
            fields.setdefault("method", request.method)
            fields.setdefault("path", redacted(request.path))
            fields.setdefault("user_id", _user_id())
            fields.setdefault("remote_addr", request.remote_addr)
            record.fields = fields
        return True


class Formatter(logging.Formatter):
    """JSON or plain text: the line's own ``log_format``, else the current app's
    ``PROCURE_LOG_FORMAT``, else the format logging was set up with."""

    def __init__(self, default: str = "json") -> None:
        super().__init__()
        self.default = default

    def format(self, record: logging.LogRecord) -> str:
        kind = getattr(record, "log_format", None)
        if kind is None and has_app_context():
            kind = current_app.config.get("PROCURE_LOG_FORMAT")
        if (kind or self.default) == "text":
            return self.as_text(record)
        return self.as_json(record)

    def _time(self, record: logging.LogRecord) -> str:
        at = dt.datetime.fromtimestamp(record.created, dt.UTC)
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"

    def as_json(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self._time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in (getattr(record, "fields", None) or {}).items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        # json.dumps escapes every control character: one record is one line.
        return json.dumps(entry, default=str)

    def as_text(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or "-"
        line = f"{self._time(record)} {record.levelname} {record.name} [{request_id}] "
        line += _one_line(record.getMessage())
        if record.name == requests_log.name:
            fields = getattr(record, "fields", None) or {}
            line += f" user={fields.get('user_id') or '-'} remote={fields.get('remote_addr')}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _one_line(text: str) -> str:
    """Control characters escaped: no value can start a line of its own."""
    return "".join(
        char.encode("unicode_escape").decode("ascii")
        if ord(char) < 0x20 or char == "\x7f"
        else char
        for char in text
    )


def configure_logging(log_format: str) -> StderrHandler:
    """Put one stderr handler on the ``procure`` logger (Flask's default one off),
    and let info lines through. Creating the app again reuses the handler."""
    logger = logging.getLogger("procure")
    logger.removeHandler(default_handler)
    handler = next((h for h in logger.handlers if isinstance(h, StderrHandler)), None)
    if handler is None:
        handler = StderrHandler()
        handler.addFilter(RequestFields())
        handler.setFormatter(Formatter())
        logger.addHandler(handler)
    if isinstance(handler.formatter, Formatter):
        handler.formatter.default = log_format
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    return handler
