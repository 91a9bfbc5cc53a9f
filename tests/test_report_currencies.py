"""Reports in the base currency: spend at each order's frozen rate (its base total, and
receipts at its rate), savings at the award's rate, every exported amount with its
currency, and nothing foreign summed unconverted.

The documents are made through the services in the base currency, then turned foreign
by writing what issuing and awarding freeze (currency, rate, rate date, base total):
the reports read exactly those columns."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from procure import award_figures, currencies, rates
from procure.extensions import db
from procure.models import PurchaseOrder, PurchaseRequest, Quote, Rfq
from procure.money import Money, RateColumn, round_money
from procure.reports import services, splits
from procure.reports.services import Dimension, Filters

from .report_support import Shop, at, fast_pdf  # noqa: F401 -- fast_pdf is a fixture
from .vendor_support import signed_in

D = Decimal
AWARD_DAY = dt.date(2026, 3, 2)


@pytest.fixture
def shop(make, db) -> Shop:
    shop = Shop(make, db)
    currencies.set_enabled(["EUR", "GBP"], actor=shop.admin)
    db.session.commit()
    return shop


def foreign_order(shop: Shop, order: PurchaseOrder, currency: str, rate: str) -> None:
    """What issuing froze had ``order`` been in ``currency`` at ``rate``."""
    shop.set(
        PurchaseOrder,
        order.id,
        currency=currency,
        rate=D(rate),
        rate_date=order.issued_at.date(),
        total_base=round_money(order.total * D(rate)),
    )


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.data[:500]
    return list(csv.reader(io.StringIO(response.data.decode("utf-8"))))


# Spend -----------------------------------------------------------------------------------------


@pytest.fixture
def spending(shop, fast_pdf):  # noqa: F811
    """Three orders:

    O1 IT→Acme, USD: hardware 2×1000 = 2,000, fully received: spent 2,000.
    O2 IT→Bosch, EUR at 1.10: hardware 3×300 + shipping 10 = 910 EUR = 1,001.00 base,
       one monitor received (300 EUR = 330.00): spent 330.00, committed 671.00.
    O3 OPS→Bosch, EUR at 1.2345: software 1×100.01 = 100.01 EUR = 123.462345, frozen as
       123.46, nothing received: committed 123.46."""
    acme, bosch = shop.vendor("Acme"), shop.vendor("Bosch")
    o1 = shop.order(
        "IT", [("Laptop", "2", "1000", "hardware")], acme, issued="2026-01-10 10:00", receive=["2"]
    )
    o2 = shop.order(
        "IT",
        [("Monitor", "3", "300", "hardware")],
        bosch,
        shipping="10",
        issued="2026-02-05 09:00",
        receive=["1"],
    )
    o3 = shop.order("OPS", [("Licence", "1", "100.01", "software")], bosch, issued="2026-02-20")
    foreign_order(shop, o2, "EUR", "1.10")
    foreign_order(shop, o3, "EUR", "1.2345")
    return {"acme": acme, "bosch": bosch, "orders": (o1, o2, o3)}


def figures(report) -> dict[str, tuple[Decimal, Decimal]]:
    return {row.label: (row.spent, row.committed) for row in report.rows}


def test_spend_counts_foreign_orders_at_their_frozen_rate(spending, db):
    by_vendor = figures(services.spend(Filters(), Dimension.VENDOR))
    assert by_vendor == {
        "Acme": (D("2000.00"), D("0.00")),
        "Bosch": (D("330.00"), D("671.00") + D("123.46")),
    }
    report = services.spend(Filters(), Dimension.MONTH)
    assert figures(report) == {
        "2026-01": (D("2000.00"), D("0.00")),
        "2026-02": (D("330.00"), D("794.46")),
    }
    assert report.total == D("3124.46")
    by_department = figures(services.spend(Filters(), Dimension.DEPARTMENT))
    [ops] = [value for label, value in by_department.items() if label.startswith("OPS")]
    assert ops == (D("0.00"), D("123.46"))


def test_the_category_split_converts_lines_at_the_order_rate(spending):
    by_category = figures(services.spend(Filters(), Dimension.CATEGORY))
    # Hardware: 2,000 USD received, and the EUR monitors (990.00 base): 330.00 of them
    # received; the EUR licence 100.01 at 1.2345; O2's shipping 10 EUR = 11.00.
    assert by_category == {
        "Hardware": (D("2330.00"), D("660.00")),
        "Software": (D("0.00"), D("123.46")),
        "Shipping and tax": (D("0.00"), D("11.00")),
    }


def test_todays_rate_moves_nothing_in_spend(spending, db):
    before = figures(services.spend(Filters(), Dimension.VENDOR))
    rates.record("EUR", dt.date.today(), "2.50", actor=None)
    db.session.commit()
    assert figures(services.spend(Filters(), Dimension.VENDOR)) == before


def test_the_spend_page_and_csv_are_in_the_base_currency(spending, shop, app):
    client = signed_in(app, shop.finance)
    page = client.get("/reports/spend?start=").get_data(as_text=True)
    assert "$794.46" in page and "$3,124.46" in page and "€" not in page
    rows = rows_of(client.get("/reports/spend.csv?start="))
    assert rows[0] == ["Vendor", "Spent (USD)", "Committed (USD)", "Total (USD)"]
    assert ["Bosch", "330.00", "794.46", "1124.46"] in rows


# Savings ---------------------------------------------------------------------------------------


@pytest.fixture
def award(shop, db, fast_pdf):  # noqa: F811
    """An RFQ for 1,000 of hardware with three quotes — Acme (USD) 1,200, Bosch (EUR)
    1,000 and Clyde (GBP) 900 — awarded to Bosch at 1.10 (1,100.00 base). On the award's
    rate date GBP was 1.30: Clyde's 900 GBP compared as 1,170.00."""
    acme, bosch, clyde = shop.vendor("Acme"), shop.vendor("Bosch"), shop.vendor("Clyde")
    pr = shop.approved("IT", [("Server", "1", "1000", "hardware")])
    rfq, _order = shop.rfq(
        pr,
        [(acme, "1.2"), (bosch, "1"), (clyde, "0.9")],
        award=bosch,
        justification="Support in German.",
    )
    rates.record("EUR", AWARD_DAY - dt.timedelta(days=3), "1.10", actor=None)
    rates.record("GBP", AWARD_DAY - dt.timedelta(days=1), "1.30", actor=None)
    # Rates after the award's rate date change nothing.
    rates.record("GBP", AWARD_DAY + dt.timedelta(days=1), "9.99", actor=None)
    quotes = {q.vendor_id: q for q in db.session.scalars(sa.select(Quote))}
    shop.set(Quote, quotes[bosch.id].id, currency="EUR")
    shop.set(Quote, quotes[clyde.id].id, currency="GBP")
    shop.set(
        Rfq,
        rfq.id,
        award_rate=D("1.10"),
        award_rate_date=AWARD_DAY,
        award_total_base=D("1100.00"),
        awarded_at=at("2026-03-02 12:00"),
    )
    return rfq


def test_savings_compare_in_the_base_at_the_awards_rate(award):
    report = services.savings(Filters())
    [row] = report.rows
    assert (row.quotes, row.awarded, row.median, row.highest) == (
        3,
        D("1100.00"),
        D("1170.00"),
        D("1200.00"),
    )
    assert (row.saved_vs_median, row.saved_vs_highest) == (D("70.00"), D("100.00"))
    assert (report.awarded, report.median, report.highest) == (
        D("1100.00"),
        D("1170.00"),
        D("1200.00"),
    )


def test_a_foreign_quote_without_a_rate_is_not_compared(award, db):
    # The award as it would have been made before there was a GBP rate.
    db.session.execute(sa.delete(rates.ExchangeRate).where(rates.ExchangeRate.currency == "GBP"))
    award_figures.refill()
    db.session.commit()
    [row] = services.savings(Filters()).rows
    # Acme's 1,200 and the award's 1,100 compare; Clyde's 900 GBP cannot, unconverted.
    assert (row.quotes, row.median, row.highest) == (2, D("1150.00"), D("1200.00"))


def test_the_savings_csv_names_the_currency(award, shop, app):
    client = signed_in(app, shop.buyer)
    rows = rows_of(client.get("/reports/savings.csv?start="))
    assert rows[0][7:] == [
        "Awarded (USD)",
        "Median quote (USD)",
        "Highest quote (USD)",
        "Saved against median (USD)",
        "Saved against highest (USD)",
    ]
    assert rows[1][6:] == ["3", "1100.00", "1170.00", "1200.00", "70.00", "100.00"]


# Requests in the other reports -----------------------------------------------------------------


def test_waiting_requests_show_their_frozen_base_total(shop, db, app):
    pr = shop.filed("IT", [("Switch", "1", "4000", "hardware")])
    shop.set(PurchaseRequest, pr.id, currency="EUR", rate=D("1.10"), total_base=D("4400.00"))
    [waiting] = services.cycle_time(Filters()).waiting
    assert waiting.total == D("4400.00")
    page = signed_in(app, shop.finance).get("/reports/cycle-time").get_data(as_text=True)
    assert "$4,400.00" in page


def test_split_purchases_add_up_base_totals(shop, db, app):
    """Two IT hardware requests of 3,000 each stay under the 5,000 finance limit in
    their own currency; in EUR at 1.10 they are 3,300 each, and 6,600 together."""
    first = shop.filed("IT", [("Disk shelf", "1", "3000", "hardware")])
    second = shop.filed("IT", [("Disk shelf", "1", "3000", "hardware")])
    for pr in (first, second):
        shop.set(PurchaseRequest, pr.id, currency="EUR", rate=D("1.10"), total_base=D("3300.00"))
    found = [s for s in splits.find(Filters()) if s.kind == "category"]
    assert found and found[0].combined == D("6600.00")
    rows = rows_of(signed_in(app, shop.finance).get("/reports/split-purchases.csv"))
    assert "Request totals (USD)" in rows[0]
    assert any("3300.00 3300.00" in row for row in rows[1:])


# The conversion in SQL -------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    amount=st.decimals(min_value=0, max_value=D("999999.999"), places=3),
    rate=st.decimals(min_value=D("0.000000001"), max_value=D("999.999999999"), places=9),
)
def test_sql_conversion_rounds_as_rates_to_base_does(app, amount, rate):
    """The database's conversion (the award figures') gives exactly what
    ``rates.to_base`` gives: the product rounded half-up once to the base's minor unit,
    never a minor unit more or less."""
    with app.app_context():
        converted = award_figures.to_base_units(
            sa.literal(int(amount.scaleb(Money.scale)), sa.BigInteger),
            sa.literal(int(rate.scaleb(RateColumn.scale)), sa.BigInteger),
        )
        from_sql = db.session.scalar(sa.select(sa.type_coerce(converted, Money)))
        rule = rates.to_base(amount, rates.Rate("EUR", AWARD_DAY, rate))
        db.session.rollback()
    assert from_sql == rule


def test_the_vendor_scorecards_count_receipts_at_the_order_rate(spending, shop, app):
    """Received this year: Acme's 2,000 USD; Bosch's 300 EUR at 1.10."""
    report = services.vendor_scorecards(Filters())
    this_year = {row.vendor.name: row.scorecard.spend_this_year for row in report.rows}
    assert this_year == {"Acme": D("2000.00"), "Bosch": D("330.00")}
    rows = rows_of(signed_in(app, shop.finance).get("/reports/vendors.csv?start="))
    received = next(i for i, name in enumerate(rows[0]) if name.startswith("Received in FY"))
    assert rows[0][received].endswith("(USD)")
    assert [row[received] for row in rows[1:] if row[0] == "Bosch"] == ["330.00"]


def test_the_dashboard_shows_a_foreign_requests_base_amount(shop, app):
    pr = shop.filed("IT", [("Switch", "1", "4000", "hardware")])
    shop.set(
        PurchaseRequest,
        pr.id,
        currency="EUR",
        rate=D("1.10"),
        rate_date=dt.date(2026, 12, 1),
        total_base=D("4400.00"),
    )
    page = signed_in(app, shop.approvers["IT"]).get("/").get_data(as_text=True)
    assert "€4,000.00" in page and "≈ $4,400.00 at 1.1 on Dec 1, 2026" in page
