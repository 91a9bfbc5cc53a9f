"""The renewal calendar and each user's private iCalendar feed.

A calendar application cannot sign in: the feed's address carries a token, which
is therefore a credential. It is shown once, stored only as its SHA-256 hash, and
issuing, replacing or revoking it is audited on the user it belongs to. Services
check, change, audit and flush; the caller commits once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets
from typing import Any

import icalendar
import sqlalchemy as sa

from .. import audit
from ..extensions import db
from ..models import CalendarFeed, Contract, ContractStatus, User, utcnow
from ..money import format_money
from ..security import external_url
from . import dates, document, estimates, services

# Longer than any token we issue: anything beyond is not worth hashing.
TOKEN_MAX = 200


def events(user: User, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Notice deadlines and end dates of the active contracts ``user`` may see, from
    ``start`` to ``end``, in date order."""
    query = services.list_query(user, status=ContractStatus.ACTIVE.value)
    found = []
    for contract in db.session.scalars(query):
        deadline = services.notice_deadline(contract)
        for day, what in ((deadline, "notice deadline"), (contract.end_date, "ends")):
            if start <= day <= end:
                found.append({"day": day, "what": what, "contract": contract})
    return sorted(found, key=lambda e: (e["day"], e["contract"].id, e["what"]))


@dataclasses.dataclass(frozen=True)
class CalendarPage:
    # Twelve months from this one, each with its events; an event of a contract in a
    # foreign currency carries its value's ``estimate`` in the base at today's rate.
    months: list[dict[str, Any]]
    feed: CalendarFeed | None  # the user's feed, if they have one


def calendar_page(user: User) -> CalendarPage:
    today = dt.date.today()
    book = estimates.RateBook()
    first = today.replace(day=1)
    months: list[dict[str, Any]] = [
        {"month": dates.add_months(first, offset), "events": []} for offset in range(12)
    ]
    end = dates.add_months(first, 12) - dt.timedelta(days=1)
    for event in events(user, today, end):
        index = (event["day"].year - first.year) * 12 + event["day"].month - first.month
        contract = event["contract"]
        event["estimate"] = book.foreign_estimate(contract.value, contract.currency)
        months[index]["events"].append(event)
    return CalendarPage(months=months, feed=active_feed(user))


# The feed's token -------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _active_feeds(user: User) -> sa.Select[tuple[CalendarFeed]]:
    return sa.select(CalendarFeed).where(
        CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None)
    )


def active_feed(user: User) -> CalendarFeed | None:
    return db.session.scalars(_active_feeds(user)).first()


def _revoke(user: User) -> list[int]:
    """Revoke the user's live feeds; the ids of those revoked."""
    revoked = []
    for feed in db.session.scalars(_active_feeds(user)):
        feed.revoked_at = utcnow()
        revoked.append(feed.id)
    return revoked


def issue_feed_token(user: User) -> str:
    """A new feed token for ``user``, replacing any they had; returned once, kept hashed."""
    replaced = _revoke(user)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(user_id=user.id, token_hash=_hash(token))
    db.session.add(feed)
    db.session.flush()
    audit.record(
        "user",
        user.id,
        "create_calendar_token",
        actor=user,
        changes={"feed": feed.id, "replaces": replaced},
    )
    return token


def revoke_feed_token(user: User) -> None:
    """Revoke ``user``'s feed: its address stops working at once."""
    revoked = _revoke(user)
    if revoked:
        db.session.flush()
        audit.record(
            "user", user.id, "revoke_calendar_token", actor=user, changes={"feeds": revoked}
        )


def feed_owner(token: str) -> User | None:
    """The active user whose live feed ``token`` opens, or None."""
    if not token or len(token) > TOKEN_MAX:
        return None
    feed = db.session.scalar(
        sa.select(CalendarFeed).where(
            CalendarFeed.token_hash == _hash(token), CalendarFeed.revoked_at.is_(None)
        )
    )
    if feed is None or not feed.user.active:
        return None
    return feed.user


# The feed itself ---------------------------------------------------------------------------


def _value_words(contract: Contract, book: estimates.RateBook) -> str:
    """The term's value, and a foreign one's estimate in the base at today's rate."""
    value = format_money(contract.value, contract.currency)
    estimate = book.foreign_estimate(contract.value, contract.currency)
    if estimate is None:
        return f"Value for the term: {value}."
    base = format_money(estimate.amount_base, estimate.currency)
    return f"Value for the term: {value} (≈ {base} at today's rate, an estimate)."


def ical(user: User) -> bytes:
    """``user``'s deadlines from a month ago to two years ahead, as iCalendar."""
    today = dt.date.today()
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Procure//Contract renewals//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Procure contract deadlines")
    stamp = dt.datetime.now(dt.UTC)
    book = estimates.RateBook()
    for event in events(user, today - dt.timedelta(days=31), dates.add_months(today, 24)):
        contract = event["contract"]
        item = icalendar.Event()
        kind = "notice" if event["what"] == "notice deadline" else "end"
        item.add("uid", f"contract-{contract.id}-{kind}-{event['day'].isoformat()}@procure")
        item.add("dtstamp", stamp)
        item.add("dtstart", event["day"])
        item.add("dtend", event["day"] + dt.timedelta(days=1))
        label = "Notice deadline" if kind == "notice" else "Contract ends"
        item.add("summary", f"{label}: {contract.number} {contract.title}")
        item.add(
            "description",
            f"{contract.vendor.name}. {document.renewal_clause(contract)} "
            f"{_value_words(contract, book)}",
        )
        item.add("url", external_url("contracts.detail", contract_id=contract.id))
        cal.add_component(item)
    return cal.to_ical()
