"""Uploaded files: size-limited, type checked by their content, stored once by their
SHA-256 through the storage seam (``procure/storage``: a folder or S3), and served
only through views that first check who may see the document they belong to."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from flask import Flask, current_app, request, send_file
from werkzeug.datastructures import FileStorage

from . import storage
from .errors import ValidationError
from .extensions import db
from .models import Attachment, User

# What a file must start with to be what it says it is.
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
EXTENSIONS = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


def path_for(sha256: str) -> Path:
    """Where a file lies when the storage is a folder (tests and tools that edit it)."""
    store = storage.current()
    if not isinstance(store, storage.FolderStorage):
        raise TypeError(f"the storage is {store.url}, not a folder")
    return store.path_for(sha256)


def detect_type(head: bytes) -> str | None:
    for content_type, signatures in SIGNATURES.items():
        if any(head.startswith(signature) for signature in signatures):
            return content_type
    return None


def clean_filename(name: str) -> str:
    base = os.path.basename(name or "").strip()
    base = SAFE_NAME.sub("_", base)[:200].strip("._ ")
    return base or "file"


def store_bytes(data: bytes, filename: str, content_type: str, *, user: User | None) -> Attachment:
    """Store ``data`` (already checked) by its hash; the same bytes are kept once.

    The file is stored before its row is added: storage that cannot be reached raises
    ``StorageUnavailable`` and nothing is recorded."""
    digest = storage.current().put(data)
    attachment = Attachment(
        sha256=digest,
        size=len(data),
        content_type=content_type,
        filename=clean_filename(filename),
        uploaded_by_id=user.id if user else None,
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def store_upload(
    upload: FileStorage | None,
    *,
    user: User | None,
    field: str = "attachment",
    allowed: tuple[str, ...] = tuple(SIGNATURES),
) -> Attachment | None:
    """Check and store an uploaded file; None when nothing was uploaded."""
    if upload is None or not upload.filename:
        return None
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise ValidationError.field(field, f"The file is larger than {limit / 1048576:.3g} MB.")
    if not data:
        raise ValidationError.field(field, "The file is empty.")
    detected = detect_type(data[:16])
    if detected is None or detected not in allowed:
        kinds = ", ".join(sorted({k.split("/")[1].upper() for k in allowed}))
        raise ValidationError.field(field, f"Upload a {kinds} file.")
    extension = os.path.splitext(upload.filename)[1].lower()
    if extension and EXTENSIONS.get(extension) != detected:
        raise ValidationError.field(
            field, f"The file's content is {detected}, which its name does not say."
        )
    return store_bytes(data, upload.filename, detected, user=user)


def read_bytes(attachment: Attachment) -> bytes:
    return storage.current().read(attachment.sha256)


def send(attachment: Attachment, *, inline: bool = False):  # type: ignore[no-untyped-def]
    """The file as a download; call only after checking who may see its document."""
    response = send_file(
        io.BytesIO(read_bytes(attachment)),
        mimetype=attachment.content_type,
        as_attachment=not inline,
        download_name=attachment.filename,
        etag=attachment.sha256,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def accepts_uploads(view):  # type: ignore[no-untyped-def]
    """Mark a view that takes file uploads: its body may be as large as an upload."""
    view.procure_accepts_uploads = True
    return view


def init_app(app: Flask) -> None:
    storage.init_app(app)  # a malformed PROCURE_STORAGE_URL stops the start here

    # Registered before CSRF protection, which reads the form (and so enforces the
    # body limit) before any view runs.
    @app.before_request
    def _raise_limit_for_uploads() -> None:
        view = app.view_functions.get(request.endpoint or "")
        if view is not None and getattr(view, "procure_accepts_uploads", False):
            request.max_content_length = app.config["MAX_UPLOAD_BYTES"] + 256 * 1024
