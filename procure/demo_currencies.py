"""The demo's foreign currencies (``seed-demo``): two currencies enabled besides the
base, three months of daily rates, a European and a British vendor, an RFQ with quotes
in three currencies ready to compare, an issued order and a contract in euros.

The rates are made up but plausible and the same on every run: each day's rate is a
function of the date alone (two slow waves and a little seeded noise around a mid
rate), so seeding again adds only the days since and changes none already recorded.
Everything is created once, recognised by its title or name.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from decimal import Decimal

import sqlalchemy as sa

from . import currencies, rates
from .auth.services import find_user_by_email
from .contracts import services as contracts
from .extensions import db
from .models import Contract, ExchangeRate, PurchaseRequest, User, Vendor, utcnow
from .orders import services as orders
from .purchasing import services as purchasing
from .sourcing import services as sourcing
from .vendors.demo import insured_vendor

# What one unit was worth in US dollars, around the demo's days: the middle of the
# daily rates. The demo enables the first two of these that are not the base.
MID_IN_USD = {"EUR": Decimal("1.0850"), "GBP": Decimal("1.2700"), "USD": Decimal("1")}
RATE_DAYS = 92  # about three months, weekdays only, as central banks publish
RATE_PLACES = Decimal("0.000001")

# name, categories, rating, quote e-mail, address: the first quotes in the first foreign
# currency (EUR), the second in the second (GBP).
FOREIGN_VENDORS = [
    (
        "Rheinwerk Server GmbH",
        ["hardware", "services"],
        4,
        "angebote@rheinwerk-server.example.de",
        "Hanauer Landstraße 150\n60314 Frankfurt am Main\nGermany",
    ),
    (
        "Thames Data Systems Ltd",
        ["hardware", "peripherals"],
        4,
        "quotes@thames-data.example.co.uk",
        "12 Bankside\nLondon SE1 9PJ\nUnited Kingdom",
    ),
]
USD_VENDOR = "Northwind Hardware"

COMPARED_TITLE = "Rack servers for the Frankfurt office"
ORDERED_TITLE = "Server racks for the Frankfurt office"
CONTRACT_TITLE = "Frankfurt server support"


def foreign_currencies() -> list[str]:
    """The two currencies the demo enables: EUR and GBP, or USD in place of the base."""
    return [code for code in MID_IN_USD if code != currencies.base()][:2]


def _usd_value(code: str, day: dt.date) -> float:
    """One unit of ``code`` in dollars on ``day``: the mid rate moved by a slow wave
    (about three months), a faster one (about three weeks) and seeded noise."""
    if code == "USD":
        return 1.0
    n = day.toordinal()
    phase = sum(map(ord, code))
    wave = 0.018 * math.sin(2 * math.pi * n / 97 + phase) + 0.006 * math.sin(
        2 * math.pi * n / 23 + phase
    )
    noise = (random.Random(f"{code}:{n}").random() - 0.5) * 0.004  # noqa: S311 -- demo data
    return float(MID_IN_USD[code]) * (1 + wave + noise)


def demo_rate(code: str, day: dt.date) -> Decimal:
    """Base units one unit of ``code`` is worth on ``day``, to six decimals."""
    value = _usd_value(code, day) / _usd_value(currencies.base(), day)
    return Decimal(repr(value)).quantize(RATE_PLACES)


def rate_days(today: dt.date) -> list[dt.date]:
    """The weekdays of the last ``RATE_DAYS`` days, today included."""
    days = (today - dt.timedelta(days=back) for back in range(RATE_DAYS, -1, -1))
    return [day for day in days if day.weekday() < 5]


def seed_rates(today: dt.date | None = None) -> int:
    """Enable the demo's currencies and record the rates not recorded yet; returns how
    many were recorded (the rates page and every conversion read them)."""
    today = today or utcnow().date()
    codes = foreign_currencies()
    if not set(codes) <= set(currencies.enabled()):
        currencies.set_enabled(sorted(set(currencies.enabled()) | set(codes)), actor=None)
    recorded = 0
    for code in codes:
        known = set(
            db.session.scalars(sa.select(ExchangeRate.day).where(ExchangeRate.currency == code))
        )
        for day in rate_days(today):
            if day not in known:
                rates.record(code, day, demo_rate(code, day), actor=None)
                recorded += 1
    return recorded


# Vendors, the RFQ in three currencies and the order in euros ---------------------------------


def _approved_request(title: str, email: str, lines: list[tuple[str, str, str]]):
    """A request estimated in euros (or the first foreign currency), submitted at
    today's rate and approved by every step."""
    requester = find_user_by_email(email)
    pr = purchasing.create_request(
        purchasing.RequestData(
            title=title,
            currency=foreign_currencies()[0],
            needed_by=utcnow().date() + dt.timedelta(days=45),
            lines=[
                purchasing.LineData(
                    description=description,
                    quantity=Decimal(quantity),
                    unit_price=Decimal(price),
                    category="hardware",
                )
                for description, quantity, price in lines
            ],
        ),
        actor=requester,
    )
    purchasing.submit(pr, actor=requester)
    deciders = {
        "department": find_user_by_email("ian@example.org"),
        "finance": find_user_by_email("fiona@example.org"),
        "executive": find_user_by_email("eve@example.org"),
    }
    while pr.pending_step is not None:
        purchasing.approve(pr, actor=deciders[pr.pending_step.name], comment="Fine.")
    return pr


def _quote(rfq, vendor: Vendor, currency: str, factor: str, lead: int, warranty: int, buyer):
    """The vendor's quote in its own currency: the request's estimate converted at
    today's demo rate, times ``factor``."""
    today = utcnow().date()
    estimate_currency = rfq.request.currency
    in_quote = demo_rate(estimate_currency, today) / demo_rate(currency, today)
    unit = Decimal(1).scaleb(-2)
    return sourcing.record_quote(
        rfq,
        sourcing.QuoteData(
            vendor_id=vendor.id,
            currency=currency,
            valid_until=today + dt.timedelta(days=30),
            lead_time_days=lead,
            warranty_months=warranty,
            payment_terms="30 days net",
            shipping=(Decimal("90") * in_quote).quantize(unit),
            lines=[
                sourcing.QuoteLineData(
                    description=line.description,
                    quantity=line.quantity,
                    unit=line.unit,
                    unit_price=(line.unit_price * in_quote * Decimal(factor)).quantize(unit),
                    request_line_id=line.id,
                )
                for line in rfq.request.lines
            ],
        ),
        actor=buyer,
    )


def _exists(model, **where) -> bool:
    query = sa.select(sa.func.count()).select_from(model).filter_by(**where)
    return bool(db.session.scalar(query))


def seed_sourcing(buyer: User, by_currency: dict[str, Vendor]) -> None:
    """The open RFQ with quotes in three currencies, and the order in euros (issued,
    its first line received)."""
    today = utcnow().date()
    base, first, second = currencies.base(), *foreign_currencies()
    if not _exists(PurchaseRequest, title=COMPARED_TITLE):
        pr = _approved_request(
            COMPARED_TITLE,
            "ada@example.org",
            [("Rack server, 2U, 2 × 32 cores, 512 GB", "2", "6900.00")],
        )
        rfq = sourcing.create_rfq(
            sourcing.RfqData(
                request_id=pr.id,
                vendor_ids=[v.id for v in by_currency.values()],
                due_date=today + dt.timedelta(days=12),
                notes="Quote in your own currency; we compare in ours at one day's rates.",
            ),
            actor=buyer,
        )
        sourcing.send(rfq, actor=buyer)
        _quote(rfq, by_currency[base], base, "1.02", 14, 36, buyer)
        _quote(rfq, by_currency[first], first, "0.97", 10, 36, buyer)
        _quote(rfq, by_currency[second], second, "0.99", 21, 60, buyer)
    if not _exists(PurchaseRequest, title=ORDERED_TITLE):
        pr = _approved_request(
            ORDERED_TITLE,
            "ada@example.org",
            [
                ("42U server rack with PDUs", "2", "2450.00"),
                ("Cable management kit", "4", "85.00"),
            ],
        )
        rfq = sourcing.create_rfq(
            sourcing.RfqData(
                request_id=pr.id,
                vendor_ids=[v.id for v in by_currency.values()],
                due_date=today + dt.timedelta(days=7),
            ),
            actor=buyer,
        )
        sourcing.send(rfq, actor=buyer)
        _quote(rfq, by_currency[base], base, "1.05", 10, 24, buyer)
        cheaper = _quote(rfq, by_currency[first], first, "0.96", 8, 24, buyer)
        _quote(rfq, by_currency[second], second, "1.01", 12, 24, buyer)
        order = sourcing.award(rfq, cheaper.id, actor=buyer)
        orders.issue(order, actor=buyer)
        line = order.lines[0]
        orders.receive(
            order,
            [orders.ReceiptLineData(line_id=line.id, quantity=line.quantity)],
            received_on=today,
            actor=buyer,
            note="The cable kits follow next week.",
        )


def seed_contract(buyer: User, vendor: Vendor) -> None:
    """A support contract in euros: its page and the calendar show base estimates."""
    if _exists(Contract, title=CONTRACT_TITLE):
        return
    today = utcnow().date()
    owner = find_user_by_email("ian@example.org")
    contract = contracts.create(
        contracts.ContractData(
            vendor_id=vendor.id,
            title=CONTRACT_TITLE,
            kind="support",
            start_date=today - dt.timedelta(days=120),
            end_date=today + dt.timedelta(days=245),
            value=Decimal("18000.00"),
            currency=vendor_currency(vendor),
            billing_period="quarterly",
            auto_renew=True,
            notice_days=90,
            renewal_term_months=12,
            sla_response_hours=4,
            sla_resolution_hours=24,
            covered_items=["Rack servers in Frankfurt, on site, next business day"],
            terms="Support in German and English, Monday to Friday, 08:00-18:00 CET.",
            owner_id=owner.id if owner else None,
        ),
        actor=buyer,
    )
    contracts.activate(contract, actor=buyer)


def vendor_currency(vendor: Vendor) -> str:
    """The currency the demo's foreign vendor quotes in (the base for the others)."""
    codes = dict(zip([v[0] for v in FOREIGN_VENDORS], foreign_currencies(), strict=True))
    return codes.get(vendor.name, currencies.base())


def seed_all() -> None:
    """Everything of the demo in other currencies (once each; the rates up to today)."""
    buyer = find_user_by_email("paul@example.org")
    if buyer is None:
        return
    seed_rates()
    usd_vendor = db.session.scalar(sa.select(Vendor).where(Vendor.name == USD_VENDOR))
    if usd_vendor is None:
        return
    by_currency = {currencies.base(): usd_vendor}
    for (name, categories, rating, email, address), code in zip(
        FOREIGN_VENDORS, foreign_currencies(), strict=True
    ):
        by_currency[code] = insured_vendor(buyer, name, categories, rating, email, address)
    seed_sourcing(buyer, by_currency)
    seed_contract(buyer, by_currency[foreign_currencies()[0]])
