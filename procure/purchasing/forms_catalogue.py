"""A catalogue item as a line of the request form: ``/requests/new?item=<id>&quantity=5``
starts a request from it, ``/requests/<id>/edit?item=…`` adds it to a draft."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from .. import access
from ..extensions import db
from ..models import (
    Agreement,
    AgreementItem,
    AgreementStatus,
    OrderStatus,
    PurchaseOrder,
    PurchaseRequest,
    RequestStatus,
    User,
)
from ..money import MoneyError, parse_quantity
from .forms import RequestForm


def _number(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def orderable_item(raw_id: str | None) -> AgreementItem | None:
    """The catalogue item ``raw_id`` names, while its agreement is active."""
    item_id = _number(raw_id)
    item = db.session.get(AgreementItem, item_id) if item_id else None
    return item if item is not None and _open(item.agreement) else None


def _open(agreement: Agreement) -> bool:
    """Whether the agreement takes call-offs today: active and within its dates."""
    today = dt.date.today()
    return agreement.status is AgreementStatus.ACTIVE and (
        agreement.start_date <= today <= agreement.end_date
    )


def _quantity(raw: str | None) -> Decimal:
    try:
        return parse_quantity(raw or "1")
    except MoneyError:
        return Decimal("1")


def add_item(form: RequestForm, item: AgreementItem, raw_quantity: str | None) -> None:
    """Fill the form's first line if it is empty, else add a line, with ``item`` at
    its agreed price; a new request takes the item's name and its agreement's currency."""
    entries = form.lines.entries
    blank = len(entries) == 1 and not (entries[0].form.description.data or "").strip()
    line = entries[0].form if blank else form.lines.append_entry().form
    line.description.data = item.description
    line.category.data = item.category
    line.unit.data = item.unit
    line.unit_price.data = str(item.unit_price)
    line.quantity.data = str(_quantity(raw_quantity))
    line.catalogue_item_id.data = str(item.id)
    if not form.title.data:
        form.title.data = item.description[:200]
    if blank:
        form.currency.data = item.agreement.currency


def call_off_from(pr: PurchaseRequest, user: User) -> Agreement | None:
    """The active agreement an approved request may be called off, for who manages
    agreements: every line an item of that one agreement, and no call-off order yet
    (the call-off itself checks the quantities and the ceiling)."""
    if pr.status is not RequestStatus.APPROVED or not access.may(user, "manage_agreements"):
        return None
    item_ids = {line.catalogue_item_id for line in pr.lines}
    if not item_ids or None in item_ids:
        return None
    agreement_ids = set(
        db.session.scalars(
            sa.select(AgreementItem.agreement_id).where(AgreementItem.id.in_(item_ids))
        )
    )
    if len(agreement_ids) != 1:
        return None
    agreement = db.session.get(Agreement, agreement_ids.pop())
    if agreement is None or not _open(agreement):
        return None
    called_off = db.session.scalar(
        sa.select(PurchaseOrder.id)
        .where(
            PurchaseOrder.request_id == pr.id,
            PurchaseOrder.agreement_id.is_not(None),
            PurchaseOrder.status != OrderStatus.CANCELLED,
        )
        .limit(1)
    )
    return None if called_off is not None else agreement
