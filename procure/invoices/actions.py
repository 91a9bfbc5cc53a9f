"""What people do to an invoice, each through ``workflow.apply`` (the ``INVOICE``
table): submit (match), resolve exceptions, release a hold, approve, reject, cancel,
pay — and what follows a receipt: the order's invoices matched again, and an order
received in full and invoiced in full closing by itself."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from .. import permissions, rates, workflow
from ..errors import Forbidden, InvalidTransition, ValidationError
from ..extensions import db
from ..models import (
    Invoice,
    InvoiceStatus,
    OrderStatus,
    PurchaseOrder,
    RequestStatus,
    User,
    utcnow,
)
from ..validation import FieldErrors
from ..workflow import INVOICE, ORDER, REQUEST, InvoiceAction, OrderAction, RequestAction
from . import matching

TEXT_MAX = 10_000
# Invoices whose matching a receipt can change.
REMATCHED = (InvoiceStatus.MATCHED, InvoiceStatus.ON_HOLD)
# Invoices that settle an order's quantities.
SETTLED = (InvoiceStatus.APPROVED, InvoiceStatus.PAID)


def _required(text: str | None, field: str, missing: str) -> str:
    errors = FieldErrors()
    value = errors.text(text, field, max_length=TEXT_MAX, required=True, missing=missing)
    errors.raise_if_any()
    return value


def submit(invoice: Invoice, *, actor: User, expected_version: int | None = None) -> None:
    """Match the invoice (a draft, or again from on hold) → matched or on hold."""
    workflow.check(INVOICE, invoice, InvoiceAction.SUBMIT, actor)
    workflow.check_version(invoice, expected_version, "invoice")
    first = invoice.submitted_at is None
    matching.match(invoice)

    def alongside(_new: Any) -> None:
        if first:
            invoice.submitted_at, invoice.submitted_by_id = utcnow(), actor.id
            invoice.matched_first_time = not invoice.open_exceptions

    workflow.apply(
        INVOICE,
        invoice,
        InvoiceAction.SUBMIT,
        actor=actor,
        alongside=alongside,
        changes={"exceptions": matching.described(invoice)},
    )
    rematch(invoice.order, actor=actor, besides=invoice)


def resolve(
    invoice: Invoice,
    reason: str,
    *,
    actor: User,
    exception_ids: list[int] | None = None,
    expected_version: int | None = None,
) -> int:
    """Mark the open exceptions ``actor`` may resolve (those of ``exception_ids`` when
    given) resolved with ``reason``, and match again. Returns how many were resolved."""
    workflow.check(INVOICE, invoice, InvoiceAction.RESOLVE, actor)
    workflow.check_version(invoice, expected_version, "invoice")
    reason = _required(reason, "reason", "Say how the exception was resolved.")
    kinds = permissions.resolvable_kinds(actor, invoice)
    chosen = [
        e
        for e in invoice.open_exceptions
        if e.kind in kinds and (exception_ids is None or e.id in exception_ids)
    ]
    if exception_ids is not None and len(chosen) != len(set(exception_ids)):
        raise ValidationError.field(
            "exception_ids", "Some of these exceptions are not open, or not yours to resolve."
        )
    if not chosen:
        raise Forbidden("None of the open exceptions is yours to resolve.")
    now = utcnow()
    for exception in chosen:
        exception.resolved_at, exception.resolved_by_id = now, actor.id
        exception.resolution = reason
    resolved = [{"kind": e.kind.value, "line_id": e.line_id, "message": e.message} for e in chosen]
    matching.match(invoice)
    workflow.apply(
        INVOICE,
        invoice,
        InvoiceAction.RESOLVE,
        actor=actor,
        comment=reason,
        changes={"resolved": resolved, "exceptions": matching.described(invoice)},
    )
    return len(chosen)


def release(
    invoice: Invoice, justification: str, *, actor: User, expected_version: int | None = None
) -> None:
    """Finance approves an invoice past its open exceptions, in writing."""
    workflow.check(INVOICE, invoice, InvoiceAction.RELEASE, actor)
    workflow.check_version(invoice, expected_version, "invoice")
    justification = _required(
        justification, "justification", "Write why the invoice is approved despite its hold."
    )

    def alongside(_new: Any) -> None:
        invoice.release_justification = justification
        invoice.approved_at, invoice.approved_by_id = utcnow(), actor.id

    workflow.apply(
        INVOICE,
        invoice,
        InvoiceAction.RELEASE,
        actor=actor,
        comment=justification,
        alongside=alongside,
        changes={"released": matching.described(invoice)},
    )
    settle(invoice.order)


def approve(invoice: Invoice, *, actor: User, expected_version: int | None = None) -> None:
    workflow.check_version(invoice, expected_version, "invoice")

    def alongside(_new: Any) -> None:
        invoice.approved_at, invoice.approved_by_id = utcnow(), actor.id

    workflow.apply(INVOICE, invoice, InvoiceAction.APPROVE, actor=actor, alongside=alongside)
    settle(invoice.order)


def reject(
    invoice: Invoice, comment: str, *, actor: User, expected_version: int | None = None
) -> None:
    workflow.check(INVOICE, invoice, InvoiceAction.REJECT, actor)
    workflow.check_version(invoice, expected_version, "invoice")
    reason = _required(comment, "comment", "Say why the invoice is rejected.")

    def alongside(_new: Any) -> None:
        invoice.reason = reason

    workflow.apply(
        INVOICE, invoice, InvoiceAction.REJECT, actor=actor, comment=reason, alongside=alongside
    )
    rematch(invoice.order, actor=actor, besides=invoice)


def cancel(
    invoice: Invoice, comment: str = "", *, actor: User, expected_version: int | None = None
) -> None:
    workflow.check(INVOICE, invoice, InvoiceAction.CANCEL, actor)
    workflow.check_version(invoice, expected_version, "invoice")
    errors = FieldErrors()
    reason = errors.text(comment, "comment", max_length=TEXT_MAX)
    errors.raise_if_any()

    def alongside(_new: Any) -> None:
        invoice.reason = reason

    workflow.apply(
        INVOICE, invoice, InvoiceAction.CANCEL, actor=actor, comment=reason, alongside=alongside
    )
    rematch(invoice.order, actor=actor, besides=invoice)


# Payment ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Payment:
    paid_on: dt.date | None
    reference: str = ""


def _check_payment(invoice: Invoice, payment: Payment) -> tuple[dt.date, str, rates.Rate]:
    errors = FieldErrors()
    reference = errors.text(payment.reference, "reference", max_length=200)
    paid_on = payment.paid_on
    rate = None
    if paid_on is None:
        errors.add("paid_on", "Give the payment date.")
    elif paid_on > utcnow().date():
        errors.add("paid_on", "The payment date is in the future.")
    elif paid_on < invoice.invoice_date:
        errors.add("paid_on", f"{invoice.number} was only dated {invoice.invoice_date}.")
    else:
        with errors.collect():
            rate = rates.require(invoice.currency, paid_on, "paid_on")
    errors.raise_if_any()
    if paid_on is None or rate is None:  # raise_if_any has refused it already
        raise ValidationError.field("paid_on", "Give the payment date.")
    return paid_on, reference, rate


def pay(
    invoice: Invoice, payment: Payment, *, actor: User, expected_version: int | None = None
) -> None:
    """Mark an approved invoice paid on a date, with the bank's reference. A foreign
    invoice is paid at that day's rate: the difference from the order's frozen rate is
    the exchange difference (``Invoice.exchange_difference``), never part of spend."""
    workflow.check(INVOICE, invoice, InvoiceAction.PAY, actor)
    workflow.check_version(invoice, expected_version, "invoice")
    paid_on, reference, rate = _check_payment(invoice, payment)
    paid_base = rates.to_base(invoice.total, rate)

    def alongside(_new: Any) -> None:
        invoice.paid_on, invoice.payment_reference, invoice.paid_by_id = (
            paid_on,
            reference,
            actor.id,
        )
        invoice.paid_rate, invoice.paid_base = rate.rate, paid_base

    workflow.apply(
        INVOICE,
        invoice,
        InvoiceAction.PAY,
        actor=actor,
        alongside=alongside,
        changes={
            "paid_on": paid_on.isoformat(),
            "reference": reference,
            "rate": str(rate.rate),
            "paid_base": str(paid_base),
            "exchange_difference": str(paid_base - (invoice.total_base or paid_base)),
        },
    )


def pay_batch(invoices: list[Invoice], payment: Payment, *, actor: User) -> None:
    """Pay many approved invoices with one date and reference: all or none (the first
    that may not be paid refuses the batch, naming it)."""
    if not invoices:
        raise ValidationError.field("invoice_ids", "Choose the invoices to pay.")
    for invoice in invoices:
        try:
            pay(invoice, payment, actor=actor)
        except ValidationError as exc:
            fields = {
                field: [f"{invoice.number}: {message}" for message in messages]
                for field, messages in (exc.fields or {}).items()
            }
            raise ValidationError(f"{invoice.number}: {exc.message}", fields=fields) from None
        except (Forbidden, InvalidTransition) as exc:
            raise type(exc)(f"{invoice.number}: {exc.message}") from None


# What follows a receipt, and settles an order ---------------------------------------------


def settled_quantities(order: PurchaseOrder) -> dict[int, Decimal]:
    """Per order line, the quantity on approved and paid invoices (credits subtracted)."""
    totals: dict[int, Decimal] = {}
    for invoice in _invoices_of(order):
        if invoice.status in SETTLED:
            for line in invoice.lines:
                totals[line.order_line_id] = totals.get(line.order_line_id, Decimal(0)) + (
                    line.quantity
                )
    return totals


def _invoices_of(order: PurchaseOrder) -> list[Invoice]:
    return list(
        db.session.scalars(
            sa.select(Invoice).where(Invoice.order_id == order.id).order_by(Invoice.id)
        )
    )


def settle(order: PurchaseOrder) -> bool:
    """Close an order (and its request) received in full whose every quantity is on
    approved invoices: Procure does it by itself, after the approval or the receipt
    that completed it. Returns whether it closed."""
    if order.status != OrderStatus.RECEIVED:
        return False
    invoiced = settled_quantities(order)
    if any(invoiced.get(line.id, Decimal(0)) < line.quantity for line in order.lines):
        return False
    order.closed_at = utcnow()
    workflow.apply(
        ORDER,
        order,
        OrderAction.SETTLE,
        actor=None,
        comment="Received in full and invoiced in full.",
    )
    if order.request.status == RequestStatus.ORDERED:
        workflow.apply(
            REQUEST,
            order.request,
            RequestAction.SETTLE,
            actor=None,
            changes={"order": order.number},
        )
    return True


# What changes the picture an order's invoices are matched against, in words.
CHANGE_WORDS = {
    OrderAction.RECEIVE: "a receipt",
    OrderAction.REVISE: "a revision of the order",
    OrderAction.ISSUE_REVISION: "a revision of the order",
    OrderAction.RETURN: "a return to the vendor",
    OrderAction.REVERSE_RECEIPT: "a reversed receipt",
}
RECEIVING_CHANGES = tuple(CHANGE_WORDS)


def rematch(
    order: PurchaseOrder,
    *,
    actor: User | None,
    besides: Invoice | None = None,
    because: str = "a receipt",
) -> None:
    """Match the order's matched and held invoices again: ``because`` changed what was
    ordered or received, or ``besides`` — another invoice of the order — was submitted,
    rejected or cancelled, which changes what the others add up to. An invoice whose open
    exceptions changed moves through ``match``."""
    because = because if besides is None else f"{besides.number} moved"
    for invoice in _invoices_of(order):
        if invoice is besides or invoice.status not in REMATCHED:
            continue
        if matching.match(invoice):
            workflow.apply(
                INVOICE,
                invoice,
                InvoiceAction.MATCH,
                actor=actor,
                comment=f"Matched again after {because}.",
                changes={"exceptions": matching.described(invoice)},
            )


def on_transition(
    machine: Any, doc: Any, action: Any, _old: Any, _new: Any, actor: User | None, **_: Any
) -> None:
    """The ``workflow.on_transition`` listener: a receipt on an order matches its
    invoices again, and may settle it; so does a change of what is ordered or received
    (a revision issued, a return, a reversed receipt)."""
    if machine is ORDER and action in RECEIVING_CHANGES:
        rematch(doc, actor=actor, because=CHANGE_WORDS[action])
        settle(doc)
