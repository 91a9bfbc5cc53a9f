"""A real Procure server in a thread, and the browser to drive it.

Shared by the browser tests (``tests/e2e/conftest.py``) and the README
screenshots (``docs/screenshots.py``): the demo organisation on its own SQLite
file, served by Werkzeug on a free port, with CSRF on as in production.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from procure import create_app
from procure.db import init_db, write_intent
from procure.demo import DEMO_PASSWORD, seed_all
from procure.extensions import db

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

CHROMIUM_ENV = "PROCURE_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
DEBIAN_PACKAGE = "chromium"

# Headless Chromium as root in a container, with nothing phoning home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

LOGIN_PATH = re.compile(r"/login(\?|$)")


class ChromiumNotFound(LookupError):
    pass


def find_chromium() -> str:
    """The Chromium to drive: ``$PROCURE_CHROMIUM``, else the first one on ``PATH``."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise ChromiumNotFound(f"{CHROMIUM_ENV}={configured} is not an executable file.")
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise ChromiumNotFound(
        f"No Chromium found (looked for {', '.join(CHROMIUM_NAMES)} on PATH). "
        f"Install the Debian package `{DEBIAN_PACKAGE}`, or set {CHROMIUM_ENV} "
        "to the browser's executable."
    )


def launch_chromium(playwright: Playwright, executable_path: str) -> Browser:
    return playwright.chromium.launch(
        executable_path=executable_path, headless=True, args=CHROMIUM_ARGS
    )


class _QuietHandler(WSGIRequestHandler):
    """Keeps the access log out of the test output; errors are still logged."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def _closing(app: Flask) -> Callable[..., Iterable[bytes]]:
    """``app`` with every answer's body closed, even when the browser drops the
    connection in the middle of it (it moves on before a favicon has arrived): Werkzeug's
    server then leaves the body open, and a file being sent is only closed by the garbage
    collector, with a ResourceWarning that fails whichever test runs at that moment."""

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return _closed_after(app(environ, start_response))

    return serve


def _closed_after(body: Iterable[bytes]) -> Iterator[bytes]:
    try:
        yield from body
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


@dataclasses.dataclass
class LiveServer:
    url: str
    app: Flask
    # "METHOD /path -> status" of every answer >= 500 (a 500 is a bug); tests check it.
    errors: list[str]
    _server: BaseWSGIServer
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()
        with self.app.app_context():
            db.engine.dispose()


def start_live_server(
    directory: Path, *, config: dict | None = None, database_uri: str | None = None
) -> LiveServer:
    """Serve a fresh Procure with the demo organisation; its database lives in ``directory``
    unless ``database_uri`` names another (an empty one: the schema is made here).
    ``config`` adds settings (a sign-in provider's, say)."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_uri
            or "sqlite:///" + str(Path(directory) / "procure.db"),
            "SECRET_KEY": secrets.token_hex(32),
            "WTF_CSRF_ENABLED": True,
            "ATTACHMENTS_DIR": str(Path(directory) / "attachments"),
            # Set to the address really served once the port is known (below).
            "PROCURE_BASE_URL": "http://127.0.0.1",
            **(config or {}),
        }
    )
    init_db(app)
    # What `flask seed-demo` loads: people, budgets and a delegation, vendors, requests
    # in every state, RFQs and orders with their PDFs, notifications.
    with app.app_context(), write_intent():
        seed_all()
        db.session.commit()

    errors: list[str] = []

    # The app turns every exception into an error page, so watch the answers.
    @app.after_request
    def _record_server_errors(response: Response) -> Response:
        if response.status_code >= 500:
            errors.append(f"{request.method} {request.full_path.rstrip('?')} -> {response.status}")
        return response

    server = make_server(
        "127.0.0.1", 0, _closing(app), threaded=True, request_handler=_QuietHandler
    )
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PROCURE_BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="procure-live", daemon=True)
    thread.start()
    return LiveServer(url=url, app=app, errors=errors, _server=server, _thread=thread)


def fill_sign_in(page: Page, live_server: LiveServer, email: str, password: str) -> None:
    """Open ``/login`` and send the form, as a person would."""
    page.goto(live_server.url + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in(
    page: Page, live_server: LiveServer, email: str, password: str = DEMO_PASSWORD
) -> None:
    """Sign in through the real form and wait until the app has let us in and the page
    it landed on has loaded, its scripts included (a menu clicked before Bootstrap's
    script has run does not open)."""
    from playwright.sync_api import expect

    fill_sign_in(page, live_server, email, password)
    expect(page, f"signing in as {email} failed").not_to_have_url(LOGIN_PATH)
    page.wait_for_load_state("load")


def no_sideways_scrolling(page: Page) -> None:
    """The page, once loaded, is no wider than the screen. After a click the awaited
    text may be there before the stylesheets are: measured then, the page would be
    laid out unstyled, wider than the screen, for a moment."""
    page.wait_for_load_state("load")
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]} px wide on a {widths[1]} px screen"
