"""Fixtures: one app per run, a database transaction rolled back per test.

``pytest --db sqlite`` (default) or ``pytest --db postgres``. PostgreSQL is found
at ``PROCURE_TEST_POSTGRES_URL`` or on 127.0.0.1:5432 as user postgres; with
``CI=true`` it must be there (fail, never skip).

``make test`` runs the suite in parallel processes (pytest-xdist, ``-n``): each has
its own databases (named after its process id), temporary folders and metrics folder.
"""

from __future__ import annotations

import contextvars
import os
import re
import shutil
import tempfile

import flask.globals
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from procure import award_figures, budget_sums, create_app, kept_counts
from procure.db import init_db
from procure.extensions import db as _db

from .factories import Factories

# The ``committing`` marker and the ``committed_db`` fixture (tests that really commit).
pytest_plugins = ["tests.committing"]

# No deadlines: the machines are shared and noisy, and the rule is no timed assertions.
settings.register_profile(
    "procure", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("procure")

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/procure_test"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        choices=["sqlite", "postgres"],
        default="sqlite",
        help="the database the suite runs on",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Each test process counts its metrics apart. The default folder is named after the
    # process group, which the parallel processes share; and the processes inherit
    # the first one's environment, so the folder is set here, in every one of them.
    folder = tempfile.mkdtemp(prefix="procure-test-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


def pytest_report_header(config: pytest.Config) -> str:
    return f"procure database: {config.getoption('--db')}"


def _postgres_url() -> str:
    """The test database: one per test run (suffixed with the process id), so that
    runs on one server never share, and so never empty, each other's schema."""
    url = sa.make_url(os.environ.get("PROCURE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    return url.set(database=f"{url.database}_{os.getpid()}").render_as_string(hide_password=False)


def _drop_postgres(url: str) -> None:
    from procure.config import normalise_database_url

    full = sa.make_url(normalise_database_url(url))
    admin = sa.create_engine(full.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{full.database}" WITH (FORCE)')
    finally:
        admin.dispose()


def _prepare_postgres(url: str) -> str:
    """Create the test database if missing and empty it; returns the SQLAlchemy URL."""
    from procure.config import normalise_database_url

    full = sa.make_url(normalise_database_url(url))
    admin = sa.create_engine(full.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": full.database},
            )
            if not exists:
                if not re.fullmatch(r"[A-Za-z0-9_]+", full.database or ""):
                    raise pytest.UsageError(f"unsafe database name {full.database!r}")
                connection.exec_driver_sql(f'CREATE DATABASE "{full.database}"')
    except sa.exc.OperationalError as exc:
        message = f"PostgreSQL is not reachable at {full.render_as_string()}: {exc.orig}"
        if IN_CI:
            pytest.exit(message, returncode=1)
        pytest.skip(message, allow_module_level=True)
    finally:
        admin.dispose()
    engine = sa.create_engine(full, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    return full.render_as_string(hide_password=False)


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in an app context of its own.

    The test itself holds an app context (its transaction lives there). Without
    this, requests would reuse it and share ``g`` (Flask-Login's signed-in user)
    and the database session across requests, which a real server never does.
    """

    def open(self, *args, **kwargs):
        def isolated():
            flask.globals._cv_app.set(None)
            flask.globals._cv_request.set(None)
            return super(IsolatedClient, self).open(*args, **kwargs)

        response = contextvars.copy_context().run(isolated)
        # What the request committed is newer than what the test's session holds.
        if flask.globals._cv_app.get(None) is not None:
            _db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    if request.config.getoption("--db") == "postgres":
        url = _prepare_postgres(_postgres_url())
        yield url
        _drop_postgres(url)
        return
    yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "procure.db")


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret-key",
            "WTF_CSRF_ENABLED": False,
            "PROCURE_BASE_URL": "http://procure.test",
            "ATTACHMENTS_DIR": str(tmp_path_factory.mktemp("attachments")),
            # Hashing is not under test here; scrypt would make every user cost 50 ms.
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    app.test_client_class = IsolatedClient
    init_db(app)
    # Every test runs inside a transaction that is rolled back at its end; the
    # app's own commits become savepoint releases inside it.
    with app.app_context():
        _db.session.configure(join_transaction_mode="create_savepoint")
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def _transaction(request: pytest.FixtureRequest):
    if "app" not in request.fixturenames or "committing" in request.keywords:
        yield
        return
    app = request.getfixturevalue("app")
    engines = app.extensions["sqlalchemy"]._app_engines[app]
    engine = engines[None]
    with app.app_context():
        connection = engine.connect()
        transaction = connection.begin()
        engines[None] = connection
        try:
            with app.app_context():
                yield
                _kept_figures_agree(request)
        finally:
            _db.session.remove()
            engines[None] = engine
            transaction.rollback()
            connection.close()


def _kept_figures_agree(request: pytest.FixtureRequest) -> None:
    """Whatever a test did through the services, the budget sums kept beside the
    documents (``procure/budget_sums.py``) still add up to them, each award's figures
    (``procure/award_figures.py``) still match its quotes, and the documents' counts
    (``procure/kept_counts.py``) still count them."""
    if "tampers_totals" in request.keywords or not _db.session.is_active:
        return
    try:
        found = budget_sums.differences() + award_figures.differences()
        found += kept_counts.differences()
    except sa.exc.SQLAlchemyError:
        return  # the test left the transaction unusable (it failed already, or meant to)
    if found:
        pytest.fail("kept figures differ from the documents: " + "; ".join(found))


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def csrf(app):
    """Turn CSRF protection on for one test, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def make(app, db) -> Factories:
    return Factories(db)


class Auth:
    def __init__(self, client) -> None:
        self.client = client

    def login(self, email: str, password: str = "correct horse battery", next: str = ""):
        return self.client.post(
            "/login", data={"email": email, "password": password, "next": next}
        )

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)


class ApiClient:
    """The test client with a bearer token on every request."""

    def __init__(self, client, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def __getattr__(self, method: str):
        def call(path: str, **kwargs):
            headers = {**self.headers, **kwargs.pop("headers", {})}
            return getattr(self.client, method)(path, headers=headers, **kwargs)

        return call


@pytest.fixture
def api(client, make):
    """``api(user)`` gives a client that calls the API as ``user``."""

    def for_user(user) -> ApiClient:
        return ApiClient(client, make.token(user))

    return for_user


@pytest.fixture
def new_client(app):
    """``new_client()`` gives another browser: its own cookies, nobody signed in."""
    return app.test_client


@pytest.fixture
def empty_app(empty_database_url):
    """The application on a database that has no tables yet (``init-db``, migrations)."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": False,
        }
    )
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture(scope="session")
def database_for(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """``database_for(name)`` gives a new empty database of the kind under test (``--db``),
    dropped at the end of the run: for a live server of a test module's own."""
    made: list[str] = []

    def make(name: str) -> str:
        if not re.fullmatch(r"[a-z0-9_]+", name):
            raise pytest.UsageError(f"unsafe database name {name!r}")
        if request.config.getoption("--db") == "postgres":
            from procure.config import normalise_database_url

            url = sa.make_url(normalise_database_url(_postgres_url()))
            made.append(
                _prepare_postgres(
                    url.set(database=f"{url.database}_{name}").render_as_string(
                        hide_password=False
                    )
                )
            )
            return made[-1]
        return "sqlite:///" + str(tmp_path_factory.mktemp(name) / "procure.db")

    yield make
    for url in made:
        _drop_postgres(url)


@pytest.fixture
def empty_database_url(request: pytest.FixtureRequest, tmp_path):
    """A second database of the kind under test, empty: for building a schema from nothing."""
    if request.config.getoption("--db") == "postgres":
        from procure.config import normalise_database_url

        url = sa.make_url(normalise_database_url(_postgres_url()))
        empty = _prepare_postgres(
            url.set(database=f"{url.database}_empty").render_as_string(hide_password=False)
        )
        yield empty
        _drop_postgres(empty)
        return
    yield "sqlite:///" + str(tmp_path / "empty.db")
