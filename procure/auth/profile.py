"""The profile page: who may stand in for the user, their delegations and tokens.

Whether the user decides steps they can delegate is asked here, of
``delegation.DELEGABLE_ROLES``; the page only shows what this module answers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from .. import delegation
from ..extensions import db
from ..models import ApiToken, Delegation, User, UserRole
from . import services


def stand_ins(user: User) -> list[User] | None:
    """The active colleagues who hold a deciding role of ``user``'s, and so may stand
    in for them; None when ``user`` decides no step they could delegate."""
    roles = user.roles & delegation.DELEGABLE_ROLES
    if not roles:
        return None
    return list(
        db.session.scalars(
            sa.select(User)
            .join(UserRole)
            .where(UserRole.role.in_(roles), User.active.is_(True), User.id != user.id)
            .order_by(User.name)
            .distinct()
        )
    )


@dataclasses.dataclass(frozen=True)
class Profile:
    """What the profile page shows besides the user's own facts."""

    tokens: list[ApiToken]
    # {"given": [...], "received": [...]}
    delegations: dict[str, list[Delegation]]
    # Who may stand in for the user; None: the user has nothing to delegate.
    stand_ins: list[User] | None
    today: dt.date

    def is_current(self, given: Delegation) -> bool:
        return delegation.is_current(given, self.today)


def profile(user: User) -> Profile:
    return Profile(
        tokens=services.tokens_of(user),
        delegations=delegation.of_user(user),
        stand_ins=stand_ins(user),
        today=delegation.today(),
    )


def delegate(
    user: User,
    delegate_id: str | None,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    *,
    note: str,
) -> Delegation:
    """``user`` names the colleague with id ``delegate_id`` (as the form sent it) to
    decide their steps from ``starts_on`` to ``ends_on``."""
    chosen = db.session.get(User, int(delegate_id)) if (delegate_id or "").isdigit() else None
    return delegation.create(user, chosen, starts_on, ends_on, note=note, actor=user)
