"""Sourcing events (RFQs) with their quotes, and purchase orders with their receipts."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..money import Fraction, Money, Quantity, RateColumn
from .base import enum_column, utcnow
from .purchasing import PurchaseRequest, RequestLine
from .users import User
from .vendors import Attachment, Vendor

if TYPE_CHECKING:
    from .amendments import OrderReturn, OrderRevision

# Sourcing events ------------------------------------------------------------------------


class RfqStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    AWARDED = "awarded"
    CANCELLED = "cancelled"


class Rfq(db.Model):
    __tablename__ = "rfqs"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("purchase_requests.id"), index=True)
    status: Mapped[RfqStatus] = mapped_column(
        enum_column(RfqStatus, "rfq_status"), default=RfqStatus.DRAFT
    )
    due_date: Mapped[dt.date]
    # Comparison weights (0..1; they need not sum to 1: the score divides by their sum).
    weight_price: Mapped[Decimal] = mapped_column(Fraction, default=Decimal("0.6"))
    weight_lead_time: Mapped[Decimal] = mapped_column(Fraction, default=Decimal("0.2"))
    weight_rating: Mapped[Decimal] = mapped_column(Fraction, default=Decimal("0.2"))
    weight_warranty: Mapped[Decimal] = mapped_column(Fraction, default=Decimal("0"))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    awarded_at: Mapped[dt.datetime | None]
    awarded_quote_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("quotes.id", use_alter=True, name="fk_rfqs_awarded_quote_id_quotes")
    )
    award_justification: Mapped[str] = mapped_column(sa.Text, default="")
    # Frozen at award: the rate the comparison converted the winning quote at.
    award_rate: Mapped[Decimal | None] = mapped_column(RateColumn)
    award_rate_date: Mapped[dt.date | None]
    award_total_base: Mapped[Decimal | None] = mapped_column(Money)
    # Kept at award (``award_figures.py``): how many current quotes the comparison
    # ranked, the highest and the median of them in the base currency.
    award_quotes: Mapped[int | None]
    award_highest_base: Mapped[Decimal | None] = mapped_column(Money)
    award_median_base: Mapped[Decimal | None] = mapped_column(Money)
    # A sealed RFQ shows no quoted price until a procurement user opens the bids (after
    # the due date); with "two to open", a second one confirms the opening.
    sealed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    opening_requested_at: Mapped[dt.datetime | None]
    opening_requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    bids_opened_at: Mapped[dt.datetime | None]
    bids_opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    request: Mapped[PurchaseRequest] = relationship(lazy="joined", innerjoin=True)
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    invitations: Mapped[list[RfqInvitation]] = relationship(
        back_populates="rfq",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="RfqInvitation.id",
    )
    quotes: Mapped[list[Quote]] = relationship(
        back_populates="rfq",
        foreign_keys="Quote.rfq_id",
        cascade="all, delete-orphan",
        order_by="Quote.id",
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint(
            "(status = 'awarded') = (awarded_quote_id IS NOT NULL)", name="awarded_quote"
        ),
        sa.Index("ix_rfqs_status_due", "status", "due_date"),
        sa.Index("ix_rfqs_awarded_at", "awarded_at"),  # the savings report's date range
        # The vendor scorecards: the RFQs sent in a range, and a vendor's wins.
        sa.Index("ix_rfqs_sent_at", "sent_at"),
        sa.Index("ix_rfqs_awarded_quote_id", "awarded_quote_id"),
    )


class RfqInvitation(db.Model):
    """A vendor invited to quote, with the private link's token (stored hashed).

    The token is derived from ``link_nonce`` and the secret key, so that procurement
    can see the link again; a new nonce (a re-issued link) retires the old token."""

    __tablename__ = "rfq_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    rfq_id: Mapped[int] = mapped_column(sa.ForeignKey("rfqs.id", ondelete="CASCADE"))
    vendor_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors.id"), index=True)
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    token_expires_on: Mapped[dt.date | None]
    token_used_at: Mapped[dt.datetime | None]
    emailed_to: Mapped[str] = mapped_column(sa.String(254), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    link_nonce: Mapped[str | None] = mapped_column(sa.String(64))
    link_issued_at: Mapped[dt.datetime | None]
    # Database defaults too: the bench-data generator writes invitations in bulk.
    links_issued: Mapped[int] = mapped_column(default=0, server_default="0")
    declined_at: Mapped[dt.datetime | None]
    decline_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    rfq: Mapped[Rfq] = relationship(back_populates="invitations")
    vendor: Mapped[Vendor] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        sa.UniqueConstraint("rfq_id", "vendor_id", name="uq_rfq_invitations_vendor"),
    )


class Quote(db.Model):
    """A vendor's quote. A corrected quote replaces the earlier one, which stays
    (``replaced_by_id`` set) so that the history keeps both."""

    __tablename__ = "quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    rfq_id: Mapped[int] = mapped_column(sa.ForeignKey("rfqs.id", ondelete="CASCADE"), index=True)
    vendor_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors.id"), index=True)
    revision: Mapped[int] = mapped_column(default=1)
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quotes.id"))
    currency: Mapped[str] = mapped_column(sa.String(3))
    valid_until: Mapped[dt.date]
    lead_time_days: Mapped[int]
    warranty_months: Mapped[int] = mapped_column(default=0)
    payment_terms: Mapped[str] = mapped_column(sa.String(200), default="")
    shipping: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    tax: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    subtotal: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    attachment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attachments.id"))
    # Who typed it in: a procurement user, or None when the vendor used their link.
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    rfq: Mapped[Rfq] = relationship(back_populates="quotes", foreign_keys=[rfq_id])
    vendor: Mapped[Vendor] = relationship(lazy="joined", innerjoin=True)
    lines: Mapped[list[QuoteLine]] = relationship(
        back_populates="quote",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="QuoteLine.position",
    )
    attachment: Mapped[Attachment | None] = relationship()
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])

    __table_args__ = (
        sa.CheckConstraint("lead_time_days >= 0", name="lead_time_not_negative"),
        sa.CheckConstraint("warranty_months >= 0", name="warranty_not_negative"),
        sa.CheckConstraint("shipping >= 0 AND tax >= 0 AND subtotal >= 0", name="amounts"),
        # One current quote per vendor and RFQ.
        sa.Index(
            "uq_quotes_current",
            "rfq_id",
            "vendor_id",
            unique=True,
            sqlite_where=sa.text("replaced_by_id IS NULL"),
            postgresql_where=sa.text("replaced_by_id IS NULL"),
        ),
        # A vendor's current quotes with what its scorecard counts of them (how many,
        # their lead time, which won), read from the index alone.
        sa.Index(
            "ix_quotes_vendor_current",
            "vendor_id",
            "lead_time_days",
            "id",
            sqlite_where=sa.text("replaced_by_id IS NULL"),
            postgresql_where=sa.text("replaced_by_id IS NULL"),
        ),
    )

    @property
    def current(self) -> bool:
        return self.replaced_by_id is None


class QuoteLine(db.Model):
    __tablename__ = "quote_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quotes.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    request_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("request_lines.id"))
    description: Mapped[str] = mapped_column(sa.Text)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit: Mapped[str] = mapped_column(sa.String(200), default="each")
    unit_price: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)

    quote: Mapped[Quote] = relationship(back_populates="lines")
    request_line: Mapped[RequestLine | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
    )


# Purchase orders ---------------------------------------------------------------------------


class OrderStatus(enum.StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class PurchaseOrder(db.Model):
    __tablename__ = "purchase_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Assigned when the order is issued (PO-YYYY-NNNNN); drafts have none.
    number: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("purchase_requests.id"), index=True)
    rfq_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rfqs.id"))
    quote_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quotes.id"))
    # A call-off order: made from a framework agreement, at its prices, without an RFQ.
    agreement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agreements.id"), index=True)
    vendor_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors.id"), index=True)
    status: Mapped[OrderStatus] = mapped_column(
        enum_column(OrderStatus, "order_status"), default=OrderStatus.DRAFT
    )
    currency: Mapped[str] = mapped_column(sa.String(3))
    subtotal: Mapped[Decimal] = mapped_column(Money)
    shipping: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    tax: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    total: Mapped[Decimal] = mapped_column(Money)
    # Frozen at issue: the rate that commits the budget, its date, the base total.
    rate: Mapped[Decimal | None] = mapped_column(RateColumn)
    rate_date: Mapped[dt.date | None]
    total_base: Mapped[Decimal | None] = mapped_column(Money)
    # Net received value (receipts not reversed, less returns) in ``currency``: the sum
    # of the lines' ``received_value``, kept with them (``totals.moved``).
    received_value: Mapped[Decimal] = mapped_column(
        Money, default=Decimal("0.00"), server_default="0"
    )
    delivery_address: Mapped[str] = mapped_column(sa.Text, default="")
    needed_by: Mapped[dt.date | None]
    payment_terms: Mapped[str] = mapped_column(sa.String(200), default="")
    terms: Mapped[str] = mapped_column(sa.Text, default="")
    lead_time_days: Mapped[int | None]
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    issued_at: Mapped[dt.datetime | None]
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    pdf_attachment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attachments.id"))
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    closed_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    # The vendor's private link to send invoices for this order (invoices/links.py): a
    # random value the token is derived from, and the token's hash, looked up.
    invoice_link_nonce: Mapped[str | None] = mapped_column(sa.String(64))
    invoice_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # The latest issued revision (0 = as first issued); its PDF is ``pdf`` above.
    revision: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)

    request: Mapped[PurchaseRequest] = relationship(lazy="joined", innerjoin=True)
    vendor: Mapped[Vendor] = relationship(lazy="joined", innerjoin=True)
    rfq: Mapped[Rfq | None] = relationship(foreign_keys=[rfq_id])
    quote: Mapped[Quote | None] = relationship(foreign_keys=[quote_id])
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="OrderLine.position",
    )
    receipts: Mapped[list[Receipt]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Receipt.id"
    )
    pdf: Mapped[Attachment | None] = relationship(foreign_keys=[pdf_attachment_id])
    revisions: Mapped[list[OrderRevision]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderRevision.id"
    )
    returns: Mapped[list[OrderReturn]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderReturn.id"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('draft', 'cancelled') OR (number IS NOT NULL AND pdf_sha256 IS NOT NULL)",
            name="issued_has_number_and_pdf",
        ),
        sa.Index("ix_purchase_orders_status_id", "status", "id"),
        sa.Index("ix_purchase_orders_issued_at", "issued_at"),  # the spend report's range
        sa.Index("ix_purchase_orders_rfq_id", "rfq_id"),  # an RFQ's order, on its page
    )


class OrderLine(db.Model):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    request_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("request_lines.id"))
    description: Mapped[str] = mapped_column(sa.Text)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit: Mapped[str] = mapped_column(sa.String(200), default="each")
    unit_price: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    # Net of returns and reversed receipts: what is here now.
    received_quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
    returned_quantity: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"))
    # What ``received_quantity`` is worth: the receipts' values not reversed, less the
    # returns', in the order's currency; kept by the same services (``totals.moved``).
    received_value: Mapped[Decimal] = mapped_column(
        Money, default=Decimal("0.00"), server_default="0"
    )

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("returned_quantity >= 0", name="returned_not_negative"),
        sa.CheckConstraint(
            "received_quantity >= 0 AND received_quantity <= quantity",
            name="received_within_ordered",
        ),
    )


class Receipt(db.Model):
    """Goods or services received against an order, on a date."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True
    )
    received_on: Mapped[dt.date]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # A receipt is never edited: a wrong one is reversed (and a right one recorded).
    reversed_at: Mapped[dt.datetime | None]
    reversed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reversal_reason: Mapped[str] = mapped_column(sa.Text, default="")

    order: Mapped[PurchaseOrder] = relationship(back_populates="receipts")
    lines: Mapped[list[ReceiptLine]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (
        sa.CheckConstraint(
            "(reversed_at IS NULL) = (reversed_by_id IS NULL)", name="reversed_by_when_reversed"
        ),
    )


class ReceiptLine(db.Model):
    __tablename__ = "receipt_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("receipts.id", ondelete="CASCADE"), index=True
    )
    order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("order_lines.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    value: Mapped[Decimal] = mapped_column(Money)

    order_line: Mapped[OrderLine] = relationship()

    __table_args__ = (sa.CheckConstraint("quantity > 0", name="quantity_positive"),)
