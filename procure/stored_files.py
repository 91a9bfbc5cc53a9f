"""Checks that every stored file is still what the database recorded.

Uploads and issued purchase-order PDFs are stored once, named by their SHA-256, in
the configured storage (``procure/storage``: a folder or S3). ``check`` reads each
file back and hashes it; for every issued
order it also checks that the order, its attachment row and the audit event of its
issue name the same PDF hash, so that swapping a PDF means forging the audit chain
too. ``verify-audit`` runs it after the chain.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from . import storage
from .extensions import db
from .models import Attachment, AuditEvent, OrderRevision, PurchaseOrder

CHUNK = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Problem:
    what: str  # "attachment 7 (PO-2026-00001.pdf)", "order PO-2026-00001"
    where: str | None  # a path, or an s3:// URL
    reason: str

    def __str__(self) -> str:
        where = f" at {self.where}" if self.where is not None else ""
        return f"{self.what}{where}: {self.reason}"


@dataclasses.dataclass
class Report:
    files: int = 0  # distinct stored files read and hashed
    orders: int = 0  # issued orders whose PDF hash was cross-checked
    problems: list[Problem] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _attachments() -> Iterator[tuple[int, str, str]]:
    query = sa.select(Attachment.id, Attachment.sha256, Attachment.filename).order_by(
        Attachment.id
    )
    yield from db.session.execute(query.execution_options(yield_per=1000))


def _verdict(store: storage.Storage, sha256: str, report: Report) -> str | None:
    """None when the stored file hashes to its name, else the reason."""
    try:
        actual = store.digest(sha256)
    except FileNotFoundError:
        return "the file is missing"
    report.files += 1
    if actual == sha256:
        return None
    return f"the file's SHA-256 is {actual}, not the recorded {sha256}"


def _check_files(report: Report) -> None:
    store = storage.current()
    verdicts: dict[str, str | None] = {}  # sha256 -> None when good, else the reason
    for attachment_id, sha256, filename in _attachments():
        if sha256 not in verdicts:
            try:
                verdicts[sha256] = _verdict(store, sha256, report)
            except storage.StorageUnavailable as exc:
                # One line, not one timeout per file.
                report.problems.append(Problem("the file storage", store.url, str(exc)))
                return
        reason = verdicts[sha256]
        if reason is not None:
            report.problems.append(
                Problem(f"attachment {attachment_id} ({filename})", store.where(sha256), reason)
            )


# The order events that issue a revision, and so record its PDF's hash.
ISSUING = ("issue", "revise", "issue_revision")


def _issue_hashes() -> dict[tuple[int, int], str | None]:
    """The PDF hash each order's issuing events recorded, per (order, revision)."""
    recorded: dict[tuple[int, int], str | None] = {}
    rows = db.session.execute(
        sa.select(AuditEvent.entity_id, AuditEvent.action, AuditEvent.changes)
        .where(AuditEvent.entity == "order", AuditEvent.action.in_(ISSUING))
        .order_by(AuditEvent.id)
        .execution_options(yield_per=1000)
    )
    for order_id, action, changes in rows:
        try:
            data = json.loads(changes)
        except ValueError:
            data = {}
        if not isinstance(data, dict) or (action != "issue" and "pdf_sha256" not in data):
            continue  # a revision proposed, not issued
        number = 0 if action == "issue" else data.get("revision")
        if isinstance(number, int):
            recorded[(order_id, number)] = data.get("pdf_sha256")
    return recorded


def _check_pdf(
    report: Report,
    what: str,
    key: tuple[int, int],
    pdf_sha256: str | None,
    stored_sha256: str | None,
    recorded: dict[tuple[int, int], str | None],
) -> None:
    """One frozen PDF: stored with the hash kept, and the hash its event recorded."""
    event = "issue" if key[1] == 0 else "revision"
    if stored_sha256 is None:
        report.problems.append(Problem(what, None, "its PDF attachment is missing"))
    elif stored_sha256 != pdf_sha256:
        report.problems.append(
            Problem(
                what, None, f"its PDF attachment is {stored_sha256}, not the recorded {pdf_sha256}"
            )
        )
    if key not in recorded:
        report.problems.append(Problem(what, None, f"the audit log has no {event} event for it"))
    elif recorded[key] != pdf_sha256:
        report.problems.append(
            Problem(
                what,
                None,
                f"its PDF hash {pdf_sha256} is not the {recorded[key]} its {event} event recorded",
            )
        )


def _check_orders(report: Report) -> None:
    """Every issued order points at its latest revision's PDF, and every revision's PDF
    (revision 0 as first issued, each change order after it) is stored with the hash
    kept, which is the one its issuing audit event recorded."""
    recorded = _issue_hashes()
    current: dict[int, tuple[int, str | None]] = {}
    rows = db.session.execute(
        sa.select(
            PurchaseOrder.id,
            PurchaseOrder.number,
            PurchaseOrder.revision,
            PurchaseOrder.pdf_sha256,
            Attachment.sha256,
        )
        .outerjoin(Attachment, Attachment.id == PurchaseOrder.pdf_attachment_id)
        .where(PurchaseOrder.pdf_sha256.is_not(None))
        .order_by(PurchaseOrder.id)
        .execution_options(yield_per=1000)
    )
    for order_id, number, revision, pdf_sha256, stored_sha256 in rows:
        report.orders += 1
        current[order_id] = (revision, pdf_sha256)
        what = f"order {number or order_id}" + (f" rev {revision}" if revision else "")
        _check_pdf(report, what, (order_id, revision), pdf_sha256, stored_sha256, recorded)
    revisions = db.session.execute(
        sa.select(
            OrderRevision.order_id,
            OrderRevision.revision,
            PurchaseOrder.number,
            OrderRevision.pdf_sha256,
            Attachment.sha256,
        )
        .join(PurchaseOrder, PurchaseOrder.id == OrderRevision.order_id)
        .outerjoin(Attachment, Attachment.id == OrderRevision.pdf_attachment_id)
        .where(OrderRevision.issued_at.is_not(None))
        .order_by(OrderRevision.order_id, OrderRevision.revision)
        .execution_options(yield_per=1000)
    )
    with_latest: set[int] = set()
    for order_id, revision, number, pdf_sha256, stored_sha256 in revisions:
        what = f"order {number or order_id}" + (f" rev {revision}" if revision else "")
        latest, order_sha256 = current.get(order_id, (None, None))
        if revision != latest:
            _check_pdf(report, what, (order_id, revision), pdf_sha256, stored_sha256, recorded)
            continue
        with_latest.add(order_id)
        if pdf_sha256 != order_sha256:
            report.problems.append(
                Problem(what, None, "the order does not point at its latest revision's PDF")
            )
    for order_id in sorted(set(current) - with_latest):
        report.problems.append(
            Problem(f"order {order_id}", None, "its latest revision is not on record")
        )


def check() -> Report:
    """Hash every stored file and cross-check every issued order's PDF."""
    report = Report()
    _check_files(report)
    _check_orders(report)
    return report
