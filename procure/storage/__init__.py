"""The one seam every stored file goes through: uploads, vendor documents, signed
contracts, quote attachments and issued purchase-order PDFs.

``PROCURE_STORAGE_URL`` chooses the backend:

* ``file:///srv/procure/files``: a folder (default: ``ATTACHMENTS_DIR`` when set, else
  ``<instance>/attachments``);
* ``s3://bucket/prefix?endpoint_url=https://…&region=…``: S3-compatible object
  storage, credentials from the usual AWS environment variables, through boto3.

Either way a file is named by its SHA-256 and kept at ``<prefix>/<sha256[:2]>/<sha256>``.
Downloads still go through the app's views, which check who may see the document.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import Flask, current_app

from .base import SETTING, Storage, StorageUnavailable
from .folder import FolderStorage
from .migrate import MigrationReport, migrate
from .s3 import S3Storage

__all__ = [
    "SETTING",
    "FolderStorage",
    "MigrationReport",
    "S3Storage",
    "Storage",
    "StorageUnavailable",
    "check",
    "configured_url",
    "current",
    "from_url",
    "init_app",
    "migrate",
]

BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
S3_OPTIONS = {"endpoint_url", "region"}
EXTENSION = "procure_storage"


def _refuse(url: str, why: str) -> ValueError:
    return ValueError(f"{SETTING}={url!r}: {why}")


def from_url(url: str) -> Storage:
    """The backend ``url`` names; ``ValueError`` naming the setting when malformed."""
    parts = urlsplit(url.strip())
    if parts.scheme == "file":
        if parts.netloc not in {"", "localhost"} or parts.query:
            raise _refuse(url, "write a folder as file:///absolute/path")
        path = unquote(parts.path)
        if not path.startswith("/"):
            raise _refuse(url, "the folder must be an absolute path")
        return FolderStorage(Path(path))
    if parts.scheme == "s3":
        bucket = parts.netloc
        if not bucket:
            raise _refuse(url, "name the bucket: s3://bucket/prefix")
        if not BUCKET.fullmatch(bucket):
            raise _refuse(url, f"{bucket!r} is not a valid bucket name")
        options = parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
        unknown = sorted(set(options) - S3_OPTIONS)
        if unknown:
            raise _refuse(url, f"unknown option {unknown[0]!r} (known: endpoint_url, region)")
        endpoint = options.get("endpoint_url", [""])[-1] or None
        if endpoint is not None:
            endpoint_parts = urlsplit(endpoint)
            if endpoint_parts.scheme not in {"http", "https"} or not endpoint_parts.hostname:
                raise _refuse(url, f"endpoint_url {endpoint!r} is not an http(s) URL")
        return S3Storage(
            url,
            bucket=bucket,
            prefix=unquote(parts.path),
            endpoint_url=endpoint,
            region=options.get("region", [""])[-1] or None,
        )
    scheme = f"{parts.scheme!r}" if parts.scheme else "none"
    raise _refuse(url, f"the scheme is {scheme}; use file:///path or s3://bucket/prefix")


def configured_url(app: Flask) -> str:
    """``PROCURE_STORAGE_URL``, else the folder the attachments have always lived in."""
    configured = (app.config.get(SETTING) or "").strip()
    if configured:
        return configured
    folder = app.config.get("ATTACHMENTS_DIR") or Path(app.instance_path) / "attachments"
    return Path(folder).absolute().as_uri()


def _for(app: Flask) -> Storage:
    url = configured_url(app)
    # Keyed by URL: a setting changed while running (a test, a restore) is followed.
    cache: dict[str, Storage] = app.extensions.setdefault(EXTENSION, {})
    if url not in cache:
        cache[url] = from_url(url)
    return cache[url]


def init_app(app: Flask) -> None:
    """Refuse a malformed setting when the app is made, not at the first upload."""
    _for(app)


def current() -> Storage:
    """The storage of the running app."""
    return _for(current_app._get_current_object())  # type: ignore[attr-defined]


def check(url: str) -> list[str]:
    """Every problem with storage ``url``: malformed, unreachable, no bucket, read-only."""
    try:
        storage = from_url(url)
    except ValueError as exc:
        return [str(exc)]
    return [f"{SETTING}: {problem}" for problem in storage.problems()]
