"""The reports under /reports: figures against hand-computed fixtures, filters, bad
input, CSV export and who may read them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest

from procure import reference
from procure.models import PurchaseOrder, PurchaseRequest
from procure.orders import services as orders
from procure.purchasing import services as purchasing
from procure.reports import charts, dialect, services
from procure.reports.services import Dimension, Filters

from .report_support import Shop, at, fast_pdf  # noqa: F401 -- fast_pdf is a fixture
from .vendor_support import signed_in

D = Decimal
REPORT_PAGES = [
    "/reports/spend",
    "/reports/cycle-time",
    "/reports/savings",
    "/reports/vendors",
    "/reports/split-purchases",
]
CSV_EXPORTS = [page + ".csv" for page in REPORT_PAGES]


@pytest.fixture
def shop(make, db) -> Shop:
    return Shop(make, db)


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.data[:500]
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8"))))


# Spend ---------------------------------------------------------------------------------------


@pytest.fixture
def spending(shop, fast_pdf):  # noqa: F811
    """Four orders and a draft, by hand:

    O1 IT→Acme 2026-01-10: hardware 2×1000 + software 500, shipping 25, tax 100 = 2,625,
       fully received: spent 2,625.
    O2 IT→Globex 2026-02-05: hardware 3×300 = 900, one received: spent 300, committed 600.
    O3 OPS→Acme 2026-02-20 15:00: peripherals 4×50 + tax 20 = 220, nothing received:
       committed 220.
    O4 OPS→Globex: a draft of 400 (never issued), O5 IT→Acme 700 issued then cancelled:
       neither counts."""
    acme, globex = shop.vendor("Acme"), shop.vendor("Globex")
    shop.order(
        "IT",
        [("Laptop", "2", "1000", "hardware"), ("Office suite", "1", "500", "software")],
        acme,
        shipping="25",
        tax="100",
        issued="2026-01-10 10:00",
        receive=["2", "1"],
    )
    shop.order(
        "IT",
        [("Monitor", "3", "300", "hardware")],
        globex,
        issued="2026-02-05 09:00",
        receive=["1"],
    )
    shop.order(
        "OPS", [("Headset", "4", "50", "peripherals")], acme, tax="20", issued="2026-02-20 15:00"
    )
    shop.order("OPS", [("Dock", "2", "200", "peripherals")], globex)
    cancelled = shop.order("IT", [("Switch", "1", "700", "hardware")], acme, issued="2026-01-15")
    orders.cancel(cancelled, actor=shop.buyer, comment="Ordered twice.")
    shop.db.session.commit()
    return {"acme": acme, "globex": globex}


def figures(report) -> dict[str, tuple[Decimal, Decimal]]:
    return {row.label: (row.spent, row.committed) for row in report.rows}


def test_spend_by_vendor_department_category_and_month(spending, shop):
    everything = Filters()
    assert figures(services.spend(everything, Dimension.VENDOR)) == {
        "Acme": (D("2625.00"), D("220.00")),
        "Globex": (D("300.00"), D("600.00")),
    }
    report = services.spend(everything, Dimension.DEPARTMENT)
    assert figures(report) == {
        "IT — IT department": (D("2925.00"), D("600.00")),
        "OPS — OPS department": (D("0.00"), D("220.00")),
    }
    assert (report.spent, report.committed, report.total) == (
        D("2925.00"),
        D("820.00"),
        D("3745.00"),
    )
    # Shipping and tax belong to no category; the categories still add up to the whole.
    by_category = services.spend(everything, Dimension.CATEGORY)
    assert figures(by_category) == {
        "Hardware": (D("2300.00"), D("600.00")),
        "Software": (D("500.00"), D("0.00")),
        "Peripherals": (D("0.00"), D("200.00")),
        "Shipping and tax": (D("125.00"), D("20.00")),
    }
    assert by_category.total == report.total
    by_month = services.spend(everything, Dimension.MONTH)
    assert [(r.label, r.spent, r.committed) for r in by_month.rows] == [
        ("2026-01", D("2625.00"), D("0.00")),
        ("2026-02", D("300.00"), D("820.00")),
    ]


def test_spend_filters(spending, shop):
    globex = spending["globex"]
    only = services.spend(Filters(category="hardware", vendor_id=globex.id), Dimension.VENDOR)
    assert figures(only) == {"Globex": (D("300.00"), D("600.00"))}
    # Dates are whole days: an order issued at 15:00 on the last day counts.
    february = Filters(date_from=at("2026-02-01").date(), date_to=at("2026-02-20").date())
    assert figures(services.spend(february, Dimension.VENDOR)) == {
        "Globex": (D("300.00"), D("600.00")),
        "Acme": (D("0.00"), D("220.00")),
    }
    before = Filters(date_to=at("2026-02-19").date())
    assert figures(services.spend(before, Dimension.VENDOR)) == {
        "Acme": (D("2625.00"), D("0.00")),
        "Globex": (D("300.00"), D("600.00")),
    }
    it = services.spend(Filters(department_id=shop.requesters["IT"].department_id))
    assert figures(it) == {"Acme": (D("2625.00"), D("0.00")), "Globex": (D("300.00"), D("600.00"))}
    assert services.spend(Filters(category="licence")).rows == []


def test_the_spend_page_shows_the_chart_and_the_table(spending, shop, app):
    client = signed_in(app, shop.finance)
    page = client.get("/reports/spend?by=vendor&start=")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" id="spend-chart"' in html
    assert '<title id="spend-chart-title">Spend by vendor</title>' in html
    assert "$2,845.00" in html and "$900.00" in html  # the bars' figures (spent + committed)
    assert "$3,745.00" in html  # the table's total
    assert "style=" not in html.split('id="spend-chart"')[1].split("</svg>")[0]
    rows = rows_of(client.get("/reports/spend.csv?by=month&start="))
    assert rows == [
        ["Month", "Spent (USD)", "Committed (USD)", "Total (USD)"],
        ["2026-01", "2625.00", "0.00", "2625.00"],
        ["2026-02", "300.00", "820.00", "1120.00"],
    ]


def test_without_dates_a_report_covers_the_last_90_days(spending, shop, app):
    old = dt.date.today() - dt.timedelta(days=120)
    shop.order(
        "IT",
        [("Projector", "1", "800", "hardware")],
        spending["acme"],
        issued=f"{old.isoformat()} 12:00",
        receive=["1"],
    )
    client = signed_in(app, shop.finance)
    page = client.get("/reports/spend").get_data(as_text=True)
    quarter_ago = (dt.date.today() - dt.timedelta(days=90)).isoformat()
    assert f'name="start" type="date" value="{quarter_ago}"' in page
    assert f"/reports/spend.csv?start={quarter_ago}" in page
    everything = rows_of(client.get("/reports/spend.csv?start="))
    assert everything[1] == ["Acme", "3425.00", "220.00", "3645.00"]
    since = rows_of(client.get(f"/reports/spend.csv?start={old.isoformat()}&end="))
    assert since[1:] == [["Acme", "800.00", "0.00", "800.00"]]
    # The fixture's orders, and the projector, are older than 90 days.
    assert rows_of(client.get(f"/reports/spend.csv?start={quarter_ago}")) == everything[:1]


def test_the_vendor_filter_takes_a_name_or_a_number(spending, shop, app):
    client = signed_in(app, shop.finance)
    by_name = rows_of(client.get("/reports/spend.csv?vendor=%20globex%20&start="))
    by_number = rows_of(client.get(f"/reports/spend.csv?start=&vendor={spending['globex'].id}"))
    assert (
        by_name
        == by_number
        == [
            ["Vendor", "Spent (USD)", "Committed (USD)", "Total (USD)"],
            ["Globex", "300.00", "600.00", "900.00"],
        ]
    )
    page = client.get("/reports/spend").get_data(as_text=True)
    assert '<datalist id="vendor-names"><option value="Acme"><option value="Globex">' in page


# Approval cycle time -------------------------------------------------------------------------


@pytest.fixture
def decisions(shop):
    """Durations in hours, by hand (all requests submitted at 09:00):

    R1 IT 2026-03-02, one step decided at +2 h.
    R2 IT 2026-03-02, 6,000: department at +4 h, finance at +10 h (the finance step took 6 h).
    R3 OPS 2026-03-10, decided at +1 h.   R4 OPS 2026-03-10, rejected at +7 h.
    R6 IT 2026-03-02: returned, resubmitted, approved 3 h after the resubmission (only
       the latest submission counts).
    R5 and R7 wait: R7 since 2026-03-01, R5 since 2026-03-05.

    Steps: department [1, 2, 3, 4, 7] → median 3, p90 (h = 3.6) 4 + 0.6·3 = 5.8;
    finance [6] → 6 and 6. Departments: IT [2, 3, 10] → median 3, p90 (h = 1.8)
    3 + 0.8·7 = 8.6; OPS [1, 7] → 4 and 1 + 0.9·6 = 6.4; all [1, 2, 3, 7, 10] → 3 and
    7 + 0.6·3 = 8.8."""
    line = [("Laptop", "1", "1000", "hardware")]
    r1 = shop.approved("IT", line)
    shop.timed(r1, "2026-03-02 09:00", ["2026-03-02 11:00"])
    r2 = shop.approved("IT", [("Server", "1", "6000", "hardware")])
    shop.timed(r2, "2026-03-02 09:00", ["2026-03-02 13:00", "2026-03-02 19:00"])
    r3 = shop.approved("OPS", [("Headset", "1", "90", "peripherals")])
    shop.timed(r3, "2026-03-10 09:00", ["2026-03-10 10:00"])
    r4 = shop.filed("OPS", [("Chair", "1", "400", "other")])
    purchasing.reject(r4, actor=shop.approvers["OPS"], comment="Not from this budget.")
    shop.db.session.commit()
    shop.timed(r4, "2026-03-10 09:00", ["2026-03-10 16:00"])
    r6 = shop.filed("IT", line)
    purchasing.return_for_changes(r6, actor=shop.approvers["IT"], comment="Which model?")
    purchasing.submit(r6, actor=shop.requesters["IT"])
    purchasing.approve(r6, actor=shop.approvers["IT"])
    shop.db.session.commit()
    shop.timed(r6, "2026-03-02 09:00", ["2026-03-02 12:00"])
    r5 = shop.filed("IT", line, title="Waiting since the fifth")
    r7 = shop.filed("OPS", line, title="Waiting since the first")
    for pr, since in ((r5, "2026-03-05 09:00"), (r7, "2026-03-01 09:00")):
        step = pr.pending_step
        shop.set(PurchaseRequest, pr.id, submitted_at=at(since))
        shop.set(type(step), step.id, pending_since=at(since))
    return {"r5": r5, "r7": r7}


def stats(rows) -> dict[str, tuple[int, float, float]]:
    return {
        row.key: (row.count, round(row.median_hours, 6), round(row.p90_hours, 6)) for row in rows
    }


def test_cycle_time_medians_and_90th_percentiles(decisions, shop):
    report = services.cycle_time(Filters())
    assert stats(report.by_step) == {"department": (5, 3.0, 5.8), "finance": (1, 6.0, 6.0)}
    assert stats(report.by_department) == {"IT": (3, 3.0, 8.6), "OPS": (2, 4.0, 6.4)}
    assert (report.overall.count, report.overall.median_hours, report.overall.p90_hours) == (
        5,
        pytest.approx(3.0),
        pytest.approx(8.8),
    )
    assert [w.title for w in report.waiting] == [
        "Waiting since the first",
        "Waiting since the fifth",
    ]
    assert [w.step for w in report.waiting] == ["department", "department"]


def test_cycle_time_filters(decisions, shop):
    # Submitted from 2026-03-05: OPS's two decisions and R5's wait.
    later = services.cycle_time(Filters(date_from=at("2026-03-05 00:00").date()))
    assert stats(later.by_step) == {"department": (2, 4.0, 6.4)}
    assert [w.title for w in later.waiting] == ["Waiting since the fifth"]
    ops = services.cycle_time(Filters(department_id=shop.requesters["OPS"].department_id))
    assert stats(ops.by_department) == {"OPS": (2, 4.0, 6.4)}
    software = services.cycle_time(Filters(category="software"))
    assert software.by_step == [] and software.by_department == []
    assert software.overall.count == 0 and software.overall.median_hours is None


def test_the_percentile_interpolates_between_the_closest_ranks():
    assert dialect.percentile([], 0.5) is None
    assert dialect.percentile([7.0], 0.9) == 7.0
    assert dialect.percentile([1.0, 2.0, 3.0, 4.0, 10.0], 0.5) == 3.0
    assert dialect.percentile([1.0, 2.0, 3.0, 4.0, 10.0], 0.9) == pytest.approx(7.6)
    assert dialect.percentile([1.0, 2.0], 0.5) == 1.5


def test_the_cycle_time_page_and_csv(decisions, shop, app):
    client = signed_in(app, shop.admin)
    html = client.get("/reports/cycle-time?start=").get_data(as_text=True)
    assert 'id="cycle-steps-chart"' in html and 'id="cycle-departments-chart"' in html
    assert "Waiting since the first" in html
    rows = rows_of(client.get("/reports/cycle-time.csv?start="))
    assert rows[0] == ["Per", "Key", "Name", "Decisions", "Median hours", "90th percentile hours"]
    assert ["step", "department", "department", "5", "3.00", "5.80"] in rows
    assert ["department", "IT", "IT department", "3", "3.00", "8.60"] in rows
    assert rows[-1] == ["all", "", "All departments", "5", "3.00", "8.80"]


# Savings ---------------------------------------------------------------------------------------


@pytest.fixture
def awards(shop, fast_pdf):  # noqa: F811
    """RFQ A (IT, 1,000 of hardware): quotes 1,000 (awarded), 1,200, 1,500, and 2,100
    (corrected from 5,000: the earlier quote no longer counts). Median (1,200 + 1,500) / 2
    = 1,350, highest 2,100: saved 350 and 1,100.
    RFQ B (OPS, 500 of software): quotes 500 (awarded, justified), 450, 700: median
    500, highest 700: saved 0 and 200.
    Together: awarded 1,500, median 1,850, highest 2,800; saved 350 and 1,300 (46.4%)."""
    v = [shop.vendor(f"Quoter {n}") for n in range(4)]
    pr_a = shop.approved("IT", [("Laptop", "1", "1000", "hardware")])
    rfq_a = _rfq_with(shop, pr_a, v, ["1", "1.2", "1.5", "5"])
    shop.quote(rfq_a, v[3], "2.1")  # the correction
    _award(shop, rfq_a, v[0])
    pr_b = shop.approved("OPS", [("Licence", "1", "500", "software")])
    rfq_b = _rfq_with(shop, pr_b, v[:3], ["1", "0.9", "1.4"])
    _award(shop, rfq_b, v[0], justification="The cheaper one cannot deliver in time.")
    shop.db.session.commit()
    return {"vendors": v, "a": rfq_a, "b": rfq_b}


def _rfq_with(shop, pr, vendors, factors):
    from procure.sourcing import services as sourcing

    from .report_support import LATER

    rfq = sourcing.create_rfq(
        sourcing.RfqData(request_id=pr.id, vendor_ids=[x.id for x in vendors], due_date=LATER),
        actor=shop.buyer,
    )
    sourcing.send(rfq, actor=shop.buyer)
    for vendor, factor in zip(vendors, factors, strict=True):
        shop.quote(rfq, vendor, factor)
    return rfq


def _award(shop, rfq, vendor, justification=""):
    from procure.sourcing import services as sourcing

    quote = next(q for q in sourcing.current_quotes(rfq) if q.vendor_id == vendor.id)
    sourcing.award(rfq, quote.id, actor=shop.buyer, justification=justification)


def test_savings_against_the_highest_and_the_median_quote(awards, shop):
    report = services.savings(Filters())
    by_rfq = {
        row.rfq_number: (row.quotes, row.awarded, row.median, row.highest) for row in report.rows
    }
    assert by_rfq == {
        awards["a"].number: (4, D("1000.00"), D("1350.00"), D("2100.00")),
        awards["b"].number: (3, D("500.00"), D("500.00"), D("700.00")),
    }
    assert (report.awarded, report.median, report.highest) == (
        D("1500.00"),
        D("1850.00"),
        D("2800.00"),
    )
    assert (report.saved_vs_median, report.saved_vs_highest) == (D("350.00"), D("1300.00"))
    assert report.share_vs_highest == D("46.4")
    # A page of rows keeps the latest awards; the sums still cover them all.
    first = services.savings(Filters(), limit=1)
    assert [row.rfq_number for row in first.rows] == [awards["b"].number]
    assert (first.count, first.awarded, first.highest) == (2, D("1500.00"), D("2800.00"))
    it = services.savings(Filters(department_id=shop.requesters["IT"].department_id))
    assert [row.rfq_number for row in it.rows] == [awards["a"].number]
    assert services.savings(Filters(vendor_id=awards["vendors"][1].id)).rows == []
    won = services.savings(Filters(vendor_id=awards["vendors"][0].id))
    assert [row.rfq_number for row in won.rows] == [awards["b"].number, awards["a"].number]
    assert (won.count, won.median) == (2, D("1850.00"))
    both = Filters(department_id=shop.requesters["OPS"].department_id, category="software")
    assert services.savings(both).count == 1
    assert [r.rfq_number for r in services.savings(Filters(category="software")).rows] == [
        awards["b"].number
    ]


def test_the_savings_page_and_csv(awards, shop, app):
    client = signed_in(app, shop.buyer)
    html = client.get("/reports/savings").get_data(as_text=True)
    assert 'id="savings-chart"' in html
    assert "$1,300.00" in html and "46.4%" in html
    rows = rows_of(client.get("/reports/savings.csv"))
    assert len(rows) == 3
    a = next(row for row in rows if row[0] == awards["a"].number)
    assert a[6:] == ["4", "1000.00", "1350.00", "2100.00", "350.00", "1100.00"]


# Vendors -------------------------------------------------------------------------------------


def test_vendor_scorecards_side_by_side(spending, shop, app):
    report = services.vendor_scorecards(Filters())
    assert [row.vendor.name for row in report.rows] == ["Acme", "Globex"]  # by spend
    acme, globex = report.rows
    assert (acme.spend.spent, acme.spend.committed) == (D("2625.00"), D("220.00"))
    # The scorecard as on the vendor's page: Acme won its three RFQs (the cancelled
    # order's included), Globex its two.
    assert (acme.scorecard.quotes_sent, acme.scorecard.quotes_won) == (3, 3)
    assert (globex.scorecard.quotes_sent, globex.scorecard.quotes_won) == (2, 2)
    only = services.vendor_scorecards(Filters(vendor_id=spending["globex"].id))
    assert [row.vendor.name for row in only.rows] == ["Globex"]
    client = signed_in(app, shop.finance)
    html = client.get("/reports/vendors?start=").get_data(as_text=True)
    assert 'id="vendors-chart"' in html and "Acme" in html and "Globex" in html
    rows = rows_of(client.get("/reports/vendors.csv?start="))
    assert [row[0] for row in rows[1:]] == ["Acme", "Globex"]
    assert rows[1][2:4] == ["2625.00", "220.00"]


def test_the_scorecards_money_columns_say_what_each_counts(spending, shop, app):
    year = reference.current_fiscal_year()
    client = signed_in(app, shop.finance)
    html = client.get("/reports/vendors?start=").get_data(as_text=True)
    headings = re.findall(
        r'<th scope="col"[^>]*>([^<]*)</th>', html.split('id="vendors-table"')[1]
    )
    assert headings == [
        "Vendor",
        "Spent, orders issued in range",
        "Committed, orders issued in range",
        "On time",
        "Win rate",
        "Lead time",
        "Invoice accuracy",
        "Returns",
        "Rating",
        f"Received in FY {year}",
    ]
    # Under the table: what each counts, and why the two may differ.
    below = html.split("</table>")[1]
    assert "“Spent” and “Committed” count the orders issued in the date range" in below
    assert f"“Received in FY {year}” counts the goods received in fiscal year {year}" in below
    assert "The two differ when" in below
    assert f"Spend {year}" not in html
    header = rows_of(client.get("/reports/vendors.csv?start="))[0]
    assert header[2:4] == [
        "Spent, orders issued in range (USD)",
        "Committed, orders issued in range (USD)",
    ]
    assert header[-4:] == [
        f"Received in FY {year} (USD)",
        "Invoices submitted",
        "Matched first time",
        "Invoice accuracy %",
    ]


# Bad input, empty exports, injection -----------------------------------------------------------


BAD_FILTERS = [
    ("start=2026-05-01&end=2026-01-01", "The end date is before the start date."),
    ("department=NOPE", "There is no department &#39;NOPE&#39;."),
    ("category=caviar", "There is no category &#39;caviar&#39;."),
    ("vendor=999999", "There is no vendor &#39;999999&#39;."),
    ("vendor=abc", "There is no vendor &#39;abc&#39;."),
    ("start=31/12/2026", "Give a date as YYYY-MM-DD."),
    ("end=0001-01-01", "Give a date between Jan 1, 2000 and Dec 31, 2999."),
    ("end=9999-12-31", "Give a date between Jan 1, 2000 and Dec 31, 2999."),
    ("colour=red", "Unknown filter &#39;colour&#39;"),
]


@pytest.mark.parametrize("path", REPORT_PAGES)
@pytest.mark.parametrize(("query", "message"), BAD_FILTERS)
def test_bad_filters_get_a_message_and_no_figures(shop, app, path, query, message):
    client = signed_in(app, shop.finance)
    page = client.get(f"{path}?{query}")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert message in html
    assert "no figures are shown" in html
    assert "<svg" not in html.split("<main")[1]


@pytest.mark.parametrize("path", CSV_EXPORTS)
def test_bad_filters_on_an_export_get_a_plain_message(shop, app, path):
    client = signed_in(app, shop.finance)
    answer = client.get(f"{path}?start=2026-05-01&end=2026-01-01&department=NOPE")
    assert answer.status_code == 400 and answer.mimetype == "text/plain"
    text = answer.get_data(as_text=True)
    assert "To: The end date is before the start date." in text
    assert "Department: There is no department 'NOPE'." in text


def test_spend_by_an_unknown_grouping_is_refused(shop, app):
    client = signed_in(app, shop.finance)
    page = client.get("/reports/spend?by=colour")
    assert page.status_code == 400
    assert "There is no grouping &#39;colour&#39;" in page.get_data(as_text=True)


@pytest.mark.parametrize("path", CSV_EXPORTS)
def test_an_empty_export_has_its_header_row(shop, app, path):
    client = signed_in(app, shop.finance)
    rows = rows_of(client.get(f"{path}?start=2099-01-01"))
    assert len(rows) == 1 and len(rows[0]) >= 4


@pytest.mark.parametrize("path", REPORT_PAGES)
def test_an_empty_report_says_so(shop, app, path):
    client = signed_in(app, shop.finance)
    page = client.get(f"{path}?start=2099-01-01")
    assert page.status_code == 200
    assert "empty-state" in page.get_data(as_text=True)


HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]


def test_exported_cells_are_neutralised(shop, app, fast_pdf):  # noqa: F811
    vendors = [shop.vendor(name) for name in HOSTILE]
    for vendor, title in zip(vendors, HOSTILE, strict=True):
        pr = shop.approved("IT", [("Laptop", "1", "1000", "hardware")], title=title)
        _rfq, order = shop.rfq(pr, [(vendor, "1")], award=vendor)
        orders.issue(order, actor=shop.buyer)
    shop.db.session.commit()
    client = signed_in(app, shop.finance)
    spend = rows_of(client.get("/reports/spend.csv"))
    savings = rows_of(client.get("/reports/savings.csv"))
    cells = {row[0] for row in spend[1:]} | {row[2] for row in savings[1:]}
    assert cells == {"'" + text for text in HOSTILE}
    assert client.get("/reports/vendors").status_code == 200


def test_the_chart_escapes_labels_and_names_itself():
    svg = charts.bar_chart(
        chart_id="c",
        title="Spend <by> vendor",
        description="A & B",
        labels=['<script>alert("x")</script>', "Plain"],
        series=[charts.Series("Spent", "bar-spent", "#15503f", [D("10.00"), D("5.50")])],
        value_axis="Amount",
        label_axis="Vendor",
        fmt=lambda v: f"{v}",
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert '<title id="c-title">Spend &lt;by&gt; vendor</title>' in svg
    assert 'aria-labelledby="c-title c-desc"' in svg and 'role="img"' in svg
    assert ">Amount</text>" in svg and ">Vendor</text>" in svg
    assert charts.nice_ticks(9) == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert charts.nice_ticks(0) == [0.0, 1.0]


# Who may read ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["requester", "approver", "executive"])
@pytest.mark.parametrize("path", ["/reports/", *REPORT_PAGES, *CSV_EXPORTS])
def test_only_finance_procurement_and_admin_may_read(make, app, role, path):
    client = signed_in(app, make.user([role], department="IT"))
    answer = client.get(path)
    assert answer.status_code == 403
    assert "Reports are for finance, procurement and admin." in answer.get_data(as_text=True)


@pytest.mark.parametrize("role", ["finance", "procurement", "admin"])
def test_readers_see_every_report(make, app, role):
    client = signed_in(app, make.user([role], department="FIN"))
    index = client.get("/reports/")
    assert index.status_code == 200
    for path in REPORT_PAGES:
        assert f'href="{path}"' in index.get_data(as_text=True)
        assert client.get(path).status_code == 200


def test_signed_out_people_are_sent_to_sign_in(client):
    answer = client.get("/reports/spend")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_orders_of_other_states_are_left_out(spending):
    # Guard for the fixture itself: a draft and a cancelled order exist and count for nothing.
    from procure.extensions import db

    states = {o.status.value for o in db.session.scalars(db.select(PurchaseOrder))}
    assert {"draft", "cancelled"} <= states
