"""What the asset register reports (capability ``read_assets``), each in a few SQL
statements whatever the number of rows:

- **warranty** — assets in use (in stock, deployed, in repair) whose warranty ends
  before today + N days and that no active maintenance or support contract covers
  (``services.covering``), soonest first: "what is out of warranty next quarter and
  not under a maintenance contract?" (ended warranties included: they are the most
  urgent);
- **costs** — the cost of the assets in use (base currency) per department (the
  request's) and category, with a total per department and a grand total;
- **licences** — every licence pool with its seats, used, free, percentage used and
  its contract's end, emptiest first (``licences.utilisation``);
- **leavers** — deactivated accounts still holding assets or live seats
  (``leavers.holdings``).

The warranty report has a CSV, every text cell neutralised against formula injection
(``csvcells.neutralise``, as every CSV of the application).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from decimal import Decimal

import sqlalchemy as sa

from .. import access
from ..csvcells import neutralise
from ..extensions import db
from ..models import (
    Asset,
    AssetStatus,
    Contract,
    Department,
    Licence,
    PurchaseRequest,
    User,
    Vendor,
    utcnow,
)
from ..pagination import bounded_count
from . import leavers as leavers_module
from . import licences, services

WARRANTY_DAYS = (30, 90, 180, 365)
DEFAULT_DAYS = 90
READ = "read the asset register's reports"


def require_reader(user: User) -> None:
    access.require(user, "read_assets", action=READ)


# Warranty ending, not covered ----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class WarrantyRow:
    asset_id: int
    tag: str
    serial: str | None
    model: str
    category: str
    status: AssetStatus
    holder_name: str | None
    holder_email: str | None
    location: str
    vendor: str
    cost: Decimal
    warranty_end: dt.date
    days_left: int  # negative once ended


@dataclasses.dataclass(frozen=True)
class Warranty:
    days: int
    until: dt.date  # warranties ending before this day
    rows: list[WarrantyRow]  # the first ``limit`` of them when one was asked for
    total: int  # how many there are in all, or as far as they were counted
    capped: bool = False  # the count stopped at ``count_limit``: there are more


def warranty(
    user: User,
    days: int = DEFAULT_DAYS,
    today: dt.date | None = None,
    *,
    limit: int | None = None,
    count_limit: int | None = None,
) -> Warranty:
    """Assets in use whose warranty ends before today + ``days``, uncovered: the first
    ``limit`` (soonest ended first; all without a limit) and how many in all, counted
    no further than ``count_limit`` (``pagination.COUNT_LIMIT``): at a million requests
    the warranties that ever ended are millions of assets, which an exact count read
    on every look."""
    require_reader(user)
    if days not in WARRANTY_DAYS:
        raise ValueError(f"days must be one of {WARRANTY_DAYS}")
    today = today or utcnow().date()
    until = today + dt.timedelta(days=days)
    pairs = services.covering(today).subquery()
    uncovered = (
        Asset.status.in_(services.IN_USE),
        Asset.warranty_end < until,
        Asset.id.not_in(sa.select(pairs.c.asset_id)),
    )
    query = (
        sa.select(
            Asset.id,
            Asset.tag,
            Asset.serial,
            Asset.model,
            Asset.category,
            Asset.status,
            User.name,
            User.email,
            Asset.location,
            Vendor.name,
            Asset.cost,
            Asset.warranty_end,
        )
        .join(Vendor, Vendor.id == Asset.vendor_id)
        .outerjoin(User, User.id == Asset.holder_id)
        .where(*uncovered)
        .order_by(Asset.warranty_end, Asset.tag)
    )
    rows = db.session.execute(query if limit is None else query.limit(limit)).all()
    total, capped = len(rows), False
    if limit is not None and len(rows) == limit:
        counted = sa.select(Asset.id).where(*uncovered)
        total, capped = bounded_count(counted, count_limit)
    return Warranty(
        days=days,
        until=until,
        rows=[WarrantyRow(*row, days_left=(row[-1] - today).days) for row in rows],
        total=total,
        capped=capped,
    )


WARRANTY_COLUMNS = (
    "Asset Tag",
    "Serial Number",
    "Model",
    "Category",
    "Status",
    "Holder",
    "Holder E-mail",
    "Location",
    "Supplier",
    "Cost",
    "Warranty End",
    "Days Left",
)


def warranty_csv(report: Warranty) -> str:
    """The warranty report as CSV (UTF-8, CRLF): text cells neutralised; the cost,
    the date and the days are written by this module, never typed by a person (an
    apostrophe before a negative number of days would make it text)."""
    text = neutralise
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(WARRANTY_COLUMNS)
    for row in report.rows:
        writer.writerow(
            [
                text(row.tag),
                text(row.serial or ""),
                text(row.model),
                text(row.category),
                row.status.value,
                text(row.holder_name or ""),
                text(row.holder_email or ""),
                text(row.location),
                text(row.vendor),
                f"{row.cost:.2f}",
                row.warranty_end.isoformat(),
                str(row.days_left),
            ]
        )
    return out.getvalue()


# Cost per department and category ------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CostRow:
    category: str
    assets: int
    cost: Decimal


@dataclasses.dataclass
class DepartmentCost:
    code: str
    name: str
    rows: list[CostRow] = dataclasses.field(default_factory=list)

    @property
    def assets(self) -> int:
        return sum(row.assets for row in self.rows)

    @property
    def cost(self) -> Decimal:
        return sum((row.cost for row in self.rows), Decimal("0"))


@dataclasses.dataclass(frozen=True)
class Costs:
    departments: list[DepartmentCost]
    by_category: list[CostRow]

    @property
    def assets(self) -> int:
        return sum(d.assets for d in self.departments)

    @property
    def cost(self) -> Decimal:
        return sum((d.cost for d in self.departments), Decimal("0"))


def costs(user: User) -> Costs:
    """What the assets in use cost, per department of their request and category."""
    require_reader(user)
    rows = db.session.execute(
        sa.select(
            Department.code,
            Department.name,
            Asset.category,
            sa.func.count(Asset.id),
            sa.func.coalesce(sa.func.sum(Asset.cost), 0),
        )
        .join(PurchaseRequest, PurchaseRequest.id == Asset.request_id)
        .join(Department, Department.id == PurchaseRequest.department_id)
        .where(Asset.status.in_(services.IN_USE))
        .group_by(Department.code, Department.name, Asset.category)
        .order_by(Department.name, Department.code, Asset.category)
    ).all()
    departments: dict[str, DepartmentCost] = {}
    categories: dict[str, list[Decimal]] = {}
    for code, name, category, count, cost in rows:
        amount = Decimal(cost)
        departments.setdefault(code, DepartmentCost(code, name)).rows.append(
            CostRow(category, count, amount)
        )
        totals = categories.setdefault(category, [Decimal(0), Decimal(0)])
        totals[0] += count
        totals[1] += amount
    return Costs(
        departments=list(departments.values()),
        by_category=[
            CostRow(category, int(count), cost)
            for category, (count, cost) in sorted(categories.items())
        ],
    )


# Licence utilisation -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LicenceRow:
    utilisation: licences.Utilisation
    contract_end: dt.date | None

    @property
    def licence(self) -> Licence:
        return self.utilisation.licence


def licence_use(user: User) -> list[LicenceRow]:
    """Every pool the user may see with its use and its contract's end (two queries)."""
    require_reader(user)
    pools = licences.utilisation(user)
    ids = {row.licence.contract_id for row in pools if row.licence.contract_id is not None}
    ends = dict(
        db.session.execute(sa.select(Contract.id, Contract.end_date).where(Contract.id.in_(ids)))
        .tuples()
        .all()
        if ids
        else []
    )
    return [LicenceRow(row, ends.get(row.licence.contract_id or 0)) for row in pools]


# Leavers -------------------------------------------------------------------------------


def leavers(user: User) -> list[leavers_module.Holdings]:
    """Deactivated accounts still holding assets or seats, with what to recover."""
    require_reader(user)
    return leavers_module.holdings()
