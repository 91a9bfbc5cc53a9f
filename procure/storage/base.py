"""What every storage backend offers: files named by their SHA-256, written once."""

from __future__ import annotations

import abc
import hashlib
import re
from collections.abc import Iterator
from typing import BinaryIO

SETTING = "PROCURE_STORAGE_URL"
SHA256 = re.compile(r"[0-9a-f]{64}")
CHUNK = 1024 * 1024


class StorageUnavailable(OSError):
    """The file storage cannot be reached (endpoint down, bucket gone, disk unmounted).

    An ``OSError``, so that code retrying on I/O failures (the mail sender) retries on
    it too; a request answers 503 with ``Retry-After`` (``error_pages.py``)."""

    retry_after = 5


def checked_name(sha256: str) -> str:
    """Refuse anything but a SHA-256 in hex: names become paths and object keys."""
    if not isinstance(sha256, str) or not SHA256.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 name: {sha256!r}")
    return sha256


class Storage(abc.ABC):
    """Files named by the SHA-256 of their bytes: the same bytes are kept once, and
    a name always means the same content.

    ``open``, ``read`` and ``digest`` raise ``FileNotFoundError`` for a name that is
    not stored, and :class:`StorageUnavailable` when the storage cannot be reached."""

    url: str

    def put(self, data: bytes) -> str:
        """Store ``data`` unless stored already; returns its SHA-256."""
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.exists(sha256):
            self.write(sha256, data)
        return sha256

    def write(self, sha256: str, data: bytes) -> None:
        """Store ``data`` under ``sha256`` even if something is there (a repair)."""
        if hashlib.sha256(data).hexdigest() != checked_name(sha256):
            raise ValueError(f"the data's SHA-256 is not {sha256}")
        self._write(sha256, data)

    def read(self, sha256: str) -> bytes:
        with self.open(sha256) as handle:
            return handle.read()

    def digest(self, sha256: str) -> str:
        """The SHA-256 of what is stored under ``sha256`` (they differ if it was altered)."""
        digest = hashlib.sha256()
        with self.open(sha256) as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    def key(self, sha256: str) -> str:
        """The object's name below the storage's root: ``<sha256[:2]>/<sha256>``."""
        name = checked_name(sha256)
        return f"{name[:2]}/{name}"

    @abc.abstractmethod
    def _write(self, sha256: str, data: bytes) -> None: ...

    @abc.abstractmethod
    def open(self, sha256: str) -> BinaryIO: ...

    @abc.abstractmethod
    def exists(self, sha256: str) -> bool: ...

    @abc.abstractmethod
    def delete(self, sha256: str) -> None: ...

    @abc.abstractmethod
    def keys(self) -> Iterator[str]:
        """The SHA-256 name of every stored file."""

    @abc.abstractmethod
    def where(self, sha256: str) -> str:
        """Where the file is, for an operator's message (a path or an s3:// URL)."""

    @abc.abstractmethod
    def problems(self) -> list[str]:
        """What stops this storage from working now (unreachable, no bucket, read-only)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"
