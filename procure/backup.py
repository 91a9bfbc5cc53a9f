"""Backup and restore: the database and the stored files, in one file.

A backup is a gzipped tar file holding

* ``procure-backup.json``, the manifest: what this is, the database kind, the schema
  revision, the audit chain's length and newest hash, and the SHA-256 of the dump;
* the database: on SQLite a copy made with the online backup API
  (``database.sqlite3``), on PostgreSQL a ``pg_dump --format=custom`` archive
  (``database.pgdump``);
* ``attachments/<xx>/<sha256>``: every stored file the database refers to (uploads,
  issued purchase-order PDFs), under the name of its own hash.

The files listed are read from the same snapshot as the dump (on PostgreSQL the dump
runs on a snapshot exported by our own transaction), and stored files never change
once written, so a backup taken while people work is consistent: a restore gives a
system whose ``verify-audit`` passes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from . import attachments
from .db import init_db
from .extensions import db
from .stored_files import file_sha256

FORMAT = "procure-backup"
VERSION = 1
MANIFEST = "procure-backup.json"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
KIND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
ATTACHMENT_MEMBER = re.compile(r"attachments/([0-9a-f]{2})/([0-9a-f]{64})")
# Tables whose rows mean "somebody has used this database": the migrations seed
# others (categories, the audit head, the default policy), never these.
DATA_TABLES = ("users", "audit_events", "purchase_requests")
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why."""


@dataclasses.dataclass
class Snapshot:
    """What the database copy holds, read from that very copy."""

    revision: str | None
    audit_events: int
    audit_head: str | None
    attachments: list[str]  # distinct SHA-256 names


@dataclasses.dataclass
class BackupReport:
    path: Path
    kind: str
    audit_events: int
    files: int
    size: int
    missing: list[str]  # stored files the database names but the folder lacks


@dataclasses.dataclass
class RestoreReport:
    kind: str
    created_at: str
    audit_events: int
    files: int


def _kind() -> str:
    kind = db.engine.dialect.name
    if kind not in DATABASE_MEMBERS:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {kind}.")
    return kind


# Reading the snapshot --------------------------------------------------------------------


def _read_snapshot(execute) -> Snapshot:  # type: ignore[no-untyped-def]
    """``execute(sql)`` returns rows; the queries are plain SQL both databases speak."""
    revision = execute("SELECT version_num FROM alembic_version")
    head = execute("SELECT seq, hash FROM audit_head WHERE id = 1")
    hashes = execute("SELECT DISTINCT sha256 FROM attachments ORDER BY sha256")
    return Snapshot(
        revision=revision[0][0] if revision else None,
        audit_events=int(head[0][0]) if head else 0,
        audit_head=head[0][1] if head else None,
        attachments=[row[0] for row in hashes],
    )


def _sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("Only a SQLite database in a file can be backed up or restored.")
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy one SQLite database into another with the online backup API: a
    consistent snapshot even while others write, WAL included."""
    source_connection = sqlite3.connect(source)
    try:
        target_connection = sqlite3.connect(target)
        try:
            source_connection.backup(target_connection)
        finally:
            target_connection.close()
    finally:
        source_connection.close()


def _sqlite_snapshot(path: Path) -> Snapshot:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return _read_snapshot(lambda sql: connection.execute(sql).fetchall())
    finally:
        connection.close()


# PostgreSQL's tools ----------------------------------------------------------------------


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


# Taking a backup -------------------------------------------------------------------------


def _dump(kind: str, target: Path) -> Snapshot:
    url = db.engine.url
    if kind == "sqlite":
        source = _sqlite_path(url)
        if not source.is_file():
            raise BackupError(f"The SQLite database {source} does not exist.")
        _sqlite_copy(source, target)
        return _sqlite_snapshot(target)
    db.session.remove()
    with (
        db.engine.connect() as connection,
        connection.execution_options(isolation_level="REPEATABLE READ").begin(),
    ):
        # One snapshot for our reads and for pg_dump: the files listed are exactly
        # those the dump's rows refer to.
        snapshot_id = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
        snapshot = _read_snapshot(lambda sql: connection.exec_driver_sql(sql).fetchall())
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


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def create(path: Path, *, overwrite: bool = False) -> BackupReport:
    """Write a backup of the configured database and its stored files to ``path``."""
    path = Path(path)
    if path.is_dir():
        raise BackupError(f"{path} is a folder; name the backup file to write.")
    if path.exists() and not overwrite:
        raise BackupError(f"{path} exists already; choose another name or pass --force.")
    if not path.parent.is_dir():
        raise BackupError(f"The folder {path.parent} does not exist.")
    kind = _kind()
    member = DATABASE_MEMBERS[kind]
    with tempfile.TemporaryDirectory(prefix="procure-backup-") as work:
        dump = Path(work) / member
        snapshot = _dump(kind, dump)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": {
                "kind": kind,
                "member": member,
                "sha256": file_sha256(dump),
                "size": dump.stat().st_size,
                "revision": snapshot.revision,
            },
            "audit": {"events": snapshot.audit_events, "head": snapshot.audit_head},
            "attachments": [],
        }
        missing = []
        handle, partial = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(handle)
        try:
            with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
                archive.add(dump, arcname=member)
                for sha256 in snapshot.attachments:
                    source = attachments.path_for(sha256)
                    if not source.is_file():
                        missing.append(sha256)
                        continue
                    archive.add(source, arcname=f"attachments/{sha256[:2]}/{sha256}")
                    manifest["attachments"].append(sha256)
                # Last, so that a backup cut short has no manifest and is refused.
                _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
            os.replace(partial, path)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
    return BackupReport(
        path=path,
        kind=KIND_NAMES[kind],
        audit_events=snapshot.audit_events,
        files=len(manifest["attachments"]),
        size=path.stat().st_size,
        missing=missing,
    )


# Restoring -------------------------------------------------------------------------------


def _not_a_backup(path: Path, why: str) -> BackupError:
    return BackupError(f"{path} is not a Procure backup ({why}).")


def read_manifest(archive: tarfile.TarFile, path: Path) -> dict:
    try:
        member = archive.getmember(MANIFEST)
    except KeyError:
        raise _not_a_backup(path, f"it has no {MANIFEST}") from None
    handle = archive.extractfile(member)
    if handle is None or member.size > 64 * CHUNK:
        raise _not_a_backup(path, f"its {MANIFEST} is not a file")
    try:
        manifest = json.loads(handle.read())
    except ValueError:
        raise _not_a_backup(path, f"its {MANIFEST} is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _not_a_backup(path, "its manifest does not say so")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"{path} is a Procure backup of format version {manifest.get('version')}; "
            f"this version of Procure reads version {VERSION}."
        )
    database = manifest.get("database")
    if (
        not isinstance(database, dict)
        or database.get("kind") not in DATABASE_MEMBERS
        or database.get("member") != DATABASE_MEMBERS[database["kind"]]
        or not isinstance(manifest.get("attachments"), list)
    ):
        raise _not_a_backup(path, "its manifest is incomplete")
    return manifest


def _rows_of_data() -> dict[str, int]:
    """How many rows the data tables of the configured database hold (absent: none)."""
    inspector = sa.inspect(db.engine)
    present = set(inspector.get_table_names())
    counts = {}
    with db.engine.connect() as connection:
        for table in DATA_TABLES:
            if table in present:
                counts[table] = connection.scalar(
                    sa.select(sa.func.count()).select_from(sa.table(table))
                )
    return {table: count for table, count in counts.items() if count}


def _extract_checked(archive: tarfile.TarFile, name: str, sha256: str, target: Path) -> None:
    """Copy a member out, refusing it unless it hashes to ``sha256``."""
    try:
        member = archive.getmember(name)
    except KeyError:
        raise BackupError(f"The backup lacks {name}.") from None
    source = archive.extractfile(member) if member.isfile() else None
    if source is None:
        raise BackupError(f"{name} in the backup is not a file.")
    digest = hashlib.sha256()
    handle, partial = tempfile.mkstemp(prefix=".restore-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            raise BackupError(
                f"{name} in the backup is damaged: its SHA-256 is not the one recorded."
            )
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def _restore_files(archive: tarfile.TarFile, manifest: dict) -> int:
    """Put every stored file back (those already there and intact are kept)."""
    listed = manifest["attachments"]
    for sha256 in listed:
        if not isinstance(sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise BackupError(f"The backup's manifest lists a bad file name: {sha256!r}.")
    for sha256 in listed:
        target = attachments.path_for(sha256)
        if target.is_file() and file_sha256(target) == sha256:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        _extract_checked(archive, f"attachments/{sha256[:2]}/{sha256}", sha256, target)
    return len(listed)


def _restore_database(kind: str, dump: Path) -> None:
    url = db.engine.url
    db.session.remove()
    db.engine.dispose()
    if kind == "sqlite":
        target = _sqlite_path(url)
        if not target.parent.is_dir():
            raise BackupError(f"The folder {target.parent} does not exist.")
        _sqlite_copy(dump, target)
        return
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


def restore(path: Path, *, force: bool = False) -> RestoreReport:
    """Replace the configured database and put back the stored files from ``path``."""
    path = Path(path)
    if not path.exists():
        raise BackupError(f"{path} does not exist.")
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    try:
        archive = tarfile.open(path, "r:*")
    except (tarfile.TarError, OSError, EOFError):
        raise _not_a_backup(path, "it is not a tar file") from None
    with archive:
        try:
            manifest = read_manifest(archive, path)
        except (tarfile.TarError, OSError, EOFError):
            raise _not_a_backup(path, "it is damaged") from None
        kind = _kind()
        database = manifest["database"]
        if database["kind"] != kind:
            raise BackupError(
                f"{path} holds a {KIND_NAMES[database['kind']]} database; the configured "
                f"database is {KIND_NAMES[kind]}. Restore it into {KIND_NAMES[database['kind']]}."
            )
        data = _rows_of_data()
        if data and not force:
            held = ", ".join(f"{count} {table.replace('_', ' ')}" for table, count in data.items())
            raise BackupError(
                f"The configured database holds data ({held}); restoring replaces it. "
                "Pass --force to do so."
            )
        try:
            files = _restore_files(archive, manifest)
            with tempfile.TemporaryDirectory(prefix="procure-restore-") as work:
                dump = Path(work) / database["member"]
                _extract_checked(archive, database["member"], str(database.get("sha256")), dump)
                _restore_database(kind, dump)
        except (tarfile.TarError, EOFError) as exc:
            raise BackupError(f"{path} is damaged: {exc}") from None
    # A backup from an older version of Procure: bring its schema up to date.
    init_db(current_app._get_current_object())  # type: ignore[attr-defined]
    audit_info = manifest.get("audit") or {}
    return RestoreReport(
        kind=KIND_NAMES[kind],
        created_at=str(manifest.get("created_at")),
        audit_events=int(audit_info.get("events") or 0),
        files=files,
    )
