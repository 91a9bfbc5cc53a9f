"""The currencies documents may be in: the installation's base (``PROCURE_CURRENCY``)
and those admin enables (the ``currencies.enabled`` setting), ISO 4217 codes whose
names and minor units come from Babel. Budgets, thresholds, comparisons and reports are
in the base currency; ``rates.py`` converts."""

from __future__ import annotations

from babel.numbers import get_currency_name, list_currencies

from . import settings
from .errors import ValidationError
from .models import User
from .money import MAX_MINOR_UNITS, babel_locale, base_currency, minor_units
from .reference import require_admin

SETTING = "currencies.enabled"
MAX_ENABLED = 60


def base() -> str:
    return base_currency()


def enabled() -> list[str]:
    """The base first, then the enabled others in alphabetical order."""
    others = sorted(set(settings.get(SETTING) or []) - {base()})
    return [base(), *others]


def is_enabled(code: str | None) -> bool:
    return bool(code) and str(code).strip().upper() in enabled()


def is_iso(code: str) -> bool:
    return code in list_currencies()


def name(code: str) -> str:
    return get_currency_name(code, locale=babel_locale())


def choices() -> list[tuple[str, str]]:
    """(code, "EUR — Euro") of the enabled currencies, for a form's select."""
    return [(code, f"{code} — {name(code)}") for code in enabled()]


def require_enabled(code: str | None, field: str = "currency") -> str:
    """``code`` upper-cased when documents may be in it; a ValidationError on ``field``."""
    text = (code or "").strip().upper()
    if not text:
        raise ValidationError.field(field, "Choose a currency.")
    if not is_iso(text):
        raise ValidationError.field(field, f"{text[:10]} is not an ISO 4217 currency.")
    if text not in enabled():
        raise ValidationError.field(
            field,
            f"{text} is not enabled here; an administrator enables currencies on "
            "/admin/currencies.",
        )
    return text


def check_enableable(code: str, field: str = "enabled") -> str:
    """``code`` upper-cased when it may be enabled: ISO 4217, at most three decimals."""
    text = (code or "").strip().upper()
    if not is_iso(text):
        raise ValidationError.field(
            field, f"{text[:10] or 'An empty code'} is not an ISO 4217 currency."
        )
    if minor_units(text) > MAX_MINOR_UNITS:
        raise ValidationError.field(
            field,
            f"{text} has {minor_units(text)} decimals; Procure keeps at most {MAX_MINOR_UNITS}.",
        )
    return text


def set_enabled(codes: list[str], *, actor: User | None) -> list[str]:
    """Enable exactly ``codes`` besides the base (admin; audited as a setting)."""
    require_admin(actor, "change the currencies")
    if len(codes) > MAX_ENABLED:
        raise ValidationError.field("enabled", f"Enable at most {MAX_ENABLED} currencies.")
    wanted = sorted({check_enableable(code) for code in codes} - {base()})
    settings.put(SETTING, wanted, actor=actor)
    return enabled()
