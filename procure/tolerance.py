"""A tolerance as admin sets it: a percent and an amount in the base currency, of which
the lesser applies (invoice matching, order revisions). :func:`parse` checks what admin
typed, each problem beside its field."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from . import currencies
from .money import round_money
from .validation import FieldErrors


def _number(value: object, field: str, errors: FieldErrors) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors.add(field, "Give a number, such as 2 or 2.5.")
        return None
    if not number.is_finite() or number < 0:
        errors.add(field, "Give a number of zero or more.")
        return None
    return number


def parse(
    percent: object, amount: object, errors: FieldErrors, *, most: Decimal
) -> tuple[Decimal | None, Decimal | None]:
    """The percent (0 to 100) and the amount (0 to ``most``, in the base currency's
    decimals), or None beside an error on ``percent`` / ``amount``."""
    share = _number(percent, "percent", errors)
    if share is not None and share > 100:
        errors.add("percent", "A tolerance is at most 100 %.")
    absolute = _number(amount, "amount", errors)
    base = currencies.base()
    if absolute is not None and absolute > most:
        errors.add("amount", f"A tolerance is at most {most:,}.")
    elif absolute is not None and round_money(absolute, base) != absolute:
        errors.add("amount", f"{base} amounts have at most the currency's decimals.")
    return share, absolute
