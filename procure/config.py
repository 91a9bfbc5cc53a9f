"""Configuration: defaults, then ``PROCURE_*`` environment variables.

Everything here is read inside :func:`procure.create_app`, never at import time.
"""

from __future__ import annotations

import ipaddress
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
    "DB_POOL_SIZE": "PROCURE_DB_POOL_SIZE",
    "DB_MAX_OVERFLOW": "PROCURE_DB_MAX_OVERFLOW",
    "DB_STATEMENT_TIMEOUT": "PROCURE_DB_STATEMENT_TIMEOUT",
    "DB_IDLE_TX_TIMEOUT": "PROCURE_DB_IDLE_TX_TIMEOUT",
    "INSTANCE_PATH": "PROCURE_INSTANCE_PATH",
    "STORAGE_URL": "PROCURE_STORAGE_URL",
    # Sign-in and provisioning (docs/sign-in.md).
    "OIDC_ISSUER": "PROCURE_OIDC_ISSUER",
    "OIDC_CLIENT_ID": "PROCURE_OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET": "PROCURE_OIDC_CLIENT_SECRET",
    "OIDC_NAME": "PROCURE_OIDC_NAME",
    "OIDC_SCOPES": "PROCURE_OIDC_SCOPES",
    "OIDC_GROUPS_CLAIM": "PROCURE_OIDC_GROUPS_CLAIM",
    "SAML_IDP_METADATA": "PROCURE_SAML_IDP_METADATA",
    "SAML_SP_ENTITY_ID": "PROCURE_SAML_SP_ENTITY_ID",
    "SAML_NAME": "PROCURE_SAML_NAME",
    "SAML_SP_KEY": "PROCURE_SAML_SP_KEY",
    "SAML_SP_CERT": "PROCURE_SAML_SP_CERT",
    "PASSWORD_LOGIN": "PROCURE_PASSWORD_LOGIN",
    "BREAK_GLASS": "PROCURE_BREAK_GLASS",
    "GROUP_ROLES": "PROCURE_GROUP_ROLES",
    "DEPARTMENT_ATTRIBUTE": "PROCURE_DEPARTMENT_ATTRIBUTE",
    "LDAP_URL": "PROCURE_LDAP_URL",
    "LDAP_BIND_DN": "PROCURE_LDAP_BIND_DN",
    "LDAP_BIND_PASSWORD": "PROCURE_LDAP_BIND_PASSWORD",
    "LDAP_BASE_DN": "PROCURE_LDAP_BASE_DN",
    "LDAP_USER_FILTER": "PROCURE_LDAP_USER_FILTER",
    "LDAP_STARTTLS": "PROCURE_LDAP_STARTTLS",
    "LDAP_CA_FILE": "PROCURE_LDAP_CA_FILE",
    "ACTION_LINK_HOURS": "PROCURE_ACTION_LINK_HOURS",
    "WEBHOOK_ALLOW_PRIVATE": "PROCURE_WEBHOOK_ALLOW_PRIVATE",
}

# Whole numbers and the range each may take (inclusive).
INTEGER_KEYS = {
    "PROCURE_FISCAL_YEAR_START": (1, 12),
    "PROCURE_PROXY_HOPS": (0, 10),
    "PROCURE_RETENTION_DAYS": (1, 100_000),
    "PROCURE_DB_POOL_SIZE": (1, 1000),
    "PROCURE_DB_MAX_OVERFLOW": (0, 1000),
    "PROCURE_DB_STATEMENT_TIMEOUT": (0, 2**31 - 1),
    "PROCURE_DB_IDLE_TX_TIMEOUT": (0, 2**31 - 1),
    "PROCURE_ACTION_LINK_HOURS": (1, 24 * 90),
}
# Comma-separated IP addresses or networks (10.0.0.0/8).
ADDRESS_LISTS = {"PROCURE_METRICS_ALLOW"}
CHOICES = {"PROCURE_ENV": ("development", "production"), "PROCURE_LOG_FORMAT": ("json", "text")}
# Settings whose value check-config never prints (URLs show with their password masked).
SECRET_KEYS = {
    "SECRET_KEY",
    "PROCURE_METRICS_TOKEN",
    "SENTRY_DSN",
    "PROCURE_OIDC_CLIENT_SECRET",
    "PROCURE_LDAP_BIND_PASSWORD",
}
URL_KEYS = {
    "SQLALCHEMY_DATABASE_URI",
    "PROCURE_SMTP_URL",
    "PROCURE_STORAGE_URL",
    "PROCURE_LDAP_URL",
}
BOOLEAN_KEYS = {
    "SESSION_COOKIE_SECURE",
    "PROCURE_PASSWORD_LOGIN",
    "PROCURE_LDAP_STARTTLS",
    "PROCURE_WEBHOOK_ALLOW_PRIVATE",
}


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
    # The database connections each process keeps, and how many more it may open at a
    # peak (SQLAlchemy's pool_size and max_overflow; SQLite ignores both).
    PROCURE_DB_POOL_SIZE = 5
    PROCURE_DB_MAX_OVERFLOW = 10
    # PostgreSQL: statement_timeout and idle_in_transaction_session_timeout, in
    # milliseconds, set on every connection (0: no limit).
    PROCURE_DB_STATEMENT_TIMEOUT = 0
    PROCURE_DB_IDLE_TX_TIMEOUT = 0
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
    # Single sign-on (docs/sign-in.md). OpenID Connect is offered when the issuer and the
    # client id are set; SAML when the identity provider's metadata (a file or a URL) is.
    PROCURE_OIDC_ISSUER = ""
    PROCURE_OIDC_CLIENT_ID = ""
    PROCURE_OIDC_CLIENT_SECRET = ""
    PROCURE_OIDC_NAME = "Company account"
    PROCURE_OIDC_SCOPES = "openid email profile"
    PROCURE_OIDC_GROUPS_CLAIM = "groups"
    PROCURE_SAML_IDP_METADATA = ""
    # Default: PROCURE_BASE_URL + /saml/metadata.
    PROCURE_SAML_SP_ENTITY_ID = ""
    PROCURE_SAML_NAME = "Company sign-in (SAML)"
    # The service provider's own key and certificate (PEM files) for signed requests and
    # encrypted assertions; without them requests go unsigned.
    PROCURE_SAML_SP_KEY = ""
    PROCURE_SAML_SP_CERT = ""
    # Off: only the break-glass admins (comma-separated e-mails) sign in by password.
    PROCURE_PASSWORD_LOGIN = True
    PROCURE_BREAK_GLASS = ""
    # "group=role,group=role": the identity provider's groups and the roles they give;
    # the admin page /admin/sign-in edits the same mapping.
    PROCURE_GROUP_ROLES = ""
    PROCURE_DEPARTMENT_ATTRIBUTE = "department"
    # LDAP / Active Directory sign-in and sync-directory.
    PROCURE_LDAP_URL = ""
    PROCURE_LDAP_BIND_DN = ""
    PROCURE_LDAP_BIND_PASSWORD = ""
    PROCURE_LDAP_BASE_DN = ""
    PROCURE_LDAP_USER_FILTER = "(|(mail={login})(uid={login}))"
    PROCURE_LDAP_STARTTLS = False
    PROCURE_LDAP_CA_FILE = ""
    # How long the Approve / Reject / Return links of a "waits for you" e-mail work.
    PROCURE_ACTION_LINK_HOURS = 72
    # Webhook URLs may not reach private, loopback or link-local addresses unless set.
    PROCURE_WEBHOOK_ALLOW_PRIVATE = False
    # werkzeug's default; the test suite sets a cheap one to stay fast.
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 -- a method name, not a password


class ConfigError(Exception):
    """A setting that stops Procure from starting; ``str()`` is one line naming it."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting


def env_name(key: str) -> str:
    """The environment variable that sets config key ``key``."""
    if key == "SENTRY_DSN":
        return key
    for name, config_key in ENVIRONMENT.items():
        if config_key == key:
            return ENV_PREFIX + name
    return key


def _parse(key: str, raw: str) -> Any:
    setting = env_name(key)
    if key in INTEGER_KEYS:
        low, high = INTEGER_KEYS[key]
        try:
            number = int(raw.strip())
        except ValueError:
            raise ConfigError(setting, f"{raw!r} is not a whole number") from None
        if not low <= number <= high:
            raise ConfigError(setting, f"{number} is out of range ({low} to {high})")
        return number
    if key in BOOLEAN_KEYS:
        flag = raw.strip().lower()
        if flag not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
            raise ConfigError(setting, f"{raw!r} is not one of 1, 0, true, false, yes, no")
        return flag in {"1", "true", "yes", "on"}
    if key == "SQLALCHEMY_DATABASE_URI":
        scheme = raw.split("://", 1)[0] if "://" in raw else ""
        if scheme.split("+", 1)[0] not in {"sqlite", "postgresql", "postgres"}:
            raise ConfigError(setting, "must be a postgresql:// or sqlite:/// URL")
        return raw
    if key == "SENTRY_DSN":
        dsn = urlsplit(raw.strip())
        if dsn.scheme not in {"http", "https"} or not dsn.username or not dsn.path.strip("/"):
            raise ConfigError(setting, "must look like https://<key>@<host>/<project>")
        return raw.strip()
    if key in ADDRESS_LISTS:
        for entry in filter(None, (part.strip() for part in raw.split(","))):
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ConfigError(setting, f"{entry!r} is not an IP address or network") from None
        return raw
    if key in CHOICES:
        choice = raw.strip().lower()
        if choice not in CHOICES[key]:
            raise ConfigError(setting, f"{raw!r} is not one of {', '.join(CHOICES[key])}")
        return choice
    return raw


def read_environment(
    environ: Mapping[str, str],
) -> tuple[dict[str, Any], list[ConfigError]]:
    """The config keys the environment sets, and every malformed value."""
    values: dict[str, Any] = {}
    problems: list[ConfigError] = []
    names = {ENV_PREFIX + name: key for name, key in ENVIRONMENT.items()}
    names["SENTRY_DSN"] = "SENTRY_DSN"
    for name, key in names.items():
        raw = environ.get(name)
        if raw is None or raw == "":
            continue
        try:
            values[key] = _parse(key, raw)
        except ConfigError as problem:
            problems.append(problem)
    return values, problems


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Translate ``PROCURE_*`` variables into config keys; raise the first malformed one."""
    values, problems = read_environment(environ)
    if problems:
        raise problems[0]
    return values


REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "PROCURE_BASE_URL")


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and str(url).split(":", 1)[0].split("+", 1)[0] in {"postgresql", "postgres"}


def strict(given: Mapping[str, Any]) -> bool:
    """Production mode, or a PostgreSQL database outside the test suite: nothing is made up
    for a missing secret key, database or base URL (several machines would disagree)."""
    if str(given.get("PROCURE_ENV") or "").strip().lower() == PRODUCTION:
        return True
    return is_postgres_url(given.get("SQLALCHEMY_DATABASE_URI")) and not given.get("TESTING")


def missing_settings(given: Mapping[str, Any]) -> list[ConfigError]:
    """The required settings ``given`` (the environment and the caller's settings) lacks."""
    if not strict(given):
        return []
    why = (
        "is required in production mode (PROCURE_ENV=production)"
        if str(given.get("PROCURE_ENV") or "").strip().lower() == PRODUCTION
        else "is required with a PostgreSQL database"
    )
    return [
        ConfigError(env_name(key), f"{why}; set it in the environment")
        for key in REQUIRED_IN_PRODUCTION
        if not str(given.get(key) or "").strip()
    ]


def check_values(config: Mapping[str, Any]) -> list[ConfigError]:
    """Values of the right type but unusable together or in themselves."""
    problems = []
    base = urlsplit(str(config.get("PROCURE_BASE_URL") or ""))
    if base.scheme not in {"http", "https"} or not base.hostname:
        problems.append(
            ConfigError("PROCURE_BASE_URL", "must be an http:// or https:// URL with a host")
        )
    if (
        not str(config.get("PROCURE_CURRENCY") or "").isalpha()
        or len(str(config.get("PROCURE_CURRENCY") or "")) != 3
    ):
        problems.append(ConfigError("PROCURE_CURRENCY", "must be a three-letter ISO 4217 code"))
    key, cert = config.get("PROCURE_SAML_SP_KEY"), config.get("PROCURE_SAML_SP_CERT")
    if bool(key) != bool(cert):
        missing = "PROCURE_SAML_SP_CERT" if key else "PROCURE_SAML_SP_KEY"
        problems.append(
            ConfigError(missing, "is needed too: Procure's SAML key and certificate go together")
        )
    if bool(config.get("PROCURE_OIDC_ISSUER")) != bool(config.get("PROCURE_OIDC_CLIENT_ID")):
        missing = (
            "PROCURE_OIDC_CLIENT_ID"
            if config.get("PROCURE_OIDC_ISSUER")
            else ("PROCURE_OIDC_ISSUER")
        )
        problems.append(
            ConfigError(missing, "is needed too: OpenID Connect needs the issuer and client id")
        )
    return problems


def engine_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """SQLAlchemy's engine options from the pool and timeout settings."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    url = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    if url.startswith("sqlite"):
        return options
    options["pool_size"] = config["PROCURE_DB_POOL_SIZE"]
    options["max_overflow"] = config["PROCURE_DB_MAX_OVERFLOW"]
    # The connection used last is handed out next: its prepared statements are warm
    # (``db.end_read``), and the others may idle.
    options["pool_use_lifo"] = True
    if is_postgres_url(url):
        # Set when the connection opens: no extra round trip per request.
        options["connect_args"] = {
            "options": (
                f"-c statement_timeout={int(config['PROCURE_DB_STATEMENT_TIMEOUT'])}"
                " -c idle_in_transaction_session_timeout="
                f"{int(config['PROCURE_DB_IDLE_TX_TIMEOUT'])}"
            )
        }
    return options


def masked(key: str, value: Any) -> str:
    """How check-config prints a setting: secrets hidden, URLs without their password."""
    if value is None or value == "":
        return "(not set)"
    if key in SECRET_KEYS:
        return "********"
    text = str(value)
    if key in URL_KEYS:
        parts = urlsplit(text)
        if parts.password:
            netloc = parts.netloc.replace(":" + parts.password + "@", ":********@", 1)
            text = parts._replace(netloc=netloc).geturl()
    return text.replace("\n", "\\n")


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
