"""Leavers and returners: deactivating an account shuts every door it had at once.

An admin unticking "active", the directory's SCIM ``active: false`` or DELETE, and
``sync-directory`` all come here, so that each of them ends the browser sessions,
revokes the API tokens and stands down the delegations given and received, in the
caller's transaction with one audit event, and tell the asset managers of the assets
and licence seats it still holds (``assets/leavers.py``). The account and its history stay: its
requests remain visible to whoever may see them, and its open approval steps are
decided by the other holders of the role (a step waits for a role, not a person).
Reactivating restores sign-in only; a revoked token stays revoked, so that someone
who left cannot come back through a token copied before they went.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from .. import audit, delegation
from ..assets import leavers
from ..extensions import db
from ..models import ApiToken, Delegation, User, UserSession, utcnow


def deactivate(user: User, *, actor: User | None, via: str) -> None:
    """Deactivate ``user`` and end everything they could still act through (flushes;
    never commits). Nothing happens to an account that is inactive already."""
    if not user.active:
        return
    now = utcnow()
    sessions = _end_sessions(user, now)
    tokens = _revoke_tokens(user, now)
    delegations = _stand_down_delegations(user, now)
    user.active = False
    db.session.flush()
    audit.record(
        "user",
        user.id,
        "deactivate",
        actor=actor,
        changes={
            "active": [True, False],
            "via": via,
            "sessions_ended": sessions,
            "tokens_revoked": tokens,
            "delegations_ended": delegations,
        },
    )
    # What they still hold (assets, licence seats): the asset managers hear of it.
    leavers.on_deactivate(user)


def reactivate(user: User, *, actor: User | None, via: str) -> None:
    """Let ``user`` sign in again; tokens revoked at deactivation stay revoked."""
    if user.active:
        return
    user.active = True
    db.session.flush()
    audit.record(
        "user", user.id, "reactivate", actor=actor, changes={"active": [False, True], "via": via}
    )


def _end_sessions(user: User, now: dt.datetime) -> int:
    sessions = db.session.scalars(
        sa.select(UserSession).where(
            UserSession.user_id == user.id, UserSession.ended_at.is_(None)
        )
    ).all()
    for session in sessions:
        session.ended_at = now
    return len(sessions)


def _revoke_tokens(user: User, now: dt.datetime) -> int:
    tokens = db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


def _stand_down_delegations(user: User, now: dt.datetime) -> int:
    """End every delegation the user gave or received that is running or yet to start:
    nobody decides on behalf of a leaver, and a leaver decides for nobody."""
    found = db.session.scalars(
        sa.select(Delegation).where(
            sa.or_(Delegation.delegator_id == user.id, Delegation.delegate_id == user.id),
            Delegation.ended_at.is_(None),
            Delegation.ends_on >= now.date(),
        )
    ).all()
    for given in found:
        given.ended_at = now
    if found:
        db.session.info.pop(delegation.CACHE_KEY, None)
    return len(found)
