"""Every report issues as many SQL statements for 5 rows of data as for 50: sums,
percentiles and the split-purchase self-join run in the database, never a query per
row. The request page's split-purchase flag is held to the same rule."""

from __future__ import annotations

from decimal import Decimal

from procure.orders import services as orders

from .report_support import Shop, fast_pdf  # noqa: F401 -- fast_pdf is a fixture
from .vendor_support import counting_queries, signed_in

SMALL, LARGE = 5, 50
PAGES = [
    "/reports/",
    "/reports/spend",
    "/reports/spend?by=category",
    "/reports/spend?by=department",
    "/reports/spend?by=month",
    "/reports/cycle-time",
    "/reports/savings",
    "/reports/vendors",
    "/reports/split-purchases",
    "/reports/spend.csv",
    "/reports/cycle-time.csv",
    "/reports/savings.csv",
    "/reports/vendors.csv",
    "/reports/split-purchases.csv",
    "/reports/spend?start=2000-01-01&category=hardware&department=IT",
]


class World:
    """Per row: a vendor, an order from it (issued, half received, from an RFQ with
    two quotes), and a pending request — all of IT's hardware, so that they also form
    split purchases."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self.orders: list = []
        self.pending: list = []

    def grow(self, count: int) -> None:
        shop = self.shop
        while len(self.orders) < count:
            n = len(self.orders)
            vendor, rival = shop.vendor(f"Vendor {n}"), shop.vendor(f"Rival {n}")
            pr = shop.approved("IT", [("Laptop", "2", "900", "hardware")])
            _rfq, order = shop.rfq(pr, [(vendor, "1"), (rival, "1.1")], award=vendor)
            orders.issue(order, actor=shop.buyer)
            orders.receive(
                order,
                [orders.ReceiptLineData(line_id=order.lines[0].id, quantity=Decimal(1))],
                received_on=None,
                actor=shop.buyer,
            )
            self.orders.append(order)
        while len(self.pending) < count:
            self.pending.append(shop.filed("IT", [("Dock", "1", "1200", "hardware")]))
        shop.db.session.commit()


def count(client, path: str) -> int:
    client.get(path)  # warm: session, caches, first-use lookups
    with counting_queries() as calls:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(calls)


def test_report_queries_do_not_grow_with_the_rows(make, db, app, fast_pdf):  # noqa: F811
    shop = Shop(make, db)
    world = World(shop)
    client = signed_in(app, shop.finance)
    world.grow(SMALL)
    small = {path: count(client, path) for path in PAGES}
    world.grow(LARGE)
    large = {path: count(client, path) for path in PAGES}
    assert large == small
    # The rows are there: the split report found them, the spend report counted them.
    assert client.get("/reports/split-purchases").get_data(as_text=True).count("split-row") == 1
    assert f"Vendor {LARGE - 1}" in client.get("/reports/spend.csv").get_data(as_text=True)


def test_the_split_flag_on_a_request_page_is_bounded(make, db, app, fast_pdf):  # noqa: F811
    shop = Shop(make, db)
    world = World(shop)
    client = signed_in(app, shop.approvers["IT"])
    world.grow(SMALL)
    path = f"/requests/{world.pending[0].id}"
    small = count(client, path)
    assert "Possible split purchase" in client.get(path).get_data(as_text=True)
    world.grow(LARGE)
    assert count(client, path) == small
