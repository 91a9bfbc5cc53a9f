"""Configuration: defaults, then ``PROCURE_*`` environment variables.

Everything here is read inside :func:`procure.create_app`, never at import time.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIX = "PROCURE_"

# Names of the PROCURE_* variables and the config keys they set.
ENVIRONMENT = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "SMTP_URL": "PROCURE_SMTP_URL",
    "MAIL_FROM": "PROCURE_MAIL_FROM",
    "CURRENCY": "PROCURE_CURRENCY",
    "BASE_URL": "PROCURE_BASE_URL",
    "FISCAL_YEAR_START": "PROCURE_FISCAL_YEAR_START",
    "SECURE_COOKIES": "SESSION_COOKIE_SECURE",
    "LOCALE": "PROCURE_LOCALE",
    "ORGANISATION": "PROCURE_ORGANISATION",
    "ORGANISATION_ADDRESS": "PROCURE_ORGANISATION_ADDRESS",
    "DELIVERY_ADDRESS": "PROCURE_DELIVERY_ADDRESS",
    "ENV": "PROCURE_ENV",
    "TRUSTED_HOSTS": "PROCURE_TRUSTED_HOSTS",
    "LOG_FORMAT": "PROCURE_LOG_FORMAT",
    "PROXY_HOPS": "PROCURE_PROXY_HOPS",
    "METRICS_TOKEN": "PROCURE_METRICS_TOKEN",
    "METRICS_ALLOW": "PROCURE_METRICS_ALLOW",
    "RETENTION_DAYS": "PROCURE_RETENTION_DAYS",
}

INTEGER_KEYS = {"PROCURE_FISCAL_YEAR_START", "PROCURE_PROXY_HOPS", "PROCURE_RETENTION_DAYS"}
BOOLEAN_KEYS = {"SESSION_COOKIE_SECURE"}


class Config:
    """Defaults for every installation."""

    SQLALCHEMY_DATABASE_URI: str | None = None  # set from the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "procure_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    # JSON bodies and forms; uploads raise it per request where they are allowed.
    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    PROCURE_CURRENCY = "USD"
    PROCURE_LOCALE = "en_US"
    # Absolute links (e-mails, the calendar feed) are built from it, never from the
    # request's Host header.
    PROCURE_BASE_URL = "http://127.0.0.1:5000"
    # "development" or "production".
    PROCURE_ENV = "development"
    # Host names the server answers for, comma-separated (Flask's TRUSTED_HOSTS); empty:
    # the host of PROCURE_BASE_URL, plus localhost and 127.0.0.1 outside production.
    PROCURE_TRUSTED_HOSTS = ""
    # "json" (one line per request and per warning, for a log search) or "text".
    PROCURE_LOG_FORMAT = "json"
    # How many reverse proxies in front set X-Forwarded-For / -Proto (0: none trusted).
    PROCURE_PROXY_HOPS = 0
    # GET /metrics: the bearer token it needs (unset: 404), and comma-separated client
    # addresses that may read it without one.
    PROCURE_METRICS_TOKEN = ""
    PROCURE_METRICS_ALLOW = ""
    # Errors go to Sentry only when this is set (read from SENTRY_DSN, no prefix).
    SENTRY_DSN = ""
    # `prune` deletes ended sessions, stale sign-in attempts and sent e-mails older than this.
    PROCURE_RETENTION_DAYS = 90
    PROCURE_SMTP_URL = "smtp://127.0.0.1:25"
    PROCURE_MAIL_FROM = "Procure <procure@localhost>"
    PROCURE_FISCAL_YEAR_START = 1
    # The buyer on purchase orders and contracts.
    PROCURE_ORGANISATION = "Example Organisation"
    PROCURE_ORGANISATION_ADDRESS = "1 Example Street\nExample City"
    # Where goods go unless an order says otherwise (default: the organisation's address).
    PROCURE_DELIVERY_ADDRESS = ""
    # Sign-in throttle: after this many failures, each further attempt waits.
    LOGIN_FAILURES_BEFORE_THROTTLE = 5
    LOGIN_THROTTLE_SECONDS = 30
    LOGIN_THROTTLE_MAX_SECONDS = 15 * 60
    API_PAGE_SIZE_MAX = 200
    # werkzeug's default; the test suite sets a cheap one to stay fast.
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 -- a method name, not a password


def from_environment(environ: dict[str, str] | os._Environ[str]) -> dict[str, Any]:
    """Translate ``PROCURE_*`` variables into config keys."""
    values: dict[str, Any] = {}
    for name, key in ENVIRONMENT.items():
        raw = environ.get(ENV_PREFIX + name)
        if raw is None or raw == "":
            continue
        if key in INTEGER_KEYS:
            values[key] = int(raw)
        elif key in BOOLEAN_KEYS:
            values[key] = raw.strip().lower() in {"1", "true", "yes", "on"}
        else:
            values[key] = raw
    if environ.get("SENTRY_DSN"):
        values["SENTRY_DSN"] = environ["SENTRY_DSN"]
    return values


PRODUCTION = "production"
LOCAL_HOSTS = ("localhost", "127.0.0.1")


def trusted_hosts(config: Mapping[str, Any]) -> list[str]:
    """The host names requests may name in their ``Host`` header (Flask's ``TRUSTED_HOSTS``).

    ``PROCURE_TRUSTED_HOSTS`` when set; else the host of ``PROCURE_BASE_URL``, and outside
    production mode ``localhost`` and ``127.0.0.1`` as well, so that a developer's browser
    and the test client are answered."""
    configured = config.get("PROCURE_TRUSTED_HOSTS") or ""
    if isinstance(configured, str):
        configured = configured.split(",")
    hosts = [host.strip().lower() for host in configured if host.strip()]
    if hosts:
        return list(dict.fromkeys(hosts))
    base_host = urlsplit(config.get("PROCURE_BASE_URL") or "").hostname
    hosts = [base_host] if base_host else []
    if str(config.get("PROCURE_ENV") or "").strip().lower() != PRODUCTION:
        hosts.extend(LOCAL_HOSTS)
    return list(dict.fromkeys(hosts))


def normalise_database_url(url: str) -> str:
    """Let a plain ``postgresql://`` URL use the driver Procure installs (psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def instance_secret_key(instance_path: str | Path) -> str:
    """Return the installation's secret key, generating it once into the instance folder."""
    path = Path(instance_path) / "secret_key"
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if key:
        return key
    key = secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: when two processes start at once, the first key written wins.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
