"""The invoice's own page: its lines beside what was ordered and received, its
exceptions where they hold, what it waits for and who must act, in words."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from .. import audit, currencies, history, permissions
from ..errors import NotFound
from ..extensions import db
from ..models import Attachment, ExceptionKind, Invoice, InvoiceException, InvoiceStatus, User
from ..money import format_date, format_money
from . import services
from .matching import is_two_way


@dataclasses.dataclass(frozen=True)
class LineRow:
    figures: services.LineFigures
    # Ordered and invoiced quantities are compared (two-way), not received ones.
    two_way: bool
    exceptions: list[InvoiceException]

    @property
    def invoiced_total(self) -> Decimal:
        return self.figures.previously_invoiced + self.figures.line.quantity

    @property
    def price_differs(self) -> bool:
        return self.figures.line.unit_price != self.figures.line.order_line.unit_price


@dataclasses.dataclass
class InvoicePage:
    invoice: Invoice
    actions: list[str]
    lines: list[LineRow]
    # Open exceptions on the whole invoice (no line), and every resolved one.
    whole: list[InvoiceException]
    resolved: list[InvoiceException]
    next_step: str
    timeline: list[dict[str, Any]]
    base: str
    # Foreign: "Rate 1.0850 (the order's, frozen at issue): 1,234.56 USD in base".
    base_note: str | None
    exchange_note: str | None
    kinds: dict[str, str]
    # The open exceptions the user may resolve (what "Resolve" marks resolved).
    yours: list[InvoiceException] = dataclasses.field(default_factory=list)


KIND_LABELS = {
    ExceptionKind.QUANTITY.value: "Quantity",
    ExceptionKind.PRICE.value: "Price",
    ExceptionKind.TOTAL.value: "Total",
    ExceptionKind.OVER_ORDER.value: "Over the order",
    ExceptionKind.POSSIBLE_DUPLICATE.value: "Possible duplicate",
}

# What a hold waits for, by the kind of exception that holds it.
HOLD_WORDS = {
    ExceptionKind.QUANTITY: (
        "the quantity invoiced is more than received (or, for services, ordered)",
        "Procurement records the late receipt, or the requester or procurement resolves "
        "it with a reason.",
    ),
    ExceptionKind.PRICE: (
        "a unit price is above the order's",
        "Procurement resolves it with a reason (a price agreed since, say).",
    ),
    ExceptionKind.TOTAL: (
        "the total is above what the lines justify",
        "Procurement resolves it with a reason.",
    ),
    ExceptionKind.OVER_ORDER: (
        "more is invoiced on the order than it was placed for",
        "Procurement resolves it with a reason.",
    ),
    ExceptionKind.POSSIBLE_DUPLICATE: (
        "it may be a duplicate of another invoice of the same vendor",
        "Finance or procurement checks it and resolves it with a reason.",
    ),
}


def next_step(invoice: Invoice) -> str:
    """What the invoice waits for, and who must act, in words."""
    status = invoice.status
    if status == InvoiceStatus.DRAFT:
        return (
            "Draft: not matched yet. Finance or procurement submits it to match it "
            "against the order and what was received."
        )
    if status == InvoiceStatus.ON_HOLD:
        kinds = list(dict.fromkeys(e.kind for e in invoice.open_exceptions))
        what = "; ".join(HOLD_WORDS[k][0] for k in kinds) or "an exception is open"
        who = " ".join(dict.fromkeys(HOLD_WORDS[k][1] for k in kinds))
        return (
            f"Held: {what}. {who} Finance may instead release it for payment with a "
            "written justification."
        )
    if status == InvoiceStatus.MATCHED:
        return (
            "Matched: it agrees with the order and what was received. It waits for "
            "finance's approval, by someone other than whoever entered it."
        )
    if status == InvoiceStatus.APPROVED:
        return f"Approved: it waits for finance to pay it, due {format_date(invoice.due_date)}."
    if status == InvoiceStatus.PAID:
        reference = f", reference {invoice.payment_reference}" if invoice.payment_reference else ""
        return f"Paid on {format_date(invoice.paid_on)}{reference}. Nothing more to do."
    if status == InvoiceStatus.REJECTED:
        return f"Rejected: {invoice.reason or 'no reason given'}. Nothing more to do."
    return "Cancelled: it does not count. Nothing more to do."


def rate_text(rate: Decimal | None) -> str:
    """A rate as the order page shows it: its digits, at least four decimals ("1.0850");
    as ``sourcing``'s, which this area may not import."""
    text = f"{rate or 0:f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(4, '0')}"


def _base_note(invoice: Invoice, base: str) -> str | None:
    if invoice.currency == base or invoice.total_base is None:
        return None
    return (
        f"{format_money(invoice.total_base, base)} at the order's rate of "
        f"{rate_text(invoice.rate)} (frozen at issue)"
    )


def _exchange_note(invoice: Invoice, base: str) -> str | None:
    difference = invoice.exchange_difference
    if invoice.currency == base or difference is None or invoice.paid_on is None:
        return None
    if difference == 0:
        return (
            f"Paid at {rate_text(invoice.paid_rate)} on {format_date(invoice.paid_on)}: as booked."
        )
    side = "more" if difference > 0 else "less"
    return (
        f"Paid at {rate_text(invoice.paid_rate)} on {format_date(invoice.paid_on)}: "
        f"{format_money(abs(difference), base)} {side} than booked at issue — an exchange "
        "difference, not spend."
    )


def invoice_page(invoice: Invoice, user: User) -> InvoicePage:
    by_line: dict[int, list[InvoiceException]] = {}
    whole: list[InvoiceException] = []
    for exception in invoice.open_exceptions:
        if exception.line_id is None:
            whole.append(exception)
        else:
            by_line.setdefault(exception.line_id, []).append(exception)
    base = currencies.base()
    return InvoicePage(
        invoice=invoice,
        actions=services.allowed_actions(invoice, user),
        lines=[
            LineRow(
                figures=figures,
                two_way=is_two_way(figures.line.order_line),
                exceptions=by_line.get(figures.line.id, []),
            )
            for figures in services.line_figures(invoice)
        ],
        whole=whole,
        resolved=[e for e in invoice.exceptions if e.resolved_at is not None],
        next_step=next_step(invoice),
        timeline=history.entries(
            "invoice", db.session.scalars(audit.events_for("invoice", invoice.id)).all()
        ),
        base=base,
        base_note=_base_note(invoice, base),
        exchange_note=_exchange_note(invoice, base),
        kinds=KIND_LABELS,
        yours=[
            e
            for e in invoice.open_exceptions
            if e.kind in permissions.resolvable_kinds(user, invoice)
        ],
    )


def vendor_pdf(invoice: Invoice) -> Attachment:
    """The vendor's own PDF of an invoice the user may see."""
    if invoice.pdf is None:
        raise NotFound("No PDF was filed with this invoice.")
    return invoice.pdf
