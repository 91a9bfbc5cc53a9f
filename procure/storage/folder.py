"""Files in a folder: ``<root>/<sha256[:2]>/<sha256>``, written beside and renamed."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .base import SHA256, Storage, StorageUnavailable


class FolderStorage(Storage):
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.url = self.root.as_uri()

    def path_for(self, sha256: str) -> Path:
        return self.root / self.key(sha256)

    def where(self, sha256: str) -> str:
        return str(self.path_for(sha256))

    def _write(self, sha256: str, data: bytes) -> None:
        target = self.path_for(sha256)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Write beside, then rename: a reader never sees half a file.
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StorageUnavailable(
                f"cannot write to {self.root}: {exc.strerror or exc}"
            ) from exc

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self.path_for(sha256).open("rb")
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise StorageUnavailable(f"cannot read {self.root}: {exc.strerror or exc}") from exc

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def delete(self, sha256: str) -> None:
        self.path_for(sha256).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if not folder.is_dir() or len(folder.name) != 2:
                continue
            for path in sorted(folder.iterdir()):
                if SHA256.fullmatch(path.name) and path.name[:2] == folder.name and path.is_file():
                    yield path.name

    def problems(self) -> list[str]:
        if self.root.exists():
            if not self.root.is_dir():
                return [f"{self.root} is not a folder"]
            if not os.access(self.root, os.W_OK | os.X_OK):
                return [f"the folder {self.root} is not writable"]
            return []
        # Created on the first upload: its nearest existing parent must allow that.
        parent = self.root.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            return [f"the folder {self.root} does not exist and cannot be created"]
        return []
