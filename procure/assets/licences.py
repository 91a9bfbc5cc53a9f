"""Licence pools: the seats an order bought, given to people and released.

A pool's ``used`` counts its live assignments and is written with them, under the
pool's version column: two people taking the last seat at once cannot both succeed
(one gets ``Conflict``), and the database's CHECK (``used <= seats``) holds besides.
Renewal reminders come from the pool's contract, as for any contract.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from .. import access, audit, workflow
from ..errors import Conflict, InvalidTransition, ValidationError
from ..extensions import db
from ..models import Contract, Licence, LicenceAssignment, User, utcnow
from ..validation import FieldErrors


def get(licence_id: int, user: User, *, change: bool = False) -> Licence:
    return access.load(Licence, licence_id, user, change=change)


def query(user: User, *, order_id: int | None = None, q: str = "") -> sa.Select[Any]:
    """The pools ``user`` may see, products in order."""
    stmt = access.scoped(Licence, user, sa.select(Licence))
    if order_id is not None:
        stmt = stmt.where(Licence.order_id == order_id)
    if q.strip():
        # ILIKE: what ``ix_licences_product_trgm`` serves on PostgreSQL.
        stmt = stmt.where(Licence.product.icontains(q.strip(), autoescape=True))
    return stmt.order_by(Licence.product, Licence.id)


def _person(user_id: object, field: str = "user_id") -> User:
    try:
        person = db.session.get(User, int(str(user_id)))
    except ValueError:
        person = None
    if person is None:
        raise ValidationError.field(field, "No such user.")
    return person


def assign(
    licence: Licence, user_id: object, *, actor: User, expected_version: int | None = None
) -> LicenceAssignment:
    """Give a seat of ``licence`` to a person (an active account, without one already);
    refused when every seat is in use."""
    access.load(Licence, licence.id, actor, change=True)
    workflow.check_version(licence, expected_version, "licence")
    person = _person(user_id)
    if not person.active:
        raise ValidationError.field("user_id", f"{person.name}'s account is deactivated.")
    if any(a.user_id == person.id for a in licence.live):
        raise ValidationError.field("user_id", f"{person.name} has a seat of it already.")
    if licence.free <= 0:
        raise InvalidTransition(
            f"All {licence.seats} seats of {licence.product} are in use: release one first."
        )
    seat = LicenceAssignment(user_id=person.id, assigned_by_id=actor.id, assigned_at=utcnow())
    licence.assignments.append(seat)
    licence.used += 1
    _flush(licence)
    audit.record(
        "licence",
        licence.id,
        "assign",
        actor=actor,
        changes={"user": person.email, "used": [licence.used - 1, licence.used]},
    )
    return seat


def release(
    licence: Licence, user_id: object, *, actor: User, expected_version: int | None = None
) -> LicenceAssignment:
    """Take a person's seat back (the assignment stays, released)."""
    access.load(Licence, licence.id, actor, change=True)
    workflow.check_version(licence, expected_version, "licence")
    person = _person(user_id)
    seat = next((a for a in licence.live if a.user_id == person.id), None)
    if seat is None:
        raise ValidationError.field("user_id", f"{person.name} has no seat of it.")
    seat.released_at = utcnow()
    seat.released_by_id = actor.id
    licence.used -= 1
    _flush(licence)
    audit.record(
        "licence",
        licence.id,
        "release",
        actor=actor,
        changes={"user": person.email, "used": [licence.used + 1, licence.used]},
    )
    return seat


# A field of :func:`update_term` left as it is.
KEEP: Any = object()


def update_term(
    licence: Licence,
    *,
    actor: User,
    start_date: Any = KEEP,
    end_date: Any = KEEP,
    contract_number: Any = KEEP,
    contract_id: Any = KEEP,
    expected_version: int | None = None,
) -> Licence:
    """Set the pool's term and the contract it renews under (by number — empty for
    none — or by id, None for none): linking a contract takes its dates unless dates are
    given too. The contract's notice reminders are then the pool's renewal reminders."""
    access.load(Licence, licence.id, actor, change=True)
    workflow.check_version(licence, expected_version, "licence")
    errors = FieldErrors()
    contract = licence.contract
    if contract_number is not KEEP:
        number = (contract_number or "").strip().upper()
        contract = (
            db.session.scalar(sa.select(Contract).where(Contract.number == number))
            if number
            else None
        )
        if number and contract is None:
            errors.add("contract", f"No contract {number[:40]}.")
    if contract_id is not KEEP:
        contract = db.session.get(Contract, contract_id) if contract_id is not None else None
        if contract_id is not None and contract is None:
            errors.add("contract_id", "No such contract.")
    if contract is not None and contract.vendor_id != licence.vendor_id:
        field = "contract_id" if contract_id is not KEEP else "contract"
        errors.add(field, f"{contract.number} is with another vendor.")
    taken_from = contract if contract is not None and contract != licence.contract else None
    start = start_date if start_date is not KEEP else None
    end = end_date if end_date is not KEEP else None
    start = start or (taken_from.start_date if taken_from else licence.start_date)
    if end_date is KEEP:
        end = taken_from.end_date if taken_from else licence.end_date
    if end is not None and end < start:
        errors.add("end_date", "The term cannot end before it starts.")
    errors.raise_if_any()
    changes = {
        field: [str(old) if old is not None else None, str(new) if new is not None else None]
        for field, old, new in (
            ("start_date", licence.start_date, start),
            ("end_date", licence.end_date, end),
            ("contract", _number(licence.contract), _number(contract)),
        )
        if old != new
    }
    if not changes:
        return licence
    licence.start_date, licence.end_date = start, end
    licence.contract_id = contract.id if contract is not None else None
    licence.contract = contract
    _flush(licence)
    audit.record("licence", licence.id, "update", actor=actor, changes=changes)
    return licence


def _number(contract: Contract | None) -> str | None:
    return contract.number if contract is not None else None


def _flush(licence: Licence) -> None:
    """Write the pool under the version it was read at: of two people taking its last
    seat at once, the second gets ``Conflict``."""
    product = licence.product  # read before: a failed flush expires the pool
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(
            f"Somebody changed the seats of {product} at the same time; reload and try again."
        ) from None


def seats_of(user: User) -> list[Licence]:
    """The pools ``user`` holds a seat of now."""
    return list(
        db.session.scalars(
            sa.select(Licence)
            .join(LicenceAssignment, LicenceAssignment.licence_id == Licence.id)
            .where(LicenceAssignment.user_id == user.id, LicenceAssignment.released_at.is_(None))
            .order_by(Licence.product)
        )
    )


@dataclasses.dataclass(frozen=True)
class Utilisation:
    licence: Licence
    percent: int  # used of seats, rounded down


def utilisation(user: User) -> list[Utilisation]:
    """Every pool the user may see with how much of it is used, emptiest first (what
    could be given back at renewal)."""
    pools = db.session.scalars(query(user)).all()
    rows = [
        Utilisation(pool, (pool.used * 100 // pool.seats) if pool.seats else 0) for pool in pools
    ]
    return sorted(rows, key=lambda row: (row.percent, row.licence.product))
