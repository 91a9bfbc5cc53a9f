"""Sign-in, sessions, passwords and API tokens."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..db import write_intent
from ..errors import Forbidden, NotFound, ValidationError
from ..extensions import db
from ..identity import providers
from ..models import ApiToken, LoginAttempt, Notification, User, UserSession, utcnow
from ..validation import text

GENERIC_FAILURE = "The e-mail address or the password is not right."
# A message, not a password.
PASSWORD_OFF = " ".join(
    (
        "Signing in with a Procure password is switched off here: use your company sign-in",
        "above. Administrators named for emergencies may still use a password.",
    )
)
MIN_PASSWORD_LENGTH = 10

# Checked when the e-mail is unknown, so that a wrong address costs as much time
# as a wrong password and timing does not tell which accounts exist.
_DUMMY_HASH = generate_password_hash("procure-timing-equaliser")


@dataclasses.dataclass
class SignInResult:
    user: User | None = None
    error: str | None = None
    wait_seconds: int = 0
    # Password sign-in is switched off for this address (PROCURE_PASSWORD_LOGIN=0).
    forbidden: bool = False


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == User.normalise_email(email)))


def sign_in(email: str, password: str, *, now: dt.datetime | None = None) -> SignInResult:
    """Check the credentials under the throttle; the caller commits either way.

    The answer never says whether the address or the password was wrong."""
    now = now or utcnow()
    email = User.normalise_email(email)
    if not providers.password_allowed(email):
        return SignInResult(error=PASSWORD_OFF, forbidden=True)
    throttled = throttle(email, now)
    if throttled is not None:
        return throttled
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        valid = False
    else:
        valid = user.check_password(password) and user.active
    if not valid:
        record_failure(email, now)
        return SignInResult(error=GENERIC_FAILURE)
    clear_failures(email)
    user.last_sign_in_at = now
    return SignInResult(user=user)


def uses_directory(email: str) -> bool:
    """Whether a password typed for ``email`` is the directory's (LDAP): the directory is
    configured and ``email`` is not a local account with a Procure password."""
    if not providers.ldap_configured():
        return False
    user = find_user_by_email(email)
    return user is None or not user.has_password


def throttle(email: str, now: dt.datetime | None = None) -> SignInResult | None:
    """The refusal while ``email`` must wait after too many failures, else None."""
    now = now or utcnow()
    attempt = db.session.get(LoginAttempt, User.normalise_email(email))
    if attempt is not None and attempt.blocked_until and attempt.blocked_until > now:
        wait = math.ceil((attempt.blocked_until - now).total_seconds())
        return SignInResult(
            error=f"Too many failed sign-ins. Please wait {wait} seconds and try again.",
            wait_seconds=wait,
        )
    return None


def clear_failures(email: str) -> None:
    attempt = db.session.get(LoginAttempt, User.normalise_email(email))
    if attempt is not None:
        db.session.delete(attempt)


def record_failure(email: str, now: dt.datetime | None = None) -> None:
    """Count a failed sign-in for ``email``; past the limit, each further one waits longer."""
    email = User.normalise_email(email)
    _record_failure(db.session.get(LoginAttempt, email), email, now or utcnow())


def _record_failure(attempt: LoginAttempt | None, email: str, now: dt.datetime) -> None:
    config = current_app.config
    if attempt is None:
        attempt = LoginAttempt(email=email, failures=0)
        db.session.add(attempt)
    attempt.failures += 1
    attempt.last_failure_at = now
    extra = attempt.failures - config["LOGIN_FAILURES_BEFORE_THROTTLE"]
    if extra >= 0:
        seconds = min(
            config["LOGIN_THROTTLE_SECONDS"] * 2**extra, config["LOGIN_THROTTLE_MAX_SECONDS"]
        )
        attempt.blocked_until = now + dt.timedelta(seconds=seconds)
    db.session.flush()


def start_session(user: User, *, remote_addr: str | None, user_agent: str | None) -> str:
    """Open a server-side session for ``user``; returns the key the cookie carries."""
    key = UserSession.new_key()
    db.session.add(
        UserSession(
            key_hash=UserSession.hash_key(key),
            user_id=user.id,
            remote_addr=(remote_addr or "")[:64] or None,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    db.session.flush()
    user.session_key = key
    return key


def load_session_user(key: str) -> User | None:
    """The user of a live session, with their roles and their count of unread
    notifications (the navigation's bell), in one query."""
    unread = (
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .correlate(User)
        .scalar_subquery()
    )
    row = (
        db.session.execute(
            sa.select(User, unread)
            .join(UserSession, UserSession.user_id == User.id)
            .where(
                UserSession.key_hash == UserSession.hash_key(key),
                UserSession.ended_at.is_(None),
                User.active.is_(True),
            )
            .options(joinedload(User.role_rows))
        )
        .unique()
        .first()
    )
    if row is None:
        return None
    user, user.unread_notifications = row
    user.session_key = key
    return user


def end_session(key: str) -> None:
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.key_hash == UserSession.hash_key(key), UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def end_sessions(user: User, *, keep_key: str | None = None) -> None:
    """End every session of ``user`` except the one with ``keep_key``."""
    query = sa.update(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)
    )
    if keep_key is not None:
        query = query.where(UserSession.key_hash != UserSession.hash_key(keep_key))
    db.session.execute(query.values(ended_at=utcnow()))


def check_new_password(password: str, field: str = "new_password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError.field(field, f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > 200:
        raise ValidationError.field(field, "Use at most 200 characters.")


def change_password(user: User, current: str, new: str, *, keep_key: str | None) -> None:
    """The user changes their own password; their other sessions end."""
    if not user.check_password(current):
        raise ValidationError.field("current_password", "This is not your current password.")
    check_new_password(new)
    user.set_password(new)
    end_sessions(user, keep_key=keep_key)
    audit.record("user", user.id, "change_password", actor=user, changes={"password": "changed"})


# API tokens ---------------------------------------------------------------------


def create_token(user: User, name: str, *, actor: User) -> tuple[ApiToken, str]:
    """Create a token; the secret is returned once and stored only hashed."""
    if actor.id != user.id:
        raise Forbidden("You may only create tokens for yourself.")
    name = text(name, "name", required=False) or "API token"
    secret = ApiToken.generate()
    token = ApiToken(
        user_id=user.id, name=name, token_hash=ApiToken.hash_token(secret), hint=secret[:10]
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "user", user.id, "create_token", actor=actor, changes={"token": token.id, "name": name}
    )
    return token, secret


def revoke_token(token_id: int, *, actor: User) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != actor.id:
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("user", actor.id, "revoke_token", actor=actor, changes={"token": token.id})
    return token


def tokens_of(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def user_for_token(secret: str) -> User | None:
    """The active user a live token belongs to, or None."""
    row = (
        db.session.execute(
            sa.select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == ApiToken.hash_token(secret))
            .options(joinedload(User.role_rows))
        )
        .unique()
        .first()
    )
    if row is None:
        return None
    token, user = row
    if token.revoked_at is not None or not user.active:
        return None
    _touch(token)
    return user


def _touch(token: ApiToken) -> None:
    """Note when a token was last used, at most every ten minutes.

    Runs first in an API request, in a short write transaction of its own, so
    that a GET stays a read for the rest of the request."""
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < dt.timedelta(minutes=10):
        return
    db.session.commit()
    with write_intent():
        token.last_used_at = now
        db.session.commit()
