"""Matching in the generated history: ``invoices.matching`` on the planned invoices,
in cents, at a moment of the history (the quantities received by then, the order's
other invoices as they stood), with the same exceptions and messages; and the
invoices a later one may be a possible duplicate of, kept light and only as long as
they can be.

A mixin of :class:`~procure.benchdata.invoices.Invoicing`."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .. import policy
from ..invoices import matching
from .chain import Ref
from .documents import (
    Invoice,
    InvoiceException,
    InvoiceLine,
    Order,
    OrderLine,
    line_total,
    quantity_text,
)

# Invoices that count towards what an order line has been invoiced (matching.COUNTED).
COUNTED = frozenset(("matched", "on_hold", "approved", "paid"))
NOT_TWINS = frozenset(("cancelled", "rejected"))
DUPLICATE_DAYS = matching.DUPLICATE_WINDOW.days


def decimal_of(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def cents_of(value: Decimal) -> int:
    return int(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).scaleb(2))


def tax_share(order: Order, at_order_prices: int) -> int:
    """The order's tax in proportion to what is invoiced at the order's prices."""
    if not order.subtotal:
        return 0
    return cents_of(
        decimal_of(order.tax) * decimal_of(at_order_prices) / decimal_of(order.subtotal)
    )


class Record:
    """What finding a possible duplicate needs of an invoice, kept without the rest
    (the documents of past chunks are freed)."""

    __slots__ = ("invoice_date", "created_at", "status", "vendor_number", "total", "number")


@dataclasses.dataclass(frozen=True)
class Finding:
    kind: str
    line: InvoiceLine | None
    message: Any  # str, or a function giving it once numbers exist

    @property
    def key(self) -> tuple[str, InvoiceLine | None]:
        return self.kind, self.line


class _Later:
    """A value for the audit log known once numbers are given out (``Ref`` reads it)."""

    __slots__ = ("text",)

    def __init__(self, text: Any) -> None:
        self.text = text


class InvoiceMatching:
    """Matching and the possible duplicates, for the history's invoices."""

    def _index(self, invoice: Invoice) -> None:
        """Note the invoice where later ones look for possible duplicates."""
        record = Record()
        record.invoice_date = invoice.invoice_date
        record.created_at = invoice.created_at
        record.status = invoice.status
        record.vendor_number = invoice.vendor_number
        record.total = invoice.total
        record.number = None
        invoice.record = record
        self._twins.setdefault((invoice.order.vendor.id, invoice.total), []).append(record)

    def forget_twins(self, before: dt.date) -> None:
        """Drop the invoices dated too long before ``before`` to be anyone's duplicate
        (every invoice planned from now on is dated later): memory stays flat."""
        limit = before - dt.timedelta(days=DUPLICATE_DAYS + 1)
        for key in list(self._twins):
            kept = [r for r in self._twins[key] if r.invoice_date >= limit]
            if kept:
                self._twins[key] = kept
            else:
                del self._twins[key]

    # Matching (``invoices.matching`` in cents) ---------------------------------------------

    @staticmethod
    def _open(invoice: Invoice) -> list[InvoiceException]:
        return [e for e in invoice.exceptions if e.resolved_at is None]

    @staticmethod
    def _describe(exception: InvoiceException) -> dict:
        return {
            "kind": exception.kind,
            "line_id": Ref(exception.line, "id") if exception.line is not None else None,
            "message": Ref(_Later(exception.message), "text"),
        }

    def _described(self, invoice: Invoice) -> list[dict]:
        return [self._describe(e) for e in self._open(invoice)]

    @staticmethod
    def _received(order: Order, at: dt.datetime) -> dict[OrderLine, int]:
        received: dict[OrderLine, int] = {}
        for receipt in order.receipts:
            if receipt.created_at <= at:
                for _, line, quantity, _ in receipt.lines:
                    received[line] = received.get(line, 0) + quantity
        return received

    def _tolerance(self, expected: int, order: Order) -> int:
        """``matching.tolerance`` in cents."""
        key = (order.currency, order.rate)
        absolute = self._absolute_in.get(key)
        if absolute is None:
            absolute = cents_of(self._absolute / Decimal(order.rate).scaleb(-9))
            self._absolute_in[key] = absolute
        return min(cents_of(decimal_of(abs(expected)) * self._percent / 100), absolute)

    def _money(self, cents: int, currency: str) -> str:
        # The policy's formatter: while the history is generated, a fast one that
        # writes what Babel writes for the base currency (``_fast_policy_money``).
        return policy.format_money(decimal_of(cents), currency)

    def _match(self, invoice: Invoice, at: dt.datetime) -> bool:
        """``matching.match``: the exceptions brought in line with the findings now;
        returns whether the open ones changed."""
        current = {finding.key: finding for finding in self._findings(invoice, at)}
        changed = False
        by_person = {(e.kind, e.line) for e in invoice.exceptions if e.resolved_by is not None}
        for exception in self._open(invoice):
            finding = current.pop((exception.kind, exception.line), None)
            if finding is None:
                exception.resolved_at, exception.resolution = at, matching.NO_LONGER_HOLDS
                changed = True
            else:
                exception.message = finding.message
        for key, finding in current.items():
            if key in by_person:
                continue
            exception = InvoiceException()
            exception.id = None
            exception.line = finding.line
            exception.kind = finding.kind
            exception.message = finding.message
            exception.created_at = at
            exception.resolved_at = exception.resolved_by = None
            exception.resolution = ""
            invoice.exceptions.append(exception)
            changed = True
        return changed

    def _findings(self, invoice: Invoice, at: dt.datetime) -> list[Finding]:
        order = invoice.order
        others = [i for i in order.invoices if i is not invoice and i.status in COUNTED]
        before_lines: dict[OrderLine, int] = {}
        for other in others:
            for line in other.lines:
                before_lines[line.order_line] = before_lines.get(line.order_line, 0) + (
                    line.quantity
                )
        received = self._received(order, at)
        credit = invoice.credit_for is not None
        found: list[Finding] = []
        for line in invoice.lines:
            ordered = line.order_line
            before = before_lines.get(ordered, 0)
            everything = before + line.quantity
            if credit:
                if everything < 0:
                    found.append(
                        Finding(
                            "quantity",
                            line,
                            f"Credits {quantity_text(-line.quantity)} of line "
                            f"{ordered.position}, but only {quantity_text(before)} has been "
                            "invoiced.",
                        )
                    )
                continue
            two_way = ordered.request_line.category in self._two_way
            limit = ordered.quantity if two_way else received.get(ordered, 0)
            if everything > limit:
                found.append(
                    Finding(
                        "quantity",
                        line,
                        f"Invoiced {quantity_text(everything)} of line {ordered.position} "
                        f"({quantity_text(before)} before, {quantity_text(line.quantity)} on "
                        f"this invoice), but {quantity_text(limit)} "
                        f"{'ordered' if two_way else 'received'}.",
                    )
                )
            over = line.price - ordered.price
            if over > self._tolerance(ordered.price, order):
                share = (
                    decimal_of(over) / decimal_of(ordered.price) * 100 if ordered.price else 100
                )
                found.append(
                    Finding(
                        "price",
                        line,
                        f"Unit price {self._money(line.price, order.currency)} on line "
                        f"{ordered.position} is {share:.1f} % above the order's "
                        f"{self._money(ordered.price, order.currency)} "
                        f"({self._tolerance_words}).",
                    )
                )
        if not credit:
            priced = {f.line for f in found if f.kind == "price"}
            found += self._whole_invoice(invoice, others, at, priced)
        return found

    def _whole_invoice(
        self,
        invoice: Invoice,
        others: list[Invoice],
        at: dt.datetime,
        priced: set[InvoiceLine],
    ) -> list[Finding]:
        order = invoice.order
        code = order.currency
        found: list[Finding] = []
        total_before = sum(other.total for other in others)
        shipping_before = sum(other.shipping for other in others)
        tax_before = sum(other.tax for other in others)
        at_order_prices = sum(
            line_total(line.quantity, line.order_line.price) for line in invoice.lines
        )
        shipping = min(invoice.shipping, max(order.shipping - shipping_before, 0))
        share = tax_share(order, at_order_prices)
        tax = min(invoice.tax, max(share, order.tax - tax_before, 0))
        justified = at_order_prices + shipping + tax
        # The excess of lines held for their price is named there already.
        named = sum(
            line.total - line_total(line.quantity, line.order_line.price)
            for line in invoice.lines
            if line in priced
        )
        if invoice.total - named - justified > self._tolerance(justified, order):
            found.append(
                Finding(
                    "total",
                    None,
                    f"The total {self._money(invoice.total, code)} is above the "
                    f"{self._money(justified, code)} its quantities at the order's prices, "
                    f"shipping and tax justify ({self._tolerance_words}).",
                )
            )
        everything = total_before + invoice.total
        if everything - order.total > self._tolerance(order.total, order):
            found.append(
                Finding(
                    "over_order",
                    None,
                    f"Invoiced on {{number}} so far: {self._money(everything, code)} "
                    f"({self._money(total_before, code)} before, "
                    f"{self._money(invoice.total, code)} on this invoice), above the order's "
                    f"total of {self._money(order.total, code)}.",
                )
            )
        twin = self._twin(invoice, at)
        if twin is not None:
            amount = self._money(twin.total, code)

            def message(twin: Record = twin, amount: str = amount) -> str:
                return (
                    f"{twin.number} (vendor number {twin.vendor_number}, dated "
                    f"{twin.invoice_date.isoformat()}) is from the same vendor for the same "
                    f"amount, {amount}, within 30 days."
                )

            found.append(Finding("possible_duplicate", None, message))
        for index, finding in enumerate(found):
            if finding.kind == "over_order":
                text = finding.message

                def named(text: str = text) -> str:
                    return text.replace("{number}", order.number)

                found[index] = Finding("over_order", None, named)
        return found

    def _twin(self, invoice: Invoice, at: dt.datetime) -> Record | None:
        """``matching._possible_duplicate``: the first other invoice of the vendor for
        the same amount dated within 30 days, neither cancelled nor rejected."""
        window = dt.timedelta(days=DUPLICATE_DAYS)
        for record in self._twins.get((invoice.order.vendor.id, invoice.total), ()):
            if (
                record is not invoice.record
                and record.created_at <= at
                and record.status not in NOT_TWINS
                and abs(record.invoice_date - invoice.invoice_date) <= window
            ):
                return record
        return None
