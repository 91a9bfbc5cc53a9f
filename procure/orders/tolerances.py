"""The revision setting admin edits on ``/admin/orders`` (and ``PUT
/api/v1/settings/orders``): how far a revision may raise an order above the approved
amount before the request's approvers must approve the increase — the lesser of a
percent of the approved amount and an amount in the base currency. Every change is
audited as a setting."""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation

from .. import currencies, reference, settings
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


def _decimal(value: object, field: str, errors: FieldErrors) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors.add(field, "Give a number, such as 5 or 2.5.")
        return None
    if not number.is_finite() or number < 0:
        errors.add(field, "Give a number of zero or more.")
        return None
    return number


def update(percent: object, amount: object, *, actor: User | None) -> Tolerances:
    """Set both (admin); each problem beside its field, nothing changed then."""
    reference.require_admin(actor, "change the order revision settings")
    errors = FieldErrors()
    share = _decimal(percent, "percent", errors)
    if share is not None and share > 100:
        errors.add("percent", "A tolerance is at most 100 %.")
    absolute = _decimal(amount, "amount", errors)
    base = currencies.base()
    if absolute is not None and absolute > Decimal("1000000000"):
        errors.add("amount", "A tolerance is at most 1,000,000,000.")
    elif absolute is not None and round_money(absolute, base) != absolute:
        errors.add("amount", f"{base} amounts have at most the currency's decimals.")
    errors.raise_if_any()
    if share is None or absolute is None:  # raise_if_any has refused it already
        return current()
    settings.put(PERCENT, f"{share.normalize():f}", actor=actor)
    settings.put(AMOUNT, str(round_money(absolute, base)), actor=actor)
    return current()
