"""Accounts made and kept in step by identity providers and the directory.

Every protocol (OpenID Connect, SAML, LDAP, SCIM) turns what its provider says into
:class:`Claims`; :func:`provision` does the rest, the same way for all:

- the account is found by the provider's stable subject (``external_identities``),
  never by e-mail alone: an address that changes at the provider keeps its account;
- an existing account with the same address is linked when the directory made it (SCIM
  or LDAP: it has no password, and the same IT department runs both), or when admin
  allows linking and the provider says the address is verified; otherwise the sign-in
  is refused, so that nobody takes over a local account by naming its address;
- otherwise a new account is made, without a password;
- name, e-mail, department and roles are read again at every sign-in (and sync),
  through the admin's mapping; each change is audited;
- a deactivated account is refused; an account whose groups give no role is kept (it
  may hold a token, decide nothing) but not signed in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping as MappingType

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from .. import audit
from ..extensions import db
from ..models import AccountSource, ExternalIdentity, Role, User, utcnow
from . import mapping as mapping_module

NAME_MAX = 200
# Accounts the company's directory made (pushed by SCIM, read from LDAP).
DIRECTORY_SOURCES = {AccountSource.SCIM.value, AccountSource.LDAP.value}


@dataclasses.dataclass(frozen=True)
class Claims:
    """What an identity provider says about the person signing in."""

    source: str  # AccountSource: "oidc", "saml", "ldap", "scim"
    issuer: str  # the OpenID Connect issuer, the SAML IdP's entity id, the LDAP URL
    subject: str  # the provider's stable id for the person
    email: str | None = None
    email_verified: bool = False
    name: str | None = None
    groups: tuple[str, ...] = ()
    department: str | None = None
    attributes: MappingType[str, str] = dataclasses.field(default_factory=dict)


class SignInRefused(Exception):
    """A sign-in through a provider that must not go on.

    ``reason`` is a short word for the security log; ``message`` what the person reads;
    ``status`` 400 for a protocol problem (state, nonce, token, assertion), 403 for a
    person who may not come in. ``keep`` is True when the refusal still changed something
    that must stay (the account made for someone without a role)."""

    def __init__(self, reason: str, message: str, status: int = 400, *, keep: bool = False):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = status
        self.keep = keep


def provision(claims: Claims, *, signing_in: bool = True, now: dt.datetime | None = None) -> User:
    """The account ``claims`` describe, made or brought up to date; never commits.

    ``signing_in`` False is the directory writing an account (a sync): nothing is
    refused for want of a role, and the account's ``synced_at`` is set instead of its
    last sign-in."""
    now = now or utcnow()
    mapping = mapping_module.current()
    subject = (claims.subject or "").strip()
    if not subject:
        raise SignInRefused("no_subject", "The identity provider did not say who you are.")
    email = _email(claims.email)
    link = db.session.scalar(
        sa.select(ExternalIdentity).where(
            ExternalIdentity.issuer == claims.issuer, ExternalIdentity.subject == subject
        )
    )
    if link is None:
        user = _linkable(claims, email, mapping) or _create(claims, email, mapping, now)
        link = ExternalIdentity(
            user_id=user.id, source=claims.source, issuer=claims.issuer, subject=subject
        )
        db.session.add(link)
    else:
        user = link.user
    if signing_in and not user.active:
        raise SignInRefused(
            "deactivated", "Your account is deactivated. Ask an administrator.", 403
        )
    roles = mapping.roles_for(claims.groups)
    _bring_up_to_date(user, claims, email, roles, mapping)
    link.last_seen_at = now
    if signing_in:
        user.last_sign_in_at = now
    else:
        user.synced_at = now
    db.session.flush()
    if signing_in and not roles:
        raise SignInRefused("no_role", no_role_message(mapping), 403, keep=True)
    return user


def no_role_message(mapping: mapping_module.Mapping | None = None) -> str:
    mapping = mapping or mapping_module.current()
    whom = mapping.contact or "your IT service desk or a Procure administrator"
    return (
        "You are known to the identity provider, but none of your groups gives you a role in "
        f"Procure, so there is nothing you could do here yet. Please ask {whom} to add you "
        "to the right group; then sign in again."
    )


def _email(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def _linkable(claims: Claims, email: str | None, mapping: mapping_module.Mapping) -> User | None:
    """The existing account this first sign-in may take over, or None to make one."""
    if email is None:
        return None
    existing = db.session.scalar(sa.select(User).where(User.email == email))
    if existing is None:
        return None
    made_by_directory = existing.source in DIRECTORY_SOURCES and not existing.has_password
    if not (made_by_directory or (mapping.link_by_email and claims.email_verified)):
        raise SignInRefused(
            "email_taken",
            "An account with your e-mail address exists in Procure already, and linking it to "
            "your company sign-in is not allowed. Ask a Procure administrator.",
            403,
        )
    audit.record(
        "user",
        existing.id,
        "link_identity",
        actor=None,
        changes={"source": claims.source, "issuer": claims.issuer, "subject": claims.subject},
    )
    return existing


def _create(claims: Claims, email: str | None, mapping: mapping_module.Mapping, now) -> User:
    if email is None:
        raise SignInRefused(
            "no_email",
            "The identity provider did not give an e-mail address for you; Procure needs one.",
        )
    department = mapping.department_for(claims.department) or mapping.fallback_department()
    user = User(
        email=email,
        name=_name(claims, email),
        department=department,
        active=True,
        password_hash=None,
        source=AccountSource(claims.source).value,
        created_at=now,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user",
        user.id,
        "create",
        actor=None,
        changes={
            "email": user.email,
            "name": user.name,
            "department": department.code,
            "source": user.source,
            "issuer": claims.issuer,
            "subject": claims.subject,
        },
    )
    return user


def _name(claims: Claims, email: str) -> str:
    name = (claims.name or "").strip() or email.split("@", 1)[0]
    return name[:NAME_MAX]


def _bring_up_to_date(
    user: User,
    claims: Claims,
    email: str | None,
    roles: set[Role],
    mapping: mapping_module.Mapping,
) -> None:
    """Name, e-mail, department and roles as the provider says now; one audit event."""
    before = _snapshot(user)
    if claims.name and claims.name.strip():
        user.name = claims.name.strip()[:NAME_MAX]
    if email and email != user.email and not _taken(email, user):
        user.email = email
    department = mapping.department_for(claims.department)
    if department is not None:
        user.department = department
    user.set_roles(roles)
    changes = audit.diff(before, _snapshot(user))
    if changes:
        audit.record(
            "user", user.id, "sync", actor=None, changes={**changes, "via": claims.source}
        )


def _taken(email: str, user: User) -> bool:
    return (
        db.session.scalar(sa.select(User.id).where(User.email == email, User.id != user.id))
        is not None
    )


def _snapshot(user: User) -> dict:
    return {
        "email": user.email,
        "name": user.name,
        "department": user.department.code if user.department else None,
        "roles": sorted(role.value for role in user.roles),
    }


def sources_of(users: list[User]) -> dict[int, list[str]]:
    """The providers each of ``users`` is linked to (for the admin's list of users)."""
    if not users:
        return {}
    rows = db.session.execute(
        sa.select(ExternalIdentity.user_id, ExternalIdentity.source)
        .where(ExternalIdentity.user_id.in_([user.id for user in users]))
        .order_by(ExternalIdentity.id)
    )
    found: dict[int, list[str]] = {}
    for user_id, source in rows:
        found.setdefault(user_id, []).append(source)
    return found
