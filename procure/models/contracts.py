"""Maintenance, support, licence, subscription and service contracts."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..money import Money
from .base import enum_column, utcnow
from .sourcing import PurchaseOrder
from .users import User
from .vendors import Attachment, Vendor


class ContractKind(enum.StrEnum):
    MAINTENANCE = "maintenance"
    SUPPORT = "support"
    LICENCE = "licence"
    SUBSCRIPTION = "subscription"
    SERVICE = "service"


class BillingPeriod(enum.StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"
    ONE_TIME = "one_time"


class ContractStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    TERMINATED = "terminated"
    EXPIRED = "expired"


class Contract(db.Model):
    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    vendor_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors.id"), index=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[ContractKind] = mapped_column(enum_column(ContractKind, "contract_kind"))
    status: Mapped[ContractStatus] = mapped_column(
        enum_column(ContractStatus, "contract_status"), default=ContractStatus.DRAFT
    )
    # The current term; earlier terms are in ``terms``.
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    value: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(sa.String(3))
    billing_period: Mapped[BillingPeriod] = mapped_column(
        enum_column(BillingPeriod, "billing_period"), default=BillingPeriod.YEARLY
    )
    auto_renew: Mapped[bool] = mapped_column(default=False)
    notice_days: Mapped[int] = mapped_column(default=0)
    renewal_term_months: Mapped[int] = mapped_column(default=12)
    sla_response_hours: Mapped[int | None]
    sla_resolution_hours: Mapped[int | None]
    covered_items: Mapped[list] = mapped_column(sa.JSON, default=list)
    terms: Mapped[str] = mapped_column(sa.Text, default="")
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("purchase_orders.id"))
    # A maintenance or support contract of an order covers that order's assets until
    # someone chooses the assets it covers (``asset_coverage``): then those only.
    covers_order_assets: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    signed_copy_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attachments.id"))
    terminated_on: Mapped[dt.date | None]
    termination_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    vendor: Mapped[Vendor] = relationship(lazy="joined", innerjoin=True)
    owner: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    order: Mapped[PurchaseOrder | None] = relationship()
    signed_copy: Mapped[Attachment | None] = relationship()
    term_history: Mapped[list[ContractTerm]] = relationship(
        back_populates="contract",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="ContractTerm.sequence",
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="ends_after_start"),
        sa.CheckConstraint("value >= 0", name="value_not_negative"),
        sa.CheckConstraint("notice_days >= 0", name="notice_not_negative"),
        sa.CheckConstraint("NOT auto_renew OR renewal_term_months > 0", name="renewal_term"),
        sa.Index("ix_contracts_status_end", "status", "end_date"),
    )


class ContractTerm(db.Model):
    """One term of a contract: the first, and each renewal (by hand or automatic)."""

    __tablename__ = "contract_terms"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    sequence: Mapped[int]
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date]
    value: Mapped[Decimal] = mapped_column(Money)
    how: Mapped[str] = mapped_column(sa.String(20))  # initial, renewed, auto_renewed
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    contract: Mapped[Contract] = relationship(back_populates="term_history")

    __table_args__ = (
        sa.UniqueConstraint("contract_id", "sequence", name="uq_contract_terms_seq"),
    )


class ContractReminder(db.Model):
    """A reminder queued before a notice deadline: at most one per contract, deadline
    and lead (60, 30 or 7 days), whoever runs ``send-reminders`` and however often."""

    __tablename__ = "contract_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contracts.id", ondelete="CASCADE"))
    deadline: Mapped[dt.date]
    days_before: Mapped[int]
    queued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint(
            "contract_id", "deadline", "days_before", name="uq_contract_reminders_once"
        ),
    )


class CalendarFeed(db.Model):
    """A user's private iCalendar feed: the token is in the URL, stored hashed."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()
