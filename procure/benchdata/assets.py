"""The asset register of the generated history: what receiving would have made.

Each unit received on a line of a hardware-like category becomes an asset (tag from
the ``AT`` sequence, the line's description as model, the unit price in the base
currency at the order's frozen rate, warranty = the receipt's day + the awarded quote's
months), created with the receipt and audited as ``intake.record`` audits it; each line
of a licence-like category becomes a licence pool that grows with each receipt (the
categories are the register's settings, read once).

Then each asset lives as the asset managers would have moved it, every move an audit
event as ``workflow.apply`` writes it: most are deployed to the requester some days
after they arrive (a few stay in stock as spares), some go for repair, and the old ones
are retired some years after purchase and most of those disposed of. A pool's seats
go to people of the request's department, one each, after its last receipt.

Planned with the chunk's orders before the chunk is settled (the events' ids and
numbers are filled in then, through ``Ref``), written after the chunk's documents in
the same batch. Ids and tags are given out as the assets are planned, so tag numbers
are gap-free though not in time order; the sequence ends at the last tag.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from ..assets import registry
from ..models import Asset, Licence, LicenceAssignment
from ..numbering import TAG_PREFIX
from ..reference import add_months
from . import rows
from .bulk import Batch
from .chain import AuditStream, Ref
from .clock import Clock
from .documents import THOUSAND, Chunk, Order, Receipt
from .draw import lognormal, uniform
from .exchange import to_base
from .organisation import Ids, Organisation

ASSETS = rows.spec(
    Asset,
    "id tag serial model category vendor_id order_id order_line_id request_id receipt_id "
    "cost purchase_date warranty_end status holder_id location created_at updated_at version",
)
LICENCES = rows.spec(
    Licence,
    "id product category vendor_id order_id order_line_id contract_id seats used "
    "start_date end_date unit_cost created_at version",
)
ASSIGNMENTS = rows.spec(
    LicenceAssignment,
    "id licence_id user_id assigned_at assigned_by_id released_at released_by_id",
)
TABLES = (ASSETS[0], LICENCES[0], ASSIGNMENTS[0])

SPARE = 0.05  # never deployed
REPAIRED = 0.04  # of those deployed, in repair (or repaired and retired later)
DISPOSED = 0.6  # of those retired
LIFE_YEARS = (3.0, 5.0)  # from purchase to retirement
MAX_SEATS_GIVEN = 60


class _Asset:
    __slots__ = (
        "id", "tag", "order", "line", "receipt", "cost", "warranty_end", "status", "holder",
        "updated_at", "version"
    )  # fmt: skip


class _Pool:
    __slots__ = ("id", "order", "line", "seats", "used", "start_date", "created_at", "version")


class Planner:
    def __init__(
        self,
        seed: int,
        clock: Clock,
        ids: Ids,
        stream: AuditStream,
        organisation: Organisation,
        sequences: dict[tuple[str, int], int],
        now: dt.datetime,
    ) -> None:
        self.rng = random.Random(f"{seed}:assets")  # noqa: S311 -- test data, not secrets
        self.clock, self.ids, self.stream, self.org = clock, ids, stream, organisation
        self.sequences, self.now = sequences, now
        current = registry.current()
        self.hardware = set(current.hardware_categories)
        self.licences = set(current.licence_categories)

    def _later(self, moment: dt.datetime, median_hours: float) -> dt.datetime:
        hours = lognormal(self.rng, median_hours, 1.0)
        return self.clock.working(moment + dt.timedelta(hours=hours))

    def _tag(self) -> str:
        key = (TAG_PREFIX, 0)
        self.sequences[key] = self.sequences.get(key, 0) + 1
        return f"{TAG_PREFIX}-{self.sequences[key]:06d}"

    # Planning ---------------------------------------------------------------------------

    def plan(self, chunk: Chunk) -> tuple[list[_Asset], list[_Pool], list[tuple]]:
        """The assets and pools the chunk's receipts make, their moves and seats."""
        assets: list[_Asset] = []
        pools: list[_Pool] = []
        seats: list[tuple] = []
        for order in chunk.orders:
            by_line: dict[int, _Pool] = {}
            for receipt in sorted(order.receipts, key=lambda r: r.created_at):
                for _ident, line, quantity, _value in receipt.lines:
                    units = quantity // THOUSAND
                    if units <= 0:
                        continue
                    if line.request_line.category in self.hardware:
                        for _ in range(units):
                            assets.append(self._asset(order, line, receipt))
                    elif line.request_line.category in self.licences:
                        pool = by_line.get(id(line))
                        if pool is None:
                            pool = by_line[id(line)] = self._pool(order, line, receipt, units)
                            pools.append(pool)
                        else:
                            self._grow(pool, receipt, units)
            for pool in by_line.values():
                seats += self._give_seats(order, pool)
        for asset in assets:
            self._live(asset)
        return assets, pools, seats

    def _asset(self, order: Order, line: Any, receipt: Receipt) -> _Asset:
        asset = _Asset()
        asset.id = self.ids.next("assets")
        asset.tag = self._tag()
        asset.order, asset.line, asset.receipt = order, line, receipt
        asset.cost = to_base(line.price, order.rate) if order.rate else line.price
        months = order.quote.warranty_months if order.quote is not None else 0
        asset.warranty_end = add_months(receipt.received_on, months)
        asset.status, asset.holder = "in_stock", None
        asset.updated_at, asset.version = receipt.created_at, 1
        self.stream.add(
            receipt.created_at,
            "asset",
            asset,
            "create",
            actor=receipt.recorded_by,
            changes={
                "tag": asset.tag,
                "serial": None,
                "order": Ref(order, "number"),
                "receipt": Ref(receipt, "id"),
                "warranty_end": asset.warranty_end.isoformat(),
            },
            remote_addr=receipt.recorded_by.ip,
        )
        return asset

    def _move(self, asset: _Asset, at: dt.datetime, action: str, new: str, holder: Any) -> None:
        actor = self.org.buyer()
        changes: dict[str, Any] = {"status": [asset.status, new]}
        if holder is not asset.holder:
            changes["holder"] = [
                asset.holder.email if asset.holder else None,
                holder.email if holder else None,
            ]
        self.stream.add(
            at, "asset", asset, action, actor=actor, changes=changes, remote_addr=actor.ip
        )
        asset.status, asset.holder = new, holder
        asset.updated_at, asset.version = at, asset.version + 1

    def _live(self, asset: _Asset) -> None:
        """Deployed to the requester, perhaps repaired, retired when old, disposed of."""
        rng, now = self.rng, self.now
        if rng.random() < SPARE:
            return
        at = self._later(asset.receipt.created_at, 24 * 3)
        if at > now:
            return
        self._move(asset, at, "deploy", "deployed", asset.order.request.requester)
        if rng.random() < REPAIRED:
            at = self._later(at, 24 * 200)
            if at > now:
                return
            self._move(asset, at, "repair", "in_repair", asset.holder)
        purchase = dt.datetime.combine(asset.receipt.received_on, dt.time(10))
        end = purchase + dt.timedelta(days=365 * uniform(rng, *LIFE_YEARS))
        at = self.clock.working(max(end, at + dt.timedelta(days=1)))
        if at > now:
            return
        self._move(asset, at, "retire", "retired", None)
        if rng.random() < DISPOSED:
            at = self._later(at, 24 * 60)
            if at <= now:
                self._move(asset, at, "dispose", "disposed", None)

    def _pool(self, order: Order, line: Any, receipt: Receipt, units: int) -> _Pool:
        pool = _Pool()
        pool.id = self.ids.next("licences")
        pool.order, pool.line, pool.seats, pool.used = order, line, units, 0
        pool.start_date, pool.created_at, pool.version = receipt.received_on, receipt.created_at, 1
        self.stream.add(
            receipt.created_at,
            "licence",
            pool,
            "create",
            actor=receipt.recorded_by,
            changes={"product": line.description, "seats": units, "order": Ref(order, "number")},
            remote_addr=receipt.recorded_by.ip,
        )
        return pool

    def _grow(self, pool: _Pool, receipt: Receipt, units: int) -> None:
        old, pool.seats = pool.seats, pool.seats + units
        pool.version += 1
        self.stream.add(
            receipt.created_at,
            "licence",
            pool,
            "update",
            actor=receipt.recorded_by,
            changes={"seats": [old, pool.seats], "receipt": Ref(receipt, "id")},
            remote_addr=receipt.recorded_by.ip,
        )

    def _give_seats(self, order: Order, pool: _Pool) -> list[tuple]:
        """Seats to people of the request's department, one each, after the last receipt."""
        rng = self.rng
        people = order.request.department.requesters
        wanted = min(int(pool.seats * uniform(rng, 0.4, 0.95)), len(people), MAX_SEATS_GIVEN)
        at = max(r.created_at for r in order.receipts)
        given = []
        for person in rng.sample(people, wanted):
            at = self._later(at, 24 * 2)
            if at > self.now:
                break
            actor = self.org.buyer()
            pool.used += 1
            pool.version += 1
            self.stream.add(
                at,
                "licence",
                pool,
                "assign",
                actor=actor,
                changes={"user": person.email, "used": [pool.used - 1, pool.used]},
                remote_addr=actor.ip,
            )
            given.append((self.ids.next("licence_assignments"), pool.id, person.id, at, actor.id))
        return given

    # Rows ---------------------------------------------------------------------------------

    def add_rows(
        self, batch: Batch, planned: tuple[list[_Asset], list[_Pool], list[tuple]]
    ) -> None:
        """The planned rows, after the chunk's documents (their ids exist now)."""
        assets, pools, seats = planned
        rows.add(
            batch,
            ASSETS,
            [
                (a.id, a.tag, None, a.line.description, a.line.request_line.category,
                 a.order.vendor.id, a.order.id, a.line.id, a.order.request.id, a.receipt.id,
                 a.cost, a.receipt.received_on, a.warranty_end, a.status,
                 a.holder.id if a.holder is not None else None, "", a.receipt.created_at,
                 a.updated_at, a.version)
                for a in assets
            ],
        )  # fmt: skip
        rows.add(
            batch,
            LICENCES,
            [
                (p.id, p.line.description, p.line.request_line.category, p.order.vendor.id,
                 p.order.id, p.line.id, None, p.seats, p.used, p.start_date, None,
                 to_base(p.line.price, p.order.rate) if p.order.rate else p.line.price,
                 p.created_at, p.version)
                for p in pools
            ],
        )  # fmt: skip
        rows.add(batch, ASSIGNMENTS, [(*seat, None, None) for seat in seats])
