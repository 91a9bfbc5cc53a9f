"""Split purchases: requests of one department to one vendor or category, created
within the window of each other, each under an approval limit but together at or over
it. The default policy's limits: finance from 5,000, executive from 50,000."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import reference, settings
from procure.extensions import db
from procure.models import PurchaseRequest
from procure.purchasing import services as purchasing
from procure.reports import splits
from procure.reports.services import Filters
from procure.reports.split_windows import Query

from .report_support import Shop, fast_pdf  # noqa: F401 -- fast_pdf is a fixture
from .vendor_support import signed_in

D = Decimal


@pytest.fixture
def shop(make, db) -> Shop:
    return Shop(make, db)


def filed(shop, department, amount, when, category="hardware", title=None):
    pr = shop.filed(department, [("Item", "1", amount, category)], title=title or f"{amount}")
    shop.created(pr, when)
    return pr


def found(filters=None):
    return [
        (s.department, s.kind, s.label, s.limit.amount, [m.number for m in s.members])
        for s in splits.find(filters or Filters())
    ]


def test_each_under_the_limit_together_over_it(shop):
    a = filed(shop, "IT", "2000", "2026-04-01 09:00")
    b = filed(shop, "IT", "2000", "2026-04-04 09:00")
    c = filed(shop, "IT", "2000", "2026-04-07 09:00")
    assert found() == [
        ("IT", "category", "Hardware", D("5000.00"), [a.number, b.number, c.number])
    ]
    (split,) = splits.find(Filters())
    assert split.combined == D("6000.00") and split.limit.steps == ("finance",)
    assert split.days == 6


def test_exactly_at_the_window_is_in_a_second_later_is_out(shop):
    a = filed(shop, "IT", "3000", "2026-04-01 09:00:00")
    b = filed(shop, "IT", "3000", "2026-04-15 09:00:00")  # 14 days to the second
    assert found() == [("IT", "category", "Hardware", D("5000.00"), [a.number, b.number])]
    shop.created(b, "2026-04-15 09:00:01")
    assert found() == []


def test_the_window_is_a_setting(shop):
    filed(shop, "IT", "3000", "2026-04-01 09:00")
    filed(shop, "IT", "3000", "2026-04-11 09:00")
    settings.put("reports.split_window_days", 7, actor=None)
    assert found() == []
    settings.put("reports.split_window_days", 10, actor=None)
    assert len(found()) == 1


def test_different_departments_are_not_linked(shop):
    filed(shop, "IT", "3000", "2026-04-01 09:00")
    filed(shop, "OPS", "3000", "2026-04-02 09:00")
    assert found() == []


def test_different_categories_are_not_linked(shop):
    filed(shop, "IT", "3000", "2026-04-01 09:00", category="hardware")
    filed(shop, "IT", "3000", "2026-04-02 09:00", category="software")
    assert found() == []


def test_cancelled_drafts_and_rejected_requests_do_not_count(shop):
    filed(shop, "IT", "3000", "2026-04-01 09:00")
    cancelled = filed(shop, "IT", "3000", "2026-04-02 09:00")
    purchasing.cancel(cancelled, actor=shop.requesters["IT"])
    rejected = filed(shop, "IT", "3000", "2026-04-03 09:00")
    purchasing.reject(rejected, actor=shop.approvers["IT"], comment="No.")
    draft = purchasing.create_request(
        purchasing.RequestData(
            title="Draft",
            lines=[purchasing.LineData("Item", D("1"), D("3000"), "hardware")],
        ),
        actor=shop.requesters["IT"],
    )
    shop.db.session.commit()
    shop.created(draft, "2026-04-04 09:00")
    assert found() == []


def test_one_already_over_the_limit_is_no_split_under_it(shop):
    filed(shop, "IT", "6000", "2026-04-01 09:00")  # went through finance already
    filed(shop, "IT", "3000", "2026-04-02 09:00")
    assert found() == []


def test_under_the_executive_limit_together_over_it(shop):
    a = filed(shop, "IT", "30000", "2026-04-01 09:00")
    b = filed(shop, "IT", "25000", "2026-04-02 09:00")
    assert found() == [("IT", "category", "Hardware", D("50000.00"), [a.number, b.number])]
    assert splits.find(Filters())[0].limit.steps == ("executive",)


def test_a_request_contributing_to_its_neighbours_split_is_part_of_it(shop):
    # B alone reaches the limit with both neighbours; A and C, 20 days apart, are not
    # siblings of each other, yet both belong to B's split.
    a = filed(shop, "IT", "2000", "2026-04-01 09:00")
    b = filed(shop, "IT", "1500", "2026-04-11 09:00")
    c = filed(shop, "IT", "2000", "2026-04-21 09:00")
    assert found() == [
        ("IT", "category", "Hardware", D("5000.00"), [a.number, b.number, c.number])
    ]
    for pr in (a, b, c):
        assert [m.number for m in splits.for_request(pr)[0].members] == [
            a.number,
            b.number,
            c.number,
        ]


def test_the_main_category_is_the_largest_share(shop):
    mixed = shop.filed(
        "IT", [("Dock", "1", "1000", "hardware"), ("Suite", "1", "2000", "software")]
    )
    shop.created(mixed, "2026-04-01 09:00")
    other = filed(shop, "IT", "3000", "2026-04-02 09:00", category="software")
    assert found() == [("IT", "category", "Software", D("5000.00"), [mixed.number, other.number])]


def test_the_same_vendor_links_requests_of_any_category(shop, fast_pdf):  # noqa: F811
    acme = shop.vendor("Acme")
    first = shop.order("IT", [("Laptop", "1", "3000", "hardware")], acme)
    second = shop.order("IT", [("Licence", "1", "2500", "software")], acme)
    shop.created(first.request, "2026-04-01 09:00")
    shop.created(second.request, "2026-04-03 09:00")
    assert found() == [
        ("IT", "vendor", "Acme", D("5000.00"), [first.request.number, second.request.number])
    ]
    assert found(Filters(vendor_id=acme.id)) == found()
    assert found(Filters(category="hardware")) == []
    # Each request's page finds the split through its order's vendor.
    for pr in (first.request, second.request):
        assert [(s.kind, s.key) for s in splits.for_request(pr)] == [("vendor", str(acme.id))]


def test_report_filters(shop):
    filed(shop, "IT", "3000", "2026-04-01 09:00")
    filed(shop, "IT", "3000", "2026-04-02 09:00")
    ops = shop.requesters["OPS"].department_id
    assert found(Filters(department_id=ops)) == []
    assert len(found(Filters(department_id=shop.requesters["IT"].department_id))) == 1
    assert found(Filters(date_from=dt.date(2026, 5, 1))) == []
    assert len(found(Filters(date_to=dt.date(2026, 4, 1)))) == 1
    assert len(found(Filters(category="hardware"))) == 1


def test_the_request_page_names_the_siblings_for_approvers(shop, app, new_client):
    a = filed(shop, "IT", "2000", "2026-04-01 09:00", title="Laptops, batch one")
    b = filed(shop, "IT", "2000", "2026-04-02 09:00", title="Laptops, batch two")
    c = filed(shop, "IT", "2000", "2026-04-03 09:00", title="Laptops, batch three")
    lone = filed(shop, "OPS", "2000", "2026-04-01 09:00")
    approver = signed_in(app, shop.approvers["IT"])
    html = approver.get(f"/requests/{b.id}").get_data(as_text=True)
    assert "Possible split purchase" in html
    assert f'href="/requests/{a.id}"' in html and f'href="/requests/{c.id}"' in html
    assert "Laptops, batch one" in html and "$6,000.00" in html and "$5,000.00" in html
    assert "finance" in html.split("Possible split purchase")[1]
    for reader in (shop.finance, shop.buyer, shop.admin):
        page = signed_in(app, reader).get(f"/requests/{a.id}").get_data(as_text=True)
        assert "Possible split purchase" in page
    # The requester is not warned (it is no accusation), and a lone request has no flag.
    requester = signed_in(app, shop.requesters["IT"])
    assert "Possible split purchase" not in requester.get(f"/requests/{a.id}").get_data(
        as_text=True
    )
    ops_approver = signed_in(app, shop.approvers["OPS"])
    assert "Possible split purchase" not in ops_approver.get(f"/requests/{lone.id}").get_data(
        as_text=True
    )


def test_the_split_report_page_and_csv(shop, app):
    a = filed(shop, "IT", "2000", "2026-04-01 09:00", title="Docks <for> desks")
    b = filed(shop, "IT", "3000", "2026-04-02 09:00")
    client = signed_in(app, shop.finance)
    html = client.get("/reports/split-purchases?start=").get_data(as_text=True)
    assert 'id="splits-chart"' in html and "Approval limit" in html
    assert f'href="/requests/{a.id}"' in html and "$5,000.00" in html
    assert "Docks &lt;for&gt; desks" in html
    answer = client.get("/reports/split-purchases.csv?start=")
    assert answer.status_code == 200
    text = answer.get_data(as_text=True).splitlines()
    assert text[0].startswith("Department,Grouped by,Vendor or category,Requests")
    assert text[1].startswith(f"IT,category,Hardware,{a.number} {b.number},2000.00 3000.00,")
    assert ",5000.00,5000.00,finance," in text[1]


def test_admin_sets_the_window_on_the_policy_page(shop, app):
    admin = signed_in(app, shop.admin)
    page = admin.get("/admin/policy").get_data(as_text=True)
    assert "Days between requests looked at together" in page and 'value="14"' in page
    saved = admin.post("/admin/policy/split-window", data={"days": "7"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#split-window")
    assert reference.split_window_days() == 7
    for bad in ("0", "366", "soon"):
        refused = admin.post("/admin/policy/split-window", data={"days": bad})
        assert refused.status_code == 422
        assert "Give a number of days from 1 to 365." in refused.get_data(as_text=True) or (
            "Not a valid integer value." in refused.get_data(as_text=True)
        )
        assert reference.split_window_days() == 7
    finance = signed_in(app, shop.finance)
    assert finance.post("/admin/policy/split-window", data={"days": "30"}).status_code == 403
    assert reference.split_window_days() == 7


def test_the_page_names_the_first_members_and_counts_the_rest(shop, app):
    filed_ = [filed(shop, "IT", "600", f"2026-04-{day:02d} 09:00") for day in range(1, 11)]
    (split,), total = splits.first(Filters(), 100, 8)
    assert total == 1
    assert [m.number for m in split.members] == [pr.number for pr in filed_[:8]]
    assert split.count == 10 and split.combined == D("6000.00")
    assert (split.first, split.last) == (filed_[0].created_at, filed_[-1].created_at)
    html = signed_in(app, shop.finance).get("/reports/split-purchases?start=")
    text = html.get_data(as_text=True)
    assert f'href="/requests/{filed_[7].id}"' in text
    assert f'href="/requests/{filed_[8].id}"' not in text
    assert "and 2 more (the CSV lists them all)" in text and "$6,000.00" in text


def test_the_request_page_names_the_members_around_it_and_links_the_rest(shop, app):
    """A busy department's split can hold hundreds of requests: the warning names eight
    around this one and links the report, filtered to the split, for the others."""
    filed_ = [filed(shop, "IT", "600", f"2026-04-{day:02d} 09:00") for day in range(1, 13)]
    this = filed_[9]
    (split,) = splits.for_request(this)
    assert split.count == 12
    assert [m.id for m in split.members] == [pr.id for pr in filed_[4:12]]
    html = signed_in(app, shop.finance).get(f"/requests/{this.id}").get_data(as_text=True)
    warning = html.split("Possible split purchase")[1].split("</div>")[0]
    assert f'href="/requests/{filed_[4].id}"' in warning
    assert f'href="/requests/{filed_[3].id}"' not in warning
    assert f"<strong>{this.number}</strong> (this request, $600.00)" in warning
    report = (
        "/reports/split-purchases?start=2026-04-01&amp;end=2026-04-12&amp;department=IT"
        "&amp;category=hardware"
    )
    assert f'and 4 more — <a href="{report}" class="alert-link">all 12 in' in warning
    shown = signed_in(app, shop.finance).get(report.replace("&amp;", "&"))
    assert f'href="/requests/{filed_[0].id}"' in shown.get_data(as_text=True)
    # An approver is warned too, without the link: the reports are not theirs to read.
    html = signed_in(app, shop.approvers["IT"]).get(f"/requests/{this.id}").get_data(as_text=True)
    warning = html.split("Possible split purchase")[1].split("</div>")[0]
    assert "and 4 more." in warning and "split-purchases" not in warning
    # The first of them names the first eight.
    (split,) = splits.for_request(filed_[0])
    assert [m.id for m in split.members] == [pr.id for pr in filed_[:8]]


def definition(requests, window, limits, since=None, until=None):
    """The category splits of ``requests`` (number, department, category, total,
    created) as the module's docstring defines them, by brute force: each request
    flagged under the highest limit it reaches with its siblings (created from
    ``since`` until before ``until``), each flagged one's siblings under the limit, and
    those sharing a request joined. {(department, category, limit, numbers)}."""
    found = set()
    groups = {}
    for r in requests:
        groups.setdefault((r[1], r[2]), []).append(r)
    for (department, category), group in groups.items():

        def near(request, group=group):
            return [o for o in group if abs(o[4] - request[4]) <= window]

        flagged = {}
        for r in group:
            if (since and r[4] < since) or (until and r[4] >= until):
                continue
            for limit in sorted(limits, reverse=True):
                if r[3] < limit and sum(o[3] for o in near(r) if o[3] < limit) >= limit:
                    flagged.setdefault(limit, []).append(r)
                    break
        for limit, anchors in flagged.items():
            joined = []
            for anchor in anchors:
                members = {o[0] for o in near(anchor) if o[3] < limit}
                for other in [j for j in joined if j & members]:
                    joined.remove(other)
                    members |= other
                joined.append(members)
            found |= {(department, category, limit, frozenset(j)) for j in joined}
    return found


def _whole(found: list) -> set:
    """The splits as their figures over every member say them."""
    return {
        (s.department, s.kind, s.key, s.limit.amount, s.count, s.combined, s.first, s.last)
        for s in found
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_splits_found_are_those_of_the_definition(shop, seed):
    """Random requests of two departments and two categories over seven weeks, some
    over the finance limit and some towards the executive one: the splits found in the
    database are those the definition gives, with and without a date range."""
    rng = random.Random(seed)
    start = dt.datetime(2026, 3, 1, 8)
    requests = []
    for _ in range(28):
        kind = rng.random()
        if kind < 0.1:
            amount = 6000
        elif kind < 0.35:
            amount = rng.randrange(15000, 45000, 1000)
        else:
            amount = rng.randrange(300, 4900, 50)
        department, category = rng.choice(("IT", "OPS")), rng.choice(("hardware", "software"))
        when = start + dt.timedelta(minutes=rng.randrange(0, 50 * 24 * 60))
        pr = filed(shop, department, str(amount), when.isoformat(" "), category=category)
        requests.append((pr.number, department, category, D(amount), when))
    window = dt.timedelta(days=14)
    limits = (D("5000.00"), D("50000.00"))
    for filters, since, until in (
        (Filters(), None, None),
        (
            Filters(date_from=dt.date(2026, 3, 20), date_to=dt.date(2026, 4, 5)),
            dt.datetime(2026, 3, 20),
            dt.datetime(2026, 4, 6),
        ),
    ):
        expected = definition(requests, window, limits, since, until)
        got = splits.find(filters)
        assert all(s.kind == "category" for s in got)
        assert {
            (s.department, s.key, s.limit.amount, frozenset(m.number for m in s.members))
            for s in got
        } == expected
        for s in got:
            totals = {r[0]: r[3] for r in requests}
            assert s.count == len(s.members)
            assert s.combined == sum(totals[m.number] for m in s.members)
        assert expected, "the random requests make at least one split"
    # A request's page reads only the request's own groups: it finds what reading
    # every group of its department over the same weeks finds of the splits holding it.
    window = dt.timedelta(days=reference.split_window_days())
    for number, *_ in requests:
        pr = db.session.scalar(sa.select(PurchaseRequest).where(PurchaseRequest.number == number))
        every_group = Query(
            [
                PurchaseRequest.department_id == pr.department_id,
                PurchaseRequest.created_at >= pr.created_at - 2 * window,
                PurchaseRequest.created_at <= pr.created_at + 2 * window,
            ],
            [],
        )
        holding = [
            s
            for s in splits._named(splits._detect(every_group))
            if any(m.number == number for m in s.members)
        ]
        page = splits.for_request(pr)
        assert _whole(page) == _whole(holding)
        # The page names a run of eight of them (all, when fewer) holding this request.
        for shown in page:
            (whole,) = [s for s in holding if _whole([s]) == _whole([shown])]
            numbers = [m.number for m in whole.members]
            named = [m.number for m in shown.members]
            assert number in named and len(named) == min(splits.FLAG_NAMED, len(numbers))
            at = numbers.index(named[0])
            assert numbers[at : at + len(named)] == named
