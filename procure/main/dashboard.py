"""What each role's home page shows: what needs them now, each tile with the list
behind it. A fixed number of queries per tile, whatever the volume."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from .. import access, delegation, reference
from ..assets import licences as licence_pools
from ..assets import services as assets
from ..budgets import services as budgets
from ..contracts import services as contracts
from ..extensions import db
from ..invoices import tiles as invoice_tiles
from ..models import (
    ApprovalStep,
    Budget,
    PurchaseOrder,
    PurchaseRequest,
    RequestStatus,
    Rfq,
    RfqStatus,
    StepStatus,
    User,
)
from ..orders import services as orders
from ..pagination import bounded_count
from ..purchasing import services as purchasing
from ..sourcing import services as sourcing

TILE_ROWS = 5
NOTICE_HORIZON_DAYS = 60
RFQ_DUE_WITHIN_DAYS = 7


@dataclasses.dataclass
class Tile:
    """A few rows and how many there are in all (counted up to 10,000)."""

    rows: list[Any]
    total: int
    capped: bool = False


def _tile(query: sa.Select[Any], limit: int = TILE_ROWS) -> Tile:
    total, capped = bounded_count(query)
    rows = list(db.session.scalars(query.limit(limit)).unique()) if total else []
    return Tile(rows, total, capped)


# Requesters --------------------------------------------------------------------------


def my_waiting(user: User) -> Tile:
    """The user's requests waiting for approval, longest wait first."""
    return _tile(
        sa.select(PurchaseRequest)
        .join(
            ApprovalStep,
            sa.and_(
                ApprovalStep.request_id == PurchaseRequest.id,
                ApprovalStep.round == PurchaseRequest.approval_round,
                ApprovalStep.status == StepStatus.PENDING,
            ),
        )
        .where(
            PurchaseRequest.requester_id == user.id,
            PurchaseRequest.status == RequestStatus.PENDING_APPROVAL,
        )
        .order_by(ApprovalStep.pending_since, PurchaseRequest.id)
        .options(selectinload(PurchaseRequest.steps))
    )


# Approvers ---------------------------------------------------------------------------


def my_delegations(user: User) -> dict[str, list[Any]]:
    """Delegations given and received that are running or still to come."""
    today = delegation.today()
    mine = delegation.of_user(user)
    return {
        side: [d for d in items if d.ended_at is None and d.ends_on >= today][:TILE_ROWS]
        for side, items in mine.items()
    }


# Procurement -------------------------------------------------------------------------


def awaiting_sourcing() -> Tile:
    return _tile(sourcing.awaiting_sourcing())


def rfqs_due(user: User, today: dt.date) -> Tile:
    """Open RFQs due within a week or past due, soonest first."""
    return _tile(
        sourcing.list_query(user, status=RfqStatus.OPEN.value)
        .where(Rfq.due_date <= today + dt.timedelta(days=RFQ_DUE_WITHIN_DAYS))
        .order_by(None)
        .order_by(Rfq.due_date, Rfq.id)
    )


def awaiting_receipt(user: User) -> Tile:
    """Issued orders not yet fully received, oldest first."""
    return _tile(
        orders.list_query(user, awaiting_receipt=True)
        .order_by(None)
        .order_by(PurchaseOrder.issued_at, PurchaseOrder.id)
    )


def contracts_near(user: User) -> Tile:
    return _tile(contracts.list_query(user, expiring_within=NOTICE_HORIZON_DAYS), limit=8)


# Finance -----------------------------------------------------------------------------


def department_budgets(user: User, year: int) -> list[dict]:
    """This year's whole-department budgets with their bars."""
    return budgets.bar_rows(
        db.session.scalars(
            budgets.list_query(user, fiscal_year=year).where(Budget.category.is_(None))
        )
    )


# The board ---------------------------------------------------------------------------


@dataclasses.dataclass
class Board:
    requests: purchasing.Dashboard | None = None
    waiting: Tile | None = None
    delegations: dict[str, list[Any]] | None = None
    sourcing: Tile | None = None
    rfqs_due: Tile | None = None
    receipts: Tile | None = None
    contracts: Tile | None = None
    budgets: list[dict] | None = None
    budget_year: int | None = None
    today: dt.date | None = None
    # Finance: invoices on hold, due this week, overdue; procurement: price holds.
    payables: invoice_tiles.PayablesTile | None = None
    price_holds: invoice_tiles.PayablesTile | None = None
    # What the user holds: assets deployed to them and licence seats (hidden when none).
    held_assets: list[Any] = dataclasses.field(default_factory=list)
    held_seats: list[Any] = dataclasses.field(default_factory=list)

    @property
    def holds(self) -> bool:
        return bool(self.held_assets or self.held_seats)

    @staticmethod
    def base_note(pr: Any) -> str | None:
        """A foreign request's total in the base currency, frozen at its submission
        (the amount the budgets and thresholds see); None for the base currency."""
        return purchasing.base_note(pr)

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.requests,
                self.sourcing,
                self.contracts and self.contracts.total,
                self.budgets,
                self.payables,
                self.holds,
            )
        )


def board_for(user: User) -> Board:
    today = contracts.today()
    board = Board(today=today)
    files = access.may(user, "file_requests")
    decides = access.may(user, "decide_steps")
    if files or decides:
        board.requests = purchasing.dashboard(user)
    if files:
        board.waiting = my_waiting(user)
    if decides:
        board.delegations = my_delegations(user)
    if access.may(user, "source_requests"):
        board.sourcing = awaiting_sourcing()
        board.rfqs_due = rfqs_due(user, today)
        board.receipts = awaiting_receipt(user)
        board.price_holds = invoice_tiles.price_holds(user)
    board.payables = invoice_tiles.payables(user, today)
    board.held_assets = assets.held_by(user)
    board.held_seats = licence_pools.seats_of(user)
    # Procurement, finance and admin see every contract; others those they own.
    board.contracts = contracts_near(user)
    # An approver opens their department's budgets; the tile sums up everyone's.
    if access.may(user, "see_all_budgets"):
        board.budget_year = reference.current_fiscal_year()
        board.budgets = department_budgets(user, board.budget_year)
    return board
