"""The private link through which a vendor sends its invoice for an issued order,
without an account (as quotes are sent; the token's making is in
``procure/private_links.py``).

The link is made when the order is issued and printed in the purchase order's e-mail.
It works while the order can be invoiced (issued, received in part or in full,
closed) and no longer once the order is cancelled; issuing a new one stops the
earlier. What the vendor sends is recorded as a draft, entered by nobody (source
``vendor``): the workflow lets only people submit an invoice, so finance and
procurement are told to check it and submit it."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from .. import access, attachments, audit, organisation, private_links
from ..errors import Forbidden, ValidationError
from ..extensions import db
from ..models import (
    Invoice,
    InvoiceSource,
    InvoiceStatus,
    OrderLine,
    PurchaseOrder,
    User,
)
from ..money import format_date
from ..notifications import invoices as invoice_mail
from ..notifications import services as notifications
from ..organisation import Organisation
from ..validation import FieldErrors
from . import matching, services

# Keeps these tokens apart from the quote links signed with the same secret key.
PURPOSE = b"procure.invoice-link\x00"
# What the vendor has already sent counts on its page, drafts included; not what was
# withdrawn or refused.
SENT = tuple(
    s for s in InvoiceStatus if s not in (InvoiceStatus.REJECTED, InvoiceStatus.CANCELLED)
)
PDF_ONLY = ("application/pdf",)


class LinkRefused(Exception):
    """An unknown link (404), or one for an order that can no longer be invoiced (410);
    the message is shown to the visitor and says nothing of the order."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _address(token: str) -> str:
    return private_links.address(f"/invoice/{token}")


def new_link(order: PurchaseOrder) -> str:
    """Give ``order`` a fresh invoice link (an earlier one stops working) and return it."""
    order.invoice_link_nonce = private_links.new_nonce()
    token = private_links.derive(PURPOSE, order.invoice_link_nonce)
    order.invoice_token_hash = private_links.hash_token(token)
    return _address(token)


def current_link(order: PurchaseOrder) -> str | None:
    """The order's link as it was sent, while the order can be invoiced; None when it
    has none, cannot be invoiced, or the link was made under another secret key."""
    if order.invoice_link_nonce is None or order.status not in services.INVOICEABLE:
        return None
    token = private_links.derive(PURPOSE, order.invoice_link_nonce)
    return _address(token) if private_links.matches(token, order.invoice_token_hash) else None


def reissue_link(order: PurchaseOrder, *, actor: User) -> str:
    """Procurement gives the vendor a new link (the earlier one leaked, or was lost)."""
    if not access.can_change(actor, order):
        raise Forbidden("Only procurement may re-issue an order's invoice link.")
    if order.status not in services.INVOICEABLE:
        raise ValidationError("Only an issued order that is not cancelled has an invoice link.")
    link = new_link(order)
    db.session.flush()
    audit.record("order", order.id, "reissue_invoice_link", actor=actor, changes={})
    return link


def order_for_token(token: str) -> PurchaseOrder:
    if not token or len(token) > private_links.TOKEN_MAX:
        raise LinkRefused("This link is not valid.", 404)
    order = db.session.scalar(
        sa.select(PurchaseOrder).where(
            PurchaseOrder.invoice_token_hash == private_links.hash_token(token)
        )
    )
    if order is None:
        raise LinkRefused(
            "This link is not valid. It may have been replaced by a newer one: "
            "ask the buyer for the current link.",
            404,
        )
    if order.status not in services.INVOICEABLE:
        raise LinkRefused(
            "This order can no longer be invoiced. Contact the buyer if you think it should.",
            410,
        )
    return order


# The vendor's page --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class VendorLine:
    line: OrderLine
    # On the invoices the vendor sent for this order (drafts included).
    invoiced: Decimal

    @property
    def remaining(self) -> Decimal:
        return max(self.line.quantity - self.invoiced, Decimal(0))


@dataclasses.dataclass(frozen=True)
class Sent:
    """An invoice already received for the order, as the vendor may see it: where it
    stands in words, never the holds or the reasons written for the buyer."""

    invoice: Invoice
    state: str


def _state(invoice: Invoice) -> str:
    if invoice.status == InvoiceStatus.PAID and invoice.paid_on is not None:
        return f"paid on {format_date(invoice.paid_on)}"
    if invoice.status == InvoiceStatus.APPROVED:
        return f"approved for payment, due {format_date(invoice.due_date)}"
    if invoice.status == InvoiceStatus.REJECTED:
        return "not accepted: contact the buyer"
    return "received, being checked"


@dataclasses.dataclass(frozen=True)
class VendorPage:
    order: PurchaseOrder
    buyer: Organisation
    lines: list[VendorLine]
    # What was already sent for the order: to see that nothing is sent twice, and how
    # each stands.
    sent: list[Sent]


def vendor_page(order: PurchaseOrder) -> VendorPage:
    invoiced = matching.invoiced_on(order.id, SENT)
    sent = db.session.scalars(
        sa.select(Invoice)
        .where(Invoice.order_id == order.id, Invoice.status != InvoiceStatus.CANCELLED)
        .order_by(Invoice.id)
    ).all()
    return VendorPage(
        order=order,
        buyer=organisation.current(),
        lines=[VendorLine(line, invoiced.get(line.id, Decimal(0))) for line in order.lines],
        sent=[Sent(invoice, _state(invoice)) for invoice in sent],
    )


def receive(order: PurchaseOrder, data: services.InvoiceData, pdf: FileStorage | None) -> Invoice:
    """Record what the vendor sent through the link as a draft invoice, its PDF attached
    (required), and tell finance and procurement. Every problem is named at once, by
    field; nothing is kept unless all is well (the caller rolls back)."""
    errors = FieldErrors()
    stored = None
    with errors.collect():
        stored = attachments.store_upload(pdf, user=None, field="pdf", allowed=PDF_ONLY)
        if stored is None:
            errors.add("pdf", "Attach your invoice as a PDF.")
    invoice = None
    with errors.collect():
        invoice = services.create(
            data, actor=None, source=InvoiceSource.VENDOR, order=order, pdf=stored
        )
    errors.raise_if_any()
    if invoice is None:  # raise_if_any has refused it already
        raise ValidationError("The invoice could not be recorded.")
    notify_desk(invoice)
    return invoice


def notify_desk(invoice: Invoice) -> None:
    """Tell finance and procurement that the vendor sent ``invoice``, to check it."""
    notifications.queue_all(invoice_mail.from_vendor(invoice))
