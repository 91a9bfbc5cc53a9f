"""What a purchase request's page shows, gathered in one call: the view renders it."""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa

from ... import access, permissions, policy, receiving
from ...extensions import db
from ...history import entries as history_entries
from ...models import (
    ApprovalStep,
    AuditEvent,
    PurchaseOrder,
    PurchaseRequest,
    RequestStatus,
    Rfq,
    RfqStatus,
    User,
)
from ...reports import splits
from .decisions import allowed_actions, budget_check, preview_steps
from .queries import history

DECIDING = ("approve", "reject", "return")
# The "Over budget" badge speaks to whoever still decides; once ordered, it is history.
OVER_BUDGET_SHOWN = (RequestStatus.PENDING_APPROVAL, RequestStatus.APPROVED)
# An RFQ in one of these is still under way: the request is being sourced already.
SOURCING = (RfqStatus.DRAFT, RfqStatus.OPEN)


@dataclasses.dataclass
class RequestPage:
    request: PurchaseRequest
    steps: list[ApprovalStep]  # of the latest submission
    actions: list[str]  # what the user may do: the buttons
    timeline: list[dict[str, Any]]
    # When the user decides: for whom (a delegator), or None in their own right.
    on_behalf_of: User | None
    # When the user may not decide the pending step: why not.
    decision_reason: str | None
    # A draft's: the steps submitting it would need, and how it stands to its budget.
    preview: list[policy.PlannedStep]
    budget_warning: str | None
    split_flags: list[splits.Split]
    rfqs: list[Rfq]
    orders: list[PurchaseOrder]
    can_source: bool  # the user may invite vendors to quote now
    # How far each issued order is received: "PO-2026-00003 partially received (3 of 5)".
    deliveries: list[receiving.Receiving]
    over_budget: bool  # show the "Over budget" badge


def detail(pr: PurchaseRequest, user: User) -> RequestPage:
    """Everything the page of ``pr`` shows to ``user``."""
    actions = allowed_actions(pr, user)
    preview: list[policy.PlannedStep] = []
    budget_warning = None
    if pr.status == RequestStatus.DRAFT:
        check = budget_check(pr)
        preview = preview_steps(pr, check)
        budget_warning = check.message
    rfqs = list(db.session.scalars(sa.select(Rfq).where(Rfq.request_id == pr.id).order_by(Rfq.id)))
    orders = list(
        db.session.scalars(
            sa.select(PurchaseOrder)
            .where(PurchaseOrder.request_id == pr.id)
            .order_by(PurchaseOrder.id)
        )
    )
    deciding = any(action in actions for action in DECIDING)
    return RequestPage(
        request=pr,
        steps=pr.current_steps,
        actions=actions,
        timeline=timeline(history(pr)),
        on_behalf_of=permissions.decision_capacity(user, pr)[0] if "approve" in actions else None,
        decision_reason=None if deciding else _why_not_decide(pr, user),
        preview=preview,
        budget_warning=budget_warning,
        split_flags=splits.flag_for(pr, user),
        rfqs=rfqs,
        orders=orders,
        can_source=pr.status == RequestStatus.APPROVED
        and access.may(user, "source_requests")
        and not any(rfq.status in SOURCING for rfq in rfqs),
        deliveries=[receiving.of(order) for order in orders if order.status in receiving.LIVE],
        over_budget=pr.over_budget and pr.status in OVER_BUDGET_SHOWN,
    )


def _why_not_decide(pr: PurchaseRequest, user: User) -> str | None:
    if pr.status != RequestStatus.PENDING_APPROVAL:
        return None
    return permissions.may_decide(user, pr)


def timeline(events: list[AuditEvent]) -> list[dict[str, Any]]:
    """The request's history as the page lists it: what (on which step), who (for
    whom), when, why; in the words every document's history uses."""
    return history_entries("request", events, detail=_step)


def _step(_event: AuditEvent, changes: dict[str, Any]) -> tuple[str, str | None]:
    return (f" — {changes['step']} step" if changes.get("step") else ""), None
