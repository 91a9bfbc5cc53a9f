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
from ..models import Licence, LicenceAssignment, User, utcnow


def get(licence_id: int, user: User, *, change: bool = False) -> Licence:
    return access.load(Licence, licence_id, user, change=change)


def query(user: User, *, order_id: int | None = None, q: str = "") -> sa.Select[Any]:
    """The pools ``user`` may see, products in order."""
    stmt = access.scoped(Licence, user, sa.select(Licence))
    if order_id is not None:
        stmt = stmt.where(Licence.order_id == order_id)
    if q.strip():
        stmt = stmt.where(sa.func.lower(Licence.product).contains(q.strip().lower()))
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
