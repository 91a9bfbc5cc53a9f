"""What the service is doing, for Prometheus: ``GET /metrics``; and errors to Sentry.

Request counts and latencies, the database pool and failed sign-ins are counted in
each process by prometheus-client in its multiprocess mode: every gunicorn worker
writes its own files in ``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` answers their
sum, whichever worker it reaches. Unset, a private folder is made that the workers
of one server share (named after their process group). What the database knows
(the outbox, pending approval steps) is read from it at each scrape, so every
worker answers the same.

Who may read: a client whose address is in ``PROCURE_METRICS_ALLOW``, or one that
sends ``Authorization: Bearer $PROCURE_METRICS_TOKEN``. Without a token set the path
does not exist (404); with one, a missing or wrong token is 401.

Errors go to Sentry only when ``SENTRY_DSN`` is set.
"""

from __future__ import annotations

import dataclasses
import functools
import hmac
import ipaddress
import logging
import os
import tempfile
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sentry_sdk
import sqlalchemy as sa
from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from sentry_sdk.integrations.flask import FlaskIntegration

from .extensions import db
from .models import (
    ApprovalStep,
    LoginAttempt,
    Notification,
    NotificationStatus,
    StepStatus,
    utcnow,
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
SIGN_IN_EVENTS = {"sign_in_failed": "failed", "sign_in_throttled": "throttled"}
_START = "procure_metrics_start"
_COUNTED = "procure_metrics_counted"


@dataclasses.dataclass(frozen=True)
class Instruments:
    requests: Counter
    duration: Histogram
    sign_in_failures: Counter
    pool_in_use: Gauge
    pool_size: Gauge


def multiprocess_dir() -> str:
    """The folder the processes share their counts in; made (and exported to the
    processes this one starts) when ``PROMETHEUS_MULTIPROC_DIR`` is unset."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        path = _private_dir()
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    Path(path).mkdir(parents=True, exist_ok=True)
    _forget_the_dead(path)
    return path


def _forget_the_dead(path: str) -> None:
    """Drop the live gauges of processes that are gone: a worker killed before
    gunicorn's ``child_exit`` hook ran (or a server without the hook) would otherwise
    be counted in "connections in use" for ever. Counters of dead workers stay: their
    requests happened."""
    for live in Path(path).glob("gauge_live*_*.db"):
        pid = live.stem.rpartition("_")[2]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            mark_process_dead(int(pid), path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # somebody else's process
    return True


def _private_dir() -> str:
    # gunicorn's workers each load the app (unless --preload) after the fork; they share
    # their master's process group, so a folder named after it is theirs in common, and
    # a restarted service (a new group) starts its counts afresh.
    path = Path(tempfile.gettempdir()) / f"procure-metrics-{os.getuid()}-{os.getpgrp()}"
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        info = path.lstat()
        if path.is_symlink() or info.st_uid != os.getuid() or info.st_mode & 0o077:
            return tempfile.mkdtemp(prefix="procure-metrics-")
    return str(path)


@functools.cache
def instruments() -> Instruments:
    """The process's metrics, made once, after the multiprocess folder is known."""
    multiprocess_dir()
    if values.ValueClass is values.MutexValue:
        # prometheus-client picks its value store when first imported; the folder may
        # only have been chosen now.
        values.ValueClass = values.MultiProcessValue()
    return Instruments(
        requests=Counter(
            "procure_http_requests",
            "HTTP requests answered, by endpoint, method and status.",
            ["endpoint", "method", "status"],
            registry=None,
        ),
        duration=Histogram(
            "procure_http_request_duration_seconds",
            "Time to answer an HTTP request, by endpoint and method.",
            ["endpoint", "method"],
            registry=None,
        ),
        sign_in_failures=Counter(
            "procure_sign_in_failures",
            "Refused sign-ins (page and API): wrong credentials or throttled.",
            ["reason"],
            registry=None,
        ),
        pool_in_use=Gauge(
            "procure_db_pool_connections_in_use",
            "Database connections checked out of the pool now, summed over live workers.",
            registry=None,
            multiprocess_mode="livesum",
        ),
        pool_size=Gauge(
            "procure_db_pool_size",
            "Connections the pools keep open, summed over live workers.",
            registry=None,
            multiprocess_mode="livesum",
        ),
    )


def init_app(app: Flask) -> None:
    """Count requests, serve ``/metrics``; nothing is written until a request comes, so
    command-line runs leave no trace."""
    init_sentry(app)
    parse_allow(app.config["PROCURE_METRICS_ALLOW"])  # a malformed entry stops the start
    # First among the hooks, so that a request another hook refuses is timed too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
    app.add_url_rule("/metrics", endpoint="metrics", view_func=metrics_view, methods=["GET"])
    security_log = logging.getLogger("procure.security")
    if not any(isinstance(handler, _SignInFailures) for handler in security_log.handlers):
        security_log.addHandler(_SignInFailures())


def report_unhandled(exc: BaseException) -> None:
    """Send an unhandled error to Sentry, when ``SENTRY_DSN`` set it up (else nothing).

    Said here, not left to the SDK: the app's own error page handles every exception,
    so Flask's ``got_request_exception`` never fires, and the SDK's logging integration
    (which turned the logged error into an event) is no longer on by default."""
    if sentry_sdk.get_client().is_active():
        sentry_sdk.capture_exception(exc)


def init_sentry(app: Flask) -> None:
    """Send unhandled errors to Sentry when ``SENTRY_DSN`` is set; never otherwise."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    sentry_sdk.init(
        dsn=dsn,
        integrations=[FlaskIntegration()],
        environment=app.config.get("PROCURE_ENV") or "development",
        # The SDK's default sends no personal data (no e-mail addresses, cookies or
        # bodies); nothing here turns it on.
    )


@functools.lru_cache(maxsize=8)
def parse_allow(raw: str | None) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """``PROCURE_METRICS_ALLOW``: comma-separated addresses (or networks, ``10.0.0.0/8``)."""
    networks = []
    for entry in (raw or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"PROCURE_METRICS_ALLOW: {entry!r} is not an IP address or network"
            ) from None
    return tuple(networks)


def _start() -> None:
    setattr(g, _START, time.perf_counter())
    # The test suite lends the app a connection in place of the engine: its engine.
    engine = db.engine.engine
    if engine not in _WATCHED:
        _WATCHED.add(engine)
        _watch_pool(engine, instruments())


def _finish(response: Response) -> Response:
    endpoint = request.endpoint or "unmatched"  # no path: unmatched ones are unbounded
    method = request.method if request.method in METHODS else "other"
    metrics = instruments()
    metrics.requests.labels(endpoint, method, str(response.status_code)).inc()
    started = g.pop(_START, None)
    if started is not None:
        metrics.duration.labels(endpoint, method).observe(time.perf_counter() - started)
    return response


_WATCHED: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


def _watch_pool(engine: sa.Engine, metrics: Instruments) -> None:
    size = getattr(engine.pool, "size", None)
    if callable(size):
        metrics.pool_size.set(size())

    def checkout(_dbapi: Any, record: Any, _proxy: Any) -> None:
        record.info[_COUNTED] = True
        metrics.pool_in_use.inc()

    def checkin(_dbapi: Any, record: Any) -> None:
        # Only what was counted out: a connection already out when watching began.
        if record is not None and record.info.pop(_COUNTED, False):
            metrics.pool_in_use.dec()

    sa.event.listen(engine, "checkout", checkout)
    sa.event.listen(engine, "checkin", checkin)


class _SignInFailures(logging.Handler):
    """Counts the security log's refused sign-ins (``security.security_event``)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "event", None)
        if event is None and isinstance(record.args, tuple) and record.args:
            event = record.args[0]
        reason = SIGN_IN_EVENTS.get(str(event))
        if reason is not None:
            instruments().sign_in_failures.labels(reason).inc()


class DatabaseCollector:
    """What waits, read from the database at each scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        waiting = (NotificationStatus.PENDING, NotificationStatus.SENDING)
        depth, oldest = db.session.execute(
            sa.select(sa.func.count(), sa.func.min(Notification.created_at)).where(
                Notification.status.in_(waiting)
            )
        ).one()
        yield GaugeMetricFamily(
            "procure_outbox_depth", "E-mails waiting to be sent (pending or being sent).", depth
        )
        yield GaugeMetricFamily(
            "procure_outbox_oldest_pending_age_seconds",
            "Age of the oldest e-mail waiting to be sent (0 when none waits).",
            _age(now, oldest),
        )
        steps, oldest = db.session.execute(
            sa.select(sa.func.count(), sa.func.min(ApprovalStep.pending_since)).where(
                ApprovalStep.status == StepStatus.PENDING
            )
        ).one()
        yield GaugeMetricFamily(
            "procure_approval_steps_pending", "Approval steps waiting for a decision.", steps
        )
        yield GaugeMetricFamily(
            "procure_approval_oldest_wait_seconds",
            "How long the longest-waiting approval step has waited (0 when none waits).",
            _age(now, oldest),
        )
        blocked = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.blocked_until > now)
        )
        yield GaugeMetricFamily(
            "procure_sign_in_blocked_addresses",
            "E-mail addresses whose sign-in is throttled now.",
            blocked,
        )


def _age(now, since) -> float:  # type: ignore[no-untyped-def]
    return max((now - since).total_seconds(), 0.0) if since is not None else 0.0


def metrics_view() -> Response:
    refusal = _refusal()
    if refusal is not None:
        return refusal
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=multiprocess_dir())
    registry.register(DatabaseCollector())
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def _refusal() -> Response | None:
    address = request.remote_addr
    if address and _allowed(address, parse_allow(current_app.config["PROCURE_METRICS_ALLOW"])):
        return None
    token = current_app.config.get("PROCURE_METRICS_TOKEN") or ""
    if not token:
        abort(404)
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode()):
        return None
    # Plain text, not the site's error page: the reader is a scraper.
    return Response(
        "Send Authorization: Bearer with the metrics token.\n",
        401,
        {"WWW-Authenticate": 'Bearer realm="metrics"'},
        content_type="text/plain; charset=utf-8",
    )


def _allowed(address: str, networks: tuple) -> bool:  # type: ignore[type-arg]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)
