"""A vendor's bank details: each change a row, in use only once a second person
(finance) confirmed it — the usual invoice-fraud path ("our bank account changed")
closed."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import enum_column, utcnow
from .users import User
from .vendors import Vendor


class BankStatus(enum.StrEnum):
    PENDING = "pending"  # entered, waiting for a second person to confirm it
    CONFIRMED = "confirmed"  # in use: payments go here
    SUPERSEDED = "superseded"  # was confirmed; a newer confirmed one replaced it
    WITHDRAWN = "withdrawn"  # never confirmed: replaced by a newer entry, or withdrawn


class VendorBankAccount(db.Model):
    __tablename__ = "vendor_bank_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("vendors.id", ondelete="CASCADE"), index=True
    )
    # An IBAN (compact, upper case) with its BIC, or an account and routing number.
    iban: Mapped[str] = mapped_column(sa.String(34), default="")
    bic: Mapped[str] = mapped_column(sa.String(11), default="")
    account_number: Mapped[str] = mapped_column(sa.String(34), default="")
    routing_number: Mapped[str] = mapped_column(sa.String(20), default="")
    status: Mapped[BankStatus] = mapped_column(
        enum_column(BankStatus, "bank_status"), default=BankStatus.PENDING
    )
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    entered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    confirmed_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    vendor: Mapped[Vendor] = relationship()
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint(
            "iban <> '' OR (account_number <> '' AND routing_number <> '')",
            name="iban_or_account",
        ),
        sa.Index("ix_vendor_bank_accounts_vendor_status", "vendor_id", "status"),
    )

    @property
    def number(self) -> str:
        return self.iban or self.account_number

    @property
    def masked(self) -> str:
        """The country code (or nothing) and the last 4 characters only."""
        if self.iban:
            return f"{self.iban[:2]}{'•' * 4} {self.iban[-4:]}"
        return f"{'•' * 4} {self.account_number[-4:]}"
