"""Framework agreements in the generated history, and what their call-offs consumed.

A few agreements per year of history for each theme of standard items (laptops,
monitors, licences…, ``catalog_agreements.py``), each with an approved vendor of its
category: 5 to 30 of the theme's items at agreed prices, some with a maximum quantity,
about half under a ceiling. Each is planned for its whole life as the services would
have moved it (``agreements.services``): created as a draft and numbered ``AG-``,
activated by procurement, then expired by the daily job the night after its end date
or, now and then, closed early; a successor is prepared a month before it ends. The
newest may still be a draft; an abandoned draft is closed now and then.

The agreements and their items are written with the setup, before any request; the
call-offs (``calloffs.py``) consume them as the requests are planned, and what the
call-offs not cancelled amount to is written onto them once the requests are (or,
after a stop, what the committed chunks' call-offs amount to), as ``consumed`` and
``ordered`` would read after the same call-offs made through the services.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ..models import Agreement, AgreementItem
from ..reference import add_months
from . import catalog
from .catalog_agreements import (
    AGREEMENT_CLOSE_COMMENTS,
    AGREEMENT_DRAFT_CLOSE_COMMENTS,
    AGREEMENT_TERMS,
    AGREEMENT_THEMES,
)
from .chain import AuditStream
from .clock import Clock
from .documents import THOUSAND, quantity_text
from .draw import Weighted, between, pick, uniform
from .exchange import Exchange, from_base
from .organisation import Ids, Organisation, Person, VendorEntry, money
from .rows import Spec, spec

AGREEMENTS = spec(
    Agreement,
    "id number vendor_id title status start_date end_date currency ceiling consumed "
    "rfq_id terms created_by_id created_at activated_at closed_at version",
)
ITEMS = spec(
    AgreementItem,
    "id agreement_id position description category unit unit_price max_quantity ordered",
)
TABLES = (AGREEMENTS[0], ITEMS[0])

# Of the requests whose leading category an agreement in force covers, the share filed
# from the catalogue (each then called off, when the agreement still has room).
CATALOGUE_SHARE = 0.13
# A second vendor for the same theme and period, now and then (a multi-supplier award).
SECOND_VENDOR = 0.2
CLOSED_EARLY = 0.08
ABANDONED = 0.03
DRAFT_AHEAD = 0.5  # a successor not in force yet is still a draft
FOREIGN = 0.15  # agreements priced in a foreign currency (EUR when enabled)
TERM_MONTHS = Weighted([12, 24], [0.6, 0.4])


class Item:
    __slots__ = (
        "id", "deal", "position", "description", "category", "unit", "price", "low", "high",
        "max_quantity", "ordered", "reserved"
    )  # fmt: skip


class Deal:
    """An agreement as planned: its items, its life, and what is called off of it.
    ``reserved`` only grows: the call-offs are planned request by request, not quite in
    time order, so a give-back never makes room for a call-off planned after it."""

    __slots__ = (
        "id", "number", "vendor", "title", "category", "status", "start_date", "end_date",
        "currency", "ceiling", "consumed", "reserved", "terms", "created_by", "created_at",
        "activated_at", "closed_at", "ends_at", "version", "written_version", "items", "draw",
        "events"
    )  # fmt: skip

    def takes(self, moment: dt.datetime) -> bool:
        """Whether its items can be filed and called off at ``moment``: active then,
        and within its dates (``calloff.check``)."""
        return (
            self.activated_at is not None
            and self.activated_at <= moment
            and (self.ends_at is None or moment < self.ends_at)
            and self.start_date <= moment.date() <= self.end_date
        )


class Planner:
    def __init__(
        self,
        seed: int,
        clock: Clock,
        ids: Ids,
        stream: AuditStream,
        organisation: Organisation,
        exchange: Exchange,
        sequences: dict[tuple[str, int], int],
        *,
        total_requests: int,
        auto_call_off: bool,
    ) -> None:
        self.rng = random.Random(f"{seed}:agreements")  # noqa: S311 -- test data, not secrets
        self.clock = clock
        self.now = clock.now
        self.ids = ids
        self.stream = stream
        self.org = organisation
        self.exchange = exchange
        self.sequences = sequences
        self.total_requests = total_requests
        self.auto_call_off = auto_call_off
        self.catalogue_share = CATALOGUE_SHARE
        self.deals: list[Deal] = []
        self.by_category: dict[str, list[Deal]] = {}
        self.items: dict[int, Item] = {}
        # The chunk being planned, and per chunk what its call-offs left on the deals
        # (id: [cents, versions]) and items (id: thousandths).
        self.batch = 0
        self._kept: dict[int, tuple[dict[int, list[int]], dict[int, int]]] = {}
        self.call_offs = 0
        weights = catalog.CATEGORY_WEIGHTS
        self._lead_share = {c: w / sum(weights.values()) for c, w in weights.items()}

    # Planning the agreements ----------------------------------------------------------

    def plan(self) -> None:
        """Every agreement of the history, numbered and with ids in the order they were
        made, and their events."""
        rng, clock = self.rng, self.clock
        themes_per_category: dict[str, int] = {}
        for category, _title, _pool in AGREEMENT_THEMES:
            themes_per_category[category] = themes_per_category.get(category, 0) + 1
        for category, title, pool in AGREEMENT_THEMES:
            created = clock.working(clock.start + dt.timedelta(days=uniform(rng, 5, 150)))
            start = None
            while created < self.now:
                start = start or created.date() + dt.timedelta(days=between(rng, 7, 30))
                end = add_months(start, TERM_MONTHS.pick(rng)) - dt.timedelta(days=1)
                parallel = 2 if rng.random() < SECOND_VENDOR else 1
                for index in range(parallel):
                    moment = created if index == 0 else clock.after(created, 24 * 3)
                    if moment < self.now:
                        share = themes_per_category[category] * parallel
                        self._plan(category, title, pool, moment, start, end, share)
                # The successor is prepared a month or so before this one ends.
                created = max(
                    clock.on_day(end - dt.timedelta(days=between(rng, 25, 45))),
                    created + dt.timedelta(days=1),
                )
                start = end + dt.timedelta(days=1)
        self.deals.sort(key=lambda d: d.created_at)
        for deal in self.deals:
            deal.id = self.ids.next(AGREEMENTS[0].name)
            year = deal.created_at.year
            last = self.sequences.get(("AG", year), 0) + 1
            self.sequences[("AG", year)] = last
            deal.number = f"AG-{year}-{last:05d}"
            for item in deal.items:
                item.id = self.ids.next(ITEMS[0].name)
                self.items[item.id] = item
            deal.draw = Weighted(deal.items, [10000 / item.price for item in deal.items])
            self.by_category.setdefault(deal.category, []).append(deal)
            deal.written_version = deal.version
            for moment, action, actor, changes, comment in deal.events:
                self.stream.add(
                    moment,
                    "agreement",
                    deal,
                    action,
                    actor=actor,
                    changes=changes,
                    comment=comment,
                    remote_addr=actor.ip if actor is not None else None,
                )
            deal.events = []

    def _vendor(self, category: str, moment: dt.datetime, current: bool) -> VendorEntry | None:
        """A vendor of ``category`` approved at ``moment`` (and today, for an agreement
        still in force)."""
        pool = self.org.pools.get(category)
        if pool is None:
            return None
        times, entries = pool
        available = bisect.bisect_right(times, moment)
        for _attempt in range(40):
            if not available:
                return None
            vendor = entries[int(self.rng.random() * available)]
            if vendor.approved_at(moment) and (vendor.approved_now or not current):
                return vendor
        return None

    def _plan(
        self,
        category: str,
        title: str,
        pool: list[tuple],
        created: dt.datetime,
        start: dt.date,
        end: dt.date,
        sharing: int,
    ) -> None:
        rng, clock = self.rng, self.clock
        current = end >= clock.today
        vendor = self._vendor(category, created, current)
        if vendor is None:
            return
        deal = Deal()
        deal.id = deal.number = None
        deal.vendor = vendor
        deal.category = category
        years = f"{start.year}" if end.year == start.year else f"{start.year}-{end.year}"
        deal.title = f"{title} {years} - {vendor.name}"[:200]
        deal.start_date, deal.end_date = start, end
        deal.currency = self.exchange.base
        rate = None
        if "EUR" in self.exchange.codes and rng.random() < FOREIGN:
            deal.currency = "EUR"
            rate, _day = self.exchange.on("EUR", created.date())
        deal.terms = pick(rng, AGREEMENT_TERMS)
        deal.created_by = pick(rng, self.org.procurement)
        deal.created_at = created
        deal.activated_at = deal.closed_at = deal.ends_at = None
        deal.consumed = deal.reserved = 0
        deal.status = "draft"
        deal.version = 1
        deal.items = []
        count = between(rng, min(5, len(pool)), min(30, len(pool)))
        chosen = sorted(rng.sample(range(len(pool)), count))
        # What the catalogue requests of its period may call off, to size the limits.
        calls = (
            self.total_requests
            * (clock.share_before(_at(end)) - clock.share_before(_at(start)))
            * self._lead_share.get(category, 0.05)
            * CATALOGUE_SHARE
            * 0.8
            / sharing
        )
        expected_value = 0
        for position, index in enumerate(chosen, start=1):
            description, unit, typical, (low, high) = pool[index]
            cents = int(typical * vendor.price_factor * uniform(rng, 0.82, 0.95))
            if rate is not None:
                cents = from_base(cents, rate)
            item = Item()
            item.id = None
            item.deal = deal
            item.position = position
            item.description, item.category, item.unit = description, category, unit
            item.price = max(100, cents - cents % 100)
            item.low, item.high = low, high
            item.ordered = item.reserved = 0
            item.max_quantity = None
            share = calls * 1.6 / len(chosen)
            mean_quantity = (low + high) / 4
            expected_value += item.price * mean_quantity
            if rng.random() < 0.25:
                units = max(3 * high, share * mean_quantity * uniform(rng, 2.0, 4.0))
                item.max_quantity = int(math.ceil(units / 10) * 10) * THOUSAND
            deal.items.append(item)
        # About half under a ceiling near the expected demand: some are reached, and
        # what no longer fits is put to an RFQ instead.
        if rng.random() < 0.5:
            value = calls * 1.6 * expected_value / len(chosen) * uniform(rng, 0.35, 1.2)
            deal.ceiling = max(2_000_000, int(math.ceil(value / 1_000_000)) * 1_000_000)
        else:
            deal.ceiling = None
        deal.events = [(created, "create", deal.created_by, _snapshot(deal), "")]
        self._life(deal, current)
        self.deals.append(deal)

    def _life(self, deal: Deal, current: bool) -> None:
        rng, clock, now = self.rng, self.clock, self.now
        activated = clock.after(deal.created_at, 48)
        if not current and rng.random() < ABANDONED:
            moment = clock.after(deal.created_at, 24 * 10)
            if moment <= now:
                self._move(deal, moment, "close", "closed", pick(rng, self.org.procurement),
                           pick(rng, AGREEMENT_DRAFT_CLOSE_COMMENTS))  # fmt: skip
                deal.closed_at = moment
            return
        if activated > now or activated.date() > deal.end_date:
            return
        if deal.start_date > clock.today and rng.random() < DRAFT_AHEAD:
            return  # the successor of one in force, still being negotiated
        self._move(deal, activated, "activate", "active", deal.created_by)
        deal.activated_at = activated
        if rng.random() < CLOSED_EARLY:
            days = (deal.end_date - deal.start_date).days
            moment = clock.on_day(
                deal.start_date + dt.timedelta(days=int(days * uniform(rng, 0.3, 0.9)))
            )
            moment = max(moment, activated + dt.timedelta(hours=1))
            if moment <= now:
                self._move(deal, moment, "close", "closed", pick(rng, self.org.procurement),
                           pick(rng, AGREEMENT_CLOSE_COMMENTS))  # fmt: skip
                deal.closed_at = deal.ends_at = moment
                return
        # ``send-reminders``, the night after its end date, expires it.
        moment = dt.datetime.combine(deal.end_date + dt.timedelta(days=1), dt.time(2))
        moment += dt.timedelta(seconds=rng.random() * 3600)
        if moment <= now:
            self._move(deal, moment, "expire", "expired", None)
            deal.ends_at = moment

    def _move(
        self,
        deal: Deal,
        moment: dt.datetime,
        action: str,
        new: str,
        actor: Person | None,
        comment: str = "",
    ) -> None:
        deal.events.append((moment, action, actor, {"status": [deal.status, new]}, comment))
        deal.status = new
        deal.version += 1

    # Rows -----------------------------------------------------------------------------

    def rows(self) -> list[tuple[Spec, list[tuple]]]:
        """The agreements and their items as planned, nothing called off yet."""
        deals, items = [], []
        for d in self.deals:
            deals.append(
                (d.id, d.number, d.vendor.id, d.title, d.status, d.start_date, d.end_date,
                 d.currency, d.ceiling, 0, None, d.terms, d.created_by.id, d.created_at,
                 d.activated_at, d.closed_at, d.version)
            )  # fmt: skip
            items.extend(
                (i.id, d.id, i.position, i.description, i.category, i.unit, i.price,
                 i.max_quantity, 0)
                for i in d.items
            )  # fmt: skip
        return [(AGREEMENTS, deals), (ITEMS, items)]

    def write_totals(self, connection: sa.Connection, committed: int | None) -> None:
        """What the call-offs of the chunks up to ``committed`` (all: None) left on
        the agreements (``consumed`` and the version their updates moved) and on their
        items (``ordered``)."""
        deals: dict[int, list[int]] = {}
        items: dict[int, int] = {}
        for batch, (deal_deltas, item_deltas) in self._kept.items():
            if committed is not None and batch > committed:
                continue
            for ident, (cents, versions) in deal_deltas.items():
                total = deals.setdefault(ident, [0, 0])
                total[0] += cents
                total[1] += versions
            for ident, milli in item_deltas.items():
                items[ident] = items.get(ident, 0) + milli
        if not deals:
            return
        base = {d.id: d for d in self.deals}
        table, item_table = AGREEMENTS[0], ITEMS[0]
        connection.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("key"))
            .values(consumed=sa.bindparam("consumed"), version=sa.bindparam("version")),
            [
                {
                    "key": ident,
                    "consumed": Decimal(cents).scaleb(-2),
                    "version": base[ident].written_version + versions,
                }
                for ident, (cents, versions) in deals.items()
            ],
        )
        connection.execute(
            sa.update(item_table)
            .where(item_table.c.id == sa.bindparam("key"))
            .values(ordered=sa.bindparam("ordered")),
            [
                {"key": ident, "ordered": Decimal(milli).scaleb(-3)}
                for ident, milli in items.items()
            ],
        )

    # Catalogue requests and call-offs ---------------------------------------------------

    def deal_of(self, line: Any) -> Deal:
        return self.items[line.catalogue_item_id].deal

    def kept(self) -> tuple[dict[int, list[int]], dict[int, int]]:
        """What the call-offs of the chunk being planned leave on the agreements (id:
        [cents, versions]) and on their items (id: thousandths), as they are planned."""
        return self._kept.setdefault(self.batch, ({}, {}))


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def _snapshot(deal: Deal) -> dict[str, Any]:
    """``agreements.services.snapshot``, as ``create`` audits it."""
    return {
        "vendor": deal.vendor.name,
        "title": deal.title,
        "start_date": deal.start_date.isoformat(),
        "end_date": deal.end_date.isoformat(),
        "currency": deal.currency,
        "ceiling": None if deal.ceiling is None else money(deal.ceiling),
        "rfq": None,
        "terms": deal.terms,
        "items": [
            [
                item.description,
                item.category,
                item.unit,
                money(item.price),
                None if item.max_quantity is None else quantity_text(item.max_quantity),
            ]
            for item in deal.items
        ],
    }
