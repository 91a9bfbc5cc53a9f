"""An order as a document: its frozen content's hash and its PDF, as first issued or
as a revision (``PO-2026-00012 rev 1``, with what changed and why)."""

from __future__ import annotations

import hashlib
from typing import Any

from .. import attachments, organisation, pdf
from ..audit import canonical_json
from ..extensions import db
from ..models import PurchaseOrder, User, utcnow


def issued_by(order: PurchaseOrder) -> User | None:
    return db.session.get(User, order.issued_by_id) if order.issued_by_id else None


def buyer() -> organisation.Organisation:
    """The buying organisation as admin set it: the order's buyer block."""
    return organisation.current()


def content_reference(order: PurchaseOrder) -> str:
    """The SHA-256 of the order's frozen content (printed in the PDF's footer; the PDF
    file's own hash, which cannot be printed inside it, is kept on the order)."""
    content = {
        "number": order.number,
        "vendor": order.vendor.name,
        "request": order.request.number,
        "currency": order.currency,
        "subtotal": str(order.subtotal),
        "shipping": str(order.shipping),
        "tax": str(order.tax),
        "total": str(order.total),
        "delivery_address": order.delivery_address,
        "payment_terms": order.payment_terms,
        "terms": order.terms,
        "needed_by": order.needed_by.isoformat() if order.needed_by else None,
        "issued_at": order.issued_at.isoformat() if order.issued_at else None,
        # Revision 0 hashes as orders did before there were revisions.
        **({"revision": order.revision} if order.revision else {}),
        "lines": [
            [
                line.description,
                str(line.quantity),
                line.unit,
                str(line.unit_price),
                str(line.total),
            ]
            for line in order.lines
        ],
    }
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def document_context(order: PurchaseOrder, *, draft: bool, revision: Any = None) -> dict:
    contact = next(iter(order.vendor.contacts), None)
    org = buyer()
    number = order.number or "draft"
    if revision is not None and revision.revision:
        number = f"{number} rev {revision.revision}"
    return {
        "document": pdf.DocumentInfo(
            title=f"Purchase order {number}",
            author=org.name,
            subject=f"Purchase order {number} from {org.name} to {order.vendor.name}",
            created=(revision.issued_at if revision is not None else None)
            or order.issued_at
            or utcnow(),
        ),
        "revision": revision if revision is not None and revision.revision else None,
        "order": order,
        "buyer": org,
        "draft": draft,
        "contact": contact,
        "issued_on": order.issued_at.date() if order.issued_at else None,
        "issued_by": issued_by(order),
        "reference": None if draft else content_reference(order),
    }


def render_document(order: PurchaseOrder, *, draft: bool, revision: Any = None) -> bytes:
    """The order's PDF as it stands; ``revision`` (being issued) adds its number, the
    reason and what changed."""
    return pdf.render_pdf(
        "purchase_order.html", **document_context(order, draft=draft, revision=revision)
    )


render = render_document


def document(order: PurchaseOrder) -> tuple[bytes, str]:
    """The PDF to hand out: for an issued order, exactly the bytes stored at issue;
    for a draft, a preview watermarked DRAFT, never stored."""
    if order.pdf is not None:
        name = f"{order.number}-rev{order.revision}" if order.revision else order.number
        return attachments.read_bytes(order.pdf), f"{name}.pdf"
    return render_document(order, draft=True), f"draft-order-{order.id}.pdf"
