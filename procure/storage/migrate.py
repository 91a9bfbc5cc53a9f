"""``migrate-storage --to URL``: copy every stored file to another backend.

Each file is read from the source, its bytes hashed against its name, written to the
target, then read back from the target and hashed again. A file the target holds
already with the right hash is left alone, so the command is safe to run again
(after an interruption, or once more just before switching the setting)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable

from .base import Storage


@dataclasses.dataclass
class MigrationReport:
    copied: list[str] = dataclasses.field(default_factory=list)
    kept: list[str] = dataclasses.field(default_factory=list)  # already there, same hash
    problems: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _copy_one(source: Storage, target: Storage, sha256: str, report: MigrationReport) -> bool:
    """True when copied, False when the target had it already; problems are noted."""
    try:
        if target.exists(sha256) and target.digest(sha256) == sha256:
            report.kept.append(sha256)
            return False
    except FileNotFoundError:
        pass
    data = source.read(sha256)
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        report.problems.append(
            f"{source.where(sha256)}: its SHA-256 is {actual}; not copied (restore it first)"
        )
        return False
    target.write(sha256, data)
    copied = target.digest(sha256)
    if copied != sha256:
        report.problems.append(f"{target.where(sha256)}: read back with SHA-256 {copied}")
        return False
    report.copied.append(sha256)
    return True


def migrate(
    source: Storage, target: Storage, *, on_copy: Callable[[str], None] | None = None
) -> MigrationReport:
    """Copy what ``source`` holds to ``target``; ``on_copy(sha256)`` after each copy."""
    report = MigrationReport()
    for sha256 in list(source.keys()):
        if _copy_one(source, target, sha256, report) and on_copy is not None:
            on_copy(sha256)
    return report
