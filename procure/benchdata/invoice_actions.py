"""The moves of an invoice in the generated history, each as ``invoices/actions.py``
makes it through ``workflow.apply`` (submit, resolve, release, approve, reject, cancel,
pay, match again) with its audit event, and the order closing by itself once received
and invoiced in full (``actions.settle``).

A mixin of :class:`~procure.benchdata.invoices.Invoicing`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .chain import Ref, changes_json
from .clock import DAY_SECONDS, DAY_START
from .documents import Invoice, Order, OrderLine
from .draw import between, pick
from .exchange import rate_text, to_base
from .invoice_matching import InvoiceMatching
from .organisation import Person, money

SETTLING = frozenset(("approved", "paid"))
SETTLED = "Received in full and invoiced in full."
LATE_PAYMENT_SHARE = 0.12
RESOLUTIONS = [
    "The vendor's price increase was agreed by phone; accepted.",
    "Price list updated since the order; the new price applies.",
    "Surcharge for express delivery, agreed with the requester.",
    "Accepted: the difference is within the framework agreement.",
]
RELEASES = [
    "Approved for payment: the vendor is critical and the difference small.",
    "Released: a credit note for the difference has been promised.",
    "Paying to keep the discount; the difference is followed up separately.",
]
NOT_A_DUPLICATE = "Not a duplicate: a separate order of the same things."
LATE_RECEIPT = "The rest was delivered; the receipt is recorded."


def signed(cents: int) -> str:
    """Money as the services audit it, negative too (a credit note's)."""
    return f"-{money(-cents)}" if cents < 0 else money(cents)


def to_base_signed(cents: int, rate: int) -> int:
    """``rates.to_base``: half-up, away from zero, as ``round_money``."""
    return -to_base(-cents, rate) if cents < 0 else to_base(cents, rate)


class InvoiceActions(InvoiceMatching):
    """The invoices' transitions, for the history's invoices."""

    # Transitions ------------------------------------------------------------------------

    def _transition(
        self,
        invoice: Invoice,
        at: dt.datetime,
        action: str,
        new: str,
        actor: Person | None,
        comment: str = "",
        extra: dict | None = None,
        encoded: str | None = None,
    ) -> None:
        """``workflow.apply`` on the ``INVOICE`` table: the status, the version, the
        event ``{"status": [old, new], **extra}`` (or those changes ``encoded``)."""
        old = invoice.status
        changes: dict | str | Any
        if encoded is not None:
            changes = encoded
        elif not extra:
            changes = self.changes(old, new)
        elif extra == {"exceptions": []}:
            # Most matchings find nothing: those changes are encoded once.
            changes = self._nothing_found.get((old, new))
            if changes is None:
                changes = changes_json({"status": [old, new], "exceptions": []})
                self._nothing_found[(old, new)] = changes
        else:
            changes = {"status": [old, new], **extra}
        self.stream.add(
            at,
            "invoice",
            invoice,
            action,
            actor=actor,
            changes=changes,
            comment=comment,
            remote_addr=actor.ip if actor is not None else None,
        )
        invoice.status = new
        invoice.version += 1
        if invoice.record is not None:
            invoice.record.status = new

    def _submit_invoice(self, invoice: Invoice, at: dt.datetime, actor: Person) -> None:
        self._match(invoice, at)
        invoice.submitted_at = at
        invoice.matched_first_time = not self._open(invoice)
        new = "on_hold" if self._open(invoice) else "matched"
        self._transition(
            invoice, at, "submit", new, actor, extra={"exceptions": self._described(invoice)}
        )

    def _awaits_goods(self, invoice: Invoice, at: dt.datetime) -> bool:
        """Held for quantity only, with more of the order still to arrive."""
        return all(e.kind == "quantity" for e in self._open(invoice)) and any(
            r.created_at > at for r in invoice.order.receipts
        )

    def _resolve(self, invoice: Invoice, at: dt.datetime, actor: Person) -> None:
        """Procurement resolves every open exception (it may resolve any kind)."""
        chosen = self._open(invoice)
        kinds = {e.kind for e in chosen}
        if kinds & {"price", "total", "over_order"}:
            reason = pick(self._irng, RESOLUTIONS)
        elif "possible_duplicate" in kinds:
            reason = NOT_A_DUPLICATE
        else:
            reason = LATE_RECEIPT
        for exception in chosen:
            exception.resolved_at, exception.resolved_by = at, actor
            exception.resolution = reason
        resolved = [self._describe(e) for e in chosen]
        self._match(invoice, at)
        new = "on_hold" if self._open(invoice) else "matched"
        self._transition(
            invoice,
            at,
            "resolve",
            new,
            actor,
            reason,
            {"resolved": resolved, "exceptions": self._described(invoice)},
        )

    def _release(self, invoice: Invoice, at: dt.datetime, actor: Person) -> None:
        justification = pick(self._irng, RELEASES)
        invoice.release_justification = justification
        invoice.approved_at, invoice.approved_by = at, actor
        self._transition(
            invoice,
            at,
            "release",
            "approved",
            actor,
            justification,
            {"released": self._described(invoice)},
        )
        self._settle(invoice.order, at + dt.timedelta(milliseconds=1), actor)

    def _approve(self, invoice: Invoice, at: dt.datetime, actor: Person) -> None:
        invoice.approved_at, invoice.approved_by = at, actor
        self._transition(invoice, at, "approve", "approved", actor)
        self._settle(invoice.order, at + dt.timedelta(milliseconds=1), actor)

    def _payment_time(self, invoice: Invoice) -> dt.datetime:
        """A payment run near the due date (now and then late), after the approval."""
        rng = self._irng
        approved = invoice.approved_at
        if rng.random() < LATE_PAYMENT_SHARE:
            day = invoice.due_date + dt.timedelta(days=between(rng, 3, 45))
        else:
            day = invoice.due_date - dt.timedelta(days=between(rng, 0, 4))
        day = max(day, approved.date())
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        at = dt.datetime.combine(day, dt.time(DAY_START)) + dt.timedelta(
            seconds=rng.random() * DAY_SECONDS
        )
        if at <= approved:
            at = approved + dt.timedelta(minutes=5 + rng.random() * 60)
        if self.squeeze:
            at = min(at, approved + (self.now - approved) * 0.12)
        return at

    def _pay(self, invoice: Invoice, at: dt.datetime) -> None:
        """``actions.pay`` on the day's rate; the difference from the order's frozen
        rate is the exchange difference."""
        actor = self._finance()
        paid_on = at.date()
        rate, _day = self.exchange.on(invoice.order.currency, paid_on)
        paid_base = to_base_signed(invoice.total, rate)
        reference = f"PAY-{paid_on:%Y%m%d}"
        invoice.paid_on, invoice.payment_reference, invoice.paid_by = paid_on, reference, actor
        invoice.paid_rate, invoice.paid_base = rate, paid_base
        # {"status", "paid_on", "reference", "rate", "paid_base", "exchange_difference"}
        encoded = (
            f'{{"exchange_difference":"{signed(paid_base - invoice.total_base)}",'
            f'"paid_base":"{signed(paid_base)}","paid_on":"{paid_on.isoformat()}",'
            f'"rate":"{rate_text(rate)}","reference":"{reference}",'
            f'"status":["{invoice.status}","paid"]}}'
        )
        self._transition(invoice, at, "pay", "paid", actor, encoded=encoded)

    def _settle(self, order: Order, at: dt.datetime, after: Person) -> None:
        """``actions.settle``: an order received in full whose every quantity is on
        approved or paid invoices closes by itself, and its request with it (no actor;
        in the request of whoever completed it)."""
        if order.status != "received":
            return
        received = self._received(order, at)
        if any(received.get(line, 0) < line.quantity for line in order.lines):
            return
        invoiced: dict[OrderLine, int] = {}
        for invoice in order.invoices:
            if invoice.status in SETTLING:
                for line in invoice.lines:
                    invoiced[line.order_line] = invoiced.get(line.order_line, 0) + line.quantity
        if any(invoiced.get(line, 0) < line.quantity for line in order.lines):
            return
        order.closed_at = at
        self.stream.add(
            at,
            "order",
            order,
            "settle",
            changes=self.changes(order.status, "closed"),
            comment=SETTLED,
            remote_addr=after.ip,
        )
        order.status = "closed"
        order.version += 1
        pr = order.request
        if pr.status != "ordered":
            return
        moment = at + dt.timedelta(milliseconds=1)
        self.stream.add(
            moment,
            "request",
            pr,
            "settle",
            changes=self.changes(pr.status, "closed", {"order": Ref(order, "number")}),
            remote_addr=after.ip,
        )
        pr.status = "closed"
        pr.updated_at = moment
        pr.version += 1
