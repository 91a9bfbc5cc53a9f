"""Writing notifications to the outbox with each transition, and reading them back.

``on_transition`` runs inside ``workflow.apply``, so the rows it adds commit with the
transition and its audit event, or not at all. Each row is one e-mail to one person,
rendered when it is written (subject, text, HTML) from ``templates/email/``; the
sender (``mail.py``) only delivers what is stored.

Who is told what:

- a step becomes pending (the request is submitted, or the step before it approved):
  everyone who may decide it in their own right — the step's role holders (approvers
  of the request's department for the department step), active, not the requester,
  not someone who decided another step of this round — and the active delegates of
  each of them who hold the step's role ("you stand in for ...");
- the request is approved, rejected (with the reason) or returned (with the comment):
  the requester;
- goods of the request's order are received, in part or in full: the requester (unless
  they recorded the receipt themselves), with what arrived and how far the order is
  received — one e-mail per receipt, so that a partial delivery can be put to use;
- a vendor invoice goes on hold, or a vendor sends one through its link: see
  ``invoices.py``.

One e-mail per person per event, however many ways they qualify.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from flask import current_app

from .. import action_links, delegation, permissions, receiving, workflow
from ..extensions import db
from ..models import (
    ApprovalStep,
    InvoiceStatus,
    Notification,
    NotificationStatus,
    OrderRevision,
    PurchaseOrder,
    PurchaseRequest,
    RequestStatus,
    User,
    utcnow,
)
from ..workflow import OrderAction, RequestAction
from . import invoices as invoice_mail
from .inbox import (  # noqa: F401 -- the in-app list, known to callers as services'
    get_own,
    list_query,
    mark_all_read,
    mark_read,
    unread_count,
    unread_count_for_page,
)

log = logging.getLogger("procure.notifications")

SUBJECT_MAX = 300  # the column's length

STEP_PENDING = "step_pending"
REQUEST_APPROVED = "request_approved"
REQUEST_REJECTED = "request_rejected"
REQUEST_RETURNED = "request_returned"
ORDER_RECEIVED = "order_received"
WELCOME = "welcome"
CONTRACT_REMINDER = "contract_reminder"
APPROVAL_OVERDUE = "approval_overdue"
INCREASE_DECIDED = "increase_decided"
# The asset register's (assets/reminders.py, assets/leavers.py).
ASSET_WARRANTY_ENDING = "asset_warranty_ending"
ASSET_LEAVER = "asset_leaver"
# Framework agreements' (agreements/reminders.py): the end near, 80 % consumed.
AGREEMENT_EXPIRING = "agreement_expiring"
AGREEMENT_CONSUMED = "agreement_consumed"
KINDS = (
    INCREASE_DECIDED,
    STEP_PENDING,
    REQUEST_APPROVED,
    REQUEST_REJECTED,
    REQUEST_RETURNED,
    ORDER_RECEIVED,
    WELCOME,
    CONTRACT_REMINDER,
    APPROVAL_OVERDUE,
    ASSET_WARRANTY_ENDING,
    ASSET_LEAVER,
    AGREEMENT_EXPIRING,
    AGREEMENT_CONSUMED,
    invoice_mail.INVOICE_HELD,
    invoice_mail.INVOICE_FROM_VENDOR,
)

# What the requester hears when a decision ends the request's approval (or sends it back).
_REQUESTER_KINDS = {
    RequestAction.REJECT: REQUEST_REJECTED,
    RequestAction.RETURN: REQUEST_RETURNED,
}


# Rendering ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


# Line breaks of every kind (and other control characters) would end a header line.
_NOT_IN_A_HEADER = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


def clean_subject(subject: str) -> str:
    """One line, whatever a user typed into a title: no CR/LF, no control characters."""
    one_line = " ".join(_NOT_IN_A_HEADER.sub(" ", subject).split())
    return one_line if len(one_line) <= SUBJECT_MAX else one_line[: SUBJECT_MAX - 1] + "…"


def render(kind: str, **context: Any) -> Rendered:
    """The e-mail of ``kind``: ``email/<kind>.subject.txt``, ``.txt`` and ``.html``.

    Rendered with the app's Jinja environment but without the page context (no
    request, no signed-in user): the HTML is autoescaped, the text is not."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    env = current_app.jinja_env
    subject = clean_subject(env.get_template(f"email/{kind}.subject.txt").render(**context))
    text = env.get_template(f"email/{kind}.txt").render(subject=subject, **context)
    html = env.get_template(f"email/{kind}.html").render(subject=subject, **context)
    return Rendered(subject=subject, text=text.strip() + "\n", html=html)


def absolute_link(path: str) -> str:
    """A link for an e-mail: ``PROCURE_BASE_URL`` + the page's path."""
    return current_app.config["PROCURE_BASE_URL"].rstrip("/") + path


def queue(
    user: User,
    kind: str,
    *,
    path: str,
    entity: str | None = None,
    entity_id: int | None = None,
    **context: Any,
) -> Notification:
    """Add one notification for ``user`` to the current transaction (not flushed)."""
    link = absolute_link(path)
    rendered = render(kind, recipient=user, link=link, **context)
    notification = Notification(
        user_id=user.id,
        email=user.email,
        kind=kind,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        link=link,
        entity=entity,
        entity_id=entity_id,
        status=NotificationStatus.PENDING,
        attempts=0,
        next_attempt_at=utcnow(),
        last_error="",
    )
    db.session.add(notification)
    return notification


# Who hears of a transition -------------------------------------------------------------


@dataclasses.dataclass
class Recipient:
    user: User
    # Empty when the person may decide in their own right.
    stands_in_for: list[User] = dataclasses.field(default_factory=list)


def _deciders_so_far(pr: PurchaseRequest) -> set[int]:
    """Who decided a step of this round, themselves or through a delegate."""
    return {
        person_id
        for step in pr.current_steps
        for person_id in (step.decided_by_id, step.on_behalf_of_id)
        if person_id is not None
    }


def step_recipients(
    pr: PurchaseRequest, step: ApprovalStep, *, excluded: Collection[int] = ()
) -> list[Recipient]:
    """Everyone who may decide ``step`` (see the module's docstring), once each."""
    excluded = {*excluded, pr.requester_id}
    holders = [
        user
        for user in db.session.scalars(
            sa.select(User)
            .where(User.id.in_(permissions.eligible_deciders(pr, step.role)))
            .order_by(User.id)
        )
        if user.id not in excluded
    ]
    recipients = {holder.id: Recipient(holder) for holder in holders}
    in_own_right = set(recipients)
    stand_ins = delegation.delegates_of_each(holders)
    for holder in holders:
        for stand_in in stand_ins[holder.id]:
            if stand_in.id in excluded or step.role not in stand_in.roles:
                continue
            entry = recipients.setdefault(stand_in.id, Recipient(stand_in))
            # Someone who may decide in their own right is told so, not as a stand-in.
            if stand_in.id not in in_own_right:
                entry.stands_in_for.append(holder)
    return list(recipients.values())


def _just_decided(pr: PurchaseRequest) -> ApprovalStep | None:
    """The step of this round decided last: steps are decided in order."""
    decided = [step for step in pr.current_steps if step.decided_at is not None]
    return decided[-1] if decided else None


def _request_path(pr: PurchaseRequest) -> str:
    return f"/requests/{pr.id}"


def tell_deciders(
    pr: PurchaseRequest, step: ApprovalStep, *, actor: User, excluded: Collection[int] = ()
) -> list[Notification]:
    """Ask each of the step's deciders, with the links that decide it from the e-mail."""
    recipients = step_recipients(pr, step, excluded=excluded)
    links = action_links.mint([r.user for r in recipients], pr, step, now=utcnow())
    return [
        queue(
            recipient.user,
            STEP_PENDING,
            path=_request_path(pr),
            entity="request",
            entity_id=pr.id,
            pr=pr,
            step=step,
            actor=actor,
            stands_in_for=recipient.stands_in_for,
            decide=links[recipient.user.id],
        )
        for recipient in recipients
    ]


def tell_requester(
    pr: PurchaseRequest,
    kind: str,
    *,
    actor: User,
    on_behalf_of: User | None,
    comment: str,
    step: ApprovalStep | None,
) -> Notification | None:
    if not pr.requester.active:
        return None
    return queue(
        pr.requester,
        kind,
        path=_request_path(pr),
        entity="request",
        entity_id=pr.id,
        pr=pr,
        step=step,
        actor=actor,
        on_behalf_of=on_behalf_of,
        comment=comment,
    )


def tell_received(order: PurchaseOrder, *, actor: User, note: str) -> Notification | None:
    """Tell the requester what arrived with the order's latest receipt, and how far
    the order is received now."""
    pr = order.request
    requester = pr.requester
    if not requester.active or requester.id == actor.id:
        return None
    receipt = max(order.receipts, key=lambda r: r.id)
    by_id = {line.id: line for line in order.lines}
    arrived = [(by_id[item.order_line_id], item.quantity) for item in receipt.lines]
    return queue(
        requester,
        ORDER_RECEIVED,
        path=_request_path(pr),
        entity="request",
        entity_id=pr.id,
        pr=pr,
        order=order,
        receipt=receipt,
        arrived=sorted(arrived, key=lambda item: item[0].position),
        state=receiving.of(order),
        actor=actor,
        note=note,
    )


def queue_all(outgoing: list[invoice_mail.Outgoing]) -> list[Notification]:
    """Queue what ``invoices.py`` decided to say, and flush."""
    notes = [
        queue(
            item.user,
            item.kind,
            path=item.path,
            entity=item.entity,
            entity_id=item.entity_id,
            **item.context,
        )
        for item in outgoing
    ]
    db.session.flush()
    return notes


def on_transition(
    machine: workflow.Machine,
    doc: Any,
    action: Any,
    old: Any,
    new: Any,
    actor: User,
    *,
    comment: str = "",
    on_behalf_of: User | None = None,
) -> None:
    """The ``workflow.on_transition`` listener.

    It runs inside ``apply``, once the request and its steps have moved: the step just
    decided records its decision, and the step whose turn came is the pending one.
    An order's receipt is stored, its lines counted, before its transition.
    """
    if machine is workflow.ORDER and action == OrderAction.RECEIVE:
        tell_received(doc, actor=actor, note=comment)
        db.session.flush()
        return
    if machine is workflow.INVOICE:
        if new == InvoiceStatus.ON_HOLD and old != InvoiceStatus.ON_HOLD:
            queue_all(invoice_mail.held(doc, actor=actor))
        return
    if machine is not workflow.REQUEST:
        return
    pr: PurchaseRequest = doc
    if old == RequestStatus.ORDERED and new == RequestStatus.ORDERED:
        _tell_of_increase(pr, action, actor, comment=comment, on_behalf_of=on_behalf_of)
        db.session.flush()
        return
    if action == RequestAction.SUBMIT and pr.pending_step is not None:
        tell_deciders(pr, pr.pending_step, actor=actor)
    elif action == RequestAction.APPROVE and new == RequestStatus.APPROVED:
        tell_requester(
            pr,
            REQUEST_APPROVED,
            actor=actor,
            on_behalf_of=on_behalf_of,
            comment=comment,
            step=_just_decided(pr),
        )
    elif action == RequestAction.APPROVE:
        if pr.pending_step is not None:
            # Who decided a step of this round, the one just approved included, is not
            # asked again.
            excluded = _deciders_so_far(pr)
            tell_deciders(pr, pr.pending_step, actor=actor, excluded=excluded)
    elif action in _REQUESTER_KINDS:
        tell_requester(
            pr,
            _REQUESTER_KINDS[action],
            actor=actor,
            on_behalf_of=on_behalf_of,
            comment=comment,
            step=_just_decided(pr),
        )
    else:
        return
    db.session.flush()


def _tell_of_increase(
    pr: PurchaseRequest,
    action: Any,
    actor: User,
    *,
    comment: str,
    on_behalf_of: User | None,
) -> None:
    """An order's increase: its steps' deciders are asked in turn, never the person
    who proposed it; the proposer hears how it ended."""
    revision = db.session.scalar(
        sa.select(OrderRevision)
        .join(PurchaseOrder, PurchaseOrder.id == OrderRevision.order_id)
        .where(
            PurchaseOrder.request_id == pr.id,
            OrderRevision.approval_round == pr.approval_round,
        )
    )
    if revision is None:
        return
    proposer = revision.created_by
    excluded = _deciders_so_far(pr) | ({proposer.id} if proposer else set())
    if pr.pending_step is not None and action in (RequestAction.INCREASE, RequestAction.APPROVE):
        tell_deciders(pr, pr.pending_step, actor=actor, excluded=excluded)
        return
    if proposer is None or not proposer.active or action == RequestAction.INCREASE:
        return
    queue(
        proposer,
        INCREASE_DECIDED,
        path=f"/orders/{revision.order_id}",
        entity="order",
        entity_id=revision.order_id,
        pr=pr,
        order=revision.order,
        revision=revision,
        approved=action == RequestAction.APPROVE,
        actor=actor,
        on_behalf_of=on_behalf_of,
        comment=comment,
    )
