"""Exchange rates: what one unit of a currency was worth in the base currency, by day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..money import RateColumn
from .base import utcnow
from .users import User


class ExchangeRate(db.Model):
    """Base units one unit of ``currency`` was worth on ``day`` (entered or imported by
    finance; never fetched). One per currency and day: a second replaces the first."""

    __tablename__ = "exchange_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(sa.String(3))
    day: Mapped[dt.date]
    rate: Mapped[Decimal] = mapped_column(RateColumn)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("currency", "day", name="uq_exchange_rates_currency_day"),
    )
