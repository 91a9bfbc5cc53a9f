"""What was bought and is kept: hardware assets (one row per unit received) and licence
pools (seats assigned to people), and which contracts cover which assets."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..money import Money
from .base import enum_column, utcnow
from .contracts import Contract
from .search import trigram_index
from .sourcing import OrderLine, PurchaseOrder, Receipt
from .users import User
from .vendors import Vendor

# Contract ↔ asset: a maintenance or support contract covers assets.
asset_coverage = sa.Table(
    "asset_coverage",
    db.metadata,
    sa.Column("contract_id", sa.ForeignKey("contracts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "asset_id", sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class AssetStatus(enum.StrEnum):
    IN_STOCK = "in_stock"
    DEPLOYED = "deployed"
    IN_REPAIR = "in_repair"
    RETIRED = "retired"
    DISPOSED = "disposed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Asset(db.Model):
    """One unit of hardware received on an order: its tag, serial, warranty and holder."""

    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(sa.String(40), unique=True)
    serial: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    model: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str] = mapped_column(sa.String(40))
    vendor_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors.id"), index=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("purchase_orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("order_lines.id"), index=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("purchase_requests.id"), index=True)
    receipt_id: Mapped[int] = mapped_column(sa.ForeignKey("receipts.id"), index=True)
    # The unit price in the base currency, at the order's frozen rate.
    cost: Mapped[Decimal] = mapped_column(Money)
    purchase_date: Mapped[dt.date]
    warranty_end: Mapped[dt.date]
    status: Mapped[AssetStatus] = mapped_column(
        enum_column(AssetStatus, "asset_status"), default=AssetStatus.IN_STOCK
    )
    holder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    location: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    vendor: Mapped[Vendor] = relationship(lazy="joined", innerjoin=True)
    holder: Mapped[User | None] = relationship(lazy="joined")
    order: Mapped[PurchaseOrder] = relationship()
    order_line: Mapped[OrderLine] = relationship()
    receipt: Mapped[Receipt] = relationship()
    covered_by: Mapped[list[Contract]] = relationship(
        secondary=asset_coverage, order_by="Contract.end_date"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("warranty_end >= purchase_date", name="warranty_after_purchase"),
        sa.CheckConstraint("cost >= 0", name="cost_not_negative"),
        sa.CheckConstraint(
            "(status = 'deployed') = (holder_id IS NOT NULL) OR status = 'in_repair'",
            name="holder_when_deployed",
        ),
        sa.Index("ix_assets_status_warranty", "status", "warranty_end"),
        # The coverage report's order: its page walks this and stops at its rows.
        sa.Index("ix_assets_warranty_tag", "warranty_end", "tag"),
        # The register's search (part of a tag, serial or model).
        trigram_index("ix_assets_tag_trgm", "tag"),
        trigram_index("ix_assets_serial_trgm", "serial"),
        trigram_index("ix_assets_model_trgm", "model"),
    )


class Licence(db.Model):
    """A pool of seats bought on an order line (licence, software, cloud): grows with
    each receipt of the line, shrinks with a return."""

    __tablename__ = "licences"

    id: Mapped[int] = mapped_column(primary_key=True)
    product: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str] = mapped_column(sa.String(40))
    vendor_id: Mapped[int] = mapped_column(sa.ForeignKey("vendors.id"), index=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("purchase_orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("order_lines.id"), unique=True)
    contract_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contracts.id"), index=True)
    seats: Mapped[int]
    # Assignments not released, kept beside the rows so that an assignment racing
    # another for the last seat loses on the version column (and the CHECK below).
    used: Mapped[int] = mapped_column(default=0, server_default="0")
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date | None]
    # The unit price in the base currency.
    unit_cost: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    vendor: Mapped[Vendor] = relationship(lazy="joined", innerjoin=True)
    order: Mapped[PurchaseOrder] = relationship()
    contract: Mapped[Contract | None] = relationship()
    # Every assignment, released ones included; ``live`` are those holding a seat.
    assignments: Mapped[list[LicenceAssignment]] = relationship(
        back_populates="licence",
        cascade="all, delete-orphan",
        order_by="LicenceAssignment.assigned_at",
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("seats >= 0", name="seats_not_negative"),
        sa.CheckConstraint("used >= 0 AND used <= seats", name="used_within_seats"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ends_after_start"),
        trigram_index("ix_licences_product_trgm", "product"),
    )

    @property
    def free(self) -> int:
        return self.seats - self.used

    @property
    def live(self) -> list[LicenceAssignment]:
        return [a for a in self.assignments if a.released_at is None]


class LicenceAssignment(db.Model):
    """A seat of a pool given to a person, until released (the row stays)."""

    __tablename__ = "licence_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_id: Mapped[int] = mapped_column(
        sa.ForeignKey("licences.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    assigned_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    released_at: Mapped[dt.datetime | None]
    released_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    licence: Mapped[Licence] = relationship(back_populates="assignments")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined", innerjoin=True)

    __table_args__ = (
        # One live seat per person and pool.
        sa.Index(
            "uq_licence_assignments_live",
            "licence_id",
            "user_id",
            unique=True,
            sqlite_where=sa.text("released_at IS NULL"),
            postgresql_where=sa.text("released_at IS NULL"),
        ),
    )


class AssetReminder(db.Model):
    """A warranty reminder queued for an asset: at most one per asset and warranty end,
    whoever runs ``send-reminders`` and however often."""

    __tablename__ = "asset_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id", ondelete="CASCADE"))
    warranty_end: Mapped[dt.date]
    queued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("asset_id", "warranty_end", name="uq_asset_reminders_once"),
    )
