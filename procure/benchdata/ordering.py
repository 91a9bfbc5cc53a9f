"""An order's life in the generated history once it is made, from an RFQ's award or a
call-off alike: issued (its number, its frozen rate, the request ordered), cancelled
(the request reopened; a call-off gives back), received in one go or in parts, then
invoiced by its vendor and closed; each move an audit event as the services write it,
and each stopping where today is."""

from __future__ import annotations

import datetime as dt

from . import catalog
from .chain import Ref
from .documents import THOUSAND, Order, Receipt, line_total, quantity_text
from .draw import between, pick, uniform
from .exchange import rate_text, to_base
from .organisation import Person, money


class Ordering:
    """The orders part of :class:`~procure.benchdata.history.History` (through its
    sourcing and call-offs), which it is mixed into."""

    def _order_move(
        self,
        order: Order,
        moment: dt.datetime,
        action: str,
        new: str,
        actor: Person,
        extra: dict | None = None,
        comment: str = "",
    ) -> None:
        changes = self.changes(order.status, new, extra)
        self.stream.add(
            moment,
            "order",
            order,
            action,
            actor=actor,
            changes=changes,
            comment=comment,
            remote_addr=actor.ip,
        )
        order.status = new
        order.version += 1

    def _issue(self, order: Order, moment: dt.datetime, buyer: Person) -> None:
        order.issued_at = moment
        order.issued_by = buyer
        # Issuing freezes the rate that commits the budget (``orders.issue``).
        order.rate, order.rate_date = self.exchange.on(order.currency, moment.date())
        order.total_base = to_base(order.total, order.rate)
        self._order_move(
            order,
            moment,
            "issue",
            "issued",
            buyer,
            {
                "number": Ref(order, "number"),
                "pdf_sha256": self.pdf_sha256,
                "content_sha256": Ref(order, "content_reference"),
                "currency": order.currency,
                "total": money(order.total),
                "rate": rate_text(order.rate),
                "rate_date": order.rate_date.isoformat(),
                "total_base": money(order.total_base),
            },
        )
        self._move(
            order.request,
            moment + dt.timedelta(milliseconds=2),
            "order",
            "ordered",
            buyer,
            changes={"order": Ref(order, "number")},
        )

    def _cancel_order(self, order: Order, moment: dt.datetime, buyer: Person, reason: str) -> None:
        was_issued = order.status == "issued"
        order.cancelled_at = moment
        order.reason = reason
        self._order_move(order, moment, "cancel", "cancelled", buyer, comment=reason)
        if order.agreement is not None:
            self._give_back(order, moment + dt.timedelta(milliseconds=1), buyer)
        if was_issued:
            self._move(
                order.request,
                moment + dt.timedelta(milliseconds=2),
                "reopen",
                "approved",
                buyer,
                changes={"order": Ref(order, "number")},
                comment=reason,
            )

    def _deliver(self, order: Order, outcome: str) -> None:
        rng, now = self.rng, self.now
        # An order still open today: not delivered yet, in part, or received but not
        # closed ("ordered:partial" and the like say which).
        parts = outcome.split(":")
        if outcome == "ordered":
            stop: str | None = pick(rng, ["issued", "partial", "partial", "received"])
        else:
            stop = parts[1] if len(parts) > 1 else None
        # The invoicing forced on the requests forced to stay open (by where they stop).
        forced = parts[2] if len(parts) > 2 else stop if self.squeeze else None
        if stop == "issued":
            return
        # A call-off has no quote: the vendor's usual lead time.
        lead = order.lead_time_days if order.lead_time_days is not None else order.vendor.lead_days
        expected = order.issued_at + dt.timedelta(days=lead * uniform(rng, 0.6, 1.5))
        moment = self.later(expected, 3) if not self.squeeze else self.soon(order.issued_at, 60)
        if moment > now:
            return
        partial = stop == "partial" or (stop is None and rng.random() < 0.12)
        first = self._receive(order, moment, partial)
        if first is None and stop is None:
            # Nothing to split: it all came at once.
            partial = False
            first = self._receive(order, moment, False)
        if partial and first is not None and stop != "partial":
            moment = self.later(moment, 24 * 6)
            if moment <= now:
                self._receive(order, moment, False)
        # The vendor's invoices; approved in full, they close the order by themselves.
        invoiced = self._invoice_order(order, stop, forced)
        if invoiced or stop == "received" or order.status != "received":
            return
        # Never invoiced: procurement closes the order by hand.
        when = self.later(moment, 24 * 5, 1.2)
        if when > now:
            return
        order.closed_at = when
        order.reason = pick(rng, catalog.ORDER_CLOSE_COMMENTS)
        buyer = self.org.buyer()
        self._order_move(order, when, "close", "closed", buyer, comment=order.reason)
        self._move(
            order.request,
            when + dt.timedelta(milliseconds=2),
            "close",
            "closed",
            buyer,
            changes={"order": Ref(order, "number")},
        )

    def _receive(self, order: Order, moment: dt.datetime, partial: bool) -> Receipt | None:
        rng = self.rng
        open_lines = [line for line in order.lines if line.received < line.quantity]
        wanted = [(line, line.quantity - line.received) for line in open_lines]
        if partial:
            # Part of the goods: half of a line of several units, or some lines only.
            split = [
                i
                for i, line in enumerate(open_lines)
                if line.quantity - line.received >= 2 * THOUSAND
            ]
            if split:
                index = pick(rng, split)
                line = open_lines[index]
                wanted[index] = (
                    line,
                    (line.quantity - line.received) // (2 * THOUSAND) * THOUSAND,
                )
                wanted = [w for i, w in enumerate(wanted) if i == index or rng.random() < 0.6]
            elif len(open_lines) > 1:
                wanted = wanted[: between(rng, 1, len(open_lines) - 1)]
            else:
                return None
        receipt = Receipt()
        receipt.id = None
        receipt.received_on = moment.date()
        receipt.note = pick(rng, catalog.RECEIPT_NOTES) if partial else ""
        receipt.recorded_by = self.org.buyer()
        receipt.created_at = max(moment, order.issued_at + dt.timedelta(minutes=1))
        receipt.lines = []
        for line, quantity in wanted:
            line.received += quantity
            receipt.lines.append([None, line, quantity, line_total(quantity, line.price)])
        order.receipts.append(receipt)
        new = (
            "received"
            if all(line.received >= line.quantity for line in order.lines)
            else "partially_received"
        )
        self._order_move(
            order,
            receipt.created_at,
            "receive",
            new,
            receipt.recorded_by,
            {
                "received_on": receipt.received_on.isoformat(),
                "lines": {
                    str(line.position): quantity_text(quantity) for line, quantity in wanted
                },
            },
            comment=receipt.note,
        )
        return receipt
