"""Take the README's screenshots of the demo organisation in headless Chromium.

    .venv/bin/python docs/screenshots.py [OUTPUT_DIR]

Starts Procure with the demo data on a temporary SQLite file (the same server
the browser tests use, ``tests/e2e/live.py``) and writes ``login.png``,
``dashboard.png``, ``request.png``, ``admin.png`` and ``profile.png`` into
``docs/images/``.
Needs Chromium (Debian package ``chromium``, or ``PROCURE_CHROMIUM``).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the live server lives with the tests

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from tests.e2e.live import (  # noqa: E402
    ChromiumNotFound,
    LiveServer,
    find_chromium,
    launch_chromium,
    sign_in,
    start_live_server,
)

VIEWPORT = {"width": 1280, "height": 800}
REQUEST_TITLE = "Laptops for new developers"  # pending at its department step in the demo


def shoot(page: Page, path: Path) -> None:
    # Images and fonts in place first: the heading can show before the logo has loaded.
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=path, full_page=True, animations="disabled", caret="hide")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def take(page: Page, server: LiveServer, out: Path) -> None:
    page.goto(server.url + "/login")
    shoot(page, out / "login.png")

    # The approver of IT: demo requests wait for him.
    sign_in(page, server, "ian@example.org")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ian")
    shoot(page, out / "dashboard.png")

    # A request at its department step, as its approver sees it: the decision panel.
    page.goto(server.url + "/approvals")
    page.get_by_role("row", name=REQUEST_TITLE).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(REQUEST_TITLE)
    shoot(page, out / "request.png")
    page.context.clear_cookies()

    sign_in(page, server, "adam@example.org")
    page.goto(server.url + "/admin")
    shoot(page, out / "admin.png")
    page.context.clear_cookies()

    sign_in(page, server, "frank@example.org")
    page.goto(server.url + "/profile")
    page.get_by_label("Token name").fill("inventory sync")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("status")).to_be_visible()
    # Come back to the page as a user would later: the token by its hint only.
    page.goto(server.url + "/profile")
    shoot(page, out / "profile.png")


def main(argv: list[str]) -> int:
    out = Path(argv[0]).resolve() if argv else ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    try:
        chromium = find_chromium()
    except ChromiumNotFound as exc:
        print(exc, file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="procure-screenshots-") as folder:
        server = start_live_server(Path(folder))
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright, chromium)
                page = browser.new_page(viewport=VIEWPORT)
                take(page, server, out)
                browser.close()
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
