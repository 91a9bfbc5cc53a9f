"""Jinja filters and the context every page shares (navigation by role)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from babel.dates import format_datetime
from flask import Flask, current_app
from flask_login import current_user

from . import reference
from .models import Role
from .money import babel_locale, format_date, format_money, format_quantity
from .purchasing.ageing import is_overdue
from .reference import list_categories


@dataclasses.dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    roles: frozenset[Role] | None = None  # None: everybody signed in


# Areas appear here as they land; an item shows when its endpoint exists.
NAVIGATION = [
    NavItem("Dashboard", "main.dashboard"),
    NavItem("Requests", "purchasing.index"),
    NavItem(
        "Approvals",
        "purchasing.approvals",
        frozenset({Role.APPROVER, Role.FINANCE, Role.EXECUTIVE}),
    ),
    NavItem("Vendors", "vendors.index"),
    # Who files requests from it and who keeps it; finance and admin, whose bars are
    # full, reach it from the agreements.
    NavItem("Catalogue", "agreements.catalogue", frozenset({Role.REQUESTER, Role.PROCUREMENT})),
    NavItem("RFQs", "sourcing.index", frozenset({Role.PROCUREMENT, Role.FINANCE, Role.ADMIN})),
    NavItem("Orders", "orders.index", frozenset({Role.PROCUREMENT, Role.FINANCE, Role.ADMIN})),
    NavItem("Invoices", "invoices.index", frozenset({Role.PROCUREMENT, Role.FINANCE, Role.ADMIN})),
    NavItem(
        "Contracts", "contracts.index", frozenset({Role.PROCUREMENT, Role.FINANCE, Role.ADMIN})
    ),
    NavItem(
        "Assets",
        "assets.index",
        frozenset({Role.PROCUREMENT, Role.ASSET_MANAGER, Role.FINANCE, Role.ADMIN}),
    ),
    NavItem("Budgets", "budgets.index", frozenset({Role.FINANCE, Role.ADMIN, Role.APPROVER})),
    NavItem("Rates", "exchange.rates", frozenset({Role.FINANCE, Role.ADMIN})),
    NavItem("Reports", "reports.index", frozenset({Role.FINANCE, Role.PROCUREMENT, Role.ADMIN})),
    NavItem("Admin", "admin.index", frozenset({Role.ADMIN})),
]


def navigation_for(user) -> list[NavItem]:  # type: ignore[no-untyped-def]
    endpoints = current_app.view_functions
    return [
        item
        for item in NAVIGATION
        if item.endpoint in endpoints and (item.roles is None or user.roles & item.roles)
    ]


# Amounts, quantities and dates are formatted by procure.money, in the installation's
# locale: a page, a flash message and an e-mail say them the same way.


def money_filter(value: Decimal | None, currency: str | None = None) -> str:
    return format_money(value, currency or current_app.config["PROCURE_CURRENCY"])


def quantity_filter(value: Decimal | None) -> str:
    return format_quantity(value)


def date_filter(value: dt.date | None, style: str = "medium") -> str:
    return format_date(value, style)


def datetime_filter(value: dt.datetime | None, style: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(
        value.replace(tzinfo=dt.UTC), format=style, tzinfo=dt.UTC, locale=babel_locale()
    )


def datetime_attribute_filter(value: dt.datetime | dt.date) -> str:
    """A ``<time datetime>`` value: UTC to the second (HTML allows at most three
    decimals, and a stored time has six), ``Z`` for a naive UTC time."""
    if not isinstance(value, dt.datetime):
        return value.isoformat()
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.replace(microsecond=0).isoformat() + "Z"


def age_filter(value: dt.datetime | None) -> str:
    """How long ago, in words: "3 days", "5 hours", "just now"."""
    if value is None:
        return ""
    seconds = (dt.datetime.now(dt.UTC).replace(tzinfo=None) - value).total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "just now"


def ago_filter(value: dt.datetime | None) -> str:
    """ "3 days ago", "just now"."""
    age = age_filter(value)
    return age if age in ("", "just now") else f"{age} ago"


def category_filter(name: str | None) -> str:
    """A category's label ("Licence") for its key ("licence"), read once per request."""
    if not name:
        return ""
    from flask import g

    labels = g.get("_procure_category_labels")
    if labels is None:
        labels = g._procure_category_labels = {c.name: c.label for c in list_categories()}
    return labels.get(name, name)


def overdue_test(step) -> bool:
    """``{% if step is overdue %}``: the step waits longer than the approval policy's
    service level."""

    return is_overdue(step)


def init_app(app: Flask) -> None:
    app.jinja_env.tests["overdue"] = overdue_test
    app.jinja_env.globals["sla_days"] = reference.sla_days
    app.jinja_env.filters.update(
        money=money_filter,
        quantity=quantity_filter,
        date=date_filter,
        datetime=datetime_filter,
        datetime_attribute=datetime_attribute_filter,
        age=age_filter,
        ago=ago_filter,
        category=category_filter,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _shared() -> dict:
        user = current_user
        nav = navigation_for(user) if user and user.is_authenticated else []
        return {"navigation": nav, "currency": current_app.config["PROCURE_CURRENCY"]}
