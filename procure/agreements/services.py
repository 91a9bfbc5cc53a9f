"""Framework agreements: writing a draft with its items, activating, closing, and the
end dates that expire them (``send-reminders``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from .. import access, audit, currencies, numbering, workflow
from ..errors import Forbidden, InvalidTransition
from ..extensions import db
from ..models import (
    Agreement,
    AgreementItem,
    AgreementStatus,
    Rfq,
    User,
    Vendor,
    VendorStatus,
    utcnow,
)
from ..money import MAX_AMOUNT, minor_units
from ..reference import category_names
from ..validation import FieldErrors
from ..workflow import AGREEMENT, AGREEMENT_USER_ACTIONS, AgreementAction

TITLE_MAX = 200
TEXT_MAX = 10_000
MAX_ITEMS = 500


@dataclasses.dataclass
class ItemData:
    description: str
    unit_price: Decimal
    category: str = "other"
    unit: str = "each"
    max_quantity: Decimal | None = None


@dataclasses.dataclass
class AgreementData:
    vendor_id: int | None
    title: str
    start_date: dt.date | None
    end_date: dt.date | None
    currency: str | None
    items: list[ItemData]
    ceiling: Decimal | None = None
    rfq_id: int | None = None
    terms: str = ""


def _places(amount: Decimal) -> int:
    exponent = amount.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _check(data: AgreementData) -> tuple[FieldErrors, dict[str, Any]]:
    """Every problem of an agreement's content, by field, and what it cleans."""
    errors = FieldErrors()
    title = errors.text(
        data.title, "title", max_length=TITLE_MAX, required=True, missing="Give it a title."
    )
    terms = errors.text(data.terms, "terms", max_length=TEXT_MAX)
    vendor = db.session.get(Vendor, data.vendor_id) if data.vendor_id else None
    if vendor is None:
        errors.add("vendor_id", "Choose a vendor of the register.")
    elif vendor.status != VendorStatus.APPROVED:
        errors.add("vendor_id", f"{vendor.name} is {vendor.status.value}, not approved.")
    currency = currencies.base()
    if not (data.currency or "").strip():
        pass
    elif not currencies.is_enabled(data.currency):
        errors.add("currency", "Choose an enabled currency.")
    else:
        currency = str(data.currency)
    if data.start_date is None:
        errors.add("start_date", "Give the date the agreement starts.")
    if data.end_date is None:
        errors.add("end_date", "Give the date the agreement ends.")
    elif data.start_date is not None and data.end_date < data.start_date:
        errors.add("end_date", "The agreement cannot end before it starts.")
    places = minor_units(currency)
    if data.ceiling is not None:
        if data.ceiling <= 0:
            errors.add("ceiling", "The ceiling must be greater than zero, or left empty.")
        elif data.ceiling > MAX_AMOUNT or _places(data.ceiling) > places:
            errors.add("ceiling", f"Give a {currency} amount with at most {places} decimals.")
    rfq = db.session.get(Rfq, data.rfq_id) if data.rfq_id is not None else None
    if data.rfq_id is not None and rfq is None:
        errors.add("rfq_id", "There is no such RFQ.")
    if not data.items:
        errors.add("items", "Add at least one item.")
    elif len(data.items) > MAX_ITEMS:
        errors.add("items", f"An agreement has at most {MAX_ITEMS} items.")
    categories = set(category_names())
    for index, item in enumerate(data.items):
        prefix = f"items.{index}"
        errors.text(
            item.description,
            f"{prefix}.description",
            max_length=TEXT_MAX,
            required=True,
            missing="Describe the item.",
        )
        if (item.category or "other") not in categories:
            errors.add(f"{prefix}.category", f"There is no category {item.category!r}.")
        if not (item.unit or "each").strip() or len(item.unit or "") > TITLE_MAX:
            errors.add(f"{prefix}.unit", f"Give a unit of at most {TITLE_MAX} characters.")
        if item.unit_price is None or item.unit_price < 0:
            errors.add(f"{prefix}.unit_price", "The unit price must not be negative.")
        elif item.unit_price > MAX_AMOUNT or _places(item.unit_price) > places:
            errors.add(
                f"{prefix}.unit_price", f"A {currency} amount has at most {places} decimal places."
            )
        if item.max_quantity is not None and item.max_quantity <= 0:
            errors.add(
                f"{prefix}.max_quantity", "The maximum must be greater than zero, or left empty."
            )
    return errors, {"title": title, "terms": terms, "currency": currency, "vendor": vendor}


def _items(data: AgreementData) -> list[AgreementItem]:
    return [
        AgreementItem(
            position=index + 1,
            description=item.description.strip(),
            category=item.category or "other",
            unit=(item.unit or "each").strip(),
            unit_price=item.unit_price,
            max_quantity=item.max_quantity,
            ordered=Decimal("0"),
        )
        for index, item in enumerate(data.items)
    ]


def snapshot(agreement: Agreement) -> dict[str, Any]:
    return {
        "vendor": agreement.vendor.name if agreement.vendor else agreement.vendor_id,
        "title": agreement.title,
        "start_date": agreement.start_date.isoformat(),
        "end_date": agreement.end_date.isoformat(),
        "currency": agreement.currency,
        "ceiling": None if agreement.ceiling is None else str(agreement.ceiling),
        "rfq": agreement.rfq_id,
        "terms": agreement.terms,
        "items": [
            [
                item.description,
                item.category,
                item.unit,
                str(item.unit_price),
                None if item.max_quantity is None else str(item.max_quantity),
            ]
            for item in agreement.items
        ],
    }


def require_manager(user: User) -> None:
    access.require(user, "manage_agreements", action="manage framework agreements")


def create(data: AgreementData, actor: User) -> Agreement:
    """A draft agreement with its items, numbered ``AG-<year>-<n>``."""
    require_manager(actor)
    errors, clean = _check(data)
    errors.raise_if_any()
    agreement = Agreement(
        number=numbering.next_number("AG", utcnow().year),
        vendor=clean["vendor"],
        title=clean["title"],
        status=AgreementStatus.DRAFT,
        start_date=data.start_date,
        end_date=data.end_date,
        currency=clean["currency"],
        ceiling=data.ceiling,
        consumed=Decimal("0"),
        rfq_id=data.rfq_id,
        terms=clean["terms"],
        created_by_id=actor.id,
        items=_items(data),
    )
    db.session.add(agreement)
    db.session.flush()
    audit.record("agreement", agreement.id, "create", actor=actor, changes=snapshot(agreement))
    return agreement


def update(
    agreement: Agreement,
    data: AgreementData,
    actor: User,
    *,
    expected_version: int | None = None,
) -> None:
    """Rewrite a draft (its items replaced)."""
    require_manager(actor)
    if agreement.status != AgreementStatus.DRAFT:
        raise InvalidTransition("Only a draft agreement can be edited.")
    workflow.check_version(agreement, expected_version, "agreement")
    errors, clean = _check(data)
    errors.raise_if_any()
    before = snapshot(agreement)
    agreement.vendor = clean["vendor"]
    agreement.title = clean["title"]
    agreement.start_date = data.start_date  # type: ignore[assignment]
    agreement.end_date = data.end_date  # type: ignore[assignment]
    agreement.currency = clean["currency"]
    agreement.ceiling = data.ceiling
    agreement.rfq_id = data.rfq_id
    agreement.terms = clean["terms"]
    agreement.items.clear()
    db.session.flush()
    agreement.items.extend(_items(data))
    db.session.flush()
    changes = audit.diff(before, snapshot(agreement))
    if changes:
        audit.record("agreement", agreement.id, "update", actor=actor, changes=changes)


def activate(agreement: Agreement, actor: User, *, expected_version: int | None = None) -> None:
    """Make the agreement's prices callable; not once its end date has passed."""
    workflow.check(AGREEMENT, agreement, AgreementAction.ACTIVATE, actor)
    if agreement.end_date < dt.date.today():
        raise InvalidTransition(
            f"{agreement.number} ended on {agreement.end_date.isoformat()}; "
            "it cannot be activated."
        )

    def stamp(_new: Any) -> None:
        agreement.activated_at = utcnow()

    workflow.apply(
        AGREEMENT,
        agreement,
        AgreementAction.ACTIVATE,
        actor=actor,
        expected_version=expected_version,
        alongside=stamp,
    )


def close(
    agreement: Agreement, actor: User, *, comment: str = "", expected_version: int | None = None
) -> None:
    def stamp(_new: Any) -> None:
        agreement.closed_at = utcnow()

    workflow.apply(
        AGREEMENT,
        agreement,
        AgreementAction.CLOSE,
        actor=actor,
        comment=comment,
        expected_version=expected_version,
        alongside=stamp,
    )


def expire_due(today: dt.date | None = None) -> list[Agreement]:
    """Active agreements whose end date passed become expired (Procure itself)."""
    today = today or dt.date.today()
    due = db.session.scalars(
        sa.select(Agreement)
        .where(Agreement.status == AgreementStatus.ACTIVE, Agreement.end_date < today)
        .order_by(Agreement.id)
        .with_for_update()
    ).all()
    for agreement in due:
        workflow.apply(AGREEMENT, agreement, AgreementAction.EXPIRE, actor=None)
    return list(due)


def get(agreement_id: int, user: User, *, change: bool = False, lock: bool = False) -> Agreement:
    return access.load(Agreement, agreement_id, user, change=change, lock=lock)


def listing(user: User) -> sa.Select[tuple[Agreement]]:
    """The agreements ``user`` may read, newest first (a query, for paging)."""
    if not access.rules_for(Agreement).can_see(user, None):
        raise Forbidden("Only procurement, finance or admin may read agreements.")
    return access.scoped(Agreement, user, sa.select(Agreement).order_by(Agreement.id.desc()))


def remaining_amount(agreement: Agreement) -> Decimal | None:
    """What may still be called off under the ceiling (None: no ceiling)."""
    return None if agreement.ceiling is None else agreement.ceiling - agreement.consumed


def allowed_actions(agreement: Agreement, user: User) -> list[str]:
    """What ``user`` may do to the agreement now (``expire`` comes with the date)."""
    people = {action.value for action in AGREEMENT_USER_ACTIONS}
    return [a for a in workflow.allowed_actions(AGREEMENT, agreement, user) if a in people]
