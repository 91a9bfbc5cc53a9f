"""Catalogue requests and their call-offs in the generated history.

Now and then a request whose leading category an agreement in force covers is filed
from the catalogue: its lines are items of that agreement at the agreed prices, in its
currency, each naming its item (``filing._catalogue_line``). Once approved it is
called off (``agreements.calloff.call_off``): a draft order to the agreement's vendor
at the agreed prices, without an RFQ, by procurement some hours later (or by the
agreement's creator at the approval, with ``agreements.auto_call_off``), consuming the
agreement under its ceiling and its items' maximum quantities; then issued, received,
invoiced and closed as any order. A call-off cancelled after it was issued gives back
(``calloff.give_back``). A catalogue request the agreement has no room for any more, or
that is put to competition, is sourced through an RFQ instead.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from . import catalog
from .chain import Ref
from .documents import THOUSAND, Line, Order, OrderLine, Request, line_total, quantity_text
from .draw import Weighted, pick
from .organisation import Person, money

if TYPE_CHECKING:
    from .agreements import Deal, Planner

LINE_COUNT = Weighted([1, 2, 3, 4], [55, 25, 12, 8])
# Before a buyer calls an approved catalogue request off (median, working hours).
CALL_OFF_HOURS = 16


class CallOffs:
    """The call-off part of :class:`~procure.benchdata.history.History` (through its
    sourcing), which it is mixed into; ``calloffs`` is the agreements' planner, set by
    the seeder (without it nothing is filed from the catalogue)."""

    calloffs: Planner | None = None

    def _from_catalogue(self, pr: Request, created_at: dt.datetime) -> bool:
        """Make ``pr``, just filed, a catalogue request now and then; whether it is."""
        planner = self.calloffs
        if planner is None:
            return False
        deals = planner.by_category.get(pr.lines[0].category)
        rng = planner.rng
        if not deals or rng.random() >= planner.catalogue_share:
            return False
        open_now = [deal for deal in deals if deal.takes(created_at)]
        if not open_now:
            return False
        deal = pick(rng, open_now)
        lines: list[Line] = []
        used: set[int] = set()
        for _ in range(min(LINE_COUNT.pick(rng), len(deal.items))):
            item = deal.draw.pick(rng)
            if item.position in used:
                continue
            used.add(item.position)
            spread = (
                0 if rng.random() < 0.65 else int((item.high - item.low + 1) * rng.random() ** 4)
            )
            line = Line()
            line.position = len(lines) + 1
            line.description, line.category, line.unit = item.description, item.category, item.unit
            line.price = item.price
            line.quantity = (item.low + spread) * THOUSAND
            line.total = line_total(line.quantity, line.price)
            line.catalogue_item_id = item.id
            lines.append(line)
        pr.lines = lines
        pr.currency = deal.currency
        pr.rate = pr.rate_date = pr.total_base = None
        return True

    def _call_off(self, pr: Request, approved_at: dt.datetime, outcome: str, attempt: int) -> bool:
        """Source an approved catalogue request by a call-off and what follows; False
        when it is sourced through an RFQ instead."""
        planner = self.calloffs
        if planner is None or outcome.startswith("rfq_"):
            return False
        rng, now = self.rng, self.now
        deal = planner.deal_of(pr.lines[0])
        if planner.auto_call_off and attempt == 1:
            moment, actor = approved_at + dt.timedelta(milliseconds=1), deal.created_by
        else:
            moment, actor = self.later(approved_at, CALL_OFF_HOURS), self.org.buyer()
        if moment > now:
            return True  # approved, to be called off
        if not deal.takes(moment) or not self._reserve(deal, pr.lines):
            return False
        order = self._call_off_order(pr, deal, moment, actor)
        if outcome == "order_draft":
            return True
        issued = self.later(moment, 5)
        if issued > now:
            return True
        self._issue(order, issued, self.org.buyer())
        if outcome == "reopened" or (attempt == 1 and outcome == "closed" and rng.random() < 0.01):
            when = self.later(issued, 24 * 4)
            if when > now:
                return True
            self._cancel_order(
                order, when, self.org.buyer(), pick(rng, catalog.ORDER_CANCEL_COMMENTS)
            )
            if outcome == "closed":
                self._source(pr, when, outcome, attempt + 1)
            return True
        self._deliver(order, outcome)
        return True

    def _call_off_order(
        self, pr: Request, deal: Deal, moment: dt.datetime, actor: Person
    ) -> Order:
        order = Order()
        order.id = order.number = order.issued_at = order.issued_by = order.attachment_id = None
        order.link_nonce = order.link_hash = None
        order.closed_at = order.cancelled_at = None
        order.reason = ""
        order.request = pr
        order.rfq = order.quote = None
        order.agreement = deal
        order.terms = deal.terms
        order.vendor = deal.vendor
        order.status = "draft"
        order.lines = []
        for line in pr.lines:
            ordered = OrderLine()
            ordered.position = line.position
            ordered.request_line = line
            ordered.description, ordered.unit = line.description, line.unit
            ordered.quantity, ordered.price = line.quantity, line.price
            ordered.total = line_total(line.quantity, line.price)
            ordered.received = 0
            order.lines.append(ordered)
        total = sum(line.total for line in order.lines)
        order.subtotal = order.total = total
        order.shipping = order.tax = 0
        order.needed_by = pr.needed_by
        order.payment_terms = ""
        order.lead_time_days = None
        order.created_by = actor
        order.created_at = moment
        order.version = 1
        order.currency = deal.currency
        order.rate = order.rate_date = order.total_base = None
        order.receipts = []
        order.invoices = []
        self.chunk.orders.append(order)
        self.stream.add(
            moment,
            "agreement",
            deal,
            "call_off",
            actor=actor,
            remote_addr=actor.ip,
            changes={
                "request": pr.number,
                "order": Ref(order, "id"),
                "total": money(total),
                "consumed": money(deal.consumed),
                "items": {
                    str(line.catalogue_item_id): quantity_text(line.quantity) for line in pr.lines
                },
            },
        )
        self.stream.add(
            moment,
            "order",
            order,
            "create",
            actor=actor,
            remote_addr=actor.ip,
            changes={
                "request": pr.number,
                "agreement": deal.number,
                "vendor": deal.vendor.name,
                "total": money(total),
            },
        )
        return order

    def _reserve(self, deal: Deal, lines: list[Line]) -> bool:
        """Whether the lines still fit the items' maximum quantities and the ceiling
        (``calloff.check``); if so they are called off."""
        planner = self.calloffs
        assert planner is not None  # noqa: S101 -- only catalogue requests are called off
        total = sum(line.total for line in lines)
        if deal.ceiling is not None and deal.reserved + total > deal.ceiling:
            return False
        items = [planner.items[line.catalogue_item_id] for line in lines]
        for item, line in zip(items, lines, strict=True):
            if item.max_quantity is not None and item.reserved + line.quantity > item.max_quantity:
                return False
        deal.reserved += total
        for item, line in zip(items, lines, strict=True):
            item.reserved += line.quantity
        planner.call_offs += 1
        self._draw_down(deal, lines, 1)
        return True

    def _draw_down(self, deal: Deal, lines: list[Line], sign: int) -> None:
        """Call the lines off (``sign`` 1) or give them back (-1): the agreement's
        ``consumed``, its items' ``ordered``, and the version of its row."""
        planner = self.calloffs
        assert planner is not None  # noqa: S101 -- only catalogue requests are called off
        deals, items = planner.kept()
        total = sum(line.total for line in lines)
        deal.consumed += sign * total
        deal.version += 1
        kept = deals.setdefault(deal.id, [0, 0])
        kept[0] += sign * total
        kept[1] += 1
        for line in lines:
            item = planner.items[line.catalogue_item_id]
            item.ordered += sign * line.quantity
            items[item.id] = items.get(item.id, 0) + sign * line.quantity

    def _give_back(self, order: Order, moment: dt.datetime, actor: Person) -> None:
        """A cancelled call-off returns its quantities and amount to its agreement."""
        assert self.calloffs is not None  # noqa: S101 -- only call-offs have an agreement
        self._draw_down(order.agreement, order.request.lines, -1)
        self.stream.add(
            moment,
            "agreement",
            order.agreement,
            "give_back",
            actor=actor,
            remote_addr=actor.ip,
            changes={"order": Ref(order, "number"), "total": money(order.total)},
        )
