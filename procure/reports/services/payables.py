"""What Procure owes its vendors, and what paying them in another currency cost:
accounts-payable ageing and exchange differences (issue 20, point 6; issue 19, point 4).
Both are finance's and admin's (capability ``read_payables``).

- **Ageing**: the invoices not yet paid — approved (to pay), matched and on hold
  (awaiting approval) — by how far their due date lies behind today: current (not yet
  due, or due today), 1–30, 31–60, 61–90 and over 90 days overdue. Drafts are not yet
  submitted, rejected and cancelled ones will never be paid: none of them counts.
  Amounts are each invoice's base total (the order's frozen rate); a credit note not
  yet settled counts negative. Per vendor, in one query.
- **Exchange differences**: the paid invoices in a currency other than the base, each
  with its amount booked at the order's frozen rate, the amount paid at the payment
  day's rate and their difference (positive: paying cost more). They are named as
  exchange differences and never mixed into spend: budgets and the spend report count
  the booked amount. A report of its own rather than a section of the ageing: it
  looks back at payments in a date range, where the ageing looks at what is open today.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa

from ... import access, currencies
from ...extensions import db
from ...models import Invoice, InvoiceStatus, PurchaseOrder, PurchaseRequest, User, Vendor, utcnow
from ...money import rate_to_api
from ..common import ZERO, Filters, as_money

# The invoices the ageing counts: submitted and not yet paid, and neither rejected nor
# cancelled (drafts are not submitted yet).
UNPAID = (InvoiceStatus.APPROVED, InvoiceStatus.MATCHED, InvoiceStatus.ON_HOLD)
# How many of the longest overdue invoices the ageing names.
OLDEST = 10


def may_read(user: User) -> bool:
    return access.may(user, "read_payables")


def require_reader(user: User) -> None:
    access.require(user, "read_payables", action="read accounts payable")


class Bucket(enum.StrEnum):
    CURRENT = "current"
    DAYS_1_30 = "1-30"
    DAYS_31_60 = "31-60"
    DAYS_61_90 = "61-90"
    OVER_90 = "90+"

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS = {
    Bucket.CURRENT: "Current (not yet due)",
    Bucket.DAYS_1_30: "1–30 days overdue",
    Bucket.DAYS_31_60: "31–60 days overdue",
    Bucket.DAYS_61_90: "61–90 days overdue",
    Bucket.OVER_90: "Over 90 days overdue",
}
BUCKETS = list(Bucket)


def _empty() -> dict[Bucket, Decimal]:
    return dict.fromkeys(BUCKETS, ZERO)


@dataclasses.dataclass(frozen=True)
class AgeingRow:
    vendor_id: int
    vendor: str
    amounts: dict[Bucket, Decimal]
    count: int

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)

    @property
    def overdue(self) -> Decimal:
        return self.total - self.amounts[Bucket.CURRENT]


@dataclasses.dataclass(frozen=True)
class Overdue:
    """One of the invoices longest past their due date: whom to chase first."""

    invoice_id: int
    number: str
    vendor: str
    status: InvoiceStatus
    due_date: dt.date
    days: int  # past the due date
    amount: Decimal  # base currency


@dataclasses.dataclass(frozen=True)
class AgeingReport:
    today: dt.date
    rows: list[AgeingRow]  # the largest total first; every vendor owed
    approved: dict[Bucket, Decimal]  # per bucket, approved: ready to pay
    awaiting: dict[Bucket, Decimal]  # per bucket, matched or on hold: awaiting approval
    oldest: list[Overdue] = dataclasses.field(default_factory=list)

    @property
    def totals(self) -> dict[Bucket, Decimal]:
        return {b: self.approved[b] + self.awaiting[b] for b in BUCKETS}

    @property
    def total(self) -> Decimal:
        return sum(self.totals.values(), ZERO)

    @property
    def count(self) -> int:
        return sum(row.count for row in self.rows)


def _bucket_of(due: sa.ColumnElement, today: dt.date) -> sa.Case:
    """The bucket's position in ``BUCKETS`` for a due date, as of ``today``."""
    day = dt.timedelta(days=1)
    return sa.case(
        (due >= today, 0),
        (due >= today - 30 * day, 1),
        (due >= today - 60 * day, 2),
        (due >= today - 90 * day, 3),
        else_=4,
    )


def _department(query: sa.Select, filters: Filters) -> sa.Select:
    if filters.department_id is None:
        return query
    return (
        query.join(PurchaseOrder, PurchaseOrder.id == Invoice.order_id)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
        .where(PurchaseRequest.department_id == filters.department_id)
    )


def ageing(filters: Filters, *, user: User, today: dt.date | None = None) -> AgeingReport:
    """What is owed per vendor and bucket, in the base currency, as of ``today``: one
    query. The date range of ``filters`` does not apply (the ageing is of today);
    the department (the request's) and the vendor do."""
    require_reader(user)
    today = today or utcnow().date()
    bucket = _bucket_of(Invoice.due_date, today)
    ready = sa.case((Invoice.status == InvoiceStatus.APPROVED, 1), else_=0)
    query = (
        sa.select(
            Vendor.id,
            Vendor.name,
            bucket,
            ready,
            sa.func.sum(sa.func.coalesce(Invoice.total_base, Invoice.total)),
            sa.func.count(),
        )
        .select_from(Invoice)
        .join(Vendor, Vendor.id == Invoice.vendor_id)
        .where(Invoice.status.in_(UNPAID))
        .group_by(Vendor.id, Vendor.name, bucket, ready)
    )
    if filters.vendor_id is not None:
        query = query.where(Invoice.vendor_id == filters.vendor_id)
    query = _department(query, filters)
    approved, awaiting = _empty(), _empty()
    per_vendor: dict[int, tuple[str, dict[Bucket, Decimal], list[int]]] = {}
    for vendor_id, name, position, is_ready, amount, count in db.session.execute(query):
        which = BUCKETS[int(position)]
        value = as_money(amount)
        into = approved if is_ready else awaiting
        into[which] += value
        _name, amounts, counted = per_vendor.setdefault(vendor_id, (name, _empty(), [0]))
        amounts[which] += value
        counted[0] += count
    rows = [
        AgeingRow(vendor_id, name, amounts, counted[0])
        for vendor_id, (name, amounts, counted) in per_vendor.items()
    ]
    rows.sort(key=lambda row: (-row.total, row.vendor.casefold()))
    return AgeingReport(today, rows, approved, awaiting, _oldest(filters, today))


def _oldest(filters: Filters, today: dt.date) -> list[Overdue]:
    """The ``OLDEST`` overdue invoices, the longest past due first: one query."""
    query = (
        sa.select(
            Invoice.id,
            Invoice.number,
            Vendor.name,
            Invoice.status,
            Invoice.due_date,
            sa.func.coalesce(Invoice.total_base, Invoice.total),
        )
        .join(Vendor, Vendor.id == Invoice.vendor_id)
        .where(Invoice.status.in_(UNPAID), Invoice.due_date < today)
        .order_by(Invoice.due_date, Invoice.id)
        .limit(OLDEST)
    )
    if filters.vendor_id is not None:
        query = query.where(Invoice.vendor_id == filters.vendor_id)
    return [
        Overdue(invoice_id, number, name, status, due, (today - due).days, as_money(amount))
        for invoice_id, number, name, status, due, amount in db.session.execute(
            _department(query, filters)
        )
    ]


# Exchange differences ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ExchangeRow:
    invoice_id: int
    number: str
    vendor: str
    currency: str
    total: Decimal  # in the invoice's currency
    paid_on: dt.date
    rate: Decimal | None  # the order's frozen rate
    booked: Decimal  # the base total at that rate
    paid_rate: Decimal | None  # the payment day's rate
    paid: Decimal  # the base amount paid at it

    @property
    def difference(self) -> Decimal:
        return self.paid - self.booked

    @property
    def rates_text(self) -> tuple[str, str]:
        """The order's and the payment day's rate as people read them ("1.100000")."""
        return tuple(  # type: ignore[return-value]
            "—" if r is None else rate_to_api(r) for r in (self.rate, self.paid_rate)
        )


@dataclasses.dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    count: int
    total: Decimal  # in the currency
    booked: Decimal
    paid: Decimal

    @property
    def difference(self) -> Decimal:
        return self.paid - self.booked


@dataclasses.dataclass(frozen=True)
class ExchangeReport:
    rows: list[ExchangeRow]  # the latest payments first; perhaps only the first of them
    currencies: list[CurrencyTotal]  # over every payment the filters select

    @property
    def count(self) -> int:
        return sum(c.count for c in self.currencies)

    @property
    def booked(self) -> Decimal:
        return sum((c.booked for c in self.currencies), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((c.paid for c in self.currencies), ZERO)

    @property
    def difference(self) -> Decimal:
        return self.paid - self.booked


def date_conditions(filters: Filters, column: sa.ColumnElement) -> list:
    """``column`` (a date) within the filters' inclusive days."""
    conditions = []
    if filters.date_from:
        conditions.append(column >= filters.date_from)
    if filters.date_to:
        conditions.append(column <= filters.date_to)
    return conditions


def exchange_differences(
    filters: Filters, *, user: User, limit: int | None = None
) -> ExchangeReport:
    """Paid foreign invoices in the date range (by payment date), the latest first
    (``limit`` keeps the first so many), and the totals per currency over all of them:
    two queries."""
    require_reader(user)
    conditions = [
        Invoice.status == InvoiceStatus.PAID,
        Invoice.currency != currencies.base(),
        *date_conditions(filters, Invoice.paid_on),
    ]
    if filters.vendor_id is not None:
        conditions.append(Invoice.vendor_id == filters.vendor_id)
    booked = sa.func.coalesce(Invoice.total_base, Invoice.total)
    paid = sa.func.coalesce(Invoice.paid_base, Invoice.total_base, Invoice.total)
    rows_query = _department(
        sa.select(
            Invoice.id,
            Invoice.number,
            Vendor.name,
            Invoice.currency,
            Invoice.total,
            Invoice.paid_on,
            Invoice.rate,
            Invoice.total_base,
            Invoice.paid_rate,
            Invoice.paid_base,
        )
        .join(Vendor, Vendor.id == Invoice.vendor_id)
        .where(*conditions)
        .order_by(Invoice.paid_on.desc(), Invoice.id.desc()),
        filters,
    )
    if limit is not None:
        rows_query = rows_query.limit(limit)
    rows = [
        ExchangeRow(
            invoice_id=row[0],
            number=row[1],
            vendor=row[2],
            currency=row[3],
            total=row[4],
            paid_on=row[5],
            rate=row[6],
            booked=row[7] if row[7] is not None else row[4],
            paid_rate=row[8],
            paid=row[9] if row[9] is not None else (row[7] if row[7] is not None else row[4]),
        )
        for row in db.session.execute(rows_query)
    ]
    totals_query = _department(
        sa.select(
            Invoice.currency,
            sa.func.count(),
            sa.func.sum(Invoice.total),
            sa.func.sum(booked),
            sa.func.sum(paid),
        )
        .where(*conditions)
        .group_by(Invoice.currency)
        .order_by(Invoice.currency),
        filters,
    )
    totals = [
        CurrencyTotal(code, count, total or ZERO, as_money(booked_sum), as_money(paid_sum))
        for code, count, total, booked_sum, paid_sum in db.session.execute(totals_query)
    ]
    return ExchangeReport(rows, totals)
