"""Framework agreements: prices agreed with a vendor for standard items, called off
without sourcing again; their items are the catalogue. And the request types that
carry extra fields and policy conditions."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..money import Money, Quantity
from .base import enum_column, utcnow
from .search import trigram_index
from .users import User
from .vendors import Vendor


class AgreementStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    EXPIRED = "expired"  # its end date passed (send-reminders, or found at a call-off)
    CLOSED = "closed"


class Agreement(db.Model):
    """Agreed unit prices with a vendor for a period, optionally up to a ceiling."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    vendor_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[AgreementStatus] = mapped_column(
        enum_column(AgreementStatus, "agreement_status"), default=AgreementStatus.DRAFT
    )
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    currency: Mapped[str] = mapped_column(sa.String(3))
    # The most that may be called off in all, in ``currency``; None: no ceiling.
    ceiling: Mapped[Decimal | None] = mapped_column(Money)
    # What call-offs not cancelled amount to, kept with them in their transaction.
    consumed: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"), server_default="0")
    rfq_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rfqs.id"))
    terms: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    vendor: Mapped[Vendor] = relationship(lazy="joined", innerjoin=True)
    created_by: Mapped[User] = relationship()
    items: Mapped[list[AgreementItem]] = relationship(
        back_populates="agreement",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="AgreementItem.position",
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="ends_after_start"),
        sa.CheckConstraint("ceiling IS NULL OR ceiling > 0", name="ceiling_positive"),
        sa.CheckConstraint("consumed >= 0", name="consumed_not_negative"),
        sa.CheckConstraint("ceiling IS NULL OR consumed <= ceiling", name="within_ceiling"),
        sa.Index("ix_agreements_status_end", "status", "end_date"),
    )


class AgreementItem(db.Model):
    """One standard item at its agreed unit price; ``max_quantity`` None: rate only."""

    __tablename__ = "agreement_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    description: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str] = mapped_column(sa.String(40))
    unit: Mapped[str] = mapped_column(sa.String(200), default="each")
    unit_price: Mapped[Decimal] = mapped_column(Money)
    max_quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    # What call-offs not cancelled ordered of it, kept with them.
    ordered: Mapped[Decimal] = mapped_column(Quantity, default=Decimal("0"), server_default="0")

    agreement: Mapped[Agreement] = relationship(back_populates="items")

    __table_args__ = (
        sa.UniqueConstraint("agreement_id", "position", name="uq_agreement_items_position"),
        sa.CheckConstraint("unit_price >= 0", name="price_not_negative"),
        sa.CheckConstraint("max_quantity IS NULL OR max_quantity > 0", name="max_positive"),
        sa.CheckConstraint("ordered >= 0", name="ordered_not_negative"),
        sa.CheckConstraint(
            "max_quantity IS NULL OR ordered <= max_quantity", name="ordered_within_max"
        ),
        # The catalogue's search (part of the description).
        trigram_index("ix_agreement_items_description_trgm", "description"),
    )

    @property
    def remaining(self) -> Decimal | None:
        return None if self.max_quantity is None else self.max_quantity - self.ordered


class AgreementReminder(db.Model):
    """A reminder queued for an agreement: once per agreement and kind (``expiry``,
    ``consumed``), whoever runs ``send-reminders`` and however often."""

    __tablename__ = "agreement_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreements.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    queued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("agreement_id", "kind", name="uq_agreement_reminders_once"),
    )


class RequestType(db.Model):
    """A kind of request admin defines (standard hardware, SaaS…): its extra fields, each
    ``{"name", "label", "kind": text|yes_no|number|choice, "required", "choices"}``, and
    the policy rules that name it."""

    __tablename__ = "request_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    fields: Mapped[list] = mapped_column(sa.JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
