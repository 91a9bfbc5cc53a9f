"""Keeping accounts in step with the LDAP directory: ``flask --app wsgi sync-directory``.

Every person the user filter matches (``{login}`` replaced by ``*``) is provisioned as
at a sign-in, without signing anyone in: accounts are made, their name, e-mail,
department and roles brought up to date, ``synced_at`` set. Accounts that came from
this directory and are no longer in it — or are disabled there (Active Directory's
userAccountControl) — are deactivated, which ends their sessions and revokes their
tokens. An account deactivated in Procure stays so: re-activating is an admin's call.

The directory is read in full before anything changes, so an unreachable directory
changes nothing; a directory that answers with nobody at all deactivates nobody (a
wrong base DN must not lock everyone out). A dry run does the same work in a savepoint
and rolls it back: what it prints is what a real run would do.

Several machines may run it from cron at once: on PostgreSQL the run holds a
transaction-level advisory lock and a second run gives way; on SQLite the write lock
(BEGIN IMMEDIATE, taken by the command) queues them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa

from ..db import is_postgres
from ..extensions import db
from ..models import ExternalIdentity, User, utcnow
from . import ldap, lifecycle, mapping
from .accounts import Claims, SignInRefused, provision

# pg_try_advisory_xact_lock's key for sync-directory: any constant the application owns.
SYNC_LOCK = 0x5052_4F43_4C44  # "PROCLD"
VIA = "ldap-sync"


class SyncRefused(Exception):
    """The directory answered, but acting on the answer would do harm."""


@dataclasses.dataclass(frozen=True)
class Change:
    action: str  # "create", "update", "deactivate", "skip"
    email: str
    detail: str = ""

    def line(self, dry_run: bool) -> str:
        prefix = "would " if dry_run else ""
        return f"{prefix}{self.action} {self.email}" + (f": {self.detail}" if self.detail else "")


@dataclasses.dataclass
class SyncReport:
    dry_run: bool
    changes: list[Change] = dataclasses.field(default_factory=list)
    unchanged: int = 0
    # Another run held the lock: this one did nothing.
    busy: bool = False

    def count(self, action: str) -> int:
        return sum(1 for change in self.changes if change.action == action)

    @property
    def lines(self) -> list[str]:
        return [change.line(self.dry_run) for change in self.changes]

    @property
    def summary(self) -> str:
        if self.busy:
            return "Another sync-directory is running; this one changed nothing."
        text = (
            f"created {self.count('create')}, updated {self.count('update')}, "
            f"deactivated {self.count('deactivate')}, unchanged {self.unchanged}"
        )
        if self.count("skip"):
            text += f", skipped {self.count('skip')}"
        return text + (" (dry run: nothing was changed)" if self.dry_run else "")


def _take_lock() -> bool:
    """True when this run may go on; False when another holds the PostgreSQL lock."""
    if not is_postgres():
        return True
    return bool(db.session.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(SYNC_LOCK))))


def _read_directory() -> list[tuple[ldap.Person, Claims]]:
    """Everyone in the directory with their claims, read before anything changes."""
    attribute = mapping.current().department_attribute
    with ldap.search_connection() as connection:
        found = list(ldap.people(connection))
        return [
            (person, ldap.claims_for(connection, person, department_attribute=attribute))
            for person in found
        ]


def sync(*, dry_run: bool, now: dt.datetime | None = None) -> SyncReport:
    """Bring the accounts in step with the directory (see the module's docstring); never
    commits. Raises ``ldap.DirectoryUnavailable`` or ``SyncRefused`` with nothing changed."""
    report = SyncReport(dry_run=dry_run)
    if not _take_lock():
        report.busy = True
        return report
    now = now or utcnow()
    directory = _read_directory()
    savepoint = db.session.begin_nested() if dry_run else None
    try:
        _apply(directory, report, now)
    finally:
        if savepoint is not None:
            savepoint.rollback()
    return report


def _apply(directory: list[tuple[ldap.Person, Claims]], report: SyncReport, now) -> None:
    present: set[str] = set()
    for person, claims in directory:
        if person.disabled:
            continue
        present.add(claims.subject)
        _provision_one(claims, report, now)
    accounts = _directory_accounts()
    if not present and accounts:
        raise SyncRefused(
            "The directory returned nobody under PROCURE_LDAP_BASE_DN with "
            "PROCURE_LDAP_USER_FILTER; no account was deactivated. Check those settings."
        )
    disabled = {claims.subject for person, claims in directory if person.disabled}
    for user, subject in accounts:
        if subject in present:
            continue
        reason = (
            "disabled in the directory" if subject in disabled else "no longer in the directory"
        )
        lifecycle.deactivate(user, actor=None, via=VIA)
        report.changes.append(Change("deactivate", user.email, reason))


def _provision_one(claims: Claims, report: SyncReport, now) -> None:
    before = _existing(claims)
    try:
        user = provision(claims, signing_in=False, now=now)
    except SignInRefused as refused:
        report.changes.append(Change("skip", claims.email or claims.subject, refused.message))
        return
    after = _snapshot(user)
    if before is None:
        report.changes.append(Change("create", user.email, _describe_new(after)))
    elif before != after:
        report.changes.append(Change("update", user.email, _describe_diff(before, after)))
    else:
        report.unchanged += 1


def _existing(claims: Claims) -> dict[str, Any] | None:
    link = db.session.scalar(
        sa.select(ExternalIdentity).where(
            ExternalIdentity.issuer == claims.issuer,
            ExternalIdentity.subject == claims.subject.strip(),
        )
    )
    return None if link is None else _snapshot(link.user)


def _directory_accounts() -> list[tuple[User, str]]:
    """Active accounts this directory made, with their subject in it."""
    rows = db.session.execute(
        sa.select(User, ExternalIdentity.subject)
        .join(ExternalIdentity, ExternalIdentity.user_id == User.id)
        .where(
            ExternalIdentity.issuer == ldap.issuer(),
            ExternalIdentity.source == ldap.SOURCE,
            User.source == ldap.SOURCE,
            User.active.is_(True),
        )
        .order_by(User.email)
    )
    return [(user, subject) for user, subject in rows]


def _snapshot(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "name": user.name,
        "department": user.department.code,
        "roles": ", ".join(sorted(role.value for role in user.roles)) or "none",
    }


def _describe_new(after: dict[str, Any]) -> str:
    return f"{after['name']}, department {after['department']}, roles {after['roles']}"


def _describe_diff(before: dict[str, Any], after: dict[str, Any]) -> str:
    return "; ".join(
        f"{field} {before[field]} → {after[field]}"
        for field in before
        if before[field] != after[field]
    )
