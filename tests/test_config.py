"""Configuration that fails fast (issue 16, point 2): every setting from ``PROCURE_*``,
checked when Procure starts; production mode refuses to make anything up."""

from __future__ import annotations

import configparser
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from procure import ConfigError, config, create_app
from procure.cli import check_config_command
from procure.extensions import db as _db

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET = "s3cr3t-value-never-printed"
TOKEN = "metrics-token-never-printed"


def clean_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """An environment holding only ``settings`` (and what a process needs to run)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PROCURE_INSTANCE_PATH": str(tmp_path / "instance"),
        **settings,
    }


def run(tmp_path: Path, *command: str, timeout: float = 60, **settings: str):
    return subprocess.run(  # noqa: S603 -- our own entry points
        list(command),
        cwd=ROOT,
        env=clean_env(tmp_path, **settings),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def naming(stderr: str, setting: str) -> list[str]:
    """The lines of ``stderr`` that name ``setting``: one, with the whole reason."""
    return [line for line in stderr.splitlines() if setting in line]


# Starting ---------------------------------------------------------------------------------


def test_production_mode_without_a_secret_key_exits_at_once_naming_it(tmp_path):
    started = run(
        tmp_path,
        str(BIN / "python"),
        "-c",
        "import wsgi",
        PROCURE_ENV="production",
        PROCURE_DATABASE_URL="sqlite:///" + str(tmp_path / "procure.db"),
        PROCURE_BASE_URL="https://buy.example.org",
    )

    assert started.returncode == 1
    assert naming(started.stderr, "PROCURE_SECRET_KEY") == [
        "procure: cannot start: PROCURE_SECRET_KEY: is required in production mode "
        "(PROCURE_ENV=production); set it in the environment"
    ]
    assert "Traceback" not in started.stderr
    # Nothing made up: no per-machine key, no empty database file.
    assert not (tmp_path / "instance" / "secret_key").exists()
    assert not (tmp_path / "procure.db").exists()


def test_production_mode_without_a_database_creates_no_sqlite_file(tmp_path):
    started = run(
        tmp_path,
        str(BIN / "python"),
        "-c",
        "import wsgi",
        PROCURE_ENV="production",
        PROCURE_SECRET_KEY=SECRET,
        PROCURE_BASE_URL="https://buy.example.org",
    )

    assert started.returncode == 1
    [line] = naming(started.stderr, "PROCURE_DATABASE_URL")
    assert "PROCURE_DATABASE_URL: is required in production mode" in line
    assert not (tmp_path / "instance" / "procure.db").exists()


def test_gunicorn_exits_instead_of_restarting_workers(tmp_path):
    """The master gives up when the app cannot load, within seconds, and the reason
    is printed once (no worker restart loop)."""
    started = run(
        tmp_path,
        str(BIN / "gunicorn"),
        "--workers",
        "2",
        "--bind",
        "127.0.0.1:0",
        "wsgi:app",
        PROCURE_ENV="production",
        PROCURE_DATABASE_URL="sqlite:///" + str(tmp_path / "procure.db"),
        PROCURE_BASE_URL="https://buy.example.org",
    )

    assert started.returncode != 0
    ours = [line for line in started.stderr.splitlines() if line.startswith("procure:")]
    assert ours and set(ours) == {
        "procure: cannot start: PROCURE_SECRET_KEY: is required in production mode "
        "(PROCURE_ENV=production); set it in the environment"
    }
    assert len(ours) <= 2  # one per worker started, never respawned
    assert "App failed to load" in started.stderr


def test_a_postgresql_database_needs_the_secret_and_base_url_too():
    with pytest.raises(ConfigError) as refused:
        create_app({"SQLALCHEMY_DATABASE_URI": "postgresql://procure@db.invalid/procure"})
    assert refused.value.setting == "PROCURE_SECRET_KEY"
    with pytest.raises(ConfigError) as refused:
        create_app(
            {
                "SQLALCHEMY_DATABASE_URI": "postgresql://procure@db.invalid/procure",
                "SECRET_KEY": "k",
            }
        )
    assert str(refused.value).startswith("PROCURE_BASE_URL: is required with a PostgreSQL")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PROCURE_DB_POOL_SIZE", "-3", "PROCURE_DB_POOL_SIZE: -3 is out of range (1 to 1000)"),
        (
            "PROCURE_DB_MAX_OVERFLOW",
            "lots",
            "PROCURE_DB_MAX_OVERFLOW: 'lots' is not a whole number",
        ),
        ("PROCURE_DB_STATEMENT_TIMEOUT", "-1", "PROCURE_DB_STATEMENT_TIMEOUT: -1 is out of range"),
        ("PROCURE_PROXY_HOPS", "1.5", "PROCURE_PROXY_HOPS: '1.5' is not a whole number"),
        ("PROCURE_RETENTION_DAYS", "0", "PROCURE_RETENTION_DAYS: 0 is out of range"),
        ("PROCURE_ENV", "staging", "PROCURE_ENV: 'staging' is not one of development, production"),
        ("PROCURE_LOG_FORMAT", "xml", "PROCURE_LOG_FORMAT: 'xml' is not one of json, text"),
        ("PROCURE_SECURE_COOKIES", "maybe", "PROCURE_SECURE_COOKIES: 'maybe' is not one of"),
        ("PROCURE_FISCAL_YEAR_START", "13", "PROCURE_FISCAL_YEAR_START: 13 is out of range"),
        ("PROCURE_DATABASE_URL", "db.internal/procure", "PROCURE_DATABASE_URL: must be a"),
        ("PROCURE_DATABASE_URL", "mysql://u:pw@db/procure", "PROCURE_DATABASE_URL: must be a"),
        ("SENTRY_DSN", "sentry.example.org", "SENTRY_DSN: must look like https://"),
        (
            "PROCURE_METRICS_ALLOW",
            "10.0.0.1, 10.1.0.0/16, monitor.internal",
            "PROCURE_METRICS_ALLOW: 'monitor.internal' is not an IP address or network",
        ),
        ("PROCURE_PASSWORD_LOGIN", "never", "PROCURE_PASSWORD_LOGIN: 'never' is not one of"),
        ("PROCURE_LDAP_STARTTLS", "sure", "PROCURE_LDAP_STARTTLS: 'sure' is not one of"),
    ],
)
def test_a_malformed_setting_stops_the_start_naming_it(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "k"})
    assert str(refused.value).startswith(message)
    assert refused.value.setting == name
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("given", "missing"),
    [
        ({"PROCURE_SAML_SP_KEY": "sp.key"}, "PROCURE_SAML_SP_CERT"),
        ({"PROCURE_SAML_SP_CERT": "sp.crt"}, "PROCURE_SAML_SP_KEY"),
        ({"PROCURE_OIDC_ISSUER": "https://login.example.org"}, "PROCURE_OIDC_CLIENT_ID"),
        ({"PROCURE_OIDC_CLIENT_ID": "procure"}, "PROCURE_OIDC_ISSUER"),
    ],
)
def test_half_a_sign_in_provider_stops_the_start_naming_what_is_missing(
    monkeypatch, given, missing
):
    for name, value in given.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "k"})
    assert refused.value.setting == missing


def test_a_negative_pool_size_makes_the_server_exit_1(tmp_path):
    started = run(
        tmp_path,
        str(BIN / "python"),
        "-c",
        "import wsgi",
        PROCURE_DB_POOL_SIZE="-1",
    )
    assert started.returncode == 1
    assert naming(started.stderr, "PROCURE_DB_POOL_SIZE") == [
        "procure: cannot start: PROCURE_DB_POOL_SIZE: -1 is out of range (1 to 1000)"
    ]


def test_the_pool_settings_reach_the_engine(monkeypatch):
    monkeypatch.setenv("PROCURE_DB_POOL_SIZE", "7")
    monkeypatch.setenv("PROCURE_DB_MAX_OVERFLOW", "3")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": "postgresql://procure@db.invalid/procure",
            "SECRET_KEY": "k",
        }
    )
    with app.app_context():
        assert _db.engine.pool.size() == 7
        assert _db.engine.pool._max_overflow == 3


def test_the_instance_folder_is_a_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("PROCURE_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    app = create_app({"TESTING": True})
    assert app.instance_path == str(tmp_path / "elsewhere")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + str(
        tmp_path / "elsewhere" / "procure.db"
    )
    # Development only: the key is generated there, once.
    assert (tmp_path / "elsewhere" / "secret_key").read_text() == app.config["SECRET_KEY"]


def test_postgresql_sessions_carry_the_timeouts(request, monkeypatch, database_url):
    if request.config.getoption("--db") != "postgres":
        pytest.skip("needs PostgreSQL (run with --db postgres)")
    monkeypatch.setenv("PROCURE_DB_STATEMENT_TIMEOUT", "1234")
    monkeypatch.setenv("PROCURE_DB_IDLE_TX_TIMEOUT", "5000")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "k"})
    with app.app_context():
        try:
            with _db.engine.connect() as connection:
                assert connection.scalar(sa.text("SHOW statement_timeout")) == "1234ms"
                assert (
                    connection.scalar(sa.text("SHOW idle_in_transaction_session_timeout")) == "5s"
                )
                with pytest.raises(sa.exc.OperationalError, match="statement timeout"):
                    connection.execute(sa.text("SELECT pg_sleep(3)"))
        finally:
            _db.engine.dispose()


# check-config -----------------------------------------------------------------------------


def check_config(monkeypatch, tmp_path, **settings: str):
    for name in list(os.environ):
        if name.startswith("PROCURE_") or name == "SENTRY_DSN":
            monkeypatch.delenv(name)
    for name, value in {"PROCURE_INSTANCE_PATH": str(tmp_path / "instance"), **settings}.items():
        monkeypatch.setenv(name, value)
    return CliRunner().invoke(check_config_command)


def production(tmp_path: Path) -> dict[str, str]:
    database = tmp_path / "procure.db"
    sa.create_engine("sqlite:///" + str(database)).connect().close()
    return {
        "PROCURE_ENV": "production",
        "PROCURE_SECRET_KEY": SECRET,
        "PROCURE_DATABASE_URL": "sqlite:///" + str(database),
        "PROCURE_BASE_URL": "https://buy.example.org",
        "PROCURE_SMTP_URL": "smtp://mailer:hunter2secret@mail.example.org:587",
        "PROCURE_METRICS_TOKEN": TOKEN,
        "PROCURE_STORAGE_URL": (tmp_path / "files").as_uri(),
        "SENTRY_DSN": "https://publickey@sentry.example.org/1",
    }


def test_check_config_prints_the_settings_with_secrets_masked(monkeypatch, tmp_path):
    (tmp_path / "files").mkdir()
    result = check_config(monkeypatch, tmp_path, **production(tmp_path))

    assert result.exit_code == 0, result.output
    for secret in (SECRET, TOKEN, "hunter2secret", "publickey"):
        assert secret not in result.output
    lines = [line.split() for line in result.output.splitlines()]
    assert ["PROCURE_SECRET_KEY", "********"] in lines
    assert ["PROCURE_METRICS_TOKEN", "********"] in lines
    assert ["SENTRY_DSN", "********"] in lines
    assert ["PROCURE_SMTP_URL", "smtp://mailer:********@mail.example.org:587"] in lines
    assert ["PROCURE_BASE_URL", "https://buy.example.org"] in lines
    assert ["PROCURE_DB_POOL_SIZE", "5"] in lines
    assert "Problems: none" in result.output
    # Advice alone exits 0.
    assert "Advice: PROCURE_SECURE_COOKIES" in result.output


def test_check_config_names_every_problem_and_exits_1(monkeypatch, tmp_path):
    settings = production(tmp_path)
    del settings["PROCURE_SECRET_KEY"], settings["PROCURE_BASE_URL"]
    result = check_config(monkeypatch, tmp_path, **settings, PROCURE_DB_POOL_SIZE="-2")

    assert result.exit_code == 1
    assert ["PROCURE_DB_POOL_SIZE", "-2"] in [line.split() for line in result.output.splitlines()]
    problems = result.output.split("Problems:", 1)[1]
    assert "PROCURE_DB_POOL_SIZE: -2 is out of range" in problems
    assert "PROCURE_SECRET_KEY: is required in production mode" in problems
    assert "PROCURE_BASE_URL: is required in production mode" in problems


def test_check_config_exits_1_when_the_database_cannot_be_reached(monkeypatch, tmp_path):
    settings = production(tmp_path)
    settings["PROCURE_DATABASE_URL"] = "postgresql://procure:pw@127.0.0.1:9/procure"
    result = check_config(monkeypatch, tmp_path, **settings)

    assert result.exit_code == 1
    [problem] = [line for line in result.output.splitlines() if "PROCURE_DATABASE_URL:" in line]
    assert "127.0.0.1" in problem and "9" in problem
    assert ":pw@" not in result.output


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://files.example.org/procure", "the scheme is 'ftp'"),
        ("file://relative/folder", "file:///absolute/path"),
    ],
)
def test_a_malformed_storage_url_stops_the_start_and_check_config(
    monkeypatch, tmp_path, url, message
):
    monkeypatch.setenv("PROCURE_STORAGE_URL", url)
    with pytest.raises(ConfigError) as refused:
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "k"})
    assert refused.value.setting == "PROCURE_STORAGE_URL"
    assert message in str(refused.value) and "\n" not in str(refused.value)

    result = check_config(
        monkeypatch, tmp_path, **{**production(tmp_path), "PROCURE_STORAGE_URL": url}
    )
    assert result.exit_code == 1
    [problem] = result.output.split("Problems:", 1)[1].strip().splitlines()[:1]
    assert problem.startswith("PROCURE_STORAGE_URL: ") and message in problem


def test_check_config_runs_through_wsgi_when_procure_cannot_start(tmp_path):
    """``flask --app wsgi check-config`` still answers when the app itself would refuse."""
    checked = run(
        tmp_path,
        str(BIN / "flask"),
        "--app",
        "wsgi",
        "check-config",
        PROCURE_ENV="production",
        PROCURE_METRICS_TOKEN=TOKEN,
    )

    assert checked.returncode == 1
    assert "PROCURE_SECRET_KEY: is required in production mode" in checked.stdout
    assert "PROCURE_DATABASE_URL: is required in production mode" in checked.stdout
    assert TOKEN not in checked.stdout + checked.stderr


def test_the_configuration_table_names_every_setting():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    names = {config.ENV_PREFIX + name for name in config.ENVIRONMENT} | {"SENTRY_DSN"}
    assert [name for name in sorted(names) if f"`{name}`" not in table] == []


# deploy/ ----------------------------------------------------------------------------------

DEPLOY = ROOT / "deploy"
JOBS = {
    "send-notifications": "minutely",
    "send-reminders": "06:00",
    "prune": "03:30",
    "sync-directory": "0/15",
}


def unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign] -- keys keep their case
    parser.read_string(path.read_text(), source=str(path))
    return parser


def flask_command(exec_line: str) -> str:
    words = shlex.split(exec_line)
    assert words[0] == "/srv/procure/.venv/bin/flask" and words[1:3] == ["--app", "wsgi"]
    return words[3]


def test_the_web_unit_runs_gunicorn_on_the_environment_file(app):
    web = unit(DEPLOY / "procure-web.service")

    assert web.sections() == ["Unit", "Service", "Install"]
    service = web["Service"]
    words = shlex.split(service["ExecStart"])
    assert words[0] == "/srv/procure/.venv/bin/gunicorn" and words[-1] == "wsgi:app"
    assert (BIN / "gunicorn").exists()  # installed with Procure (install_requires)
    assert flask_command(service["ExecStartPre"]) in app.cli.commands
    assert service["EnvironmentFile"] == "/etc/procure/procure.env"
    assert service["Environment"] == "PROMETHEUS_MULTIPROC_DIR=/run/procure-web"
    assert service["RuntimeDirectory"] == "procure-web"
    assert service["RestartPreventExitStatus"] == "4"  # wsgi.GUNICORN_APP_LOAD_ERROR
    assert web["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.parametrize("job", sorted(JOBS))
def test_each_job_has_a_timer_and_a_service_running_a_real_command(app, job):
    service = unit(DEPLOY / f"procure-{job}.service")
    timer = unit(DEPLOY / f"procure-{job}.timer")

    assert service.sections() == ["Unit", "Service"]
    assert service["Service"]["Type"] == "oneshot"
    assert flask_command(service["Service"]["ExecStart"]) == job
    assert job in app.cli.commands
    assert service["Service"]["EnvironmentFile"] == "/etc/procure/procure.env"
    assert timer.sections() == ["Unit", "Timer", "Install"]
    assert timer["Timer"]["Unit"] == f"procure-{job}.service"
    assert JOBS[job] in timer["Timer"]["OnCalendar"]
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_the_example_environment_names_every_setting():
    lines = (DEPLOY / "procure.env").read_text().splitlines()
    named = {line.lstrip("#").split("=", 1)[0] for line in lines if re.match(r"#?[A-Z_]+=", line)}
    settings = {config.ENV_PREFIX + name for name in config.ENVIRONMENT} | {"SENTRY_DSN"}
    assert sorted(settings - named) == []
    # Every value given is one Procure accepts.
    given = dict(line.split("=", 1) for line in lines if re.match(r"[A-Z_]+=", line))
    values, problems = config.read_environment(given)
    assert problems == []
    assert values["PROCURE_ENV"] == "production"
    assert config.missing_settings(values) == []


def test_the_nginx_example_terminates_tls_and_forwards_what_procure_reads():
    site = (DEPLOY / "nginx-procure.conf").read_text()

    assert "listen 443 ssl;" in site and "ssl_certificate " in site
    assert re.search(r'add_header Strict-Transport-Security "max-age=\d{8,}[^"]*" always;', site)
    assert "return 301 https://$host$request_uri;" in site
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Request-ID"):
        assert f"proxy_set_header {header} " in site
    assert "proxy_pass http://procure;" in site and "server 127.0.0.1:8000" in site
    assert site.count("{") == site.count("}")


def test_check_config_exits_1_when_the_storage_cannot_be_reached(monkeypatch, tmp_path):
    settings = production(tmp_path)
    settings["PROCURE_STORAGE_URL"] = "s3://procure-files/prod?endpoint_url=http://127.0.0.1:9"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "key-id")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "key-secret-never-printed")
    result = check_config(monkeypatch, tmp_path, **settings)

    assert result.exit_code == 1
    [problem] = [line for line in result.output.splitlines() if "PROCURE_STORAGE_URL:" in line]
    assert "cannot reach" in problem and "127.0.0.1:9" in problem
    assert "key-secret-never-printed" not in result.output
