"""The demo in several currencies: EUR and GBP enabled with three months of daily rates,
an open RFQ with quotes in USD, EUR and GBP ready to compare, an order issued in euros,
and a contract in euros — on top of the demo's documents, which stay as they were."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import audit, currencies, demo, demo_currencies
from procure.contracts import estimates
from procure.models import (
    AuditEvent,
    Contract,
    ExchangeRate,
    OrderStatus,
    PurchaseOrder,
    PurchaseRequest,
    Rfq,
    RfqStatus,
    utcnow,
)
from procure.money import round_money
from procure.reports import services as reports
from procure.sourcing import services as sourcing


@pytest.fixture
def seeded(db):
    demo.seed_all()
    db.session.commit()
    return db


def one(db, model, **where):
    return db.session.scalars(sa.select(model).filter_by(**where)).one()


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_two_currencies_with_three_months_of_weekday_rates(seeded):
    db = seeded
    assert currencies.enabled() == ["USD", "EUR", "GBP"]
    today = utcnow().date()
    for code in ("EUR", "GBP"):
        days = list(
            db.session.scalars(
                sa.select(ExchangeRate.day)
                .where(ExchangeRate.currency == code)
                .order_by(ExchangeRate.day)
            )
        )
        assert days == demo_currencies.rate_days(today)
        assert len(days) >= 60 and all(day.weekday() < 5 for day in days)
        assert (today - days[0]).days >= 85
    euro = db.session.scalars(sa.select(ExchangeRate.rate).where(ExchangeRate.currency == "EUR"))
    pound = db.session.scalars(sa.select(ExchangeRate.rate).where(ExchangeRate.currency == "GBP"))
    assert all(Decimal("1.03") < rate < Decimal("1.14") for rate in euro)
    assert all(Decimal("1.20") < rate < Decimal("1.34") for rate in pound)


def test_the_rates_are_the_same_on_every_run_and_move_day_to_day(app):
    with app.app_context():
        day = dt.date(2026, 10, 14)
        assert demo_currencies.demo_rate("EUR", day) == demo_currencies.demo_rate("EUR", day)
        month = [demo_currencies.demo_rate("EUR", day + dt.timedelta(days=n)) for n in range(30)]
    assert len(set(month)) > 20
    assert all(rate == rate.quantize(Decimal("0.000001")) for rate in month)


def test_an_open_rfq_compares_quotes_in_three_currencies(seeded):
    db = seeded
    pr = one(db, PurchaseRequest, title=demo_currencies.COMPARED_TITLE)
    assert pr.currency == "EUR" and pr.rate is not None and pr.total_base is not None
    rfq = one(db, Rfq, request_id=pr.id)
    assert rfq.status == RfqStatus.OPEN
    comparison = sourcing.compare(rfq)
    assert sorted(q.currency for q in comparison.quotes) == ["EUR", "GBP", "USD"]
    assert not comparison.unranked and len(comparison.ranking) == 3
    for quote in comparison.quotes:
        converted = comparison.converted[quote.id]
        assert converted.total_base == round_money(quote.total * converted.rate.rate)
    # The euro quote is the cheapest in dollars, though not in its own figures.
    cheapest = comparison.quote(comparison.lowest_total_quote_id)
    assert cheapest.vendor.name == "Rheinwerk Server GmbH" and cheapest.currency == "EUR"


def test_an_order_issued_in_euros_counts_in_dollars(seeded):
    db = seeded
    pr = one(db, PurchaseRequest, title=demo_currencies.ORDERED_TITLE)
    order = one(db, PurchaseOrder, request_id=pr.id)
    assert order.currency == "EUR" and order.status == OrderStatus.PARTIALLY_RECEIVED
    assert order.number and order.rate_date <= utcnow().date()
    assert order.total_base == round_money(order.total * order.rate)
    rfq = one(db, Rfq, request_id=pr.id)
    assert rfq.award_total_base is not None and rfq.award_rate is not None
    spend = reports.spend(reports.Filters(), reports.Dimension.VENDOR)
    [row] = [row for row in spend.rows if row.label == "Rheinwerk Server GmbH"]
    assert row.total == order.total_base


def test_a_contract_in_euros_with_an_estimate(seeded):
    db = seeded
    contract = one(db, Contract, title=demo_currencies.CONTRACT_TITLE)
    assert contract.currency == "EUR" and contract.status.value == "active"
    estimate = estimates.value_estimate(contract)
    assert estimate is not None and estimate.amount_base > contract.value


def test_seeding_again_adds_nothing_and_keeps_the_chain(seeded):
    db = seeded
    before = {model: count(db, model) for model in (ExchangeRate, Rfq, PurchaseOrder, Contract)}
    events = count(db, AuditEvent)
    demo.seed_all()
    db.session.commit()
    assert {model: count(db, model) for model in before} == before
    assert count(db, AuditEvent) == events
    assert audit.verify().ok
