"""The life cycles of finance's documents: vendor invoices and a vendor's bank details.

Tables only, in the shape of ``machines.py``; ``workflow.py`` re-exports them and its
:func:`workflow.apply` is still the only place a status changes.
"""

from __future__ import annotations

import enum

from . import permissions
from .machines import Machine, Transition
from .models import BankStatus, Invoice, InvoiceStatus

# Vendor invoices -----------------------------------------------------------------------


class InvoiceAction(enum.StrEnum):
    SUBMIT = "submit"  # matched against the order and its receipts (again, from on hold)
    RESOLVE = "resolve"  # exceptions resolved with a reason; matched again
    MATCH = "match"  # matched again because a receipt changed the picture
    RELEASE = "release"  # finance approves past open exceptions, with a justification
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    PAY = "pay"


def _after_matching(invoice: Invoice) -> InvoiceStatus:
    """Matching has just run: any exception still open holds the invoice."""
    return InvoiceStatus.ON_HOLD if invoice.open_exceptions else InvoiceStatus.MATCHED


I = InvoiceStatus  # noqa: E741
IA = InvoiceAction
OPEN = (I.DRAFT, I.MATCHED, I.ON_HOLD)  # rejected or cancelled from any of these
BOOKS = permissions.books_invoices

INVOICE = Machine(
    entity="invoice",
    actions=InvoiceAction,
    table={
        (I.DRAFT, IA.SUBMIT): Transition(_after_matching, BOOKS),
        (I.ON_HOLD, IA.SUBMIT): Transition(_after_matching, BOOKS),
        (I.ON_HOLD, IA.RESOLVE): Transition(_after_matching, permissions.resolves_exceptions),
        (I.ON_HOLD, IA.MATCH): Transition(_after_matching, permissions.follows),
        (I.MATCHED, IA.MATCH): Transition(_after_matching, permissions.follows),
        (I.ON_HOLD, IA.RELEASE): Transition(I.APPROVED, permissions.may_approve_invoice),
        (I.MATCHED, IA.APPROVE): Transition(I.APPROVED, permissions.may_approve_invoice),
        **{(state, IA.REJECT): Transition(I.REJECTED, BOOKS) for state in OPEN},
        **{(state, IA.CANCEL): Transition(I.CANCELLED, BOOKS) for state in OPEN},
        (I.APPROVED, IA.PAY): Transition(I.PAID, permissions.finance),
    },
)

# What people do to an invoice; ``match`` follows a receipt.
INVOICE_USER_ACTIONS = tuple(action for action in InvoiceAction if action != IA.MATCH)


# Vendor bank details -------------------------------------------------------------------


class BankAction(enum.StrEnum):
    CONFIRM = "confirm"  # a second person (finance) confirms: payments go here from now
    WITHDRAW = "withdraw"  # replaced by newer details before anyone confirmed it
    SUPERSEDE = "supersede"  # newer confirmed details replaced it


BS, BA = BankStatus, BankAction

BANK = Machine(
    entity="bank_account",
    actions=BankAction,
    table={
        (BS.PENDING, BA.CONFIRM): Transition(BS.CONFIRMED, permissions.may_confirm_bank),
        (BS.PENDING, BA.WITHDRAW): Transition(BS.WITHDRAWN, BOOKS),
        (BS.CONFIRMED, BA.SUPERSEDE): Transition(BS.SUPERSEDED, permissions.follows),
    },
)
