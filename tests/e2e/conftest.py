"""Browser fixtures: a live Procure with the demo data, driven by headless Chromium.

The browser is Debian's Chromium (Playwright's own download is not used): it is
found at ``$PROCURE_CHROMIUM`` or on ``PATH``. Without it the browser tests are
skipped, except with ``CI=true``, where they fail.

These tests never request the ``app`` fixture, so the per-test rollback of
``tests/conftest.py`` leaves them alone: the server commits to its own database.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from .live import (
    ChromiumNotFound,
    LiveServer,
    find_chromium,
    launch_chromium,
    start_live_server,
)

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Wide enough for the navigation bar to show in full.
DESKTOP = {"width": 1280, "height": 800}
# The pages' scripts format numbers in the browser's locale (the live total of a
# request): pin it, whatever the machine's.
LOCALE = "en-US"


_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    # Remember each phase's outcome, so that the page fixture knows a test failed.
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def chromium_path() -> str:
    try:
        return find_chromium()
    except ChromiumNotFound as exc:
        if IN_CI or os.environ.get("PROCURE_CHROMIUM"):
            pytest.fail(f"browser tests cannot run: {exc}", pytrace=False)
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_live_server(tmp_path_factory.mktemp("live"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _no_server_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test fails when the server answered it with a 500 (a 500 is a bug)."""
    if "live_server" not in request.fixturenames:
        yield
        return
    server: LiveServer = request.getfixturevalue("live_server")
    seen = len(server.errors)
    yield
    new = server.errors[seen:]
    assert not new, f"the server failed (its log is in the captured output): {new}"


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright, chromium_path: str) -> Iterator[Browser]:
    browser = launch_chromium(playwright, chromium_path)
    yield browser
    browser.close()


@pytest.fixture
def new_page(
    browser: Browser, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Page]]:
    """``new_page(viewport=...)``: a page in a fresh context (its own cookies)."""
    contexts: list[BrowserContext] = []

    def open_page(**options: object) -> Page:
        options.setdefault("viewport", DESKTOP)
        options.setdefault("locale", LOCALE)
        context = browser.new_context(**options)
        contexts.append(context)
        return context.new_page()

    yield open_page

    reports = request.node.stash.get(_REPORTS, {})
    if any(report.failed for report in reports.values()):
        folder = tmp_path_factory.mktemp("screenshots")
        for number, context in enumerate(contexts):
            for index, page in enumerate(context.pages):
                path = folder / f"{request.node.name}-{number}-{index}.png"
                try:
                    page.screenshot(path=path, full_page=True)
                except PlaywrightError as exc:
                    print(f"no screenshot of {page.url}: {exc}")
                else:
                    print(f"screenshot of the failed test: {path}")
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()
