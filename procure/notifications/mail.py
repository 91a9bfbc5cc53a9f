"""Delivering the outbox by SMTP: ``flask --app wsgi send-notifications``.

Any number of senders may run at once, on any number of hosts: each claims a batch,
sends it outside any transaction and records each outcome while the row is still its
own (``procure/outbox.py``): ``sent``, or back to ``pending`` with an exponential
back-off, or ``failed`` after the last attempt.

A message is therefore sent once, except when a sender dies between handing it to
the SMTP server and recording it: then it is sent again after 15 minutes, with the
same ``Message-ID``. Nothing is lost when the server is down: the claimed rows go
back to ``pending`` and wait for a later run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

import sqlalchemy as sa
from flask import current_app

from .. import attachments, outbox
from ..extensions import db
from ..models import Attachment, Notification, NotificationStatus, utcnow
from .services import clean_subject

BATCH_SIZE = 50
MAX_ATTEMPTS = 10
STALE_CLAIM = outbox.STALE_CLAIM
SMTP_TIMEOUT_SECONDS = 30
ERROR_MAX = 2000

Status = NotificationStatus
_table = Notification.__table__


class SmtpConfigError(ValueError):
    """``PROCURE_SMTP_URL`` cannot be understood."""


@dataclasses.dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    ssl: bool = False  # smtps://: TLS from the first byte
    starttls: bool = False  # smtp://...?starttls=1: upgrade after EHLO
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """``smtp://[user:password@]host[:port][?starttls=1]`` or ``smtps://...``."""
        parts = urlsplit(url or "")
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise SmtpConfigError(
                f"PROCURE_SMTP_URL must look like smtp://host:port or smtps://host:port, "
                f"not {redact(url)!r}."
            )
        try:
            port = parts.port
        except ValueError:
            raise SmtpConfigError(f"PROCURE_SMTP_URL has a bad port: {redact(url)!r}.") from None
        flags = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        secure = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=port or (465 if secure else 25),
            ssl=secure,
            starttls=flags.get("starttls", "").lower() in {"1", "true", "yes", "on"},
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def describe(self) -> str:
        """Where we send, for messages: never the credentials."""
        return f"{'smtps' if self.ssl else 'smtp'}://{self.host}:{self.port}"


def redact(url: str) -> str:
    parts = urlsplit(url or "")
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    connection: smtplib.SMTP
    if settings.ssl:
        connection = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS, context=context
        )
    else:
        connection = smtplib.SMTP(settings.host, settings.port, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        connection.ehlo()
        if settings.starttls:
            connection.starttls(context=context)
            connection.ehlo()
        if settings.username:
            connection.login(settings.username, settings.password or "")
    except BaseException:
        connection.close()
        raise
    return connection


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()


# The message -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Claimed:
    """A row this sender claimed: what to send, and what proves the claim is ours."""

    id: int
    email: str
    subject: str
    body_text: str
    body_html: str
    attempts: int
    created_at: dt.datetime
    claimed_at: dt.datetime
    # A file to send with the message (the purchase order's PDF), if any.
    attachment_id: int | None = None


def build_message(item: Claimed, sender: str) -> EmailMessage:
    """A text part and an HTML alternative. The Message-ID is the notification's own,
    so that a message sent twice (see the module's docstring) is recognisably one."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["Subject"] = clean_subject(item.subject)
    message["From"] = sender
    message["To"] = item.email
    message["Date"] = format_datetime(item.created_at.replace(tzinfo=dt.UTC))
    message["Message-ID"] = f"<notification-{item.id}.{item.created_at:%Y%m%d%H%M%S}@{domain}>"
    # RFC 3834: no vacation auto-replies to a machine.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(item.body_text)
    message.add_alternative(item.body_html, subtype="html")
    if item.attachment_id is not None:
        _attach(message, item.attachment_id)
    return message


def _attach(message: EmailMessage, attachment_id: int) -> None:
    """Attach a stored file: the bytes kept under its hash, e.g. an issued order's PDF."""
    stored = db.session.get(Attachment, attachment_id)
    if stored is None:
        return
    maintype, _, subtype = stored.content_type.partition("/")
    message.add_attachment(
        attachments.read_bytes(stored),
        maintype=maintype,
        subtype=subtype,
        filename=stored.filename,
    )


# Claiming and recording ----------------------------------------------------------------


def claim(limit: int, now: dt.datetime) -> list[Claimed]:
    """Take up to ``limit`` due messages for this sender (oldest due first)."""
    rows = outbox.claim(
        _table,
        limit,
        now,
        [
            _table.c.id,
            _table.c.email,
            _table.c.subject,
            _table.c.body_text,
            _table.c.body_html,
            _table.c.attempts,
            _table.c.created_at,
            _table.c.claimed_at,
            _table.c.attachment_id,
        ],
    )
    return [Claimed(**row._asdict()) for row in rows]


def _ours(item: Claimed) -> sa.ColumnElement[bool]:
    return outbox.ours(_table, item.id, item.claimed_at)


retry_delay = outbox.retry_delay


def record_sent(item: Claimed, now: dt.datetime) -> None:
    with outbox.write_transaction():
        db.session.execute(
            sa.update(_table)
            .where(_ours(item))
            .values(status=Status.SENT, sent_at=now, last_error="")
        )


def record_failures(
    items: list[Claimed], error: str, now: dt.datetime, *, permanent: bool = False
) -> int:
    """Put the messages back in the queue for later, or give up on them; returns how
    many were given up.

    One row per transaction, as for a message sent: a sender never holds two row
    locks at once, so it cannot deadlock with "mark all as read" on the same rows."""
    given_up = 0
    for item in items:
        attempts = item.attempts + 1
        final = permanent or attempts >= MAX_ATTEMPTS
        given_up += final
        with outbox.write_transaction():
            db.session.execute(
                sa.update(_table)
                .where(_ours(item))
                .values(
                    status=Status.FAILED if final else Status.PENDING,
                    attempts=attempts,
                    last_error=error[:ERROR_MAX],
                    next_attempt_at=now + retry_delay(attempts),
                )
            )
    return given_up


def count_waiting() -> int:
    """Messages not delivered yet and not given up on (queued, or being sent)."""
    return outbox.count_waiting(_table)


# Sending -------------------------------------------------------------------------------


@dataclasses.dataclass
class Report:
    sent: int = 0
    failed: int = 0  # failed this run: to be tried again, or given up on
    given_up: int = 0
    waiting: int = 0
    errors: list[str] = dataclasses.field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"sent {self.sent}, failed {self.failed}, waiting {self.waiting}"


def _permanent(exc: smtplib.SMTPRecipientsRefused) -> bool:
    """Every recipient refused with a 5xx: retrying will not help."""
    return bool(exc.recipients) and all(code >= 500 for code, _message in exc.recipients.values())


def _fail(
    report: Report, items: list[Claimed], error: str, now: dt.datetime, *, permanent: bool = False
) -> None:
    report.failed += len(items)
    report.given_up += record_failures(items, error, now, permanent=permanent)


def _deliver(
    batch: list[Claimed], settings: SmtpSettings, sender: str, report: Report, now: dt.datetime
) -> bool:
    """Send one claimed batch over one connection; False when the server is unreachable."""
    try:
        connection = connect(settings)
    except (OSError, smtplib.SMTPException) as exc:  # refused, timed out, TLS, login
        error = f"cannot deliver through {settings.describe()}: {exc or type(exc).__name__}"
        _fail(report, batch, error, now)
        report.errors.append(error)
        return False
    try:
        for index, item in enumerate(batch):
            try:
                message = build_message(item, sender)
            except (ValueError, TypeError) as exc:  # an address the e-mail library refuses
                _fail(report, [item], f"cannot build the message: {exc}", now, permanent=True)
                continue
            except OSError as exc:  # its attachment cannot be read now: try again later
                _fail(report, [item], f"cannot build the message: {exc}", now)
                continue
            try:
                connection.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                error = f"refused: {exc.recipients}"
                _fail(report, [item], error, now, permanent=_permanent(exc))
            except smtplib.SMTPServerDisconnected as exc:
                return _lost(report, batch[index:], settings, exc, now)
            except smtplib.SMTPException as exc:  # 4xx/5xx on MAIL or DATA: try again later
                _fail(report, [item], f"{type(exc).__name__}: {exc}", now)
            except OSError as exc:  # the connection broke
                return _lost(report, batch[index:], settings, exc, now)
            else:
                record_sent(item, now)
                report.sent += 1
    finally:
        _quit(connection)
    return True


def _lost(
    report: Report, rest: list[Claimed], settings: SmtpSettings, exc: Exception, now: dt.datetime
) -> bool:
    error = f"lost the connection to {settings.describe()}: {exc or type(exc).__name__}"
    _fail(report, rest, error, now)
    report.errors.append(error)
    return False


def send_pending(
    *,
    now: dt.datetime | None = None,
    batch_size: int = BATCH_SIZE,
    smtp_url: str | None = None,
    sender: str | None = None,
) -> Report:
    """Deliver every due message, batch by batch; stop when the server is unreachable.

    ``now`` stands for the clock (tests move it); by default the real time."""
    settings = SmtpSettings.from_url(smtp_url or current_app.config["PROCURE_SMTP_URL"])
    sender = sender or current_app.config["PROCURE_MAIL_FROM"]
    report = Report()
    while True:
        clock = now or utcnow()
        batch = claim(batch_size, clock)
        if not batch or not _deliver(batch, settings, sender, report, clock):
            break
    report.waiting = count_waiting()
    if report.errors:
        report.errors.append(
            f"{report.waiting} message{'s' if report.waiting != 1 else ''} "
            "stay queued for a later run."
        )
    return report
