"""Procure: vendor sourcing and procurement workflow for IT departments."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from . import config as config_module
from .config import ConfigError

__all__ = ["ConfigError", "create_app"]

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=instance_path(test_config),
        instance_relative_config=True,
    )
    configure(app, test_config)
    register_converters(app)
    register_upload_limits(app)
    register_extensions(app)
    register_metrics(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_errors(app)
    register_templates(app)
    register_notifications(app)
    register_commands(app)
    register_transactions(app)  # last: every view is registered by now
    return app


def instance_path(test_config: dict[str, Any] | None) -> str:
    """``PROCURE_INSTANCE_PATH`` (absolute, as Flask wants it), else ``<checkout>/instance``."""
    configured = (test_config or {}).get("PROCURE_INSTANCE_PATH") or os.environ.get(
        "PROCURE_INSTANCE_PATH"
    )
    return str(Path(configured).resolve()) if configured else str(ROOT / "instance")


def configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Defaults, the environment, then ``test_config``; a setting that is missing or
    malformed raises :class:`ConfigError` (one line naming it) before anything is made
    up: no per-machine secret key, no empty SQLite file in production mode."""
    app.config.from_object(config_module.Config)
    given = {**config_module.from_environment(os.environ), **(test_config or {})}
    for problem in config_module.missing_settings(given):
        raise problem
    app.config.update(given)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(
            Path(app.instance_path) / "procure.db"
        )
    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if "SQLALCHEMY_ENGINE_OPTIONS" not in given:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config_module.engine_options(app.config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_module.instance_secret_key(app.instance_path)
    for problem in config_module.check_values(app.config):
        raise problem
    app.config["PROCURE_CURRENCY"] = app.config["PROCURE_CURRENCY"].upper()


def register_converters(app: Flask) -> None:
    from werkzeug.routing import IntegerConverter

    class BoundedInt(IntegerConverter):
        """Ids fit a 32-bit integer: a larger number is a 404, not a database error."""

        def __init__(self, map, *args, **kwargs):  # type: ignore[no-untyped-def]
            kwargs.setdefault("max", 2**31 - 1)
            super().__init__(map, *args, **kwargs)

    app.url_map.converters["int"] = BoundedInt


def register_transactions(app: Flask) -> None:
    """One transaction per browser request (``procure/web.py``)."""
    from . import web

    web.wrap_views(app)


def register_upload_limits(app: Flask) -> None:
    from . import attachments

    try:
        attachments.init_app(app)
    except ValueError as exc:  # the storage seam refuses a malformed PROCURE_STORAGE_URL
        setting = "PROCURE_STORAGE_URL"
        raise ConfigError(setting, str(exc).removeprefix(setting + "=")) from None


def register_extensions(app: Flask) -> None:
    from .db import MIGRATIONS_DIR, configure_engine, render_item
    from .extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, render_item=render_item
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    with app.app_context():
        configure_engine(db.engine)


def register_metrics(app: Flask) -> None:
    from . import metrics

    metrics.init_app(app)


def register_blueprints(app: Flask) -> None:
    from .admin import bp as admin_bp
    from .agreements import bp as agreements_bp
    from .api import bp as api_bp
    from .assets import bp as assets_bp
    from .auth import bp as auth_bp
    from .budgets import bp as budgets_bp
    from .contracts import bp as contracts_bp
    from .exchange import bp as exchange_bp
    from .extensions import csrf
    from .invoices import bp as invoices_bp
    from .invoices.vendor import bp as invoice_link_bp
    from .main import bp as main_bp
    from .orders import bp as orders_bp
    from .purchasing import bp as purchasing_bp
    from .reports import bp as reports_bp
    from .scim import bp as scim_bp
    from .sourcing import bp as sourcing_bp
    from .vendors import bp as vendors_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(purchasing_bp)
    app.register_blueprint(budgets_bp)
    app.register_blueprint(sourcing_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(vendors_bp)
    app.register_blueprint(contracts_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(exchange_bp)
    app.register_blueprint(invoices_bp)
    app.register_blueprint(invoice_link_bp)
    app.register_blueprint(assets_bp)
    app.register_blueprint(agreements_bp)
    # The API authenticates with bearer tokens only, which a browser never sends
    # on its own: no cookie, so no cross-site request forgery to guard against.
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    # SCIM likewise: the directory authenticates with a bearer token of its own.
    csrf.exempt(scim_bp)
    app.register_blueprint(scim_bp)


def register_request_hooks(app: Flask) -> None:
    from . import inputs, observability, security

    security.init_app(app)
    inputs.init_app(app)
    observability.init_app(app)  # after security: its middleware goes outside


def register_errors(app: Flask) -> None:
    from . import error_pages

    error_pages.init_app(app)


def register_templates(app: Flask) -> None:
    from . import templating

    templating.init_app(app)


def register_notifications(app: Flask) -> None:
    from . import agreements, invoices, notifications, orders, webhooks

    notifications.init_app(app)
    invoices.init_app(app)
    orders.init_app(app)
    agreements.init_app(app)
    webhooks.init_app(app)


def register_commands(app: Flask) -> None:
    from . import cli

    cli.init_app(app)
