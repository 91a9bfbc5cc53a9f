"""Contracts: filing and editing a draft, activating, renewing (a new term, history
kept), terminating; the daily job that rolls auto-renewing contracts forward and
expires the others; and the reminders before notice deadlines. Services check,
change, audit and flush; the caller commits once."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from .. import access, attachments, audit, currencies, numbering, workflow
from ..db import insert_unless_present
from ..errors import InvalidTransition, ValidationError
from ..extensions import db
from ..models import (
    BillingPeriod,
    Contract,
    ContractKind,
    ContractReminder,
    ContractStatus,
    ContractTerm,
    PurchaseOrder,
    Role,
    User,
    UserRole,
    Vendor,
    utcnow,
)
from ..money import MAX_AMOUNT, format_date, minor_units, round_money
from ..validation import FieldErrors
from ..workflow import CONTRACT, ContractAction
from . import dates

TEXT_MAX = 10_000


def today() -> dt.date:
    return utcnow().date()


def get(contract_id: int, user: User) -> Contract:
    return access.load(Contract, contract_id, user)


def notice_deadline(contract: Contract) -> dt.date:
    return dates.notice_deadline(contract.end_date, contract.notice_days)


def list_query(
    user: User,
    *,
    status: str | None = None,
    kind: str | None = None,
    vendor_id: int | None = None,
    expiring_within: int | None = None,
) -> sa.Select:
    query = access.scoped(Contract, user, sa.select(Contract))
    if status:
        query = query.where(Contract.status == ContractStatus(status))
    if kind:
        query = query.where(Contract.kind == ContractKind(kind))
    if vendor_id:
        query = query.where(Contract.vendor_id == vendor_id)
    if expiring_within is not None:
        horizon = today() + dt.timedelta(days=expiring_within)
        query = query.where(Contract.status == ContractStatus.ACTIVE, deadline_column() <= horizon)
    return query.order_by(Contract.end_date, Contract.id)


def deadline_column() -> sa.ColumnElement[dt.date]:
    """The notice deadline (end date less notice days) as SQL, on either database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return Contract.end_date - Contract.notice_days
    return sa.func.date(
        Contract.end_date, "-" + sa.cast(Contract.notice_days, sa.String) + " days", type_=sa.Date
    )


def allowed_actions(contract: Contract, user: User) -> list[str]:
    return workflow.allowed_actions(CONTRACT, contract, user)


# Filing and editing ----------------------------------------------------------------


@dataclasses.dataclass
class ContractData:
    vendor_id: int | None
    title: str
    kind: str
    start_date: dt.date | None
    end_date: dt.date | None
    value: Decimal = Decimal("0.00")
    currency: str | None = None
    billing_period: str = "yearly"
    auto_renew: bool = False
    notice_days: int = 0
    renewal_term_months: int = 12
    sla_response_hours: int | None = None
    sla_resolution_hours: int | None = None
    covered_items: list[str] = dataclasses.field(default_factory=list)
    terms: str = ""
    order_id: int | None = None
    owner_id: int | None = None


def validate(data: ContractData, actor: User) -> dict[str, Any]:
    errors = FieldErrors()
    vendor = db.session.get(Vendor, data.vendor_id) if data.vendor_id else None
    if vendor is None:
        errors.add("vendor_id", "Choose a vendor from the register.")
    title = errors.text(data.title, "title", required=True, missing="Give the contract a title.")
    if data.kind not in {k.value for k in ContractKind}:
        errors.add("kind", "Choose maintenance, support, licence, subscription or service.")
    if data.billing_period not in {b.value for b in BillingPeriod}:
        errors.add("billing_period", "Choose monthly, quarterly, yearly or one-time billing.")
    if data.start_date is None:
        errors.add("start_date", "Give the start date.")
    if data.end_date is None:
        errors.add("end_date", "Give the end date.")
    if data.start_date and data.end_date and data.end_date < data.start_date:
        errors.add("end_date", "The end date is before the start date.")
    currency = _currency(data.currency, errors)
    if data.value is None or data.value < 0:
        errors.add("value", "The value must not be negative.")
    elif data.value > MAX_AMOUNT:
        errors.add("value", "The value is larger than Procure accepts.")
    elif round_money(data.value, currency) != data.value:
        errors.add("value", _decimals_message(currency))
    if data.notice_days is None or not 0 <= data.notice_days <= 3650:
        errors.add("notice_days", "Give a notice period from 0 to 3,650 days.")
    if data.auto_renew and (data.renewal_term_months or 0) < 1:
        errors.add(
            "renewal_term_months",
            "An auto-renewing contract needs a renewal term of at least one month.",
        )
    elif not 0 <= (data.renewal_term_months or 0) <= 120:
        errors.add("renewal_term_months", "Give a renewal term from 1 to 120 months.")
    for name in ("sla_response_hours", "sla_resolution_hours"):
        value = getattr(data, name)
        if value is not None and not 0 <= value <= 100_000:
            errors.add(name, "Give a number of hours from 0 to 100,000.")
    items = [str(item).strip() for item in (data.covered_items or []) if str(item).strip()]
    if len(items) > 500 or any(len(item) > 1000 for item in items):
        errors.add("covered_items", "At most 500 covered items of 1,000 characters each.")
    if len(data.terms or "") > TEXT_MAX:
        errors.add("terms", f"Use at most {TEXT_MAX:,} characters.")
    order = None
    if data.order_id:
        order = db.session.get(PurchaseOrder, data.order_id)
        if order is None or not access.can_see(actor, order):
            errors.add("order_id", f"There is no purchase order {data.order_id}.")
        elif vendor is not None and order.vendor_id != vendor.id:
            errors.add("order_id", f"That order is with {order.vendor.name}, not {vendor.name}.")
    owner = actor
    if data.owner_id:
        owner = db.session.get(User, data.owner_id)
        if owner is None or not owner.active:
            errors.add("owner", "The owner must be an active user.")
    errors.raise_if_any()
    return {
        "vendor": vendor,
        "title": title,
        "items": items,
        "order": order,
        "owner": owner,
        "currency": currency,
    }


def _currency(code: str | None, errors: FieldErrors) -> str:
    """The contract's currency: any enabled one, the base when none is given."""
    with errors.collect():
        return currencies.require_enabled(code or currencies.base())
    return currencies.base()


def _decimals_message(currency: str) -> str:
    places = minor_units(currency)
    if places == 0:
        return f"{currency} amounts have no decimals."
    return f"{currency} amounts have at most {places} decimals."


def _snapshot(contract: Contract) -> dict[str, Any]:
    return {
        "vendor": contract.vendor.name if contract.vendor else None,
        "title": contract.title,
        "kind": contract.kind.value,
        "start_date": contract.start_date.isoformat(),
        "end_date": contract.end_date.isoformat(),
        "value": str(contract.value),
        "currency": contract.currency,
        "billing_period": contract.billing_period.value,
        "auto_renew": contract.auto_renew,
        "notice_days": contract.notice_days,
        "renewal_term_months": contract.renewal_term_months,
        "sla_response_hours": contract.sla_response_hours,
        "sla_resolution_hours": contract.sla_resolution_hours,
        "covered_items": list(contract.covered_items or []),
        "terms": contract.terms,
        "order": contract.order_id,
        "owner": contract.owner.email if contract.owner else None,
    }


def _assign(contract: Contract, data: ContractData, clean: dict[str, Any]) -> None:
    contract.vendor = clean["vendor"]
    contract.title = clean["title"]
    contract.kind = ContractKind(data.kind)
    contract.start_date = data.start_date
    contract.end_date = data.end_date
    contract.value = data.value
    contract.currency = clean["currency"]
    contract.billing_period = BillingPeriod(data.billing_period)
    contract.auto_renew = bool(data.auto_renew)
    contract.notice_days = data.notice_days
    contract.renewal_term_months = data.renewal_term_months or 12
    contract.sla_response_hours = data.sla_response_hours
    contract.sla_resolution_hours = data.sla_resolution_hours
    contract.covered_items = clean["items"]
    contract.terms = (data.terms or "").strip()
    contract.order = clean["order"]
    contract.owner = clean["owner"]


def create(data: ContractData, *, actor: User) -> Contract:
    access.require(actor, "file_contracts", action="file contracts")
    clean = validate(data, actor)
    contract = Contract(
        number=numbering.next_number("CT", utcnow().year), status=ContractStatus.DRAFT
    )
    _assign(contract, data, clean)
    db.session.add(contract)
    db.session.flush()
    audit.record("contract", contract.id, "create", actor=actor, changes=_snapshot(contract))
    return contract


def update(
    contract: Contract, data: ContractData, *, actor: User, expected_version: int | None = None
) -> None:
    access.require(actor, "file_contracts", action="edit contracts")
    if contract.status != ContractStatus.DRAFT:
        raise InvalidTransition("Only a draft contract can be edited; renew or terminate it.")
    workflow.check_version(contract, expected_version, "contract")
    clean = validate(data, actor)
    before = _snapshot(contract)
    _assign(contract, data, clean)
    db.session.flush()
    changes = audit.diff(before, _snapshot(contract))
    if changes:
        audit.record("contract", contract.id, "update", actor=actor, changes=changes)


def attach_signed_copy(contract: Contract, upload: FileStorage | None, *, actor: User) -> None:
    """Keep the signed copy of the contract (any state: it may be signed late)."""
    access.require(actor, "file_contracts", action="attach signed copies")
    stored = attachments.store_upload(upload, user=actor, field="signed_copy")
    if stored is None:
        raise ValidationError.field("signed_copy", "Choose the signed copy to upload.")
    contract.signed_copy = stored
    db.session.flush()
    audit.record(
        "contract",
        contract.id,
        "attach_signed_copy",
        actor=actor,
        changes={"signed_copy": stored.filename},
    )


# The life cycle ----------------------------------------------------------------------


def _add_term(contract: Contract, how: str) -> None:
    contract.term_history.append(
        ContractTerm(
            sequence=len(contract.term_history) + 1,
            start_date=contract.start_date,
            end_date=contract.end_date,
            value=contract.value,
            how=how,
        )
    )


def activate(
    contract: Contract, *, actor: User, comment: str = "", expected_version: int | None = None
) -> None:
    workflow.check(CONTRACT, contract, ContractAction.ACTIVATE, actor)
    if contract.end_date < today():
        raise ValidationError.field(
            "end_date", "The contract ended already; correct its dates before activating it."
        )
    _add_term(contract, "initial")
    workflow.apply(
        CONTRACT,
        contract,
        ContractAction.ACTIVATE,
        actor=actor,
        comment=(comment or "").strip(),
        expected_version=expected_version,
        changes={"term": [contract.start_date.isoformat(), contract.end_date.isoformat()]},
    )


def renew(
    contract: Contract,
    *,
    actor: User,
    end_date: dt.date | None = None,
    comment: str = "",
    expected_version: int | None = None,
) -> None:
    """A new term from the day after the current end; the term it replaces stays in the
    history. Without ``end_date`` the new term lasts the renewal term."""
    workflow.check(CONTRACT, contract, ContractAction.RENEW, actor)
    start, default_end = dates.next_term(
        contract.start_date, contract.end_date, max(contract.renewal_term_months, 1)
    )
    new_end = end_date or default_end
    if new_end <= contract.end_date:
        raise ValidationError.field(
            "end_date",
            f"The new term must end after the current one ({format_date(contract.end_date)}).",
        )
    before = (contract.start_date.isoformat(), contract.end_date.isoformat())
    contract.start_date, contract.end_date = start, new_end
    _add_term(contract, "renewed")
    workflow.apply(
        CONTRACT,
        contract,
        ContractAction.RENEW,
        actor=actor,
        comment=(comment or "").strip(),
        expected_version=expected_version,
        changes={"term": [list(before), [start.isoformat(), new_end.isoformat()]]},
    )


def terminate(
    contract: Contract, *, actor: User, comment: str = "", expected_version: int | None = None
) -> None:
    reason = (comment or "").strip()
    workflow.check(CONTRACT, contract, ContractAction.TERMINATE, actor)
    if not reason:
        raise ValidationError.field("comment", "Give the reason for terminating.")
    if len(reason) > TEXT_MAX:
        raise ValidationError.field("comment", f"Use at most {TEXT_MAX:,} characters.")
    contract.terminated_on = today()
    contract.termination_reason = reason
    workflow.apply(
        CONTRACT,
        contract,
        ContractAction.TERMINATE,
        actor=actor,
        comment=reason,
        expected_version=expected_version,
    )


def roll_or_expire(contract: Contract, on: dt.date | None = None) -> str | None:
    """The daily job for one active contract whose end date has passed: roll an
    auto-renewing one forward by whole terms, expire any other. Returns what it did."""
    on = on or today()
    if contract.status != ContractStatus.ACTIVE or contract.end_date >= on:
        return None
    if contract.auto_renew and contract.renewal_term_months > 0:
        terms = dates.roll_forward(
            contract.start_date, contract.end_date, contract.renewal_term_months, on
        )
        before = (contract.start_date.isoformat(), contract.end_date.isoformat())
        for start, end in terms:
            contract.start_date, contract.end_date = start, end
            _add_term(contract, "auto_renewed")
        workflow.apply(
            CONTRACT,
            contract,
            ContractAction.AUTO_RENEW,
            actor=None,
            changes={
                "term": [
                    list(before),
                    [contract.start_date.isoformat(), contract.end_date.isoformat()],
                ],
                "terms_added": len(terms),
            },
        )
        return "renewed"
    workflow.apply(
        CONTRACT,
        contract,
        ContractAction.EXPIRE,
        actor=None,
        changes={"ended": contract.end_date.isoformat()},
    )
    return "expired"


# Reminders ----------------------------------------------------------------------------


def due_reminders(contract: Contract, on: dt.date) -> list[int]:
    """The reminder leads (60, 30, 7 days) whose date has come for the current notice
    deadline, while the deadline has not passed."""
    deadline = notice_deadline(contract)
    if on > deadline:
        return []
    return [days for days, day in dates.reminder_dates(deadline).items() if day <= on]


def claim_reminders(contract: Contract, on: dt.date) -> list[int]:
    """Record the due reminders not yet recorded; returns the ones this caller recorded
    (the unique index makes two concurrent runs record each once)."""
    deadline = notice_deadline(contract)
    table = ContractReminder.__table__
    claimed = []
    for days in due_reminders(contract, on):
        row = db.session.execute(
            insert_unless_present(
                table,
                contract_id=contract.id,
                deadline=deadline,
                days_before=days,
                queued_at=utcnow(),
            ).returning(table.c.id)
        ).first()
        if row is not None:
            claimed.append(days)
    return claimed


def reminder_recipients(contract: Contract) -> list[User]:
    """The owner and every active procurement user, once each."""
    people = {contract.owner.id: contract.owner} if contract.owner.active else {}
    for user in db.session.scalars(
        sa.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.PROCUREMENT, User.active.is_(True))
    ):
        people.setdefault(user.id, user)
    return list(people.values())
