"""axe-core in the browser: the violations of a page, as a tester reads them.

``node_modules/axe-core/axe.min.js`` (``make install-test``) is injected into the
page as it stands, scripts run and all; without it the test is skipped, or fails
under ``CI=true`` (``tests/checkers.py``).
"""

from __future__ import annotations

import dataclasses

from playwright.sync_api import Page

from ..checkers import AXE_JS, require

# Impacts that fail a page (axe also reports minor and moderate ones).
FAILING = ("serious", "critical")


@dataclasses.dataclass(frozen=True)
class Violation:
    where: str  # who looked at which page
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:4]) + (" …" if len(self.targets) > 4 else "")
        return f"{self.where}: {self.rule} ({self.impact}) {self.help} — {shown}"


def violations(page: Page, where: str) -> list[Violation]:
    """The serious and critical violations axe finds on ``page`` as it is now."""
    require(AXE_JS.is_file(), f"axe-core is missing ({AXE_JS})")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        Violation(
            where=where,
            rule=result["id"],
            impact=result["impact"],
            help=result["help"],
            targets=tuple(
                " ".join(str(part) for part in node["target"]) for node in result["nodes"]
            ),
        )
        for result in found["violations"]
        if result["impact"] in FAILING
    ]
