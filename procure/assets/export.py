"""The asset register as CSV, for a CMDB to import: Snipe-IT's asset importer and
GLPI's computer import (the Data Injection plugin maps a CSV's columns to fields).

One row per asset, a header row first (even with no asset), UTF-8, CRLF line ends,
dates ISO (``2026-12-06``), amounts plain decimals in the base currency (``1249.00``),
and every cell through ``csvcells.neutralise``: a model, serial or location typed as
``=HYPERLINK(...)`` is written ``'=HYPERLINK(...)``, text to a spreadsheet.

Rows are written as they are read (:func:`generate` is a generator): hand it a query
and a large register streams in batches, each batch reading its orders' numbers in
one query (vendors and holders come joined with the assets).

Snipe-IT columns (its importer's names): ``Asset Tag``, ``Serial Number``,
``Model Name``, ``Category``, ``Status``, ``Supplier``, ``Purchase Date``,
``Purchase Cost``, ``Order Number``, ``Warranty Months``, ``Location``,
``Full Name``, ``Email``, ``Notes``. Manufacturer is left out: Procure does not know
it apart from the model's text. ``Full Name`` and ``Email`` name the holder, whom
Snipe-IT's importer checks the asset out to.

Status mapping. Snipe-IT creates a status label it does not know as *deployable*,
so only its stock labels are used for what must not be deployable; a deployed asset
is, in Snipe-IT's terms, a deployable asset checked out to someone:

============  ==================  =============================================
Procure       Snipe-IT ``Status`` Notes
============  ==================  =============================================
in_stock      Ready to Deploy     deployable, not checked out
deployed      Ready to Deploy     checked out to ``Email`` (Snipe-IT shows
                                  "Deployed")
in_repair     Out for Repair      undeployable; the holder is kept
retired       Archived            ``Notes`` says "Procure status: retired"
disposed      Archived            ``Notes`` says "Procure status: disposed"
============  ==================  =============================================

``Notes`` always carries Procure's own status and the asset's id, so that nothing is
lost where two statuses share a label.

GLPI columns: ``Name`` and ``Inventory number`` (the tag), ``Serial number``,
``Type`` (our category), ``Model``, ``Status`` (Procure's status label: "In stock",
"Deployed", "In repair", "Retired", "Disposed" — GLPI's statuses are the site's
own), ``Location``, ``User`` (the holder's e-mail), ``Supplier``, ``Purchase date``,
``Value``, ``Warranty start date`` (the purchase date), ``Warranty duration``
(months), ``Order number``, ``Comments``.

``Warranty Months`` / ``Warranty duration`` = whole calendar months from the purchase
date to the warranty end (a warranty ending mid-month counts the months it
completes).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from .. import reference
from ..csvcells import neutralise
from ..extensions import db
from ..models import Asset, AssetStatus, PurchaseOrder, utcnow

FORMATS = ("snipeit", "glpi")
# How many assets are read (and their orders looked up) at a time.
BATCH = 500

SNIPEIT_STATUS = {
    AssetStatus.IN_STOCK: "Ready to Deploy",
    AssetStatus.DEPLOYED: "Ready to Deploy",
    AssetStatus.IN_REPAIR: "Out for Repair",
    AssetStatus.RETIRED: "Archived",
    AssetStatus.DISPOSED: "Archived",
}

# A cell: from the asset, its order number and the category labels by name.
Cell = Callable[[Asset, str, dict[str, str]], object]


def _date(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else ""


def _amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def warranty_months(asset: Asset) -> int:
    """Whole months from purchase to warranty end (never negative)."""
    start, end = asset.purchase_date, asset.warranty_end
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and reference.add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def _notes(asset: Asset, _order: str, _labels: dict[str, str]) -> str:
    return f"Procure asset {asset.id}; Procure status: {asset.status.value}"


SNIPEIT: Sequence[tuple[str, Cell]] = (
    ("Asset Tag", lambda a, _o, _c: a.tag),
    ("Serial Number", lambda a, _o, _c: a.serial or ""),
    ("Model Name", lambda a, _o, _c: a.model),
    ("Category", lambda a, _o, c: c.get(a.category, a.category)),
    ("Status", lambda a, _o, _c: SNIPEIT_STATUS[a.status]),
    ("Supplier", lambda a, _o, _c: a.vendor.name),
    ("Purchase Date", lambda a, _o, _c: _date(a.purchase_date)),
    ("Purchase Cost", lambda a, _o, _c: _amount(a.cost)),
    ("Order Number", lambda _a, o, _c: o),
    ("Warranty Months", lambda a, _o, _c: warranty_months(a)),
    ("Location", lambda a, _o, _c: a.location),
    ("Full Name", lambda a, _o, _c: a.holder.name if a.holder else ""),
    ("Email", lambda a, _o, _c: a.holder.email if a.holder else ""),
    ("Notes", _notes),
)

GLPI: Sequence[tuple[str, Cell]] = (
    ("Name", lambda a, _o, _c: a.tag),
    ("Serial number", lambda a, _o, _c: a.serial or ""),
    ("Inventory number", lambda a, _o, _c: a.tag),
    ("Type", lambda a, _o, c: c.get(a.category, a.category)),
    ("Model", lambda a, _o, _c: a.model),
    ("Status", lambda a, _o, _c: a.status.label),
    ("Location", lambda a, _o, _c: a.location),
    ("User", lambda a, _o, _c: a.holder.email if a.holder else ""),
    ("Supplier", lambda a, _o, _c: a.vendor.name),
    ("Purchase date", lambda a, _o, _c: _date(a.purchase_date)),
    ("Value", lambda a, _o, _c: _amount(a.cost)),
    ("Warranty start date", lambda a, _o, _c: _date(a.purchase_date)),
    ("Warranty duration", lambda a, _o, _c: warranty_months(a)),
    ("Order number", lambda _a, o, _c: o),
    ("Comments", _notes),
)

LAYOUTS = {"snipeit": SNIPEIT, "glpi": GLPI}


def header(fmt: str) -> list[str]:
    return [name for name, _cell in LAYOUTS[fmt]]


def filename(fmt: str, today: dt.date | None = None) -> str:
    """``assets-snipeit-2026-12-06.csv``."""
    day = today or utcnow().date()
    return f"assets-{fmt}-{day.isoformat()}.csv"


def _batches(assets: Iterable[Asset] | sa.Select[Any]) -> Iterator[list[Asset]]:
    if isinstance(assets, sa.Select):
        assets = db.session.scalars(assets.execution_options(yield_per=BATCH))
    batch: list[Asset] = []
    for asset in assets:
        batch.append(asset)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _line(row: Sequence[object]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([neutralise(cell) for cell in row])
    return out.getvalue()


def generate(assets: Iterable[Asset] | sa.Select[Any], fmt: str) -> Iterator[str]:
    """CSV text in ``fmt`` (one of :data:`FORMATS`): the header line, then one line
    per asset, as the assets are read. ``assets`` is an iterable of assets or a query
    selecting them (read in batches of :data:`BATCH`)."""
    if fmt not in LAYOUTS:
        raise ValueError(f"unknown export format {fmt!r}")
    layout = LAYOUTS[fmt]
    yield _line(header(fmt))
    numbers: dict[int, str] = {}
    labels = {category.name: category.label for category in reference.list_categories()}
    for batch in _batches(assets):
        wanted = {asset.order_id for asset in batch} - numbers.keys()
        if wanted:
            numbers.update(
                (order_id, number or "")
                for order_id, number in db.session.execute(
                    sa.select(PurchaseOrder.id, PurchaseOrder.number).where(
                        PurchaseOrder.id.in_(wanted)
                    )
                )
            )
        for asset in batch:
            order = numbers.get(asset.order_id, "")
            yield _line([cell(asset, order, labels) for _name, cell in layout])
