"""The independent checkers the suite runs on what the app serves: the Nu HTML
Checker (``vnu.jar``, run by Java) and axe-core (injected into the browser).

Both come from ``package.json`` (``make install-test``). Without them a test that
needs them is skipped, except with ``CI=true``, where it fails: a checker that
silently does not run checks nothing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess  # noqa: S404 -- runs the validator, a fixed command line
from collections.abc import Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, why: str) -> None:
    """Skip the test when a checker is missing; fail instead under CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{why} (make install-test installs it)", pytrace=False)
    pytest.skip(f"{why}; make install-test installs it")


@dataclasses.dataclass(frozen=True)
class Finding:
    path: Path
    line: int | None
    message: str
    extract: str


def require_nu() -> str:
    """Java's path, once it is known that the Nu HTML Checker can run."""
    java = shutil.which("java")
    require(java is not None, "Java is not installed: the Nu HTML Checker needs it")
    require(VNU_JAR.is_file(), f"the Nu HTML Checker is missing ({VNU_JAR.relative_to(ROOT)})")
    return str(java)


def nu_errors(files: Sequence[Path]) -> list[Finding]:
    """The errors the Nu HTML Checker finds in ``files`` (warnings left out): one Java
    start for all of them, it is slow to start."""
    java = require_nu()
    if not files:
        return []
    done = subprocess.run(  # noqa: S603 -- a fixed command line on our own files
        [java, "-Xss2m", "-jar", str(VNU_JAR), "--format", "json", "--errors-only", "--stdout"]
        + [str(path) for path in files],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        messages = json.loads(done.stdout)["messages"]
    except (ValueError, KeyError):
        pytest.fail(f"the Nu HTML Checker did not answer in JSON: {done.stdout} {done.stderr}")
    by_name = {path.resolve().as_uri(): path for path in files}
    by_name.update({"file:" + str(path.resolve()): path for path in files})
    return [
        Finding(
            path=by_name.get(message.get("url", ""), Path(message.get("url", "?"))),
            line=message.get("lastLine"),
            message=message.get("message", ""),
            extract=message.get("extract", "").strip(),
        )
        for message in messages
        if message.get("type") in ("error", "non-document-error")
    ]
