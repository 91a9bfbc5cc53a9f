"""Every status change of every document goes through here.

A document type has a table ``(state, action) -> Transition``: the new state,
who may take the action, and an optional guard. :func:`apply` looks the pair up
(missing: ``InvalidTransition``), checks who and guard (``Forbidden`` with the
reason), assigns the new status, and records the audit event in the same
transaction. The optimistic version column of each document makes concurrent
changes lose with ``Conflict`` instead of overwriting each other.

A purchase request's approval steps have a table of their own, :data:`STEP`: each
action on the request moves its steps as :data:`REQUEST_STEPS` says, in :func:`apply`,
before any listener runs.

No Flask here: the tables are plain data that tests walk exhaustively.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import object_session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from . import audit, machines, permissions
from .errors import Conflict, Forbidden, InvalidTransition
from .machines import Machine, Transition, on_transition  # noqa: F401
from .models import (
    OPEN_STEP_STATUSES,
    ApprovalStep,
    ContractStatus,
    OrderStatus,
    PurchaseOrder,
    PurchaseRequest,
    RequestStatus,
    RevisionStatus,
    RfqStatus,
    StepStatus,
    User,
    VendorStatus,
    utcnow,
)
from .workflow_agreements import (  # noqa: F401
    AGREEMENT,
    AGREEMENT_USER_ACTIONS,
    AgreementAction,
)
from .workflow_assets import ASSET, ASSET_USER_ACTIONS, AssetAction  # noqa: F401
from .workflow_finance import (  # noqa: F401 -- the finance tables, re-exported
    BANK,
    INVOICE,
    INVOICE_USER_ACTIONS,
    BankAction,
    InvoiceAction,
)

StepMove = tuple[ApprovalStep, "StepAction"]


def apply(
    machine: Machine,
    doc: Any,
    action: enum.Enum,
    *,
    actor: User | None,
    on_behalf_of: User | None = None,
    comment: str = "",
    changes: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    alongside: Callable[[enum.Enum], None] | None = None,
    at: dt.datetime | None = None,
) -> enum.Enum:
    """Take ``action`` on ``doc``; returns the new status. Flushes, never commits.

    ``alongside(new_status)`` makes further changes to ``doc`` once the transition is
    allowed, so that they are written in the same guarded ``UPDATE``. The steps the
    transition moves are stamped ``at`` (default: now), the decided one with
    ``actor``, ``on_behalf_of`` and ``comment``."""
    check_version(doc, expected_version, machine.entity)
    old = doc.status
    transition = check(machine, doc, action, actor)
    new = transition.resolve(doc)
    moves = machine.steps(doc, action) if machine.steps is not None else []
    targets = [step_target(step, step_action) for step, step_action in moves]
    doc.status = new
    at = at or utcnow()
    for (step, step_action), target in zip(moves, targets, strict=True):
        # What the table's CHECKs tie to a step's status: since when it is pending,
        # and who decided it.
        step.status = target
        step.pending_since = at if target == StepStatus.PENDING else None
        if step_action in DECISIONS:
            step.decided_by_id = actor.id if actor is not None else None
            step.on_behalf_of_id = on_behalf_of.id if on_behalf_of is not None else None
            step.decided_at, step.comment = at, comment
    if alongside is not None:
        alongside(new)
    _write_version(doc)
    recorded = {"status": [old.value, new.value]}
    recorded.update(changes or {})
    audit.record(
        machine.entity,
        doc.id,
        action.value,
        actor=actor,
        on_behalf_of=on_behalf_of,
        changes=recorded,
        comment=comment,
    )
    for listener in machines.LISTENERS:
        listener(machine, doc, action, old, new, actor, comment=comment, on_behalf_of=on_behalf_of)
    return new


def _write_version(doc: Any) -> None:
    """Write the document's row now, guarded by the version it was read at.

    Every transition writes the row, even when the status stays the same
    (approving a step that is not the last): the ``UPDATE ... WHERE version = :read``
    is what makes the second of two concurrent decisions fail. Without it both
    approvers of one department could approve the same step, the second silently
    overwriting the first. Writing it before the audit event also means the loser
    stops at the document's row lock and never queues for the audit head.
    """
    session = object_session(doc)
    if session is None:
        return
    flag_modified(doc, "status")
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(
            "Somebody else changed this document at the same time; reload it and try again."
        ) from None


def check_version(doc: Any, expected: int | None, noun: str = "document") -> None:
    """Refuse a change made against a version of ``doc`` that is no longer current: the
    caller acted on what they loaded, and somebody else changed it since."""
    if expected is not None and expected != doc.version:
        raise Conflict(f"This {noun} changed since you loaded it; reload it and try again.")


def check(machine: Machine, doc: Any, action: enum.Enum, actor: User | None) -> Transition:
    """Raise what :func:`apply` would raise for this action, without applying it."""
    transition = machine.transition(doc.status, action)
    if transition is None:
        raise InvalidTransition(
            f"You cannot {action.value.replace('_', ' ')} a {machine.entity} that is "
            f"{doc.status.value.replace('_', ' ')}."
        )
    if actor is None and transition.who is not permissions.system:
        raise Forbidden("Only a signed-in person may do this.")
    reason = transition.who(actor, doc)
    if reason is None and transition.guard is not None:
        reason = transition.guard(doc)
    if reason is not None:
        raise Forbidden(reason)
    return transition


def allowed_actions(machine: Machine, doc: Any, actor: User) -> list[str]:
    """The actions ``actor`` may take on ``doc`` now, in the table's order."""
    allowed = []
    for (state, action), transition in machine.table.items():
        if state != doc.status or transition.who(actor, doc) is not None:
            continue
        if transition.guard is not None and transition.guard(doc) is not None:
            continue
        allowed.append(action.value)
    return list(dict.fromkeys(allowed))


# Approval steps -----------------------------------------------------------------


class StepAction(enum.StrEnum):
    OPEN = "open"  # its turn came: the request was submitted, or the step before approved
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"
    CANCEL = "cancel"  # never decided: the request was rejected, returned or cancelled


ST = StepStatus
SA = StepAction

# (state, action) -> state. No "who": a step moves only as its request's transition
# says, and that transition has checked who may.
STEP: Mapping[tuple[StepStatus, StepAction], StepStatus] = {
    (ST.WAITING, SA.OPEN): ST.PENDING,
    (ST.WAITING, SA.CANCEL): ST.CANCELLED,
    (ST.PENDING, SA.APPROVE): ST.APPROVED,
    (ST.PENDING, SA.REJECT): ST.REJECTED,
    (ST.PENDING, SA.RETURN): ST.RETURNED,
    (ST.PENDING, SA.CANCEL): ST.CANCELLED,
}

DECISIONS = (SA.APPROVE, SA.REJECT, SA.RETURN)


def step_target(step: ApprovalStep, action: StepAction) -> StepStatus:
    """The status ``action`` moves ``step`` to; ``InvalidTransition`` if it may not."""
    target = STEP.get((step.status, action))
    if target is None:
        raise InvalidTransition(
            f"You cannot {action.value} an approval step that is {step.status.value}."
        )
    return target


# Purchase requests --------------------------------------------------------------


class RequestAction(enum.StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"
    CANCEL = "cancel"
    ORDER = "order"  # its purchase order was issued
    REOPEN = "reopen"  # its purchase order was cancelled: it can be sourced again
    CLOSE = "close"  # its purchase order was closed
    SETTLE = "settle"  # its order was received in full and invoiced, and so closed
    # Its order's revision raises the total beyond the tolerance: a round of steps for
    # the increase opens, decided with approve and reject while the request is ordered.
    INCREASE = "increase"


def _after_approval(pr: PurchaseRequest) -> RequestStatus:
    """Approving the last open step approves the request; otherwise it stays pending."""
    open_steps = [step for step in pr.current_steps if step.status in OPEN_STEP_STATUSES]
    return RequestStatus.APPROVED if len(open_steps) <= 1 else RequestStatus.PENDING_APPROVAL


# What a request's action does to the steps of its current round: to the pending
# step, to the first step still waiting, and to the others still waiting.
REQUEST_STEPS: Mapping[enum.Enum, tuple[StepAction | None, ...]] = {
    RequestAction.SUBMIT: (None, SA.OPEN, None),  # the service adds the steps waiting
    RequestAction.APPROVE: (SA.APPROVE, SA.OPEN, None),
    RequestAction.REJECT: (SA.REJECT, SA.CANCEL, SA.CANCEL),
    RequestAction.RETURN: (SA.RETURN, SA.CANCEL, SA.CANCEL),
    RequestAction.CANCEL: (SA.CANCEL, SA.CANCEL, SA.CANCEL),
    RequestAction.INCREASE: (None, SA.OPEN, None),  # the revision service adds the steps
    # The order is cancelled or closed with an increase still waiting: it is withdrawn.
    RequestAction.REOPEN: (SA.CANCEL, SA.CANCEL, SA.CANCEL),
    RequestAction.CLOSE: (SA.CANCEL, SA.CANCEL, SA.CANCEL),
    RequestAction.SETTLE: (SA.CANCEL, SA.CANCEL, SA.CANCEL),
}


def _request_steps(pr: PurchaseRequest, action: enum.Enum) -> list[StepMove]:
    """:data:`REQUEST_STEPS` applied to ``pr``: which of its steps move, and how."""
    to_pending, to_next, to_rest = REQUEST_STEPS.get(action, (None, None, None))
    waiting = [step for step in pr.current_steps if step.status == ST.WAITING]
    moves = [(pr.pending_step, to_pending)]
    moves += [(step, to_rest if index else to_next) for index, step in enumerate(waiting)]
    return [(step, move) for step, move in moves if step is not None and move is not None]


S = RequestStatus
A = RequestAction

REQUEST = Machine(
    entity="request",
    actions=RequestAction,
    steps=_request_steps,
    table={
        (S.DRAFT, A.SUBMIT): Transition(S.PENDING_APPROVAL, permissions.owner_of),
        (S.DRAFT, A.CANCEL): Transition(S.CANCELLED, permissions.owner_of),
        (S.PENDING_APPROVAL, A.APPROVE): Transition(_after_approval, permissions.may_decide),
        (S.PENDING_APPROVAL, A.REJECT): Transition(S.REJECTED, permissions.may_decide),
        (S.PENDING_APPROVAL, A.RETURN): Transition(S.DRAFT, permissions.may_decide),
        (S.PENDING_APPROVAL, A.CANCEL): Transition(S.CANCELLED, permissions.owner_of),
        (S.APPROVED, A.CANCEL): Transition(S.CANCELLED, permissions.owner_of),
        (S.APPROVED, A.ORDER): Transition(S.ORDERED, permissions.procurement),
        (S.ORDERED, A.REOPEN): Transition(S.APPROVED, permissions.procurement),
        (S.ORDERED, A.CLOSE): Transition(S.CLOSED, permissions.procurement),
        (S.ORDERED, A.SETTLE): Transition(S.CLOSED, permissions.system),
        (S.ORDERED, A.INCREASE): Transition(S.ORDERED, permissions.procurement),
        # The steps of an order's increase (``orders/revisions.py`` issues the revision
        # once the last is approved, and withdraws it when one is rejected).
        (S.ORDERED, A.APPROVE): Transition(S.ORDERED, permissions.may_decide),
        (S.ORDERED, A.REJECT): Transition(S.ORDERED, permissions.may_decide),
    },
)

# Actions a person takes on the request itself; the others follow its order.
REQUEST_USER_ACTIONS = (A.SUBMIT, A.APPROVE, A.REJECT, A.RETURN, A.CANCEL)


# Vendors ----------------------------------------------------------------------------


class VendorAction(enum.StrEnum):
    APPROVE = "approve"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    BLOCK = "block"


V = VendorStatus
VA = VendorAction

VENDOR = Machine(
    entity="vendor",
    actions=VendorAction,
    table={
        (V.PROSPECT, VA.APPROVE): Transition(V.APPROVED, permissions.procurement),
        (V.APPROVED, VA.SUSPEND): Transition(V.SUSPENDED, permissions.procurement),
        (V.SUSPENDED, VA.REINSTATE): Transition(V.APPROVED, permissions.procurement),
        (V.PROSPECT, VA.BLOCK): Transition(V.BLOCKED, permissions.procurement),
        (V.APPROVED, VA.BLOCK): Transition(V.BLOCKED, permissions.procurement),
        (V.SUSPENDED, VA.BLOCK): Transition(V.BLOCKED, permissions.procurement),
    },
)


# Sourcing events (RFQs) ----------------------------------------------------------------


class RfqAction(enum.StrEnum):
    SEND = "send"
    AWARD = "award"
    CANCEL = "cancel"


R = RfqStatus
RA = RfqAction


def _bids_opened(rfq: Any) -> str | None:
    return "Open the sealed bids first." if rfq.sealed and rfq.bids_opened_at is None else None


RFQ = Machine(
    entity="rfq",
    actions=RfqAction,
    table={
        (R.DRAFT, RA.SEND): Transition(R.OPEN, permissions.procurement),
        (R.OPEN, RA.AWARD): Transition(R.AWARDED, permissions.procurement, _bids_opened),
        (R.DRAFT, RA.CANCEL): Transition(R.CANCELLED, permissions.procurement),
        (R.OPEN, RA.CANCEL): Transition(R.CANCELLED, permissions.procurement),
    },
)


# Purchase orders --------------------------------------------------------------------


class OrderAction(enum.StrEnum):
    ISSUE = "issue"
    RECEIVE = "receive"
    CLOSE = "close"
    CANCEL = "cancel"
    # Received in full and every quantity invoiced and approved: the order closes by
    # itself, after the approval (or the receipt) that completed it.
    SETTLE = "settle"
    # After issue (``orders/revisions.py``, ``orders/returns.py``): a change order,
    # issued at once or once its increase is approved, or withdrawn; goods sent back;
    # a wrong receipt reversed.
    REVISE = "revise"
    ISSUE_REVISION = "issue_revision"
    WITHDRAW_REVISION = "withdraw_revision"
    RETURN = "return"
    REVERSE_RECEIPT = "reverse_receipt"


def _as_received(order: PurchaseOrder) -> OrderStatus:
    """The status what is received now says: nothing → issued, everything → received,
    anything between → partially received."""
    if all(line.received_quantity >= line.quantity for line in order.lines):
        return OrderStatus.RECEIVED
    if any(line.received_quantity > 0 for line in order.lines):
        return OrderStatus.PARTIALLY_RECEIVED
    return OrderStatus.ISSUED


def _no_pending_revision(order: PurchaseOrder) -> str | None:
    if any(revision.status == RevisionStatus.PENDING_APPROVAL for revision in order.revisions):
        return "A revision of this order waits for approval of its increase."
    return None


O = OrderStatus  # noqa: E741 -- the table reads best with one-letter names
OA = OrderAction

ORDER = Machine(
    entity="order",
    actions=OrderAction,
    table={
        (O.DRAFT, OA.ISSUE): Transition(O.ISSUED, permissions.procurement),
        (O.ISSUED, OA.RECEIVE): Transition(_as_received, permissions.procurement),
        (O.PARTIALLY_RECEIVED, OA.RECEIVE): Transition(_as_received, permissions.procurement),
        (O.RECEIVED, OA.CLOSE): Transition(O.CLOSED, permissions.procurement),
        (O.RECEIVED, OA.SETTLE): Transition(O.CLOSED, permissions.system),
        (O.DRAFT, OA.CANCEL): Transition(O.CANCELLED, permissions.procurement),
        (O.ISSUED, OA.CANCEL): Transition(O.CANCELLED, permissions.procurement),
        **{
            (state, action): Transition(_as_received, who, guard)
            for state in (O.ISSUED, O.PARTIALLY_RECEIVED, O.RECEIVED)
            for action, who, guard in (
                (OA.REVISE, permissions.procurement, _no_pending_revision),
                (OA.ISSUE_REVISION, permissions.follows, None),
                (OA.WITHDRAW_REVISION, permissions.follows, None),
                (OA.REVERSE_RECEIPT, permissions.procurement, None),
            )
        },
        (O.PARTIALLY_RECEIVED, OA.RETURN): Transition(_as_received, permissions.procurement),
        (O.RECEIVED, OA.RETURN): Transition(_as_received, permissions.procurement),
    },
)

# What people do to an order; the others follow another change.
ORDER_USER_ACTIONS = tuple(
    action
    for action in OrderAction
    if action not in (OA.SETTLE, OA.ISSUE_REVISION, OA.WITHDRAW_REVISION)
)


# Contracts ----------------------------------------------------------------------------


class ContractAction(enum.StrEnum):
    ACTIVATE = "activate"
    RENEW = "renew"
    TERMINATE = "terminate"
    EXPIRE = "expire"  # the end date passed without renewal (send-reminders)
    AUTO_RENEW = "auto_renew"  # an auto-renewing contract rolled into a new term


C = ContractStatus
CA = ContractAction

CONTRACT = Machine(
    entity="contract",
    actions=ContractAction,
    table={
        (C.DRAFT, CA.ACTIVATE): Transition(C.ACTIVE, permissions.procurement),
        (C.ACTIVE, CA.RENEW): Transition(C.ACTIVE, permissions.procurement),
        (C.ACTIVE, CA.TERMINATE): Transition(C.TERMINATED, permissions.procurement),
        (C.ACTIVE, CA.EXPIRE): Transition(C.EXPIRED, permissions.system),
        (C.ACTIVE, CA.AUTO_RENEW): Transition(C.ACTIVE, permissions.system),
    },
)
