"""Revising an issued order: a change order (API.md, "Orders after issue").

Procurement changes lines (quantity, unit price, description; a line added, or removed
while nothing of it was received or invoiced), shipping, tax, dates, the delivery
address or terms, always with a reason. The order keeps its number; each issued
revision (``PO-2026-00012 rev 1``) has its own frozen PDF with its SHA-256, and the
earlier ones stay downloadable. A quantity never goes below what was received.

The increase over the approved amount (the request's total at its frozen rate, or the
total of the last revision whose increase was approved) needs the request's approvers
when it exceeds the lesser of a percent of the approved amount and an amount (admin
settings, :mod:`procure.orders.tolerances`): the revision then waits, the request gains
a round of steps for the increase under the same policy, and it is issued when the last
is approved (:func:`on_transition`) — budgets see the new total only then. A rejected
increase withdraws it; so does cancelling or closing the order.

Services check, change, audit and flush; the caller commits once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from .. import attachments, currencies, permissions, policy, workflow
from ..budgets import services as budgets
from ..errors import Forbidden, InvalidTransition, ValidationError
from ..extensions import db
from ..machines import Machine
from ..models import (
    ApprovalStep,
    OrderLine,
    OrderRevision,
    OrderStatus,
    PurchaseOrder,
    RequestStatus,
    RevisionStatus,
    Role,
    StepStatus,
    User,
    utcnow,
)
from ..money import format_money, round_money
from ..notifications import vendors as vendor_mail
from ..sourcing import services as sourcing
from ..workflow import ORDER, REQUEST, OrderAction, RequestAction
from . import conversion, document, proposals, tolerances
from .proposals import LineChange, RevisionData  # noqa: F401 -- callers know them here

REVISABLE = (OrderStatus.ISSUED, OrderStatus.PARTIALLY_RECEIVED, OrderStatus.RECEIVED)
ENDS = (OrderAction.CANCEL, OrderAction.CLOSE, OrderAction.SETTLE)
# Reading -----------------------------------------------------------------------------------


def issued(order: PurchaseOrder) -> list[OrderRevision]:
    """The order's issued revisions, 0 first."""
    return sorted(
        (r for r in order.revisions if r.status == RevisionStatus.ISSUED),
        key=lambda r: r.revision or 0,
    )


def pending(order: PurchaseOrder) -> OrderRevision | None:
    """The revision waiting for approval of its increase, if any."""
    return next((r for r in order.revisions if r.status == RevisionStatus.PENDING_APPROVAL), None)


def of_number(order: PurchaseOrder, number: int) -> OrderRevision | None:
    return next((r for r in issued(order) if r.revision == number), None)


def label(order: PurchaseOrder, number: int | None = None) -> str:
    """ "PO-2026-00012 rev 1" (revision 0 is the number alone)."""
    number = order.revision if number is None else number
    return f"{order.number} rev {number}" if number else str(order.number)


def approved_amount(order: PurchaseOrder) -> Decimal:
    """What the approvers agreed to spend (base currency): the request's total at its
    frozen rate, or the total of a revision whose increase they approved, the higher."""
    pr = order.request
    base = pr.total_base if pr.total_base is not None else pr.total
    approved = [r.total_base for r in issued(order) if r.increase_base is not None]
    return max([base, *[a for a in approved if a is not None]])


def threshold(approved: Decimal) -> Decimal:
    """The increase allowed without approval: the lesser of the percent and the amount."""
    limits = tolerances.current()
    return min(round_money(approved * limits.percent / 100), limits.amount)


def check_revisable(order: PurchaseOrder, actor: User) -> None:
    """Refuse a revision ``actor`` may not propose now: 403 outside procurement, 409 while
    another waits for approval, and whatever the order's table refuses."""
    refused = permissions.procurement(actor, order)
    if refused is not None:
        raise Forbidden(refused)
    if pending(order) is not None and order.status in REVISABLE:
        raise InvalidTransition(
            f"{label(order)} has a revision waiting for approval of its increase; it is "
            "issued or withdrawn first."
        )
    workflow.check(ORDER, order, OrderAction.REVISE, actor)


def revise(
    order: PurchaseOrder,
    data: proposals.RevisionData,
    *,
    actor: User,
    expected_version: int | None = None,
) -> OrderRevision:
    """Propose a revision: issued at once when the increase is within the tolerance,
    otherwise waiting for the request's approvers."""
    check_revisable(order, actor)
    workflow.check_version(order, expected_version, "order")
    content, changed = proposals.validate(order, data)
    total = Decimal(content["total"])
    total_base = conversion.to_base(order, total)
    approved = approved_amount(order)
    increase = total_base - approved
    revision = OrderRevision(
        reason=data.reason,
        content=content,
        changes=changed,
        total=total,
        total_base=total_base,
        created_by_id=actor.id,
    )
    # A revision that does not raise the order's total needs nobody, whatever the order
    # stood at; one that raises it is judged on everything above the approved amount,
    # so that small rises one after another cannot creep past the approvers.
    raises = total_base > conversion.to_base(order, order.total)
    if raises and increase > threshold(approved):
        _ask_for_approval(order, revision, increase, actor)
    else:
        _issue(order, revision, actor=actor, action=OrderAction.REVISE)
    return revision


# The increase -------------------------------------------------------------------------------


def _ask_for_approval(
    order: PurchaseOrder, revision: OrderRevision, increase: Decimal, actor: User
) -> None:
    """Open a round of steps on the request for the increase, under the same policy:
    the thresholds see the increase, and over budget adds finance as usual."""
    pr = order.request
    workflow.check(REQUEST, pr, RequestAction.INCREASE, actor)
    steps = pr.steps  # loaded before anything changes
    check = budgets.check_amount(
        pr, increase, proposals.increase_per_category(order, revision.content)
    )
    base_words = format_money(increase, currencies.base())
    planned = policy.steps_for(
        pr,
        over_budget=check.message if check.over else None,
        total_base=increase,
        total_words=f"the increase of {base_words}",
    )
    if not planned:
        # No rule asks for anyone at this amount: the department step still signs off
        # spending more than was approved.
        planned = [
            policy.PlannedStep(
                "department",
                Role.APPROVER,
                10,
                (f"the increase of {base_words} is more than the tolerance",),
            )
        ]
    for step in planned:
        nobody = (
            db.session.scalar(
                permissions.eligible_deciders(pr, step.role).where(User.id != actor.id).limit(1)
            )
            is None
        )
        if nobody:
            raise ValidationError(
                f"Nobody but you can decide the {step.name} step of this increase; ask an "
                "administrator to assign someone."
            )
    revision.increase_base = increase
    # The order's transition first: its guard refuses a second revision waiting.
    workflow.apply(
        ORDER,
        order,
        OrderAction.REVISE,
        actor=actor,
        comment=revision.reason,
        changes={
            "revision_status": RevisionStatus.PENDING_APPROVAL.value,
            "proposed_total": str(revision.total),
            "increase_base": str(increase),
            "changes": revision.changes,
        },
    )
    order.revisions.append(revision)
    pr.approval_round += 1
    revision.approval_round = pr.approval_round
    for position, step in enumerate(planned, start=1):
        steps.append(
            ApprovalStep(
                round=pr.approval_round,
                position=position,
                name=step.name,
                role=step.role,
                reason=(
                    f"An increase of {base_words} proposed for {order.number} "
                    f"({revision.reason}): "
                    f"{step.reason[:1].lower()}{step.reason[1:]}"
                ),
                status=StepStatus.WAITING,
            )
        )
    workflow.apply(
        REQUEST,
        pr,
        RequestAction.INCREASE,
        actor=actor,
        comment=revision.reason,
        changes={
            "order": order.number,
            "increase_base": str(increase),
            "steps": [step.name for step in planned],
        },
    )


def on_transition(
    machine: Machine,
    doc: Any,
    action: Any,
    old: Any,
    new: Any,
    actor: User | None,
    **_: Any,
) -> None:
    """The request's increase steps decide the order's waiting revision: the last
    approval issues it, a rejection withdraws it. An order cancelled or closed
    withdraws it too (its request's transition cancels the steps still open)."""
    if machine is ORDER and action in ENDS:
        withdraw_pending(doc, why=f"The order was {new.value}.")
        return
    if machine is not REQUEST or old != RequestStatus.ORDERED:
        return
    if action not in (RequestAction.APPROVE, RequestAction.REJECT):
        return
    order = _order_waiting(doc)
    if order is None:
        return
    revision = pending(order)
    if revision is None:
        return
    if action == RequestAction.REJECT:
        _withdraw(order, revision, actor=actor, why="The increase was rejected.")
    elif doc.pending_step is None:
        _issue(order, revision, actor=actor, action=OrderAction.ISSUE_REVISION)


def _order_waiting(pr: Any) -> PurchaseOrder | None:
    return db.session.scalar(
        db.select(PurchaseOrder)
        .join(OrderRevision, OrderRevision.order_id == PurchaseOrder.id)
        .where(
            PurchaseOrder.request_id == pr.id,
            OrderRevision.approval_round == pr.approval_round,
            OrderRevision.issued_at.is_(None),
            OrderRevision.withdrawn_at.is_(None),
        )
    )


def withdraw_pending(order: PurchaseOrder, *, why: str) -> bool:
    """Withdraw the waiting revision as its order is cancelled or closed (the caller's
    transition records it); the request's transition that follows cancels the steps
    still open. Returns whether there was one."""
    revision = pending(order)
    if revision is None:
        return False
    _mark_withdrawn(revision, why)
    return True


def _mark_withdrawn(revision: OrderRevision, why: str) -> None:
    revision.withdrawn_at = utcnow()
    revision.withdrawn_reason = why


def proposed_quantities(order: PurchaseOrder) -> dict[int, Decimal]:
    """What the waiting revision orders of each existing line (0 for a line it removes);
    empty when none waits. Receiving stays within it, so that it can still be issued."""
    revision = pending(order)
    if revision is None or not revision.content:
        return {}
    kept = {item["line_id"]: Decimal(item["quantity"]) for item in revision.content["lines"]}
    return {line.id: kept.get(line.id, Decimal(0)) for line in order.lines}


def _withdraw(order: PurchaseOrder, revision: OrderRevision, *, actor: User | None, why: str):
    _mark_withdrawn(revision, why)
    workflow.apply(
        ORDER,
        order,
        OrderAction.WITHDRAW_REVISION,
        actor=actor,
        comment=why,
        changes={"proposed_total": str(revision.total)},
    )


@dataclasses.dataclass(frozen=True)
class _Numbered:
    """What the PDF shows of a revision: its number, when, why and what changed."""

    revision: int | None
    issued_at: dt.datetime | None
    reason: str
    changes: list[str]

    @classmethod
    def of(cls, revision: OrderRevision) -> _Numbered:
        return cls(revision.revision, revision.issued_at, revision.reason, revision.changes)


# Issuing -----------------------------------------------------------------------------------


def _apply_content(order: PurchaseOrder, content: dict[str, Any]) -> None:
    """Make the order read as the revision says: lines changed, added, removed."""
    keep = {line["line_id"] for line in content["lines"] if line["line_id"]}
    for line in list(order.lines):
        if line.id not in keep:
            order.lines.remove(line)
    by_id = {line.id: line for line in order.lines}
    for item in content["lines"]:
        line = by_id.get(item["line_id"])
        if line is None:
            line = OrderLine(position=item["position"], received_quantity=Decimal(0))
            order.lines.append(line)
        line.description = item["description"]
        line.quantity = Decimal(item["quantity"])
        line.unit = item["unit"]
        line.unit_price = Decimal(item["unit_price"])
        line.total = Decimal(item["total"])
    order.subtotal = Decimal(content["subtotal"])
    order.shipping = Decimal(content["shipping"])
    order.tax = Decimal(content["tax"])
    order.total = Decimal(content["total"])
    order.total_base = conversion.to_base(order, order.total)
    order.needed_by = dt.date.fromisoformat(content["needed_by"]) if content["needed_by"] else None
    order.delivery_address = content["delivery_address"]
    order.terms = content["terms"]
    order.payment_terms = content["payment_terms"]


def _issue(
    order: PurchaseOrder, revision: OrderRevision, *, actor: User | None, action: OrderAction
) -> None:
    """Number the revision, apply it to the order, freeze its PDF, send it."""
    if revision.status == RevisionStatus.PENDING_APPROVAL and action == OrderAction.ISSUE_REVISION:
        # Quantities received while it waited may now exceed what it proposed.
        short = [
            f"line {line.position}"
            for line in order.lines
            for item in revision.content["lines"]
            if item["line_id"] == line.id and line.received_quantity > Decimal(item["quantity"])
        ]
        if short:
            _withdraw(
                order,
                revision,
                actor=actor,
                why=f"More was received of {', '.join(short)} than the revision orders.",
            )
            return
    if revision not in order.revisions:
        order.revisions.append(revision)
    number = order.revision + 1
    _apply_content(order, revision.content)
    order.revision = number
    # Rendered as it will be issued; numbered once its PDF is stored (a CHECK ties an
    # issued revision to its PDF).
    pdf_view = dataclasses.replace(_Numbered.of(revision), revision=number, issued_at=utcnow())
    data = document.render(order, draft=False, revision=pdf_view)
    stored = attachments.store_bytes(
        data, f"{order.number}-rev{number}.pdf", "application/pdf", user=actor
    )
    revision.revision = number
    revision.issued_at = pdf_view.issued_at
    revision.pdf_attachment_id = stored.id
    revision.pdf_sha256 = stored.sha256
    order.pdf_attachment_id = stored.id
    order.pdf_sha256 = stored.sha256
    workflow.apply(
        ORDER,
        order,
        action,
        actor=actor,
        comment=revision.reason,
        changes={
            "revision": number,
            "revision_status": RevisionStatus.ISSUED.value,
            "pdf_sha256": stored.sha256,
            "content_sha256": document.content_reference(order),
            "total": str(order.total),
            "total_base": str(order.total_base),
            "changes": revision.changes,
        },
    )
    address = sourcing.vendor_address(order.vendor)
    if address:
        vendor_mail.queue_change_order(order, address, stored, revision)


def get_document(order: PurchaseOrder, number: int | None) -> tuple[bytes, str]:
    """An issued revision's frozen PDF (the latest when ``number`` is None); the caller
    has loaded the order through ``access``."""
    if number is not None and order.pdf is None:
        raise ValidationError.field("revision", "A draft order has no revisions yet.")
    if number is None or number == order.revision:
        return document.document(order)
    revision = of_number(order, number)
    if revision is None or revision.pdf is None:
        raise ValidationError.field("revision", f"{order.number} has no revision {number}.")
    name = f"{order.number}-rev{number}" if number else order.number
    return attachments.read_bytes(revision.pdf), f"{name}.pdf"
