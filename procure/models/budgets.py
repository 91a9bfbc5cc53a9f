"""Budgets, delegations and the notification outbox."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..money import Money, RateColumn
from .base import enum_column, utcnow
from .users import Department, User


class Budget(db.Model):
    """A department's budget for a fiscal year, optionally for one category.

    Only the amount is stored: committed, spent and available are read from the sums
    kept per budget key (:class:`BudgetSum`), which ``verify-totals`` recomputes from
    the documents."""

    __tablename__ = "budgets"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    fiscal_year: Mapped[int]
    category: Mapped[str | None] = mapped_column(sa.String(40))
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(sa.String(3))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    department: Mapped[Department] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint("fiscal_year BETWEEN 2000 AND 2999", name="fiscal_year_range"),
        # One budget per department and year, and one per category within it.
        sa.Index(
            "uq_budgets_department_year",
            "department_id",
            "fiscal_year",
            unique=True,
            sqlite_where=sa.text("category IS NULL"),
            postgresql_where=sa.text("category IS NULL"),
        ),
        sa.Index(
            "uq_budgets_department_year_category",
            "department_id",
            "fiscal_year",
            "category",
            unique=True,
            sqlite_where=sa.text("category IS NOT NULL"),
            postgresql_where=sa.text("category IS NOT NULL"),
        ),
    )


class BudgetSum(db.Model):
    """What the documents of one budget key add up to, kept beside them so that the
    budget page reads a few rows however many documents a year holds
    (``budget_sums.py`` writes it in the documents' own transaction; ``verify-totals``
    recomputes it).

    A key is a department, a fiscal year, a category ('' for the whole budget), a
    source (``request``, ``order`` or ``invoice``) and its status, and the frozen rates
    the amounts convert at — the groups the budget figures convert once each
    (``budgets/figures.py``). Amounts are in the documents' currency where the rate
    says so (lines, what an order received), else in the base currency (rate 1)."""

    __tablename__ = "budget_sums"

    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    rate: Mapped[Decimal] = mapped_column(RateColumn, primary_key=True)  # 1: none frozen
    paid_rate: Mapped[Decimal] = mapped_column(RateColumn, primary_key=True)  # 0: none
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    received: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    paid: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))


class Delegation(db.Model):
    """An approver away from ``starts_on`` to ``ends_on`` (inclusive) lets ``delegate``
    decide their steps meanwhile, on their behalf."""

    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(primary_key=True)
    delegator_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    delegate_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Set when the delegator ends it before ``ends_on``.
    ended_at: Mapped[dt.datetime | None]

    delegator: Mapped[User] = relationship(
        foreign_keys=[delegator_id], lazy="joined", innerjoin=True
    )
    delegate: Mapped[User] = relationship(
        foreign_keys=[delegate_id], lazy="joined", innerjoin=True
    )

    __table_args__ = (
        sa.CheckConstraint("delegator_id <> delegate_id", name="not_to_oneself"),
        sa.CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
    )


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"  # waiting to be sent (again, after a failure: see next_attempt_at)
    SENDING = "sending"  # claimed by a sender
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt


class Notification(db.Model):
    """The outbox: written in the same transaction as the change that causes it,
    delivered by ``send-notifications``, and listed in the app."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for people without an account: a vendor invited to quote.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    email: Mapped[str] = mapped_column(sa.String(254))
    kind: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    link: Mapped[str] = mapped_column(sa.String(500), default="")
    entity: Mapped[str | None] = mapped_column(sa.String(20))
    entity_id: Mapped[int | None]
    status: Mapped[NotificationStatus] = mapped_column(
        enum_column(NotificationStatus, "notification_status"),
        default=NotificationStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    read_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # A file sent with the message: the purchase order's PDF to its vendor.
    attachment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attachments.id"))

    user: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.Index("ix_notifications_outbox", "status", "next_attempt_at"),
        sa.Index("ix_notifications_unread", "user_id", "read_at"),
        sa.CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name="sent_when_sent"),
    )
