"""What every report shares: who may read them, the filters they are narrowed by,
and the spend report's groupings (the filter form offers them)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from .. import access
from ..errors import Forbidden, ValidationError
from ..models import OrderStatus, PurchaseOrder, PurchaseRequest, RequestLine, User
from ..money import round_money

ZERO = Decimal("0.00")


# Who may read -------------------------------------------------------------------------


def may_read(user: User) -> bool:
    return access.may(user, "read_reports")


def require_reader(user: User) -> None:
    if not may_read(user):
        raise Forbidden("Reports are for finance, procurement and admin.")


# Filters ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Filters:
    """What every report is narrowed by; ``None`` means "any". The dates are
    inclusive calendar days (UTC)."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    department_id: int | None = None
    category: str | None = None
    vendor_id: int | None = None

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValidationError.field("date_to", "The end date is before the start date.")

    @property
    def narrows_requests(self) -> bool:
        """Whether a filter asks about the request itself (its department, a line's
        category), so that a query from another table must join the request."""
        return self.department_id is not None or bool(self.category)

    def period(self, column: Any) -> list[sa.ColumnElement[bool]]:
        """``column`` (a timestamp) on or after the first day and before the day
        after the last."""
        conditions = []
        if self.date_from:
            conditions.append(column >= dt.datetime.combine(self.date_from, dt.time()))
        if self.date_to:
            end = self.date_to + dt.timedelta(days=1)
            conditions.append(column < dt.datetime.combine(end, dt.time()))
        return conditions


def _has_category(category: str) -> sa.ColumnElement[bool]:
    """The request has a line of ``category``."""
    return sa.exists().where(
        RequestLine.request_id == PurchaseRequest.id, RequestLine.category == category
    )


def _ordered_from(vendor_id: int) -> sa.ColumnElement[bool]:
    """The request has an order (not cancelled) with the vendor."""
    return sa.exists().where(
        PurchaseOrder.request_id == PurchaseRequest.id,
        PurchaseOrder.vendor_id == vendor_id,
        PurchaseOrder.status != OrderStatus.CANCELLED,
    )


def request_conditions(filters: Filters, date_column: Any) -> list[sa.ColumnElement[bool]]:
    """Filters on requests: the date on ``date_column``, the request's department, a
    line of the category, an order with the vendor."""
    conditions = filters.period(date_column)
    if filters.department_id is not None:
        conditions.append(PurchaseRequest.department_id == filters.department_id)
    if filters.category:
        conditions.append(_has_category(filters.category))
    if filters.vendor_id is not None:
        conditions.append(_ordered_from(filters.vendor_id))
    return conditions


def as_money(value: Any, rounded: Callable[[Decimal], Decimal] = round_money) -> Decimal:
    """A sum from the database as an amount of the base currency: rounded half-up to its
    minor units, and zero for no rows. A report rounding thousands of sums passes
    ``money.rounder()`` as ``rounded``: the base currency looked up once."""
    return ZERO if value is None else rounded(Decimal(value))


# Groupings of the spend report -------------------------------------------------------


class Dimension(enum.StrEnum):
    VENDOR = "vendor"
    CATEGORY = "category"
    DEPARTMENT = "department"
    MONTH = "month"

    @property
    def label(self) -> str:
        return self.value.capitalize()
