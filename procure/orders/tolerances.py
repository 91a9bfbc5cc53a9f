"""The revision setting admin edits on ``/admin/orders`` (and ``PUT
/api/v1/settings/orders``): how far a revision may raise an order above the approved
amount before the request's approvers must approve the increase — the lesser of a
percent of the approved amount and an amount in the base currency. Every change is
audited as a setting."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from .. import currencies, reference, settings, tolerance
from ..models import User
from ..money import round_money
from ..validation import FieldErrors

PERCENT = "orders.revision_tolerance_percent"
AMOUNT = "orders.revision_tolerance_amount"


@dataclasses.dataclass(frozen=True)
class Tolerances:
    percent: Decimal
    amount: Decimal  # in the base currency


def current() -> Tolerances:
    return Tolerances(
        percent=Decimal(str(settings.get(PERCENT))), amount=Decimal(str(settings.get(AMOUNT)))
    )


def update(percent: object, amount: object, *, actor: User | None) -> Tolerances:
    """Set both (admin); each problem beside its field, nothing changed then."""
    reference.require_admin(actor, "change the order revision settings")
    errors = FieldErrors()
    share, absolute = tolerance.parse(percent, amount, errors, most=Decimal("1000000000"))
    base = currencies.base()
    errors.raise_if_any()
    if share is None or absolute is None:  # raise_if_any has refused it already
        return current()
    settings.put(PERCENT, f"{share.normalize():f}", actor=actor)
    settings.put(AMOUNT, str(round_money(absolute, base)), actor=actor)
    return current()
