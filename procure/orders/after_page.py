"""What the order's page and its forms show of the order after issue: issued
revisions with their PDFs, a revision waiting for approval of its increase, receipts
(reversed ones too) and returns. One call per page; the views render it."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from .. import workflow
from ..extensions import db
from ..models import (
    OrderLine,
    OrderReturn,
    OrderRevision,
    PurchaseOrder,
    Receipt,
    User,
)
from ..workflow import ORDER, OrderAction
from . import returns, revisions


@dataclasses.dataclass(frozen=True)
class RevisionRow:
    revision: OrderRevision
    label: str  # "PO-2026-00012 rev 1"; revision 0 is the number alone

    @property
    def number(self) -> int:
        return self.revision.revision or 0


@dataclasses.dataclass(frozen=True)
class ReceiptRow:
    receipt: Receipt
    recorded_by: User | None
    reversed_by: User | None
    may_reverse: bool


@dataclasses.dataclass(frozen=True)
class ReturnRow:
    sent_back: OrderReturn
    recorded_by: User | None


@dataclasses.dataclass
class AfterIssue:
    # Issued revisions, 0 first; shown once there is more than the first issue.
    revisions: list[RevisionRow]
    # The revision waiting for approval of its increase, if any.
    waiting: OrderRevision | None
    receipts: list[ReceiptRow]
    returns: list[ReturnRow]
    # Whether any line went back to the vendor: the lines table shows a column then.
    any_returned: bool

    @property
    def revised(self) -> bool:
        return len(self.revisions) > 1


def _person(user_id: int | None) -> User | None:
    return db.session.get(User, user_id) if user_id else None


def of(order: PurchaseOrder, actions: list[str]) -> AfterIssue:
    """What the order's page shows after issue; ``actions`` are the user's (the
    page's buttons)."""
    reversing = OrderAction.REVERSE_RECEIPT.value in actions
    return AfterIssue(
        revisions=[
            RevisionRow(revision, revisions.label(order, revision.revision))
            for revision in revisions.issued(order)
        ],
        waiting=revisions.pending(order),
        receipts=[
            ReceiptRow(
                receipt,
                _person(receipt.recorded_by_id),
                _person(receipt.reversed_by_id),
                reversing and receipt.reversed_at is None,
            )
            for receipt in sorted(order.receipts, key=lambda r: (r.received_on, r.id))
        ],
        returns=[
            ReturnRow(sent_back, _person(sent_back.recorded_by_id))
            for sent_back in sorted(order.returns, key=lambda r: (r.returned_on, r.id))
        ],
        any_returned=any(line.returned_quantity > 0 for line in order.lines),
    )


def require(order: PurchaseOrder, action: OrderAction, user: User) -> None:
    """Refuse a form ``user`` may not use on ``order`` now, as its service would:
    403 for who may not, 409 for an order that cannot take the action."""
    if action == OrderAction.REVISE:
        revisions.check_revisable(order, user)
    else:
        workflow.check(ORDER, order, action, user)


def returnable(order: PurchaseOrder) -> list[OrderLine]:
    """The lines that can go back to the vendor: those with something received."""
    return [line for line in order.lines if line.received_quantity > 0]


@dataclasses.dataclass(frozen=True)
class ReversePage:
    receipt: Receipt
    recorded_by: User | None
    # Why it cannot be reversed (invoices billing it, goods returned since); empty: it can.
    blocking: list[str]


def reverse_page(order: PurchaseOrder, receipt: Receipt) -> ReversePage:
    blocking = [] if receipt.reversed_at else returns.dependants(order, receipt)
    return ReversePage(receipt, _person(receipt.recorded_by_id), blocking)


def increase_of(revision: OrderRevision) -> Decimal:
    return revision.increase_base or Decimal(0)
