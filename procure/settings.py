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
    # Single sign-on and the directory (identity/mapping.py): the groups that give roles,
    # where the department comes from, linking by e-mail. None until admin saves the page:
    # then PROCURE_GROUP_ROLES and PROCURE_DEPARTMENT_ATTRIBUTE say it.
    "signin.mapping": None,
    # Invoice matching (invoices/matching.py): a unit price or a total may exceed the
    # order's by the lesser of this percent and this amount (in the base currency).
    "invoices.price_tolerance_percent": "2",
    "invoices.price_tolerance_amount": "5.00",
    # Categories matched two-way (invoiced ≤ ordered): services and licences are not
    # received at a loading dock. The others are matched three-way (invoiced ≤ received).
    "invoices.two_way_categories": [
        "software",
        "licence",
        "cloud",
        "services",
        "maintenance",
        "telecom",
    ],
    # Order revisions (orders/revisions.py): an increase over the approved amount needs
    # the request's approvers when it exceeds the lesser of this percent of the approved
    # amount and this amount (in the base currency).
    "orders.revision_tolerance_percent": "5",
    "orders.revision_tolerance_amount": "500.00",
    # Currencies documents may be in besides the base (currencies.py): ISO 4217 codes.
    "currencies.enabled": [],
    # Assets: receiving a line of these categories makes one asset per unit, or a
    # licence pool; the places an asset may be (suggestions, free text still taken);
    # how many days before a warranty ends its reminder goes out.
    # Sealed RFQs: a second procurement user confirms the opening of the bids.
    "sourcing.two_to_open": False,
    # Framework agreements: an approved catalogue request's call-off is made at once.
    "agreements.auto_call_off": False,
    "assets.hardware_categories": ["hardware", "peripherals"],
    "assets.licence_categories": ["licence", "software", "cloud"],
    "assets.locations": [],
    "assets.warranty_reminder_days": 30,
    # The buying organisation's details (organisation.py): empty until admin sets them.
    "organisation": {},
    # The standard clauses of every maintenance, support or service agreement
    # (organisation.agreement_clauses), printed under their headings; admin edits them.
    "agreement.clauses": {
        "service_hours": (
            "The Supplier provides the services from 08:00 to 18:00, Monday to Friday, in "
            "the Customer's time zone, public holidays excepted. Response and resolution "
            "times are counted within service hours unless a service level says otherwise."
        ),
        "notices": (
            "Notices under this agreement are given in writing, by letter or e-mail, to the "
            "addresses below, and take effect when received. A notice that ends the "
            "agreement or refuses its renewal quotes the agreement's number."
        ),
        "invoicing": (
            "The Supplier invoices each instalment of the fees schedule on or after its due "
            "date, quoting the agreement's number (and the purchase order's, where there is "
            "one), to the invoice address below. The Customer pays a correct invoice within "
            "30 days of receiving it and may withhold an amount it disputes in good faith "
            "until the dispute is settled."
        ),
        "price_change": (
            "The fees are fixed for the current term. For a renewal term the Supplier may "
            "change them only by written notice received at least 90 days before the end "
            "date, and by no more than 3%; without such notice the renewal term is at the "
            "current fees."
        ),
        "termination": (
            "Either party may end this agreement at once by written notice if the other "
            "commits a material breach and does not remedy it within 30 days of being asked "
            "to in writing, or becomes insolvent. The Customer then pays for the services "
            "delivered up to that day and is refunded the fees paid for the time after it."
        ),
        "liability": (
            "Each party's total liability under this agreement in a contract year is limited "
            "to the fees payable for that year, and neither party is liable for indirect or "
            "consequential loss. These limits do not apply to death or personal injury "
            "caused by negligence, to fraud, or to a breach of confidentiality."
        ),
        "confidentiality": (
            "Each party keeps confidential the information it receives from the other under "
            "this agreement, uses it only to perform the agreement and discloses it only to "
            "those who need it for that purpose and are bound in the same way. This lasts "
            "for five years after the agreement ends and does not cover information that is "
            "public or that the law requires to be disclosed."
        ),
        "governing_law": (
            "This agreement is governed by the law of the place of the Customer's address "
            "above, whose courts alone decide any dispute arising from it."
        ),
    },
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
    audit.record("settings", None, "update", actor=actor, changes={key: [old, value]})
