"""The reports learn invoices (issue 20, point 6; issue 19, point 4): accounts-payable
ageing by due date, price variance by vendor, exchange differences on payments, and
the vendor scorecard's invoice accuracy — each page, its chart, its CSV, who may read
it, and a fixed number of statements however many rows."""

from __future__ import annotations

import csv
import io
import itertools
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from procure import currencies, reference
from procure.budgets import services as budgets
from procure.invoices import actions
from procure.reports import chart_layout

from . import checkers
from .invoice_support import (
    People,
    approved,
    days,
    invoice,
    issued_order,
    pay,
    rate,
    receive,
    submitted,
)
from .vendor_support import counting_queries, signed_in

D = Decimal
SVG = "{http://www.w3.org/2000/svg}"
SUPPORT = "services"  # two-way: an invoice matches what was ordered, nothing to receive


@pytest.fixture
def people(make):
    return People(make)


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.data[:500]
    return list(csv.reader(io.StringIO(response.data.decode("utf-8"))))


def support_order(people, vendor, price: str):
    return issued_order(people, vendor, lines=(("Support", "1", price),), category=SUPPORT)


def owed(people, vendor, price: str, due_in: int, *, state: str = "approved"):
    """An invoice of ``price`` due ``due_in`` days from today (negative: overdue), dated
    30 days before it, left ``state``: approved, matched, on_hold, draft, paid, rejected
    or cancelled."""
    order = support_order(people, vendor, price)
    dated = dict(invoice_date=min(days(due_in - 30), days(0)), due_date=days(due_in))
    number = f"A-{price}-{due_in}-{state}"
    if state == "draft":
        return invoice(order, people, number, **dated)
    if state == "on_hold":  # invoiced above the order's price
        held = submitted(order, people, number, prices=[str(D(price) * 2)], **dated)
        assert held.status.value == "on_hold"
        return held
    found = submitted(order, people, number, **dated)
    if state in ("approved", "paid"):
        actions.approve(found, actor=people.controller)
    if state == "paid":
        pay(found, people, paid_on=days(0))
    if state == "rejected":
        actions.reject(found, "Not ours.", actor=people.controller)
    if state == "cancelled":
        actions.cancel(found, actor=people.clerk)
    return found


# Accounts-payable ageing ---------------------------------------------------------------------


@pytest.fixture
def payables(make, db, people):
    acme, globex = (
        make.vendor("Acme", categories=(SUPPORT,)),
        make.vendor("Globex", categories=(SUPPORT,)),
    )
    owed(people, acme, "100.00", 0)  # due today: current
    owed(people, acme, "101.00", 10)  # current
    owed(people, acme, "200.00", -1)  # 1–30
    owed(people, acme, "201.00", -30)  # 1–30
    owed(people, acme, "300.00", -31, state="matched")  # 31–60, awaiting approval
    owed(people, acme, "301.00", -60)  # 31–60
    owed(people, acme, "400.00", -61, state="on_hold")  # 61–90 (held at twice the price)
    owed(people, acme, "401.00", -90)  # 61–90
    owed(people, acme, "500.00", -91)  # 90+
    owed(people, globex, "700.00", -200)  # 90+
    for state in ("draft", "paid", "rejected", "cancelled"):  # none of these is owed
        owed(people, globex, "900.00" if state != "paid" else "901.00", -5, state=state)
    db.session.commit()
    return acme, globex


def test_the_ageing_puts_each_unpaid_invoice_in_its_bucket(payables, app, people):
    client = signed_in(app, people.controller)
    page = client.get("/reports/payables")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="ageing-chart"' in html
    rows = rows_of(client.get("/reports/payables.csv"))
    assert rows[0] == [
        "Vendor",
        "Invoices",
        "Current (not yet due) (USD)",
        "1–30 days overdue (USD)",
        "31–60 days overdue (USD)",
        "61–90 days overdue (USD)",
        "Over 90 days overdue (USD)",
        "Total (USD)",
    ]
    assert rows[1:] == [
        # The held invoice counts at what it bills: twice the order's 400.00.
        ["Acme", "9", "201.00", "401.00", "601.00", "1201.00", "500.00", "2904.00"],
        ["Globex", "1", "0.00", "0.00", "0.00", "0.00", "700.00", "700.00"],
        ["Total", "10", "201.00", "401.00", "601.00", "1201.00", "1200.00", "3604.00"],
    ]
    acme = html[html.index(f'data-vendor="{payables[0].id}"') :]
    assert re.search(r'data-bucket="90\+"><span class="money">\$500\.00<', acme)
    # Whom to chase first: the overdue invoices, the longest past due first.
    overdue = html[html.index('id="overdue-table"') :]
    assert re.findall(r'data-figure="days">(\d+)<', overdue) == [
        "200", "91", "90", "61", "60", "31", "30", "1"
    ]  # fmt: skip


def test_the_ageing_is_narrowed_by_vendor_and_refuses_a_date_range(payables, app, people):
    client = signed_in(app, people.controller)
    rows = rows_of(client.get("/reports/payables.csv?vendor=Globex"))
    assert [row[0] for row in rows[1:]] == ["Globex", "Total"]
    refused = client.get("/reports/payables?start=2026-01-01")
    assert refused.status_code == 400
    assert "Unknown filter &#39;start&#39;" in refused.get_data(as_text=True)
    assert 'id="ageing-table"' not in refused.get_data(as_text=True)


def test_only_finance_and_admin_read_payables(payables, make, app, people):
    admin = make.user(["admin"], department="ADM")
    for user in (people.controller, admin):
        client = signed_in(app, user)
        assert client.get("/reports/payables").status_code == 200
        assert client.get("/reports/exchange-differences").status_code == 200
        assert "Accounts payable ageing" in client.get("/reports/").get_data(as_text=True)
    buyer = signed_in(app, people.buyer)
    assert buyer.get("/reports/payables").status_code == 403
    assert buyer.get("/reports/payables.csv").status_code == 403
    assert buyer.get("/reports/exchange-differences").status_code == 403
    assert buyer.get("/reports/price-variance").status_code == 200
    assert "Accounts payable ageing" not in buyer.get("/reports/").get_data(as_text=True)
    for user in (people.requester, people.approver):
        client = signed_in(app, user)
        assert client.get("/reports/payables").status_code == 403
        assert client.get("/reports/price-variance").status_code == 403


# Price variance --------------------------------------------------------------------------------


def test_price_variance_per_vendor(make, db, app, people):
    acme, globex = make.vendor("Acme"), make.vendor("Globex")
    order = issued_order(people, acme)  # 2 × 1,000.00 and 3 × 150.00
    receive(order, people)
    approved(order, people, "P-1", prices=["1010.00", "140.00"])  # +20.00, −30.00
    other = issued_order(people, globex, lines=(("Mouse", "4", "25.00"),))
    receive(other, people)
    paid = approved(other, people, "P-2", prices=["26.25"])  # 5 % over: +5.00
    pay(paid, people)
    not_yet = issued_order(people, globex, lines=(("Cable", "1", "10.00"),))
    receive(not_yet, people)
    submitted(not_yet, people, "P-3", prices=["50.00"])  # held, not approved: not counted
    db.session.commit()

    client = signed_in(app, people.buyer)
    html = client.get("/reports/price-variance").get_data(as_text=True)
    assert 'id="variance-chart"' in html
    rows = rows_of(client.get("/reports/price-variance.csv"))
    assert rows[0][:3] == ["Vendor", "Lines", "Lines above the order's price"]
    assert rows[1:] == [
        ["Globex", "1", "1", "105.00", "100.00", "5.00", "0.00", "5.00", "5.0"],
        ["Acme", "2", "1", "2440.00", "2450.00", "20.00", "30.00", "-10.00", "-0.4"],
    ]
    assert re.search(r'data-figure="share">5\.0%<', html)


# Exchange differences ----------------------------------------------------------------------------


@pytest.fixture
def foreign(make, db, people):
    admin = make.user(["admin"], department="IT")
    currencies.set_enabled(["EUR"], actor=admin)
    rate("EUR", "1.10", days(-10))
    order = issued_order(
        people, make.vendor("Bosch"), currency="EUR", lines=(("Servers", "2", "1000.00"),)
    )
    receive(order, people)
    found = approved(order, people, "EU-1", invoice_date=days(-5))
    rate("EUR", "1.25", days(0))
    pay(found, people, paid_on=days(0), reference="SEPA-9")
    home = issued_order(people, make.vendor("Acme"))  # in the base currency: no difference
    receive(home, people)
    pay(approved(home, people, "US-1"), people)
    db.session.commit()
    return found


def test_exchange_differences_list_foreign_payments_and_total_per_currency(foreign, app, people):
    client = signed_in(app, people.controller)
    html = client.get("/reports/exchange-differences").get_data(as_text=True)
    assert 'id="exchange-chart"' in html
    assert re.search(r'id="sum-difference"><span class="money">\$300\.00<', html)
    assert "not part of spend" in html
    rows = rows_of(client.get("/reports/exchange-differences.csv"))
    assert rows[0][-4:] == [
        "Booked (USD)",
        "Payment day's rate",
        "Paid (USD)",
        "Exchange difference (USD)",
    ]
    assert rows[1:] == [
        [
            foreign.number,
            "Bosch",
            days(0).isoformat(),
            "EUR",
            "2000.00",
            "1.100000",
            "2200.00",
            "1.250000",
            "2500.00",
            "300.00",
        ]
    ]
    before = rows_of(client.get(f"/reports/exchange-differences.csv?end={days(-1).isoformat()}"))
    assert before[1:] == []


def test_the_spend_report_keeps_counting_the_booked_amount(foreign, app, people):
    rows = rows_of(signed_in(app, people.controller).get("/reports/spend.csv?start="))
    assert ["Bosch", "2200.00", "0.00", "2200.00"] in rows


# The scorecard's invoice accuracy -------------------------------------------------------------


def test_the_scorecard_shows_invoice_accuracy(make, db, app, people):
    vendor = make.vendor("Acme")
    first = issued_order(people, vendor)
    receive(first, people)
    submitted(first, people, "OK-1")  # matched first time
    second = issued_order(people, vendor, lines=(("Chair", "2", "80.00"),))
    held = submitted(second, people, "NO-1")  # nothing received: held
    receive(second, people)  # matched now, but not the first time
    assert held.status.value == "matched" and held.matched_first_time is False
    invoice(second, people, "DRAFT-1", quantities=["1"])  # a draft: not yet counted
    db.session.commit()

    client = signed_in(app, people.buyer)
    page = client.get(f"/vendors/{vendor.id}").get_data(as_text=True)
    assert re.search(r'data-score="invoice-accuracy">50%', page)
    assert "(1 of 2)" in page
    assert "matched the order and its receipts the first time" in page
    rows = rows_of(client.get("/reports/vendors.csv?start="))
    acme = next(row for row in rows[1:] if row[0] == "Acme")
    assert acme[-3:] == ["2", "1", "50.0"]
    report = client.get("/reports/vendors?start=").get_data(as_text=True)
    assert "“Invoice accuracy” is the share" in report


# Statements per page ------------------------------------------------------------------------


PAGES = [
    "/reports/",
    "/reports/payables",
    "/reports/payables.csv",
    "/reports/price-variance",
    "/reports/price-variance.csv",
    "/reports/exchange-differences",
    "/reports/exchange-differences.csv",
    "/reports/price-variance?start=2000-01-01&category=hardware&department=IT",
    "/reports/payables?department=IT",
]


def count(client, path: str) -> int:
    client.get(path)  # warm: session, caches, first-use lookups
    with counting_queries() as calls:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(calls)


def test_the_new_reports_issue_as_many_statements_for_many_rows_as_for_one(make, db, app, people):
    admin = make.user(["admin"], department="IT")
    currencies.set_enabled(["EUR"], actor=admin)
    rate("EUR", "1.10", days(-10))

    def grow(n: int) -> None:
        vendor = make.vendor(f"Vendor {n}")
        order = issued_order(people, vendor, currency="EUR", lines=(("Disk", "2", "100.00"),))
        receive(order, people)
        pay(approved(order, people, f"G-{n}", prices=["101.00"]), people)
        owed(people, make.vendor(f"Owed {n}", categories=(SUPPORT,)), f"{n + 10}.00", -n * 20)
        db.session.commit()

    client = signed_in(app, people.controller)
    grow(1)
    few = {path: count(client, path) for path in PAGES}
    for n in range(2, 6):
        grow(n)
    many = {path: count(client, path) for path in PAGES}
    assert many == few


# Charts that fit, pages that validate -----------------------------------------------------


LONG_NAME = "Weltweite Maschinen- und Werkzeughandelsgesellschaft " + "W" * 40
CJK_NAME = "日本語のとても長い取引先の名前株式会社東京本社営業部"


def chart_of(html: str, chart_id: str) -> ET.Element:
    start = html.index(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" id="{chart_id}"'
    )
    end = html.index("</svg>", start) + len("</svg>")
    return ET.fromstring(html[start:end])  # noqa: S314 -- the chart code's own output


def assert_fits(svg: ET.Element) -> None:
    """Every text inside the picture and none over another, by the layout's own measure
    of text (``chart_layout.Text.box``)."""
    _x, _y, width, height = (float(n) for n in svg.get("viewBox").split())
    texts = [
        chart_layout.Text(
            kind=element.get("class", ""),
            text=element.text or "",
            x=float(element.get("x")),
            y=float(element.get("y")),
            size=float(element.get("font-size", chart_layout.FONT)),
            anchor=element.get("text-anchor", "start"),
            bold=element.get("font-weight") == "600",
        )
        for element in svg.iter(f"{SVG}text")
    ]
    assert texts
    outside = [t.text for t in texts if not (0 <= t.box().left and t.box().right <= width)]
    outside += [t.text for t in texts if not (0 <= t.box().top and t.box().bottom <= height)]
    assert not outside, outside
    overlapping = [
        (a.text, b.text) for a, b in itertools.combinations(texts, 2) if a.box().overlaps(b.box())
    ]
    assert not overlapping, overlapping


def test_the_new_charts_fit_long_names_and_large_amounts(make, db, app, people):
    admin = make.user(["admin"], department="IT")
    currencies.set_enabled(["EUR", "JPY"], actor=admin)
    rate("EUR", "1.10", days(-10))
    for name, price in ((LONG_NAME, "987654.32"), (CJK_NAME, "12.00")):
        vendor = make.vendor(name, categories=(SUPPORT, "hardware"))
        owed(people, vendor, price, -95)
        order = issued_order(people, vendor, currency="EUR", lines=(("Disk", "3", price),))
        receive(order, people)
        pay(
            approved(
                order,
                people,
                f"L-{price}",
                prices=[str((D(price) * D("1.01")).quantize(D("0.01")))],
            ),
            people,
        )
    db.session.commit()
    client = signed_in(app, people.controller)
    for path, chart_id in (
        ("/reports/payables", "ageing-chart"),
        ("/reports/price-variance", "variance-chart"),
        ("/reports/exchange-differences", "exchange-chart"),
    ):
        assert_fits(chart_of(client.get(path).get_data(as_text=True), chart_id))


def test_the_new_pages_pass_the_nu_html_checker(make, db, app, people, tmp_path):
    checkers.require_nu()
    admin = make.user(["admin"], department="IT")
    currencies.set_enabled(["EUR"], actor=admin)
    rate("EUR", "1.10", days(-10))
    vendor = make.vendor('Acme <b>"&', categories=(SUPPORT, "hardware"))
    owed(people, vendor, "100.00", -40, state="on_hold")
    order = issued_order(people, vendor, currency="EUR", lines=(("Disk", "3", "50.00"),))
    receive(order, people)
    pay(approved(order, people, "H-1", prices=["55.00"]), people)
    budgets.create(
        budgets.BudgetData(
            department="IT", fiscal_year=reference.current_fiscal_year(), amount=D("9000.00")
        ),
        actor=None,
    )
    db.session.commit()
    client = signed_in(app, people.controller)
    files = []
    for n, path in enumerate(
        [
            "/reports/",
            "/reports/payables",
            "/reports/payables?vendor=nobody",
            "/reports/price-variance?start=",
            "/reports/exchange-differences?start=",
            "/budgets/",
            f"/vendors/{vendor.id}",
        ]
    ):
        response = client.get(path)
        assert response.status_code in (200, 400), path
        body = response.get_data(as_text=True)
        assert "<b>" not in body  # the vendor's name is escaped
        files.append(tmp_path / f"page{n}.html")
        files[-1].write_text(body, encoding="utf-8")
    assert checkers.nu_errors(files) == []


def test_the_new_exports_neutralise_formulas_and_keep_negative_amounts(make, db, app, people):
    hostile = make.vendor('=HYPERLINK("http://x.example")', categories=(SUPPORT, "hardware"))
    owed(people, hostile, "100.00", -3)
    order = issued_order(people, hostile, lines=(("Disk", "2", "50.00"),))
    receive(order, people)
    approved(order, people, "N-1", prices=["45.00"])  # below the order's price
    db.session.commit()
    client = signed_in(app, people.controller)
    ageing = rows_of(client.get("/reports/payables.csv"))
    variance = rows_of(client.get("/reports/price-variance.csv"))
    assert ageing[1][0] == variance[1][0] == '\'=HYPERLINK("http://x.example")'
    assert variance[1][-2:] == ["-10.00", "-5.0"]  # numbers, not text (of 200.00)
