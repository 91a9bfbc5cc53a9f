"""What the rates and currencies pages show and do. Who may is checked here, not in
the views: finance and admin see and record rates (``record_rates``), admin enables
currencies (``administer``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from babel.numbers import format_decimal, list_currencies
from sqlalchemy.orm import selectinload

from .. import access, currencies, rates
from ..errors import NotFound, ValidationError
from ..models import ExchangeRate, User
from ..money import MAX_MINOR_UNITS, display_locale, minor_units
from ..pagination import PageOf, paginate_page


@dataclasses.dataclass(frozen=True)
class CurrencyRow:
    """An enabled currency as the pages show it, with its newest rate (None: none yet)."""

    code: str
    name: str
    minor_units: int
    is_base: bool
    latest: rates.Rate | None


def require_rates(user: User, action: str = "see exchange rates") -> None:
    access.require(user, "record_rates", action=action)


def enabled_rows() -> list[CurrencyRow]:
    latest = rates.latest_rates()
    base = currencies.base()
    return [
        CurrencyRow(code, currencies.name(code), minor_units(code), code == base, latest.get(code))
        for code in currencies.enabled()
    ]


def overview(user: User) -> list[CurrencyRow]:
    """The rates page's table: each enabled currency and its latest rate."""
    require_rates(user)
    return enabled_rows()


def foreign_choices() -> list[tuple[str, str]]:
    """The currencies a rate can be recorded for: enabled, not the base."""
    base = currencies.base()
    return [(code, label) for code, label in currencies.choices() if code != base]


def history(user: User, currency: str) -> PageOf:
    """The rates of one currency, newest day first, a page at a time."""
    require_rates(user)
    code = currency.strip().upper()
    if not currencies.is_iso(code) or code == currencies.base():
        raise NotFound(f"No exchange rates of {code[:10]!r}: it is not a foreign currency.")
    query = (
        sa.select(ExchangeRate)
        .where(ExchangeRate.currency == code)
        .order_by(ExchangeRate.day.desc())
        .options(selectinload(ExchangeRate.created_by))
    )
    return paginate_page(query)


def record_rate(
    currency: str | None, day: dt.date | None, rate: str | None, *, actor: User
) -> ExchangeRate:
    """Record the rate typed on the page; every problem beside its field."""
    require_rates(actor, "record exchange rates")
    if day is None:
        raise ValidationError.field("date", "Give the day the rate is for (YYYY-MM-DD).")
    return rates.record(currency or "", day, rate if rate is not None else "", actor=actor)


# Currencies (admin) -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Known:
    """A currency Babel knows, offered on the admin page."""

    code: str
    name: str
    minor_units: int

    @property
    def enableable(self) -> bool:
        return self.minor_units <= MAX_MINOR_UNITS


def require_admin(user: User) -> None:
    access.require(user, "administer", action="change the currencies")


def known_currencies() -> list[Known]:
    """Every ISO 4217 currency Babel knows, with its name and minor units."""
    return [
        Known(code, currencies.name(code), minor_units(code)) for code in sorted(list_currencies())
    ]


def currencies_page(user: User) -> list[CurrencyRow]:
    require_admin(user)
    return enabled_rows()


def enable(code: str | None, *, actor: User) -> str:
    """Enable one more currency; ValidationError on ``code`` when it cannot be."""
    require_admin(actor)
    text = currencies.check_enableable(code or "", field="code")
    if text in currencies.enabled():
        raise ValidationError.field("code", f"{text} is already enabled.")
    currencies.set_enabled([*_others(), text], actor=actor)
    return text


def disable(code: str, *, actor: User) -> str:
    """Stop offering a currency for new documents; documents in it keep it and their rates."""
    require_admin(actor)
    text = code.strip().upper()
    if text == currencies.base():
        raise ValidationError.field(
            "code", f"{text} is the base currency (PROCURE_CURRENCY): it cannot be disabled."
        )
    if text not in currencies.enabled():
        raise NotFound(f"{text[:10]} is not enabled.")
    currencies.set_enabled([other for other in _others() if other != text], actor=actor)
    return text


def _others() -> list[str]:
    base = currencies.base()
    return [code for code in currencies.enabled() if code != base]


def rate_text(value: Decimal) -> str:
    """A rate as people read it, in the installation's locale: at least four decimals,
    up to the nine a rate keeps (1.0825, 0.006667721)."""
    return format_decimal(value, format="#,##0.0000#####", locale=display_locale())
