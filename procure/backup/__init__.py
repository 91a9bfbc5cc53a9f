"""Backup and restore: the database and the stored files, in one file.

A backup is a gzipped tar file holding

* ``procure-backup.json``, the manifest: what this is, the database kind, the schema
  revision, the audit chain's length and newest hash, and the SHA-256 of the dump;
* the database: on SQLite a copy made with the online backup API
  (``database.sqlite3``), on PostgreSQL a ``pg_dump --format=custom`` archive
  (``database.pgdump``);
* ``attachments/<xx>/<sha256>``: every stored file the database refers to (uploads,
  issued purchase-order PDFs), under the name of its own hash, read from the
  configured storage (a folder or S3, ``procure/storage``); a restore writes them
  back to the storage configured then.

The files listed are read from the same snapshot as the dump (on PostgreSQL the dump
runs on a snapshot exported by our own transaction), and stored files never change
once written, so a backup taken while people work is consistent: a restore gives a
system whose ``verify-audit`` passes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import tarfile
import tempfile
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from .. import storage
from ..db import init_db
from ..extensions import db
from ..stored_files import file_sha256
from . import postgres, sqlite
from .archive import (
    DATABASE_MEMBERS,
    FORMAT,
    KIND_NAMES,
    MANIFEST,
    VERSION,
    BackupError,
    Snapshot,
    add_bytes,
    extract_checked,
    not_a_backup,
    read_manifest,
    restore_files,
)
from .postgres import postgres_tool

# Tables whose rows mean "somebody has used this database": the migrations seed
# others (categories, the audit head, the default policy), never these.
DATA_TABLES = ("users", "audit_events", "purchase_requests")

__all__ = [
    "DATABASE_MEMBERS",
    "FORMAT",
    "KIND_NAMES",
    "MANIFEST",
    "VERSION",
    "BackupError",
    "BackupReport",
    "RestoreReport",
    "create",
    "postgres_tool",
    "read_manifest",
    "restore",
]


@dataclasses.dataclass
class BackupReport:
    path: Path
    kind: str
    audit_events: int
    files: int
    size: int
    missing: list[str]  # stored files the database names but the storage lacks


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


# Taking a backup -------------------------------------------------------------------------


def _dump(kind: str, target: Path) -> Snapshot:
    if kind == "sqlite":
        return sqlite.dump(db.engine.url, target)
    return postgres.dump(db.engine.url, target)


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
                store = storage.current()
                for sha256 in snapshot.attachments:
                    try:
                        data = store.read(sha256)
                    except FileNotFoundError:
                        missing.append(sha256)
                        continue
                    add_bytes(archive, f"attachments/{sha256[:2]}/{sha256}", data)
                    manifest["attachments"].append(sha256)
                # Last, so that a backup cut short has no manifest and is refused.
                add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
            os.replace(partial, path)
        except storage.StorageUnavailable as exc:
            Path(partial).unlink(missing_ok=True)
            raise BackupError(f"The file storage cannot be reached: {exc}") from None
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


def _restore_database(kind: str, dump: Path) -> None:
    url = db.engine.url
    db.session.remove()
    db.engine.dispose()
    if kind == "sqlite":
        sqlite.restore(url, dump)
    else:
        postgres.restore(url, dump)


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
        raise not_a_backup(path, "it is not a tar file") from None
    with archive:
        try:
            manifest = read_manifest(archive, path)
        except (tarfile.TarError, OSError, EOFError):
            raise not_a_backup(path, "it is damaged") from None
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
            files = restore_files(archive, manifest)
            with tempfile.TemporaryDirectory(prefix="procure-restore-") as work:
                dump = Path(work) / database["member"]
                extract_checked(archive, database["member"], str(database.get("sha256")), dump)
                _restore_database(kind, dump)
        except (tarfile.TarError, EOFError) as exc:
            raise BackupError(f"{path} is damaged: {exc}") from None
        except storage.StorageUnavailable as exc:
            raise BackupError(f"The file storage cannot be reached: {exc}") from None
    # A backup from an older version of Procure: bring its schema up to date.
    init_db(current_app._get_current_object())  # type: ignore[attr-defined]
    audit_info = manifest.get("audit") or {}
    return RestoreReport(
        kind=KIND_NAMES[kind],
        created_at=str(manifest.get("created_at")),
        audit_events=int(audit_info.get("events") or 0),
        files=files,
    )
