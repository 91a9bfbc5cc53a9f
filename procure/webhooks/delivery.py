"""Delivering queued webhook events: ``flask --app wsgi send-notifications``, after the
e-mail. The same shape as the e-mail's sender (``procure/outbox.py``), so any
number of senders may run at once:

1. *Claim* due deliveries in a short write transaction (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite): ``pending`` ones whose time has come,
   and ``sending`` ones claimed more than 15 minutes ago by a sender that died.
2. *Send* outside any transaction: one POST per delivery, to the address the URL's
   name resolves to *now*, checked again by ``outbound.py`` (no private address unless
   allowed), so a name that changed its answer since registration reaches nothing
   private. No redirect is followed: a 3xx is a failure like any other non-2xx.
3. *Record* each attempt (the endpoint's delivery log) and the delivery's outcome in a
   short transaction, the outcome only while the claim is still ours: ``delivered``,
   or due again 60 s later doubling up to an hour, or ``failed`` after 10 attempts.

Every attempt carries the event's id (the same each time: receivers de-duplicate on
it) and a fresh ``X-Procure-Delivery`` id, and is signed when the endpoint has a secret.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import time
import uuid
from urllib.parse import urlsplit

import sqlalchemy as sa
import urllib3
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError

from .. import outbound, outbox
from ..extensions import db
from ..models import (
    AttemptStatus,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    utcnow,
)
from . import endpoints, presets

BATCH_SIZE = 20
MAX_ATTEMPTS = 10
# A claim older than this belongs to a sender that died: the delivery is claimed again.
STALE_CLAIM = outbox.STALE_CLAIM
CONNECT_TIMEOUT = 5.0  # seconds
READ_TIMEOUT = 10.0
EXCERPT_MAX = 200  # of a non-2xx answer's body, kept in the attempt's error
ERROR_MAX = 500
USER_AGENT = "Procure-Webhooks/1"
# Certificates are checked against the system's trust store; the tests name their own CA.
CA_CERTS: str | None = None

NOT_SIGNABLE = (
    "not sent: the endpoint's secret cannot be read with this SECRET_KEY; restore the key "
    "it was registered with, or delete the endpoint and register it again"
)

Status = DeliveryStatus
_table = WebhookDelivery.__table__


@dataclasses.dataclass(frozen=True)
class Claimed:
    """A delivery this sender claimed, and what proves the claim is still ours."""

    id: int
    endpoint_id: int
    event_id: int
    attempts: int
    claimed_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class Outgoing:
    """One POST, read from the database before sending (no transaction stays open)."""

    url: str
    event_type: str
    body: bytes
    secret: str
    # Sealed with another SECRET_KEY: sending unsigned would only be refused, or worse, not.
    secret_lost: bool = False


@dataclasses.dataclass(frozen=True)
class Outcome:
    delivered: bool
    response_code: int | None = None
    error: str = ""


@dataclasses.dataclass
class Report:
    delivered: int = 0
    failed: int = 0  # failed this run: to be tried again, or given up on
    given_up: int = 0
    waiting: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.delivered or self.failed or self.waiting)

    @property
    def summary(self) -> str:
        return (
            f"webhooks: delivered {self.delivered}, failed {self.failed}, waiting {self.waiting}"
        )


# Claiming and recording ------------------------------------------------------------------


def claim(limit: int, now: dt.datetime) -> list[Claimed]:
    """Take up to ``limit`` due deliveries for this sender (oldest due first)."""
    rows = outbox.claim(
        _table,
        limit,
        now,
        [
            _table.c.id,
            _table.c.endpoint_id,
            _table.c.event_id,
            _table.c.attempts,
            _table.c.claimed_at,
        ],
    )
    return [Claimed(**row._asdict()) for row in rows]


def _ours(item: Claimed) -> sa.ColumnElement[bool]:
    return outbox.ours(_table, item.id, item.claimed_at)


retry_delay = outbox.retry_delay


def record(
    item: Claimed, outcome: Outcome, now: dt.datetime, *, uid: str, duration_ms: int
) -> bool:
    """Log the attempt and settle the delivery; True when it is given up on. The attempt
    is logged even if the claim was lost meanwhile: it did reach the endpoint."""
    attempts = item.attempts + 1
    final = not outcome.delivered and attempts >= MAX_ATTEMPTS
    with outbox.write_transaction():
        db.session.add(
            WebhookAttempt(
                uid=uid,
                delivery_id=item.id,
                endpoint_id=item.endpoint_id,
                event_id=item.event_id,
                at=now,
                status=AttemptStatus.DELIVERED if outcome.delivered else AttemptStatus.FAILED,
                response_code=outcome.response_code,
                error=outcome.error[:ERROR_MAX],
                duration_ms=duration_ms,
            )
        )
        if outcome.delivered:
            values = {"status": Status.DELIVERED, "delivered_at": now, "last_error": ""}
        else:
            values = {
                "status": Status.FAILED if final else Status.PENDING,
                "last_error": outcome.error[:ERROR_MAX],
                "next_attempt_at": now + retry_delay(attempts),
            }
        db.session.execute(
            sa.update(_table).where(_ours(item)).values(attempts=attempts, **values)
        )
    return final


def give_up(item: Claimed, reason: str) -> None:
    """A delivery that can never be made (its endpoint was deleted): failed, no attempt."""
    with outbox.write_transaction():
        db.session.execute(
            sa.update(_table)
            .where(_ours(item))
            .values(status=Status.FAILED, last_error=reason[:ERROR_MAX])
        )


def count_waiting() -> int:
    """Deliveries not made yet and not given up on (queued, or being sent)."""
    return outbox.count_waiting(_table)


# Sending ---------------------------------------------------------------------------------


def outgoing(item: Claimed) -> Outgoing | None:
    """What to POST for a claimed delivery; None when its endpoint was deleted."""
    endpoint = db.session.get(WebhookEndpoint, item.endpoint_id)
    event = db.session.get(WebhookEvent, item.event_id)
    if endpoint is None or event is None or endpoint.deleted_at is not None:
        return None
    secret = endpoints.unseal(endpoint)
    return Outgoing(
        url=endpoint.url,
        event_type=event.type,
        body=presets.body(endpoint.kind, event),
        secret=secret,
        secret_lost=bool(endpoint.secret_sealed) and not secret,
    )


def signature(secret: str, body: bytes, at: int) -> str:
    """``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` (docs/webhooks.md)."""
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256)
    return f"t={at},v1={mac.hexdigest()}"


def headers(message: Outgoing, uid: str, host: str) -> dict[str, str]:
    sent = {
        "Host": host,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Procure-Event": message.event_type,
        "X-Procure-Delivery": uid,
    }
    if message.secret:
        # The time of sending, not the scheduler's clock: receivers compare it to theirs.
        sent["X-Procure-Signature"] = signature(message.secret, message.body, int(time.time()))
    return sent


def _pool(
    scheme: str, address: outbound.Address, port: int, host: str
) -> urllib3.HTTPConnectionPool:
    """A pool to the checked address; for https the certificate must name ``host``."""
    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
    if scheme == "https":
        return urllib3.HTTPSConnectionPool(
            str(address),
            port,
            timeout=timeout,
            maxsize=1,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            ca_certs=CA_CERTS,
            server_hostname=host,
            assert_hostname=host,
        )
    return urllib3.HTTPConnectionPool(
        str(address), port, timeout=timeout, maxsize=1, retries=False
    )


def _answer(response: urllib3.BaseHTTPResponse) -> Outcome:
    code = response.status
    if 200 <= code < 300:
        return Outcome(True, code)
    excerpt = response.read(EXCERPT_MAX, decode_content=False).decode("utf-8", "replace")
    excerpt = " ".join(excerpt.split())
    said = "redirects are not followed" if 300 <= code < 400 else excerpt
    return Outcome(False, code, f"answered {code}" + (f": {said}" if said else ""))


def _failure(exc: Exception) -> str:
    if isinstance(exc, ReadTimeoutError):
        return f"no answer within {READ_TIMEOUT:g} s"
    if isinstance(exc, ConnectTimeoutError):
        return f"could not connect within {CONNECT_TIMEOUT:g} s"
    if isinstance(exc, urllib3.exceptions.SSLError):
        return f"TLS failed (the certificate must be valid for the URL's host): {exc}"
    if isinstance(exc, NewConnectionError):
        return f"could not connect: {str(exc).rpartition(': ')[2]}"
    return f"{type(exc).__name__}: {exc}"


def post(message: Outgoing, uid: str, *, allow_private: bool) -> Outcome:
    """One POST to the endpoint, trying each checked address until one connects."""
    try:
        scheme, host, port, addresses = outbound.checked_addresses(
            message.url, allow_private=allow_private
        )
    except outbound.UnsafeUrl as exc:
        return Outcome(False, None, f"refused: {exc}")
    parts = urlsplit(message.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sent = headers(message, uid, parts.netloc)
    error = ""
    for address in addresses:
        pool = _pool(scheme, address, port, host)
        try:
            response = pool.urlopen(
                "POST",
                target,
                body=message.body,
                headers=sent,
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
            try:
                return _answer(response)
            finally:
                response.release_conn()
        except (NewConnectionError, ConnectTimeoutError) as exc:
            error = _failure(exc)  # the next address may answer
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return Outcome(False, None, _failure(exc))
        finally:
            pool.close()
    return Outcome(False, None, error)


def _deliver(item: Claimed, report: Report, now: dt.datetime, allow_private: bool) -> None:
    message = outgoing(item)
    db.session.commit()  # nothing is held open while the endpoint answers
    if message is None:
        give_up(item, "the endpoint was deleted")
        report.failed += 1
        report.given_up += 1
        return
    uid = str(uuid.uuid4())
    started = time.monotonic()
    if message.secret_lost:
        outcome = Outcome(False, None, NOT_SIGNABLE)
    else:
        outcome = post(message, uid, allow_private=allow_private)
    duration_ms = round((time.monotonic() - started) * 1000)
    given_up = record(item, outcome, now, uid=uid, duration_ms=duration_ms)
    if outcome.delivered:
        report.delivered += 1
    else:
        report.failed += 1
        report.given_up += given_up


def send_pending(*, now: dt.datetime | None = None, batch_size: int = BATCH_SIZE) -> Report:
    """Deliver every due webhook, batch by batch. ``now`` stands for the clock (tests
    move it); by default the real time."""
    report = Report()
    allow_private = endpoints.allow_private()
    while True:
        clock = now or utcnow()
        batch = claim(batch_size, clock)
        if not batch:
            break
        for item in batch:
            _deliver(item, report, clock, allow_private)
    report.waiting = count_waiting()
    return report
