"""Vendors and what they send: the register (contacts, categories, documents) and
stored attachments."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import enum_column, utcnow
from .search import trigram_index


class Attachment(db.Model):
    """An uploaded file, stored once by its SHA-256 under the instance folder."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(sa.String(100))
    filename: Mapped[str] = mapped_column(sa.String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# Vendors ------------------------------------------------------------------------------


class VendorStatus(enum.StrEnum):
    PROSPECT = "prospect"
    APPROVED = "approved"
    SUSPENDED = "suspended"
    BLOCKED = "blocked"


class Vendor(db.Model):
    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # The name folded for comparison (case, spacing): two vendors cannot share it.
    name_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    legal_name: Mapped[str] = mapped_column(sa.String(200), default="")
    tax_id: Mapped[str] = mapped_column(sa.String(50), default="")
    address: Mapped[str] = mapped_column(sa.Text, default="")
    website: Mapped[str] = mapped_column(sa.String(300), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(50), default="")
    rating: Mapped[int | None]
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[VendorStatus] = mapped_column(
        enum_column(VendorStatus, "vendor_status"), default=VendorStatus.PROSPECT
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    # Read when asked for; lists that show them ask for them in a batch (selectinload).
    category_rows: Mapped[list[VendorCategory]] = relationship(
        cascade="all, delete-orphan", order_by="VendorCategory.category"
    )
    contacts: Mapped[list[VendorContact]] = relationship(
        back_populates="vendor",
        cascade="all, delete-orphan",
        order_by="(VendorContact.is_primary.desc(), VendorContact.id)",
    )
    documents: Mapped[list[VendorDocument]] = relationship(
        back_populates="vendor",
        cascade="all, delete-orphan",
        order_by="VendorDocument.id",
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
        sa.Index("ix_vendors_status_name", "status", "name_key"),
        # The vendor list's search (part of the folded name) and the catalogue's (the name).
        trigram_index("ix_vendors_name_key_trgm", "name_key"),
        trigram_index("ix_vendors_name_trgm", "name"),
    )

    @property
    def categories(self) -> list[str]:
        return [row.category for row in self.category_rows]

    @staticmethod
    def fold(name: str) -> str:
        return " ".join(name.split()).casefold()

    @classmethod
    def name_holds(cls, text: str) -> sa.ColumnElement[bool] | None:
        """Part of the name, ignoring case and spacing (the folded name, which
        ``ix_vendors_name_key_trgm`` serves); None when ``text`` has nothing to look for."""
        folded = cls.fold(text)
        return cls.name_key.contains(folded, autoescape=True) if folded else None


class VendorCategory(db.Model):
    __tablename__ = "vendor_categories"

    vendor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("vendors.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(sa.String(40), primary_key=True, index=True)


class VendorContact(db.Model):
    __tablename__ = "vendor_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("vendors.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    phone: Mapped[str] = mapped_column(sa.String(50), default="")
    is_primary: Mapped[bool] = mapped_column(default=False)

    vendor: Mapped[Vendor] = relationship(back_populates="contacts")


class VendorDocument(db.Model):
    """A compliance document (insurance certificate, tax form, NDA...) with its expiry."""

    __tablename__ = "vendor_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("vendors.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    expires_on: Mapped[dt.date | None]
    attachment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attachments.id"))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    vendor: Mapped[Vendor] = relationship(back_populates="documents")
    attachment: Mapped[Attachment | None] = relationship()
