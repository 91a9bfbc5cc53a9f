"""PostgreSQL: ``pg_dump --format=custom`` on a snapshot our own transaction
exports, and ``pg_restore`` in one transaction, with client tools at least as new
as the server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa

from ..extensions import db
from .archive import BackupError, Snapshot, read_snapshot


def _tool_major(path: str) -> int | None:
    try:
        out = subprocess.run(  # noqa: S603 -- a PostgreSQL tool found above
            [path, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except OSError:
        return None
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
    return int(match.group(1)) if match else None


def _candidates(name: str, server_major: int) -> Iterable[str]:
    found = shutil.which(name)
    if found:
        yield found
    # Debian installs each major version's client beside the others.
    root = Path("/usr/lib/postgresql")
    versions = sorted(
        (int(p.name) for p in root.glob("*") if p.name.isdigit()) if root.is_dir() else [],
        reverse=True,
    )
    for major in [server_major] + [v for v in versions if v != server_major]:
        candidate = root / str(major) / "bin" / name
        if candidate.is_file():
            yield str(candidate)


def postgres_tool(name: str, server_major: int) -> str:
    """``pg_dump`` or ``pg_restore`` of a major version at least the server's."""
    seen = []
    for candidate in _candidates(name, server_major):
        major = _tool_major(candidate)
        if major is not None and major >= server_major:
            return candidate
        seen.append(f"{candidate} ({major or 'unknown version'})")
    found = f"; found only {', '.join(seen)}" if seen else ""
    raise BackupError(
        f"{name} for PostgreSQL {server_major} or newer is needed{found}. Install the "
        f"PostgreSQL client tools (Debian: postgresql-client-{server_major})."
    )


def _server_major(connection: sa.Connection) -> int:
    return int(connection.exec_driver_sql("SHOW server_version_num").scalar()) // 10000


def _libpq(url: sa.URL) -> tuple[str, dict[str, str]]:
    """A connection URI for the command-line tools, the password in the environment."""
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), environment


def _run(command: list[str], environment: dict[str, str], what: str) -> None:
    result = subprocess.run(  # noqa: S603 -- pg_dump or pg_restore, arguments of our own
        command, capture_output=True, text=True, env=environment, check=False
    )
    if result.returncode != 0:
        detail = " ".join((result.stderr or result.stdout).strip().splitlines()[-3:])
        hint = (
            " Other sessions hold the database: stop the app servers and try again."
            if "lock timeout" in detail
            else ""
        )
        raise BackupError(f"{what} failed: {detail or result.returncode}.{hint}")


def dump(url: sa.URL, target: Path) -> Snapshot:
    db.session.remove()
    with (
        db.engine.connect() as connection,
        connection.execution_options(isolation_level="REPEATABLE READ").begin(),
    ):
        # One snapshot for our reads and for pg_dump: the files listed are exactly
        # those the dump's rows refer to.
        snapshot_id = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
        snapshot = read_snapshot(lambda sql: connection.exec_driver_sql(sql).fetchall())
        tool = postgres_tool("pg_dump", _server_major(connection))
        uri, environment = _libpq(url)
        _run(
            [
                tool,
                "--format=custom",
                f"--snapshot={snapshot_id}",
                "--no-owner",
                "--file",
                str(target),
                "--dbname",
                uri,
            ],
            environment,
            "pg_dump",
        )
    return snapshot


def restore(url: sa.URL, dump: Path) -> None:
    with db.engine.connect() as connection:
        tool = postgres_tool("pg_restore", _server_major(connection))
    db.engine.dispose()
    uri, environment = _libpq(url)
    # Sessions still open on the database (app servers left running) would make the
    # restore wait forever for its locks: give up after a while and say why.
    environment["PGOPTIONS"] = f"{environment.get('PGOPTIONS', '')} -c lock_timeout=30s".strip()
    _run(
        [
            tool,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            uri,
            str(dump),
        ],
        environment,
        "pg_restore",
    )
