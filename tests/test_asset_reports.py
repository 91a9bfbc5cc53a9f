"""The asset register's reports: warranty ending uncovered (page and CSV), cost per
department and category, licence utilisation, leavers; who may read them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from procure import pagination
from procure.assets import licences, report_views, reports, services
from procure.errors import Forbidden
from procure.identity import lifecycle
from procure.workflow import AssetAction

from .assets_world import hardware, licence_pool, set_warranty

D = Decimal


@pytest.fixture
def world(make, db):
    """Laptop 1 deployed and its warranty ending in 60 days (2 months), laptop 2
    covered by a support contract, laptop 3 retired; docks' warranties in 200 days
    and 10 days ago."""
    w = hardware(make, db, warranty_months=2)
    holder = make.user(["requester"], department="IT", name="Hal Holder")
    first, second, third = w.laptops
    services.act(first, AssetAction.DEPLOY, actor=w.buyer, holder=holder, location="HQ")
    contract = make.contract(kind="support", owner=w.buyer)
    services.set_coverage(contract, [second.id], actor=w.buyer)
    services.act(third, AssetAction.RETIRE, actor=w.buyer)
    set_warranty(w.docks[0], 200, w.buyer)
    set_warranty(w.docks[1], -10, w.buyer)
    db.session.commit()
    w.holder = holder
    return w


def test_the_warranty_report_lists_uncovered_assets_in_use_soonest_first(world, make):
    reader = make.user(["finance"], department="FIN")
    report = reports.warranty(reader, 90)
    tags = [row.tag for row in report.rows]
    # the ended dock first, then laptop 1; not the covered, retired or later ones
    assert tags == [world.docks[1].tag, world.laptops[0].tag]
    first = report.rows[1]
    assert first.holder_name == "Hal Holder" and first.location == "HQ"
    assert first.days_left == (world.laptops[0].warranty_end - dt.date.today()).days
    assert report.rows[0].days_left == -10
    longer = reports.warranty(reader, 365)
    assert world.docks[0].tag in [row.tag for row in longer.rows]
    assert [row.tag for row in reports.warranty(reader, 30).rows] == [world.docks[1].tag]
    with pytest.raises(ValueError):
        reports.warranty(reader, 45)


def test_the_warranty_count_stops_at_its_limit_and_says_so(world, make, auth, client, monkeypatch):
    reader = make.user(["finance"], department="FIN")
    everything = reports.warranty(reader, 365)
    assert everything.total > 2
    counted = reports.warranty(reader, 365, limit=1, count_limit=2)
    assert (counted.total, counted.capped, len(counted.rows)) == (2, True, 1)

    monkeypatch.setattr(report_views, "TABLE_LIMIT", 1)
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 2)
    auth.login(reader.email)
    page = client.get("/assets/reports/warranty?days=365")
    assert b"2+ assets out of warranty" in page.data


def test_the_warranty_page_reads_its_first_rows_and_counts_the_rest(
    world, make, auth, client, monkeypatch
):
    reader = make.user(["finance"], department="FIN")
    everything = reports.warranty(reader, 365)
    first = reports.warranty(reader, 365, limit=1)
    assert [row.tag for row in first.rows] == [everything.rows[0].tag]
    assert first.total == everything.total == len(everything.rows) > 1
    assert reports.warranty(reader, 365, limit=100).total == everything.total

    monkeypatch.setattr(report_views, "TABLE_LIMIT", 1)
    auth.login(reader.email)
    page = client.get("/assets/reports/warranty?days=365")
    assert page.status_code == 200
    assert f"{everything.total} assets out of warranty".encode() in page.data
    assert b"The first 1 are listed; the CSV holds them all." in page.data
    assert everything.rows[0].tag.encode() in page.data
    assert everything.rows[1].tag.encode() not in page.data
    exported = client.get("/assets/reports/warranty.csv?days=365")
    assert all(row.tag.encode() in exported.data for row in everything.rows)


def test_a_contract_covering_the_order_takes_its_assets_off_the_report(world, make, db):
    make.contract(kind="maintenance", owner=world.buyer, order=world.order)
    assert reports.warranty(world.buyer, 365).rows == []


def test_requesters_and_holders_may_not_read_the_reports(world, make):
    for reader in (world.holder, make.user(["approver"], department="IT")):
        for report in (reports.warranty, reports.costs, reports.licence_use, reports.leavers):
            with pytest.raises(Forbidden):
                report(reader)


def test_costs_per_department_and_category_count_assets_in_use(world, make, db):
    other = hardware(make, db, warranty_months=12, buyer=world.buyer)
    # hardware() files both orders' requests in IT: move the second to another department
    finance = make.user(["requester"], department="FIN")
    other.order.request.department_id = finance.department_id
    db.session.commit()
    report = reports.costs(make.user(["admin"], department="ADM"))
    by_code = {d.code: d for d in report.departments}
    it = by_code["IT"]
    # 2 laptops (one retired) and 2 docks in use
    assert [(r.category, r.assets, r.cost) for r in it.rows] == [("hardware", 4, D("3400.00"))]
    assert by_code["FIN"].cost == D("4900.00") and by_code["FIN"].assets == 5
    assert report.assets == 9 and report.cost == D("8300.00")
    assert [(r.category, r.assets) for r in report.by_category] == [("hardware", 9)]


def test_licence_utilisation_shows_seats_and_percent(make, db):
    pool = licence_pool(make, db, seats="4")
    buyer = make.user(["procurement"], department="PROC")
    for _ in range(3):
        licences.assign(pool, make.user().id, actor=buyer)
    db.session.commit()
    rows = reports.licence_use(buyer)
    row = next(r for r in rows if r.licence.id == pool.id)
    assert (row.licence.seats, row.licence.used, row.licence.free) == (4, 3, 1)
    assert row.utilisation.percent == 75
    assert row.contract_end is None


def test_leavers_lists_deactivated_holders_with_what_to_recover(world, make, db):
    pool = licence_pool(make, db, seats="2", buyer=world.buyer)
    seat_only = make.user(name="Sam Seats")
    licences.assign(pool, seat_only.id, actor=world.buyer)
    licences.assign(pool, world.holder.id, actor=world.buyer)
    nothing = make.user(name="Nina Nothing")
    for person in (world.holder, seat_only, nothing):
        lifecycle.deactivate(person, actor=None, via="test")
    db.session.commit()
    found = reports.leavers(world.buyer)
    assert [h.user.name for h in found] == ["Hal Holder", "Sam Seats"]
    assert [a.tag for a in found[0].assets] == [world.laptops[0].tag]
    assert [s.id for s in found[0].seats] == [pool.id]
    assert found[1].assets == [] and [s.id for s in found[1].seats] == [pool.id]


# Pages ---------------------------------------------------------------------------------


def test_the_report_pages_show_their_rows(world, make, db, auth, client):
    pool = licence_pool(make, db, seats="3", buyer=world.buyer)
    lifecycle.deactivate(world.holder, actor=None, via="test")
    db.session.commit()
    manager = make.user(["asset_manager"], department="IT")
    auth.login(manager.email)
    index = client.get("/assets/reports")
    assert index.status_code == 200
    for path in ("warranty", "costs", "licences", "leavers"):
        assert f"/assets/reports/{path}".encode() in index.data
    page = client.get("/assets/reports/warranty")
    assert page.status_code == 200
    assert world.laptops[0].tag.encode() in page.data
    assert world.laptops[1].tag.encode() not in page.data
    assert b'<option selected value="90">' in page.data
    longer = client.get("/assets/reports/warranty?days=365")
    assert world.docks[0].tag.encode() in longer.data
    costs = client.get("/assets/reports/costs")
    assert costs.status_code == 200 and b"3,400.00" in costs.data
    used = client.get("/assets/reports/licences")
    assert used.status_code == 200 and pool.product.encode() in used.data
    leavers = client.get("/assets/reports/leavers")
    assert leavers.status_code == 200
    assert b"Hal Holder" in leavers.data and world.laptops[0].tag.encode() in leavers.data


def test_a_horizon_not_offered_is_named_beside_the_field(world, make, auth, client):
    auth.login(world.buyer.email)
    for bad in ("45", "ninety", ""):
        page = client.get(f"/assets/reports/warranty?days={bad}")
        assert page.status_code == 400
        assert b"Choose one of 30, 90, 180, 365 days." in page.data
        assert world.laptops[0].tag.encode() not in page.data
        csv_answer = client.get(f"/assets/reports/warranty.csv?days={bad}")
        assert csv_answer.status_code == 400
        assert csv_answer.content_type.startswith("text/plain")


def test_the_warranty_csv_neutralises_typed_cells(world, make, db, auth, client):
    services.update(world.laptops[0], actor=world.buyer, location="=HYPERLINK(1)")
    services.update(world.docks[1], actor=world.buyer, serial="+SN-99")
    db.session.commit()
    auth.login(world.buyer.email)
    answer = client.get("/assets/reports/warranty.csv?days=90")
    assert answer.status_code == 200
    assert answer.content_type == "text/csv; charset=utf-8"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8"))))
    assert rows[0] == list(reports.WARRANTY_COLUMNS)
    assert [row[0] for row in rows[1:]] == [world.docks[1].tag, world.laptops[0].tag]
    dock, laptop = rows[1], rows[2]
    assert dock[1] == "'+SN-99" and dock[11] == "-10" and dock[9] == "200.00"
    assert laptop[7] == "'=HYPERLINK(1)" and laptop[5] == "Hal Holder"


def test_the_report_pages_refuse_a_requester(world, auth, client):
    auth.login(world.holder.email)
    for path in ("", "/warranty", "/warranty.csv", "/costs", "/licences", "/leavers"):
        assert client.get(f"/assets/reports{path}").status_code == 403


def test_a_long_report_lists_its_first_rows_and_says_so(world, auth, client, monkeypatch):
    from procure.assets import report_views

    monkeypatch.setattr(report_views, "TABLE_LIMIT", 1)
    auth.login(world.buyer.email)
    page = client.get("/assets/reports/warranty?days=365")
    assert page.status_code == 200
    assert b"The first 1 are listed; the CSV holds them all." in page.data
    assert world.docks[1].tag.encode() in page.data
    assert world.laptops[0].tag.encode() not in page.data
