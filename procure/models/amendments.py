"""What happens to an order after it is issued: revisions (change orders), returns to
the vendor. A receipt that was wrong is reversed on its own row (``Receipt``); nothing
here is ever edited after the fact, only added."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..money import Money, Quantity
from .base import utcnow
from .sourcing import OrderLine, PurchaseOrder
from .users import User
from .vendors import Attachment


class RevisionStatus(enum.StrEnum):
    """Derived from the revision's dates, never assigned: a revision is proposed, then
    issued or withdrawn (its increase rejected, or its order cancelled or closed)."""

    PENDING_APPROVAL = "pending_approval"
    ISSUED = "issued"
    WITHDRAWN = "withdrawn"


class OrderRevision(db.Model):
    """One issue of an order: revision 0 as first issued, then each change order. A
    revision whose increase needs approval waits (no number yet) until the request's
    approvers approve it; it is numbered, frozen and sent when it is issued."""

    __tablename__ = "order_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True
    )
    # 0 = as first issued; assigned when issued (a pending proposal has none).
    revision: Mapped[int | None]
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    # The proposal as the order will read once issued: lines (with their ids, new lines
    # without), shipping, tax, needed_by, delivery_address, terms, payment_terms.
    content: Mapped[dict | None] = mapped_column(sa.JSON)
    # What changed, in words: "Line 2 quantity 5 → 3", "Delivery address".
    changes: Mapped[list] = mapped_column(sa.JSON, default=list)
    total: Mapped[Decimal] = mapped_column(Money)
    total_base: Mapped[Decimal | None] = mapped_column(Money)
    # The increase over the approved amount (base currency) when it needed approval,
    # and the request's approval round that decides it.
    increase_base: Mapped[Decimal | None] = mapped_column(Money)
    approval_round: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    issued_at: Mapped[dt.datetime | None]
    withdrawn_at: Mapped[dt.datetime | None]
    withdrawn_reason: Mapped[str] = mapped_column(sa.Text, default="")
    pdf_attachment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attachments.id"))
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))

    order: Mapped[PurchaseOrder] = relationship(back_populates="revisions")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    pdf: Mapped[Attachment | None] = relationship(foreign_keys=[pdf_attachment_id])

    __table_args__ = (
        sa.UniqueConstraint("order_id", "revision", name="uq_order_revisions_number"),
        sa.CheckConstraint(
            "issued_at IS NULL OR (revision IS NOT NULL AND pdf_sha256 IS NOT NULL)",
            name="issued_has_number_and_pdf",
        ),
        sa.CheckConstraint(
            "issued_at IS NULL OR withdrawn_at IS NULL", name="issued_or_withdrawn"
        ),
    )

    @property
    def status(self) -> RevisionStatus:
        if self.issued_at is not None:
            return RevisionStatus.ISSUED
        if self.withdrawn_at is not None:
            return RevisionStatus.WITHDRAWN
        return RevisionStatus.PENDING_APPROVAL


class OrderReturn(db.Model):
    """Goods sent back to the vendor: what, when, why, and the vendor's RMA number."""

    __tablename__ = "order_returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("purchase_orders.id", ondelete="CASCADE"), index=True
    )
    returned_on: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(sa.Text)
    rma: Mapped[str] = mapped_column(sa.String(100), default="")
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    order: Mapped[PurchaseOrder] = relationship(back_populates="returns")
    lines: Mapped[list[ReturnLine]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ReturnLine.id"
    )


class ReturnLine(db.Model):
    __tablename__ = "return_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(
        sa.ForeignKey("order_returns.id", ondelete="CASCADE"), index=True
    )
    order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("order_lines.id"), index=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    # At the line's unit price when returned, in the order's currency: what the
    # received value loses.
    value: Mapped[Decimal] = mapped_column(Money)

    order_line: Mapped[OrderLine] = relationship()

    __table_args__ = (sa.CheckConstraint("quantity > 0", name="quantity_positive"),)
