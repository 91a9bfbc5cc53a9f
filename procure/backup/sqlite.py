"""SQLite: a copy made with the online backup API, consistent while others write."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

from .archive import BackupError, Snapshot, read_snapshot


def database_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("Only a SQLite database in a file can be backed up or restored.")
    return Path(url.database)


def copy(source: Path, target: Path) -> None:
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


def _snapshot(path: Path) -> Snapshot:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return read_snapshot(lambda sql: connection.execute(sql).fetchall())
    finally:
        connection.close()


def dump(url: sa.URL, target: Path) -> Snapshot:
    source = database_path(url)
    if not source.is_file():
        raise BackupError(f"The SQLite database {source} does not exist.")
    copy(source, target)
    return _snapshot(target)


def restore(url: sa.URL, dump: Path) -> None:
    target = database_path(url)
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    copy(dump, target)
