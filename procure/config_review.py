"""What ``flask --app wsgi check-config`` reports: every effective setting (secrets
masked), the problems that stop start-up, and advice. Reaching the database and the
storage is the command's part (``cli.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .config import (
    ENV_PREFIX,
    ENVIRONMENT,
    PRODUCTION,
    SECRET_KEYS,
    Config,
    ConfigError,
    check_values,
    env_name,
    masked,
    missing_settings,
    read_environment,
    strict,
)


def review(
    environ: Mapping[str, str], instance_path: str | Path
) -> tuple[list[tuple[str, str]], list[ConfigError], list[str]]:
    """What ``check-config`` prints: the effective settings (masked), the problems that
    stop start-up, and advice. Reaching the database and storage is the caller's part."""
    values, problems = read_environment(environ)
    problems += missing_settings(values)
    effective = {
        key: value for key, value in vars(Config).items() if key.isupper() and key != "SECRET_KEY"
    }
    if strict(values):
        effective["PROCURE_BASE_URL"] = None  # no development default in production
    effective.update(values)
    advice = []
    effective["PROCURE_STORAGE_URL"] = values.get("PROCURE_STORAGE_URL") or (
        (Path(instance_path) / "attachments").as_uri()
    )
    if not strict(values) and not values.get("SQLALCHEMY_DATABASE_URI"):
        effective["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(
            Path(instance_path) / "procure.db"
        )
    if not strict(values) and not values.get("SECRET_KEY"):
        advice.append(
            "PROCURE_SECRET_KEY: not set; a key is generated into the instance folder, "
            "which other machines do not share"
        )
    if effective.get("PROCURE_ENV") != PRODUCTION:
        advice.append("PROCURE_ENV: development; set production on servers")
    if not problems:
        problems += check_values(effective)
    if str(effective.get("PROCURE_BASE_URL", "")).startswith("https:") and not effective.get(
        "SESSION_COOKIE_SECURE"
    ):
        advice.append("PROCURE_SECURE_COOKIES: off while PROCURE_BASE_URL is https; set it to 1")
    settings = [(ENV_PREFIX + "INSTANCE_PATH", str(instance_path))]
    malformed = {problem.setting for problem in problems}
    for key in [*ENVIRONMENT.values(), "SENTRY_DSN"]:
        if key != "PROCURE_INSTANCE_PATH":
            value = values.get(key) if key in SECRET_KEYS else effective.get(key)
            if env_name(key) in malformed and environ.get(env_name(key)):
                value = environ[env_name(key)]  # as given, not the default used instead
            settings.append((env_name(key), masked(key, value)))
    return settings, problems, advice
