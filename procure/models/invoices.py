"""Vendor invoices against purchase orders, their lines, and the exceptions matching
found on them (DESIGN.md, "Invoice"; API.md, "Additions — Invoices")."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..money import Money, Quantity, RateColumn
from .base import enum_column, utcnow
from .sourcing import OrderLine, PurchaseOrder
from .users import User
from .vendors import Attachment, Vendor


class InvoiceStatus(enum.StrEnum):
    DRAFT = "draft"
    MATCHED = "matched"
    ON_HOLD = "on_hold"
    APPROVED = "approved"
    PAID = "paid"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class InvoiceSource(enum.StrEnum):
    """How an invoice reached Procure."""

    ENTERED = "entered"  # typed in by finance or procurement
    VENDOR = "vendor"  # sent by the vendor through the private link of the issued order
    EINVOICE = "einvoice"  # imported from a UBL 2.1 / Peppol BIS 3.0 file


class ExceptionKind(enum.StrEnum):
    QUANTITY = "quantity"  # invoiced more than received (three-way) or ordered (two-way)
    PRICE = "price"  # unit price outside the tolerance of the order's
    TOTAL = "total"  # the invoice's total outside the tolerance of what its lines justify
    OVER_ORDER = "over_order"  # everything invoiced on the order exceeds what was ordered
    POSSIBLE_DUPLICATE = "possible_duplicate"  # same vendor, amount, within 30 days


class Invoice(db.Model):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    # INV-YYYY-NNNNN, assigned when the invoice is recorded.
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    vendor_invoice_number: Mapped[str] = mapped_column(sa.String(100))
    # The vendor's number normalised (invoices/numbers.py): what duplicates are found by.
    vendor_number_key: Mapped[str] = mapped_column(sa.String(100))
    vendor_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors.id"), index=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("purchase_orders.id"), index=True)
    # A credit note names the invoice it credits; its amounts are negative.
    credit_for_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invoices.id"))
    status: Mapped[InvoiceStatus] = mapped_column(
        enum_column(InvoiceStatus, "invoice_status"), default=InvoiceStatus.DRAFT
    )
    source: Mapped[InvoiceSource] = mapped_column(
        enum_column(InvoiceSource, "invoice_source"), default=InvoiceSource.ENTERED
    )
    invoice_date: Mapped[dt.date]
    due_date: Mapped[dt.date]
    currency: Mapped[str] = mapped_column(sa.String(3))
    subtotal: Mapped[Decimal] = mapped_column(Money)
    shipping: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    tax: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    total: Mapped[Decimal] = mapped_column(Money)
    # The order's frozen rate: what the invoice counts at in budgets (its base total).
    rate: Mapped[Decimal | None] = mapped_column(RateColumn)
    total_base: Mapped[Decimal | None] = mapped_column(Money)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # The vendor's own document (PDF) and, for an e-invoice, the XML as received.
    pdf_attachment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attachments.id"))
    xml_attachment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attachments.id"))
    # Who recorded it (None: the vendor, through its link); may not approve it.
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[dt.datetime | None]
    # Who first submitted it: for an invoice the vendor sent (no one entered it), the
    # person who checked and submitted it may not approve it either.
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # True when the first matching found nothing: the scorecard's invoice accuracy.
    matched_first_time: Mapped[bool | None]
    approved_at: Mapped[dt.datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # A hold overridden by finance: the written justification.
    release_justification: Mapped[str] = mapped_column(sa.Text, default="")
    reason: Mapped[str] = mapped_column(sa.Text, default="")  # rejected or cancelled: why
    paid_on: Mapped[dt.date | None]
    payment_reference: Mapped[str] = mapped_column(sa.String(200), default="")
    paid_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # The rate on the payment date and the base amount paid at it; the exchange
    # difference is paid_base − total_base (positive: the payment cost more in base).
    paid_rate: Mapped[Decimal | None] = mapped_column(RateColumn)
    paid_base: Mapped[Decimal | None] = mapped_column(Money)
    version: Mapped[int] = mapped_column(default=1)

    vendor: Mapped[Vendor] = relationship(lazy="joined", innerjoin=True)
    order: Mapped[PurchaseOrder] = relationship(lazy="joined", innerjoin=True)
    credit_for: Mapped[Invoice | None] = relationship(remote_side=[id])
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    paid_by: Mapped[User | None] = relationship(foreign_keys=[paid_by_id])
    pdf: Mapped[Attachment | None] = relationship(foreign_keys=[pdf_attachment_id])
    xml: Mapped[Attachment | None] = relationship(foreign_keys=[xml_attachment_id])
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="InvoiceLine.position",
    )
    exceptions: Mapped[list[InvoiceException]] = relationship(
        back_populates="invoice",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="InvoiceException.id",
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("due_date >= invoice_date", name="due_after_invoice_date"),
        sa.Index("ix_invoices_vendor_number_key", "vendor_id", "vendor_number_key"),
        sa.Index("ix_invoices_status_due_date", "status", "due_date"),
        # A vendor's invoice accuracy on its scorecard, from the index alone.
        sa.Index("ix_invoices_vendor_matched", "vendor_id", "matched_first_time"),
    )

    @property
    def is_credit_note(self) -> bool:
        return self.credit_for_id is not None

    @property
    def open_exceptions(self) -> list[InvoiceException]:
        return [e for e in self.exceptions if e.resolved_at is None]

    @property
    def exchange_difference(self) -> Decimal | None:
        if self.paid_base is None or self.total_base is None:
            return None
        return self.paid_base - self.total_base


class InvoiceLine(db.Model):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        sa.ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("order_lines.id"), index=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Negative on a credit note, as its amounts.
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship(lazy="joined", innerjoin=True)

    __table_args__ = (sa.CheckConstraint("quantity <> 0", name="quantity_not_zero"),)


class InvoiceException(db.Model):
    """A mismatch matching found: kept, with its figures, until resolved (with a reason)
    or the invoice is matched again and it no longer holds."""

    __tablename__ = "invoice_exceptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        sa.ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invoice_lines.id", ondelete="CASCADE")
    )
    kind: Mapped[ExceptionKind] = mapped_column(enum_column(ExceptionKind, "exception_kind"))
    message: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    resolution: Mapped[str] = mapped_column(sa.Text, default="")

    invoice: Mapped[Invoice] = relationship(back_populates="exceptions")
    resolved_by: Mapped[User | None] = relationship()
