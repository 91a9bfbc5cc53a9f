"""The matching settings admin edits on ``/admin/invoices`` (and ``PUT
/api/v1/settings/invoices``): the price tolerance, percent and amount, and which
categories are matched two-way (invoiced ≤ ordered) rather than three-way (invoiced ≤
received). ``matching.py`` reads them; every change is audited as a setting."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from .. import currencies, reference, settings, tolerance
from ..models import User
from ..money import round_money
from ..validation import FieldErrors

PERCENT = "invoices.price_tolerance_percent"
AMOUNT = "invoices.price_tolerance_amount"
TWO_WAY = "invoices.two_way_categories"


@dataclasses.dataclass(frozen=True)
class Tolerances:
    percent: Decimal
    amount: Decimal  # in the base currency
    two_way_categories: list[str]


def current() -> Tolerances:
    return Tolerances(
        percent=Decimal(str(settings.get(PERCENT))),
        amount=Decimal(str(settings.get(AMOUNT))),
        two_way_categories=list(settings.get(TWO_WAY)),
    )


def update(
    percent: object, amount: object, two_way_categories: list[str], *, actor: User | None
) -> Tolerances:
    """Set all three (admin); each problem beside its field, nothing changed then."""
    reference.require_admin(actor, "change the invoice matching settings")
    errors = FieldErrors()
    share, absolute = tolerance.parse(percent, amount, errors, most=Decimal("1000000"))
    base = currencies.base()
    known = set(reference.category_names(active_only=False))
    unknown = sorted({c for c in two_way_categories if c not in known})
    if unknown:
        errors.add("two_way_categories", f"No such category: {', '.join(unknown)}.")
    errors.raise_if_any()
    if share is None or absolute is None:  # raise_if_any has refused it already
        return current()
    settings.put(PERCENT, f"{share.normalize():f}", actor=actor)
    settings.put(AMOUNT, str(round_money(absolute, base)), actor=actor)
    settings.put(TWO_WAY, sorted(set(two_way_categories)), actor=actor)
    return current()
