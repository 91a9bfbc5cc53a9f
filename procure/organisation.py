"""The buying organisation: who Procure buys for, as vendors and documents see it.

Name, address, phone, e-mail, tax id, invoice (bill-to) address and the general
terms of purchase are admin settings (the ``organisation`` setting), shown on
purchase orders, contracts, e-mails and the vendors' pages; PDFs carry the name
as their Author. Until admin sets them, the name and address come from
``PROCURE_ORGANISATION`` and ``PROCURE_ORGANISATION_ADDRESS``.

The standard clauses of its agreements (service hours, notices, invoicing, price
change on renewal, termination for cause, liability, confidentiality, governing law)
are another setting, ``agreement.clauses``, with defaults in ``settings.DEFAULTS``.
Admin edits both on ``/admin/organisation``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import current_app

from . import settings
from .models import User
from .reference import require_admin
from .validation import FieldErrors

SETTING = "organisation"
TEXT_MAX = 200
BLOCK_MAX = 1_000
TERMS_MAX = 20_000


@dataclasses.dataclass(frozen=True)
class Organisation:
    name: str
    address: str = ""
    phone: str = ""
    email: str = ""
    tax_id: str = ""
    bill_to: str = ""
    terms: str = ""

    @property
    def invoice_address(self) -> str:
        """Where vendors send invoices: the bill-to address, else the address."""
        return self.bill_to or self.address

    def as_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


FIELDS = tuple(field.name for field in dataclasses.fields(Organisation))


def current() -> Organisation:
    """The organisation as admin set it, with the configured name and address
    standing in for what was never set."""
    stored: dict[str, Any] = settings.get(SETTING) or {}
    config = current_app.config
    values = {name: str(stored.get(name) or "") for name in FIELDS}
    values["name"] = values["name"] or config["PROCURE_ORGANISATION"]
    values["address"] = values["address"] or config["PROCURE_ORGANISATION_ADDRESS"]
    return Organisation(**values)


def update(data: dict[str, str | None], *, actor: User | None) -> Organisation:
    """Set every field (admin); the change is audited as a setting."""
    require_admin(actor, "change the organisation's details")
    errors = FieldErrors()
    limits = {"address": BLOCK_MAX, "bill_to": BLOCK_MAX, "terms": TERMS_MAX}
    values = {
        name: errors.text(
            data.get(name),
            name,
            max_length=limits.get(name, TEXT_MAX),
            required=name == "name",
            missing="Give the organisation's name.",
        )
        for name in FIELDS
        if name != "email"
    }
    values["email"] = errors.email(data.get("email"), "email")
    errors.raise_if_any()
    settings.put(SETTING, {name: values[name] for name in FIELDS}, actor=actor)
    return current()


# The agreement's standard clauses --------------------------------------------------------

AGREEMENT_SETTING = "agreement.clauses"
CLAUSE_MAX = 5_000
# (key, heading), in the order an agreement prints them.
CLAUSES = (
    ("service_hours", "Service hours"),
    ("notices", "Notices"),
    ("invoicing", "Invoicing and payment"),
    ("price_change", "Price change on renewal"),
    ("termination", "Termination for cause"),
    ("liability", "Liability"),
    ("confidentiality", "Confidentiality"),
    ("governing_law", "Governing law"),
)
HEADINGS = dict(CLAUSES)


@dataclasses.dataclass(frozen=True)
class Clause:
    key: str
    heading: str
    text: str


def agreement_clauses() -> list[Clause]:
    """The clauses every agreement prints, as admin set them; a clause never set
    keeps its default (``settings.DEFAULTS``)."""
    defaults: dict[str, str] = settings.DEFAULTS[AGREEMENT_SETTING]
    stored: dict[str, Any] = settings.get(AGREEMENT_SETTING) or {}
    return [
        Clause(key, heading, str(stored.get(key) or defaults[key])) for key, heading in CLAUSES
    ]


def update_agreement_clauses(data: dict[str, str | None], *, actor: User | None) -> list[Clause]:
    """Set the text of every clause (admin); the change is audited as a setting."""
    require_admin(actor, "change the agreements' standard clauses")
    errors = FieldErrors()
    values = {
        key: errors.text(
            data.get(key),
            key,
            max_length=CLAUSE_MAX,
            required=True,
            missing=f"Give the text of the “{heading}” clause.",
        )
        for key, heading in CLAUSES
    }
    errors.raise_if_any()
    settings.put(AGREEMENT_SETTING, values, actor=actor)
    return agreement_clauses()
