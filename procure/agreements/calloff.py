"""Call-offs: a draft purchase order straight from an active agreement, at its agreed
prices, for an approved request built from its catalogue items. What a call-off orders
is consumed in its transaction, under the agreement's row lock; cancelling the order
gives it back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app

from .. import access, audit, settings
from ..errors import Conflict, InvalidTransition
from ..extensions import db
from ..machines import Machine
from ..models import (
    Agreement,
    AgreementItem,
    AgreementStatus,
    OrderLine,
    OrderStatus,
    PurchaseOrder,
    PurchaseRequest,
    RequestStatus,
    User,
)
from ..money import format_money, format_quantity, round_money
from ..workflow import ORDER, REQUEST, OrderAction, RequestAction


def _refuse(message: str) -> InvalidTransition:
    return InvalidTransition(message)


def _live_call_off(pr: PurchaseRequest) -> PurchaseOrder | None:
    return db.session.scalar(
        sa.select(PurchaseOrder)
        .where(
            PurchaseOrder.request_id == pr.id,
            PurchaseOrder.agreement_id.is_not(None),
            PurchaseOrder.status != OrderStatus.CANCELLED,
        )
        .limit(1)
    )


def check(agreement: Agreement, pr: PurchaseRequest, today: dt.date | None = None) -> None:
    """Raise why ``pr`` cannot be called off ``agreement`` now (409s, by reason)."""
    today = today or dt.date.today()
    if agreement.status != AgreementStatus.ACTIVE:
        raise _refuse(f"{agreement.number} is {agreement.status.value}; it takes no call-off.")
    if not agreement.start_date <= today <= agreement.end_date:
        raise _refuse(
            f"{agreement.number} runs from {agreement.start_date.isoformat()} to "
            f"{agreement.end_date.isoformat()}; it takes no call-off today."
        )
    if pr.status != RequestStatus.APPROVED:
        raise _refuse(f"{pr.number} is {pr.status.value.replace('_', ' ')}, not approved.")
    items = {item.id: item for item in agreement.items}
    if not pr.lines or any(line.catalogue_item_id not in items for line in pr.lines):
        raise _refuse(f"Every line of {pr.number} must be a catalogue item of {agreement.number}.")
    if pr.currency != agreement.currency:
        raise _refuse(
            f"{pr.number} is in {pr.currency}, {agreement.number} in {agreement.currency}."
        )
    if _live_call_off(pr) is not None:
        raise _refuse(f"{pr.number} already has a call-off order.")
    wanted: dict[int, Decimal] = {}
    for line in pr.lines:
        wanted[line.catalogue_item_id] = wanted.get(line.catalogue_item_id, Decimal("0")) + (
            line.quantity
        )
    for item_id, quantity in wanted.items():
        item = items[item_id]
        if item.remaining is not None and item.remaining < quantity:
            raise _refuse(
                f"Only {format_quantity(item.remaining)} of {item.description} remain on "
                f"{agreement.number}."
            )
    total = _total(agreement, pr)
    if agreement.ceiling is not None and agreement.consumed + total > agreement.ceiling:
        raise _refuse(
            f"Only {format_money(agreement.ceiling - agreement.consumed, agreement.currency)} "
            "remain under the ceiling."
        )


def _total(agreement: Agreement, pr: PurchaseRequest) -> Decimal:
    items = {item.id: item for item in agreement.items}
    return sum(
        (
            round_money(
                line.quantity * items[line.catalogue_item_id].unit_price, agreement.currency
            )
            for line in pr.lines
        ),
        Decimal("0.00"),
    )


def call_off(agreement: Agreement, pr: PurchaseRequest, actor: User) -> PurchaseOrder:
    """A draft order for ``pr`` from ``agreement``. The agreement is re-read under its row
    lock, so that of two call-offs racing for the last units one waits and is refused."""
    access.require(actor, "manage_agreements", action="call off framework agreements")
    db.session.refresh(agreement, with_for_update=True)
    for item in agreement.items:
        db.session.refresh(item)
    check(agreement, pr)
    items = {item.id: item for item in agreement.items}
    lines = []
    for line in sorted(pr.lines, key=lambda line: line.position):
        item = items[line.catalogue_item_id]
        lines.append(
            OrderLine(
                position=line.position,
                request_line_id=line.id,
                description=item.description,
                quantity=line.quantity,
                unit=item.unit,
                unit_price=item.unit_price,
                total=round_money(line.quantity * item.unit_price, agreement.currency),
            )
        )
        item.ordered += line.quantity
    total = sum((line.total for line in lines), Decimal("0.00"))
    agreement.consumed += total
    order = PurchaseOrder(
        request=pr,
        agreement_id=agreement.id,
        vendor_id=agreement.vendor_id,
        currency=agreement.currency,
        subtotal=total,
        shipping=Decimal("0.00"),
        tax=Decimal("0.00"),
        total=total,
        needed_by=pr.needed_by,
        terms=agreement.terms,
        delivery_address=current_app.config.get("PROCURE_DELIVERY_ADDRESS", ""),
        created_by_id=actor.id,
        lines=lines,
    )
    db.session.add(order)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        raise Conflict(
            f"{agreement.number} changed at the same time; reload it and try again."
        ) from None
    audit.record(
        "agreement",
        agreement.id,
        "call_off",
        actor=actor,
        changes={
            "request": pr.number,
            "order": order.id,
            "total": str(total),
            "consumed": str(agreement.consumed),
            "items": {str(rl.catalogue_item_id): str(rl.quantity) for rl in pr.lines},
        },
    )
    audit.record(
        "order",
        order.id,
        "create",
        actor=actor,
        changes={
            "request": pr.number,
            "agreement": agreement.number,
            "vendor": agreement.vendor.name,
            "total": str(order.total),
        },
    )
    return order


def give_back(order: PurchaseOrder, actor: User | None) -> None:
    """A cancelled call-off returns its quantities and amount to its agreement."""
    agreement = db.session.get(Agreement, order.agreement_id, with_for_update=True)
    if agreement is None:
        return
    db.session.refresh(agreement, with_for_update=True)
    by_line = {line.id: line for line in order.request.lines}
    returned = Decimal("0.00")
    for line in order.lines:
        request_line = by_line.get(line.request_line_id)
        item = (
            db.session.get(AgreementItem, request_line.catalogue_item_id)
            if request_line is not None and request_line.catalogue_item_id is not None
            else None
        )
        if item is not None and item.agreement_id == agreement.id:
            db.session.refresh(item)
            item.ordered = max(Decimal("0"), item.ordered - line.quantity)
        returned += line.total
    agreement.consumed = max(Decimal("0.00"), agreement.consumed - returned)
    db.session.flush()
    audit.record(
        "agreement",
        agreement.id,
        "give_back",
        actor=actor,
        changes={"order": order.number or order.id, "total": str(returned)},
    )


def auto_call_off(pr: PurchaseRequest) -> PurchaseOrder | None:
    """With ``agreements.auto_call_off``: the call-off of a request whose lines are all
    items of one active agreement, by the agreement's creator; None when it cannot be
    (the request stays approved)."""
    if not settings.get("agreements.auto_call_off"):
        return None
    ids = {line.catalogue_item_id for line in pr.lines}
    if not pr.lines or None in ids:
        return None
    agreement_ids = set(
        db.session.scalars(
            sa.select(AgreementItem.agreement_id).where(AgreementItem.id.in_(ids))
        ).all()
    )
    if len(agreement_ids) != 1:
        return None
    agreement = db.session.get(Agreement, agreement_ids.pop())
    if agreement is None or agreement.status != AgreementStatus.ACTIVE:
        return None
    creator = agreement.created_by
    if not creator.active or not access.may(creator, "manage_agreements"):
        return None
    savepoint = db.session.begin_nested()
    try:
        order = call_off(agreement, pr, creator)
    except (InvalidTransition, Conflict):
        savepoint.rollback()
        return None
    savepoint.commit()
    return order


def on_transition(
    machine: Machine, doc: Any, action: Any, old: Any, new: Any, actor: User | None, **_: Any
) -> None:
    """Cancelling a call-off order gives back; an approved catalogue request may be
    called off at once (an admin setting)."""
    if machine is ORDER and action == OrderAction.CANCEL and doc.agreement_id is not None:
        give_back(doc, actor)
    elif (
        machine is REQUEST
        and new == RequestStatus.APPROVED
        and old != RequestStatus.APPROVED
        and action in (RequestAction.APPROVE, RequestAction.SUBMIT)
    ):
        auto_call_off(doc)
