"""Vendor invoices in the generated history: the vendor's invoice for what an order
delivered, entered by finance or procurement, matched against the order and its
receipts, held, resolved or released, approved by someone else in finance, paid on
a payment run near its due date (a foreign one at that day's rate, so that exchange
differences exist), now and then credited; and the order closing by itself once
received and invoiced in full (``invoices.actions.settle``).

Each order's invoices live side by side (one per receipt, one for everything, an
early one held until the rest arrives, a duplicate the vendor sent twice): their
steps are run in time order (a small schedule per order), so that matching sees what
the application would have seen at each moment — the quantities received by then,
the order's other invoices as they stood. Matching is ``invoices.matching`` in cents
(``invoice_matching.py``); its exceptions carry the same messages, and the moves
(``invoice_actions.py``) the same audit changes, as ``invoices/actions.py`` and
``services.py`` write.

Where a step would fall after now, the invoice stops there: recent invoices are
drafts, matched, on hold or approved and unpaid. The invoices draw from a random
stream of their own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import math
import random
from collections.abc import Iterator
from json.encoder import encode_basestring  # type: ignore[attr-defined]

from .. import private_links
from ..invoices import links, matching, numbers, tolerances
from .clock import DAY_HOURS, DAY_START
from .documents import (
    THOUSAND,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    line_total,
)
from .draw import Weighted, between, lognormal, pick, uniform
from .invoice_actions import InvoiceActions, signed, to_base_signed
from .invoice_matching import DUPLICATE_DAYS, Record, tax_share
from .organisation import Person

MATCHED_AGAIN = "Matched again after a receipt."

# What becomes of the invoicing of an order delivered, and how often (weights; "paid"
# takes the rest). The "recent" part fades with the age of the first receipt (days).
OUTCOMES = [
    # outcome, old weight, recent weight
    ("none", 0.012, 0.0),
    ("resolved", 0.05, 0.0),
    ("released", 0.022, 0.0),
    ("rejected", 0.022, 0.0),
    ("cancelled", 0.018, 0.0),
    ("duplicate", 0.012, 0.0),
    ("draft", 0.0, 0.05),
    ("on_hold", 0.0, 0.08),
]
RECENT_DAYS = 25
CREDIT_SHARE = 0.035
# Forced on the first orders invoiced (old, settled), so that even a small history
# has every path; and on the orders forced to stay open today, by where they stop.
FORCED_FIRST = ["rejected", "cancelled", "duplicate", "resolved", "released", "credit"]
FORCED_OPEN = {
    "partial": "approved",
    "received": "on_hold",
    "draft": "draft",
    "matched": "matched",
}
# An order that stays open today: its invoicing must not settle it.
OPEN_RECEIVED = (["none", "draft", "matched", "on_hold"], [2, 1, 3, 2])
OPEN_PARTIAL = (["none", "early", "approved", "paid"], [3, 2, 1, 3])
STALE_DAYS = 45
STALE = {"draft": "none", "matched": "on_hold", "approved": "paid"}
REJECTIONS = [
    "Prices do not match the order; asked the vendor for a corrected invoice.",
    "Wrong unit prices; the vendor will send a new invoice.",
    "Invoice addressed to the wrong entity; returned to the vendor.",
]
CANCELLATIONS = [
    "Entered with the wrong date; entered again.",
    "Typing mistake in the amounts; entered again.",
    "Entered against the wrong order; entered again.",
]
DUPLICATE_REJECTION = "The vendor sent this invoice twice; the first one is being paid."
NUMBER_STYLES = ("INV-{:07d}", "{year}/{:05d}", "F {:06d}", "{:08d}", "A-{:06d}")


class Invoicing(InvoiceActions):
    """The invoicing part of :class:`~procure.benchdata.history.History`, which it is
    mixed into: it uses the history's clock, organisation, exchange and stream."""

    def _init_invoicing(self, seed: int) -> None:
        self._irng = random.Random(f"{seed}:invoices")  # noqa: S311 -- test data
        setting = tolerances.current()
        self._percent, self._absolute = setting.percent, setting.amount
        self._two_way = frozenset(setting.two_way_categories)
        self._tolerance_words = matching.tolerance_words()
        self._absolute_in: dict[tuple[str, int], int] = {}
        self._vendor_serials: dict[int, int] = {}
        self._twins: dict[tuple[int, int], list[Record]] = {}
        self._forced_invoices = 0
        self._invoice_tables: dict[int, Weighted[str]] = {}
        self._spawned: list[Iterator[dt.datetime]] = []
        self._nothing_found: dict[tuple[str, str], str] = {}
        self.invoice_counts: dict[str, int] = {}

    def invoice_link(self, order: Order) -> tuple[str, str]:
        """The vendor's private link to invoice the order, made when it is issued
        (``links.new_link``): its nonce (of the seed, as the RFQ links' tokens are) and
        the hash of the token derived from it under the installation's key."""
        nonce = hashlib.sha256(f"seed-bench:{self.seed}:invoice:{order.id}".encode()).hexdigest()
        token = private_links.derive(links.PURPOSE, nonce[:43])
        return nonce[:43], private_links.hash_token(token)

    # Time -------------------------------------------------------------------------------

    def _working(self, moment: dt.datetime) -> dt.datetime:
        """``Clock.working`` on the invoices' own stream."""
        if moment.weekday() < 5 and DAY_START <= moment.hour < DAY_START + DAY_HOURS:
            return moment
        day = moment.date()
        if moment.hour >= DAY_START or moment.weekday() >= 5:
            day += dt.timedelta(days=1)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        minutes = self._irng.random() * 90
        return dt.datetime.combine(day, dt.time(DAY_START)) + dt.timedelta(minutes=minutes)

    def _after(self, moment: dt.datetime, median_hours: float, spread: float = 1.0) -> dt.datetime:
        hours = lognormal(self._irng, median_hours, spread)
        result = self._working(moment + dt.timedelta(hours=hours))
        if self.squeeze:
            result = min(result, moment + (self.now - moment) * 0.12)
        return result

    def _shortly(self, moment: dt.datetime, max_minutes: float = 20) -> dt.datetime:
        result = moment + dt.timedelta(seconds=20 + self._irng.random() * 60 * max_minutes)
        if self.squeeze:
            result = min(result, moment + (self.now - moment) * 0.05)
        return result

    # People -----------------------------------------------------------------------------

    def _clerk(self) -> Person:
        """Who enters an invoice: procurement mostly, finance otherwise."""
        if self._irng.random() < 0.6:
            return pick(self._irng, self.org.procurement)
        return self._finance()

    def _finance(self, other_than: Person | None = None) -> Person:
        people = [p for p in self.org.finance if p is not other_than]
        bench = self.org.by_email.get("bench.finance@example.org")
        if bench in people and self._irng.random() < 0.3:
            return bench
        return pick(self._irng, people)

    # Which invoices an order gets ---------------------------------------------------------

    def _invoice_outcome(self, order: Order, stop: str | None, forced: str | None) -> str:
        rng = self._irng
        if forced is not None:
            return FORCED_OPEN.get(forced, forced)
        age = min(720, (self.now - order.receipts[0].created_at).days)
        if stop in ("received", "partial"):
            outcome = rng.choices(*(OPEN_RECEIVED if stop == "received" else OPEN_PARTIAL))[0]
            # An order open for long: its invoice is disputed, or was paid for the part.
            return STALE.get(outcome, outcome) if age > STALE_DAYS else outcome
        if self._forced_invoices < len(FORCED_FIRST) and self.total_requests > 50:
            wanted = FORCED_FIRST[self._forced_invoices]
            fits = {
                "credit": any(line.quantity >= 2 * THOUSAND for line in order.lines),
                "duplicate": len(order.receipts) == 1,
            }.get(wanted, True)
            if fits:
                self._forced_invoices += 1
                return wanted
        table = self._invoice_tables.get(age)
        if table is None:
            fade = math.exp(-age / RECENT_DAYS)
            names = [name for name, _, _ in OUTCOMES]
            weights = [old + recent * fade for _, old, recent in OUTCOMES]
            names.append("paid")
            weights.append(max(0.1, 1.0 - sum(weights)))
            table = Weighted(names, weights)
            self._invoice_tables[age] = table
        return table.pick(rng)

    def _invoice_order(self, order: Order, stop: str | None, forced: str | None) -> bool:
        """Plan the invoices of an order delivered (in full or in part); returns whether
        it was invoiced at all (else procurement closes it by hand, as before)."""
        order.invoices = []
        if not order.receipts:
            return False
        outcome = self._invoice_outcome(order, stop, forced)
        if outcome == "none":
            return False
        rng = self._irng
        if outcome == "duplicate" and len(order.receipts) > 1:
            outcome = "paid"  # a later receipt would match the original again
        receipts = order.receipts
        lives: list[Iterator[dt.datetime]] = []
        if outcome == "early" or (
            len(receipts) > 1 and stop is None and outcome == "paid" and rng.random() < 0.2
        ):
            # Everything invoiced after the first delivery: held until the rest arrives.
            lines = [(line, line.quantity, line.price) for line in order.lines]
            first = receipts[0].created_at
            gap = (receipts[1].created_at if len(receipts) > 1 else self.now) - first
            entered = first + min(gap, dt.timedelta(days=10)) * (0.2 + 0.6 * rng.random())
            lives.append(self._life(order, lines, first.date(), entered, "paid", True))
        elif len(receipts) > 1 and outcome != "on_hold" and rng.random() < 0.6:
            # One invoice per delivery. (Not for one to stay held: matching would find
            # more on it once the next is counted, and a hold is matched again only
            # after a receipt.)
            for index, receipt in enumerate(receipts):
                lines = [(line, quantity, line.price) for _, line, quantity, _ in receipt.lines]
                entered = self._after(receipt.created_at, 30)
                date = self._invoice_date(order, receipt.created_at, entered)
                lives.append(
                    self._life(
                        order, lines, date, entered, outcome if index == 0 else "paid", index == 0
                    )
                )
        else:
            last = receipts[-1].created_at
            lines = [(line, line.received, line.price) for line in order.lines if line.received]
            entered = self._after(last, 30)
            lives.append(
                self._life(
                    order, lines, self._invoice_date(order, last, entered), entered, outcome, True
                )
            )
        if len(receipts) > 1:
            lives.append(self._receipts(order))
        self._schedule(lives)
        return True

    def _invoice_date(self, order: Order, delivered: dt.datetime, entered: dt.datetime) -> dt.date:
        """The vendor dates its invoice on or a few days before the delivery (when it
        shipped), not before the order."""
        day = delivered.date() - dt.timedelta(days=pick(self._irng, (0, 0, 0, 1, 2, 3)))
        return min(max(day, order.issued_at.date()), entered.date())

    def _schedule(self, lives: list[Iterator[dt.datetime]]) -> None:
        """Run the lives of an order's invoices side by side, each step in time order;
        a step after now is not taken."""
        heap: list[tuple[dt.datetime, int, Iterator[dt.datetime]]] = []
        counter = 0

        def push(life: Iterator[dt.datetime]) -> None:
            nonlocal counter
            at = next(life, None)
            if at is not None and at <= self.now:
                counter += 1
                heapq.heappush(heap, (at, counter, life))

        for life in lives:
            push(life)
        while heap:
            _at, _n, life = heapq.heappop(heap)
            push(life)  # takes the step due, and plans the next
            while self._spawned:
                push(self._spawned.pop())

    # Lives ----------------------------------------------------------------------------

    def _life(
        self,
        order: Order,
        lines: list[tuple[OrderLine, int, int]],
        invoice_date: dt.date,
        entered: dt.datetime,
        outcome: str,
        carries_shipping: bool,
    ) -> Iterator[dt.datetime]:
        """One invoice of the vendor's, from its entry to its payment (or where
        ``outcome`` stops it); the steps happen when they are yielded."""
        rng = self._irng
        at = entered
        yield at
        clerk = self._clerk()
        number = self._vendor_number(order)
        if outcome == "cancelled":
            wrong = self._create(order, lines, invoice_date, at, clerk, number, carries_shipping)
            at = self._shortly(at)
            yield at
            wrong.reason = pick(rng, CANCELLATIONS)
            self._transition(wrong, at, "cancel", "cancelled", clerk, wrong.reason)
            at = self._shortly(at, 10)
            yield at
            outcome = "paid"
        if outcome == "rejected":
            bumped = self._bump(order, lines)
            wrong = self._create(order, bumped, invoice_date, at, clerk, number, carries_shipping)
            at = self._shortly(at)
            yield at
            self._submit_invoice(wrong, at, clerk)
            at = self._after(at, 30)
            yield at
            if wrong.status == "on_hold":
                who = self._finance() if rng.random() < 0.5 else clerk
                wrong.reason = pick(rng, REJECTIONS)
                self._transition(wrong, at, "reject", "rejected", who, wrong.reason)
            # The corrected invoice follows, under a new number, dated anew.
            at = self._after(at, 24 * 4)
            yield at
            clerk = self._clerk()
            number = self._vendor_number(order)
            invoice_date = at.date()
            outcome = "paid"
        if outcome in ("resolved", "released", "on_hold"):
            lines = self._bump(order, lines)
        invoice = self._create(order, lines, invoice_date, at, clerk, number, carries_shipping)
        if outcome == "draft":
            return
        at = self._shortly(at)
        yield at
        self._submit_invoice(invoice, at, clerk)
        if invoice.status == "on_hold":
            if outcome == "on_hold":
                return
            if outcome == "released":
                at = self._after(at, 40)
                yield at
                if invoice.status == "on_hold":
                    self._release(invoice, at, self._finance(invoice.entered_by))
            # Resolved by procurement: the price agreed, a possible duplicate that is
            # none; again if resolving brings up another. (A hold for quantity only
            # waits for the rest of the goods.)
            rounds = 0
            while (
                outcome != "released"
                and invoice.status == "on_hold"
                and rounds < 3
                and (outcome == "resolved" or not self._awaits_goods(invoice, at))
            ):
                rounds += 1
                at = self._after(at, 30)
                yield at
                if invoice.status == "on_hold":
                    self._resolve(invoice, at, pick(rng, self.org.procurement))
            while invoice.status == "on_hold":
                # Held for quantity: matched again by the receipt of the rest.
                later = [r for r in order.receipts if r.created_at > at]
                if not later:
                    return
                at = later[0].created_at + dt.timedelta(seconds=1)
                yield at
        if invoice.status == "matched":
            if outcome == "matched":
                return
            at = self._after(at, 30)
            yield at
            if invoice.status != "matched":
                return  # held again meanwhile
            self._approve(invoice, at, self._finance(invoice.entered_by))
        if outcome == "approved" or invoice.status != "approved":
            return
        if outcome == "duplicate":
            self._spawned.append(self._duplicate(invoice, at))
        at = self._payment_time(invoice)
        yield at
        self._pay(invoice, at)
        if outcome == "credit" or rng.random() < CREDIT_SHARE:
            yield from self._credit(invoice, at)

    def _receipts(self, order: Order) -> Iterator[dt.datetime]:
        """The later receipts: the order's invoices matched again, the order settled."""
        for receipt in order.receipts[1:]:
            yield receipt.created_at
            at = receipt.created_at + dt.timedelta(milliseconds=1)
            for invoice in order.invoices:
                if invoice.status in ("matched", "on_hold") and self._match(invoice, at):
                    new = "on_hold" if self._open(invoice) else "matched"
                    self._transition(
                        invoice,
                        at,
                        "match",
                        new,
                        receipt.recorded_by,
                        MATCHED_AGAIN,
                        {"exceptions": self._described(invoice)},
                    )
            self._settle(order, at, receipt.recorded_by)

    def _duplicate(self, original: Invoice, moment: dt.datetime) -> Iterator[dt.datetime]:
        """The vendor sends the same invoice again under another number: held as a
        possible duplicate, rejected."""
        order = original.order
        at = self._after(moment, 24 * 6)
        if (at.date() - original.invoice_date).days > DUPLICATE_DAYS - 5:
            return
        yield at
        clerk = self._clerk()
        lines = [(line.order_line, line.quantity, line.price) for line in original.lines]
        number = self._vendor_number(order)
        twin = self._create(order, lines, original.invoice_date, at, clerk, number, True)
        at = self._shortly(at)
        yield at
        self._submit_invoice(twin, at, clerk)
        at = self._after(at, 30)
        yield at
        twin.reason = DUPLICATE_REJECTION
        self._transition(twin, at, "reject", "rejected", self._finance(), DUPLICATE_REJECTION)

    def _credit(self, credited: Invoice, moment: dt.datetime) -> Iterator[dt.datetime]:
        """One unit of a line sent back: the vendor's credit note, matched, approved
        and refunded."""
        lines = [line for line in credited.lines if line.quantity >= 2 * THOUSAND]
        if not lines:
            return
        line = pick(self._irng, lines)
        at = self._after(moment, 24 * 8)
        yield at
        clerk = self._clerk()
        order = credited.order
        credit = self._create(
            order,
            [(line.order_line, -THOUSAND, line.order_line.price)],
            at.date(),
            at,
            clerk,
            self._vendor_number(order, credit=True),
            False,
            credited,
        )
        at = self._shortly(at)
        yield at
        self._submit_invoice(credit, at, clerk)
        if credit.status != "matched":
            return
        at = self._after(at, 30)
        yield at
        self._approve(credit, at, self._finance(clerk))
        at = self._payment_time(credit)
        yield at
        self._pay(credit, at)

    # The documents ----------------------------------------------------------------------

    def _vendor_number(self, order: Order, credit: bool = False) -> str:
        vendor = order.vendor
        serial = self._vendor_serials.get(vendor.id)
        if serial is None:
            serial = between(self._irng, 100, 9000)
        serial += 1
        self._vendor_serials[vendor.id] = serial
        if credit:
            return f"CN-{serial:06d}"
        style = NUMBER_STYLES[vendor.id % len(NUMBER_STYLES)]
        return style.format(serial, year=order.issued_at.year)

    def _bump(
        self, order: Order, lines: list[tuple[OrderLine, int, int]]
    ) -> list[tuple[OrderLine, int, int]]:
        """The same lines, one of them at a price a few percent over the order's,
        beyond the tolerance (a price exception)."""
        index = self._irng.randrange(len(lines))
        price = lines[index][2]
        over = max(int(price * uniform(self._irng, 0.03, 0.07)), self._tolerance(price, order) + 1)
        return [
            (ol, q, p + over) if i == index else (ol, q, p) for i, (ol, q, p) in enumerate(lines)
        ]

    def _create(
        self,
        order: Order,
        lines: list[tuple[OrderLine, int, int]],
        invoice_date: dt.date,
        at: dt.datetime,
        clerk: Person,
        number: str,
        carries_shipping: bool,
        credit_for: Invoice | None = None,
    ) -> Invoice:
        """``services.create``: a draft, its amounts from its lines (a credit note's
        negative), the due date from the order's terms, the order's frozen rate."""
        invoice = Invoice()
        invoice.id = invoice.number = None
        invoice.vendor_number = number
        invoice.order = order
        invoice.credit_for = credit_for
        invoice.status = "draft"
        invoice.invoice_date = invoice_date
        invoice.due_date = numbers.due_date(invoice_date, order.payment_terms)
        invoice.lines = []
        for position, (order_line, quantity, price) in enumerate(lines, start=1):
            line = InvoiceLine()
            line.id = None
            line.position = position
            line.order_line = order_line
            line.quantity = quantity
            line.price = price
            total = line_total(abs(quantity), price)
            line.total = -total if quantity < 0 else total
            invoice.lines.append(line)
        invoice.subtotal = sum(line.total for line in invoice.lines)
        if credit_for is None:
            at_order_prices = sum(line_total(q, ol.price) for ol, q, _ in lines)
            invoice.shipping = order.shipping if carries_shipping else 0
            invoice.tax = tax_share(order, at_order_prices)
        else:
            invoice.shipping = invoice.tax = 0
        invoice.total = invoice.subtotal + invoice.shipping + invoice.tax
        invoice.total_base = to_base_signed(invoice.total, order.rate)
        invoice.entered_by = clerk
        invoice.created_at = at
        invoice.submitted_at = invoice.matched_first_time = None
        invoice.approved_at = invoice.approved_by = None
        invoice.release_justification = invoice.reason = ""
        invoice.paid_on = invoice.paid_by = invoice.paid_rate = invoice.paid_base = None
        invoice.payment_reference = ""
        invoice.version = 1
        invoice.exceptions = []
        invoice.record = None
        order.invoices.append(invoice)
        self.chunk.invoices.append(invoice)
        if credit_for is None:
            self._index(invoice)

        def created() -> str:
            """{"number", "vendor_invoice_number", "order", "source", "credit_for",
            "currency", "total", "due_date", "pdf_sha256"}, once numbers exist."""
            credited = "null" if credit_for is None else f'"{credit_for.number}"'
            return (
                f'{{"credit_for":{credited},"currency":"{order.currency}",'
                f'"due_date":"{invoice.due_date.isoformat()}","number":"{invoice.number}",'
                f'"order":"{order.number}","pdf_sha256":null,"source":"entered",'
                f'"total":"{signed(invoice.total)}",'
                f'"vendor_invoice_number":{encode_basestring(number)}}}'
            )

        self.stream.add(
            at, "invoice", invoice, "create", actor=clerk, remote_addr=clerk.ip, changes=created
        )
        return invoice
