"""What a purchase request's page shows, gathered in one call: the view renders it."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from ... import access, currencies, permissions, policy, rates, receiving, request_types
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
    utcnow,
)
from ...money import format_date, format_money
from ...reports import splits
from .decisions import allowed_actions, budget_check, preview_steps, todays_rate
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
    split_report: bool  # the split warning links to the report (who may read reports)
    rfqs: list[Rfq]
    orders: list[PurchaseOrder]
    can_source: bool  # the user may invite vendors to quote now
    # How far each issued order is received: "PO-2026-00003 partially received (3 of 5)".
    deliveries: list[receiving.Receiving]
    over_budget: bool  # show the "Over budget" badge
    # A foreign-currency draft's: the rate submitting it today would freeze (None:
    # there is none yet, and submitting is refused until finance enters one).
    todays_rate: rates.Rate | None = None
    missing_rate: str | None = None  # why a foreign draft cannot be submitted yet
    # The request type's name and its field values as (label, value), in the type's order.
    type_name: str | None = None
    type_fields: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    # A draft's steps the policy skips because every line is a catalogue item.
    skipped_for_catalogue: list[str] = dataclasses.field(default_factory=list)


def detail(pr: PurchaseRequest, user: User) -> RequestPage:
    """Everything the page of ``pr`` shows to ``user``."""
    actions = allowed_actions(pr, user)
    preview: list[policy.PlannedStep] = []
    skipped: list[str] = []
    budget_warning = None
    rate = missing_rate = None
    if pr.status == RequestStatus.DRAFT:
        rate = todays_rate(pr)
        if rate is None:
            missing_rate = rates.missing_message(pr.currency, utcnow().date())
        else:
            check = budget_check(pr, rate)
            preview = preview_steps(pr, check, rate)
            skipped = policy.skipped_for_catalogue(
                pr,
                over_budget=check.message if check.over else None,
                total_base=rates.to_base(pr.total, rate),
            )
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
    request_type = request_types.by_code(pr.type_code)
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
        split_report=access.may(user, "read_reports"),
        rfqs=rfqs,
        orders=orders,
        can_source=pr.status == RequestStatus.APPROVED
        and access.may(user, "source_requests")
        and not any(rfq.status in SOURCING for rfq in rfqs),
        deliveries=[receiving.of(order) for order in orders if order.status in receiving.LIVE],
        over_budget=pr.over_budget and pr.status in OVER_BUDGET_SHOWN,
        todays_rate=rate if rate is not None and not rate.is_base else None,
        missing_rate=missing_rate,
        type_name=request_type.name if request_type else pr.type_code,
        type_fields=request_types.labelled(request_type, pr.fields),
        skipped_for_catalogue=skipped,
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


def rate_text(rate: Decimal) -> str:
    """A rate as people read it: its decimals without trailing zeros ("1.0825", "150")."""
    text = f"{rate:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def base_note(pr: PurchaseRequest) -> str | None:
    """The base amount beside a foreign request's total, with the rate frozen at its
    submit and that rate's date: "≈ $5,280.00 at 1.1 on Dec 1, 2026". None for the
    base currency, and for a draft (nothing is frozen yet; its page says more)."""
    if pr.currency == currencies.base() or pr.status == RequestStatus.DRAFT:
        return None
    if pr.total_base is None or pr.rate is None:
        return None
    return (
        f"≈ {format_money(pr.total_base, currencies.base())} at {rate_text(pr.rate)} "
        f"on {format_date(pr.rate_date)}"
    )


def draft_estimate(pr: PurchaseRequest, rate: rates.Rate) -> str:
    """A foreign draft's base amount at today's rate, which submitting would freeze."""
    return (
        f"≈ {format_money(rates.to_base(pr.total, rate), currencies.base())} at today's "
        f"rate, {rate_text(rate.rate)} on {format_date(rate.date)}; the rate is frozen "
        "when the request is submitted"
    )
