"""Delegation: an approver away from the office lets a delegate decide their steps.

The delegate acts "on behalf of" the delegator; the step and the audit log record
both. Delegation never follows a chain (a delegate's own delegate gets only the
delegate's own power), and never lets anyone decide a request they filed or two
steps of one request (see ``permissions.may_decide``).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from . import audit
from .errors import Forbidden, NotFound, ValidationError
from .extensions import db
from .models import Delegation, Role, User, utcnow

CACHE_KEY = "procure_delegators"
DELEGABLE_ROLES = frozenset({Role.APPROVER, Role.FINANCE, Role.EXECUTIVE})
MAX_DAYS = 366


def today() -> dt.date:
    return utcnow().date()


def _live(query: sa.Select, day: dt.date) -> sa.Select:
    return query.where(
        Delegation.ended_at.is_(None),
        Delegation.starts_on <= day,
        Delegation.ends_on >= day,
    )


def delegators_of(user: User, day: dt.date | None = None) -> list[User]:
    """Whom ``user`` stands in for on ``day`` (active users only)."""
    rows = db.session.scalars(
        _live(sa.select(Delegation), day or today()).where(Delegation.delegate_id == user.id)
    )
    return [row.delegator for row in rows if row.delegator.active]


def delegates_of(user: User, day: dt.date | None = None) -> list[User]:
    """Who stands in for ``user`` on ``day`` (active users only)."""
    rows = db.session.scalars(
        _live(sa.select(Delegation), day or today()).where(Delegation.delegator_id == user.id)
    )
    return [row.delegate for row in rows if row.delegate.active]


def delegates_of_each(users: list[User], day: dt.date | None = None) -> dict[int, list[User]]:
    """:func:`delegates_of` for many people in one query: ``{user id: stand-ins}``."""
    found: dict[int, list[User]] = {user.id: [] for user in users}
    if not users:
        return found
    rows = db.session.scalars(
        _live(sa.select(Delegation), day or today())
        .where(Delegation.delegator_id.in_(list(found)))
        .options(joinedload(Delegation.delegate).selectinload(User.role_rows))
        .order_by(Delegation.id)
    )
    for row in rows:
        if row.delegate.active:
            found[row.delegator_id].append(row.delegate)
    return found


def shared_roles(delegator: User, delegate: User) -> set[Role]:
    """The deciding roles a delegate can exercise on the delegator's behalf."""
    return set(delegator.roles & delegate.roles & DELEGABLE_ROLES)


def _snapshot(delegation: Delegation) -> dict:
    return {
        "delegator": delegation.delegator.email,
        "delegate": delegation.delegate.email,
        "starts_on": delegation.starts_on.isoformat(),
        "ends_on": delegation.ends_on.isoformat(),
        "note": delegation.note,
    }


def create(
    delegator: User,
    delegate: User | None,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    *,
    note: str = "",
    actor: User,
) -> Delegation:
    if actor.id != delegator.id:
        raise Forbidden("You may only delegate your own decisions.")
    if not delegator.roles & DELEGABLE_ROLES:
        # The role forbids it, whatever the form said: 403, as the profile page answers.
        raise Forbidden("Only approvers, finance and executives decide steps to delegate.")
    errors: dict[str, list[str]] = {}
    if delegate is None:
        errors["delegate"] = ["Choose who stands in for you."]
    elif delegate.id == delegator.id:
        errors.setdefault("delegate", []).append("You cannot delegate to yourself.")
    elif not delegate.active:
        errors.setdefault("delegate", []).append(f"{delegate.name} is not an active user.")
    elif not shared_roles(delegator, delegate):
        roles = " or ".join(sorted(r.value for r in delegator.roles & DELEGABLE_ROLES))
        errors.setdefault("delegate", []).append(
            f"{delegate.name} does not hold your role ({roles or 'none'}), so cannot decide "
            "your steps."
        )
    if starts_on is None:
        errors["starts_on"] = ["Give the first day."]
    if ends_on is None:
        errors["ends_on"] = ["Give the last day."]
    if starts_on and ends_on:
        if ends_on < starts_on:
            errors["ends_on"] = ["The last day is before the first."]
        elif ends_on < today():
            errors["ends_on"] = ["The last day is in the past."]
        elif (ends_on - starts_on).days >= MAX_DAYS:
            errors["ends_on"] = [f"A delegation lasts at most {MAX_DAYS} days."]
    if len(note or "") > 10_000:
        errors["note"] = ["Use at most 10,000 characters."]
    if not errors and starts_on and ends_on:
        # Two delegations of one person created at once must not both pass the overlap
        # check: take the delegator's row first (SQLite serialises writers anyway).
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(sa.select(User.id).where(User.id == delegator.id).with_for_update())
        overlapping = db.session.scalar(
            sa.select(Delegation.id)
            .where(
                Delegation.delegator_id == delegator.id,
                Delegation.ended_at.is_(None),
                Delegation.starts_on <= ends_on,
                Delegation.ends_on >= starts_on,
            )
            .limit(1)
        )
        if overlapping is not None:
            errors["starts_on"] = ["This overlaps a delegation you already have."]
    if errors:
        raise ValidationError(next(iter(errors.values()))[0], fields=errors)
    delegation = Delegation(
        delegator=delegator,
        delegate=delegate,
        starts_on=starts_on,
        ends_on=ends_on,
        note=(note or "").strip(),
    )
    db.session.add(delegation)
    db.session.flush()
    db.session.info.pop(CACHE_KEY, None)
    audit.record("user", delegator.id, "delegate", actor=actor, changes=_snapshot(delegation))
    return delegation


def end(delegation: Delegation, *, actor: User) -> None:
    """End a delegation early (or withdraw one that has not started).

    Only the delegator may. The delegate sees the delegation (it is in their list), so
    for them it is 403, not 404; for anybody else it does not exist."""
    if actor.id == delegation.delegate_id:
        raise Forbidden("Only the person who delegated may end the delegation.")
    if actor.id != delegation.delegator_id:
        raise NotFound("No such delegation.")
    if delegation.ended_at is not None or delegation.ends_on < today():
        raise ValidationError("This delegation is over already.")
    delegation.ended_at = utcnow()
    db.session.info.pop(CACHE_KEY, None)
    audit.record(
        "user",
        actor.id,
        "end_delegation",
        actor=actor,
        changes={"delegation": delegation.id, "delegate": delegation.delegate.email},
    )


def get_own(delegation_id: int, user: User) -> Delegation:
    delegation = db.session.get(Delegation, delegation_id)
    if delegation is None or user.id not in (delegation.delegator_id, delegation.delegate_id):
        raise NotFound("No such delegation.")
    return delegation


def of_user(user: User) -> dict[str, list[Delegation]]:
    """The user's delegations, given and received, current and future first."""
    given = list(
        db.session.scalars(
            sa.select(Delegation)
            .where(Delegation.delegator_id == user.id)
            .order_by(Delegation.ends_on.desc())
            .limit(50)
        )
    )
    received = list(
        db.session.scalars(
            sa.select(Delegation)
            .where(Delegation.delegate_id == user.id)
            .order_by(Delegation.ends_on.desc())
            .limit(50)
        )
    )
    return {"given": given, "received": received}


def is_current(delegation: Delegation, day: dt.date | None = None) -> bool:
    day = day or today()
    return delegation.ended_at is None and delegation.starts_on <= day <= delegation.ends_on
