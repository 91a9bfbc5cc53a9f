"""Installation settings that admin edits in the app, with their defaults.

Values live in the ``settings`` table as JSON; each has a default here, so that a
fresh installation behaves as DESIGN.md says without any row."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm

from . import audit
from .extensions import db
from .models import Setting, User

DEFAULTS: dict[str, Any] = {
    # Sourcing: from this request total, an award needs this many quotes unless it
    # carries a single-source justification.
    "sourcing.quote_threshold": "5000.00",
    "sourcing.min_quotes": 3,
    # Vendors: document kinds every vendor must hold, unexpired, to be invited.
    "vendors.required_documents": [],
    # Approvals: a step waiting longer than this many working days is overdue; its
    # deciders are reminded once a day.
    "approvals.sla_working_days": 2,
    # Split purchases: requests of one department to one vendor or category created
    # within this many days of each other are looked at together.
    "reports.split_window_days": 14,
    # The buying organisation's details (organisation.py): empty until admin sets them.
    "organisation": {},
}


CACHE_KEY = "procure.settings"


def _stored() -> dict[str, Any]:
    """Every stored setting, read once per database session (a request, a command):
    a page that checks many vendors against the required documents asks once."""
    cache = db.session.info.get(CACHE_KEY)
    if cache is None:
        cache = dict(db.session.execute(sa.select(Setting.key, Setting.value)).all())
        db.session.info[CACHE_KEY] = cache
    return cache


@sa.event.listens_for(sa.orm.Session, "after_commit")
@sa.event.listens_for(sa.orm.Session, "after_soft_rollback")
def forget(session: sa.orm.Session | None = None, *_args: Any) -> None:
    """Read the settings again next time: another transaction may have changed one."""
    (session or db.session).info.pop(CACHE_KEY, None)


def get(key: str) -> Any:
    if key not in DEFAULTS:
        raise KeyError(key)
    return _stored().get(key, DEFAULTS[key])


def put(key: str, value: Any, *, actor: User | None) -> None:
    """Set ``key`` (validated by the caller) and audit the change."""
    if key not in DEFAULTS:
        raise KeyError(key)
    row = db.session.get(Setting, key)
    old = DEFAULTS[key] if row is None else row.value
    if old == value:
        return
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
    db.session.flush()
    db.session.info.pop(CACHE_KEY, None)
    audit.record("setting", None, "update", actor=actor, changes={key: [old, value]})
