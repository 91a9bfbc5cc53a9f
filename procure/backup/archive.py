"""The backup file: a gzipped tar holding the manifest, the database copy and the
stored files, each checked against the SHA-256 the manifest records."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
from pathlib import Path
from typing import IO

from .. import storage

FORMAT = "procure-backup"
VERSION = 1
MANIFEST = "procure-backup.json"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
KIND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
ATTACHMENT_MEMBER = re.compile(r"attachments/([0-9a-f]{2})/([0-9a-f]{64})")
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


def read_snapshot(execute) -> Snapshot:  # type: ignore[no-untyped-def]
    """``execute(sql)`` returns rows; the queries are plain SQL both databases speak."""
    revision = execute("SELECT version_num FROM alembic_version")
    head = execute("SELECT seq, hash FROM audit_head WHERE id = 1")
    hashes = execute("SELECT DISTINCT sha256 FROM attachments ORDER BY sha256")
    return Snapshot(
        revision=revision[0][0] if revision else None,
        audit_events=int(head[0][0]) if head else 0,
        audit_head=_as_hex(head[0][1]) if head else None,
        attachments=[row[0] for row in hashes],
    )


def _as_hex(digest: str | bytes | memoryview) -> str:
    """The audit head's hash in hex: stored as its bytes since migration 0031, as hex
    text in a database copied before it."""
    return digest if isinstance(digest, str) else bytes(digest).hex()


def add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def not_a_backup(path: Path, why: str) -> BackupError:
    return BackupError(f"{path} is not a Procure backup ({why}).")


def read_manifest(archive: tarfile.TarFile, path: Path) -> dict:
    try:
        member = archive.getmember(MANIFEST)
    except KeyError:
        raise not_a_backup(path, f"it has no {MANIFEST}") from None
    handle = archive.extractfile(member)
    if handle is None or member.size > 64 * CHUNK:
        raise not_a_backup(path, f"its {MANIFEST} is not a file")
    try:
        manifest = json.loads(handle.read())
    except ValueError:
        raise not_a_backup(path, f"its {MANIFEST} is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise not_a_backup(path, "its manifest does not say so")
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
        raise not_a_backup(path, "its manifest is incomplete")
    return manifest


def _member(archive: tarfile.TarFile, name: str) -> IO[bytes]:
    """The member ``name`` to read, or a ``BackupError`` saying what is wrong with it."""
    try:
        member = archive.getmember(name)
    except KeyError:
        raise BackupError(f"The backup lacks {name}.") from None
    source = archive.extractfile(member) if member.isfile() else None
    if source is None:
        raise BackupError(f"{name} in the backup is not a file.")
    return source


def _damaged(name: str) -> BackupError:
    return BackupError(f"{name} in the backup is damaged: its SHA-256 is not the one recorded.")


def extract_checked(archive: tarfile.TarFile, name: str, sha256: str, target: Path) -> None:
    """Copy a member out, refusing it unless it hashes to ``sha256``."""
    source = _member(archive, name)
    digest = hashlib.sha256()
    handle, partial = tempfile.mkstemp(prefix=".restore-", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            raise _damaged(name)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def read_checked(archive: tarfile.TarFile, name: str, sha256: str) -> bytes:
    """A stored file's bytes out of the backup, refused unless they hash to ``sha256``."""
    data = _member(archive, name).read()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise _damaged(name)
    return data


def _intact(store: storage.Storage, sha256: str) -> bool:
    try:
        return store.digest(sha256) == sha256
    except FileNotFoundError:
        return False


def restore_files(archive: tarfile.TarFile, manifest: dict) -> int:
    """Put every stored file back into the configured storage (those already there
    and intact are kept)."""
    listed = manifest["attachments"]
    for sha256 in listed:
        if not isinstance(sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise BackupError(f"The backup's manifest lists a bad file name: {sha256!r}.")
    store = storage.current()
    for sha256 in listed:
        if _intact(store, sha256):
            continue
        store.write(sha256, read_checked(archive, f"attachments/{sha256[:2]}/{sha256}", sha256))
    return len(listed)
