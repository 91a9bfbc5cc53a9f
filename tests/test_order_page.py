"""The purchase order's page as the goods-in desk reads it: receiving columns appear
once there is something to receive (from issue on), and each receipt names the items
it brought, not their line numbers."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from procure import organisation
from procure.orders import services as orders
from procure.sourcing import services as sourcing

from .pages import text
from .vendor_support import people_fixture, signed_in  # noqa: F401 -- people

LATER = dt.date.today() + dt.timedelta(days=10)


@pytest.fixture
def draft(make, db, people):
    buyer = people["procurement"]
    pr = make.approved_request(
        people["requester"],
        people["approver"],
        lines=(("Laptop <14-inch>", "3", "1000.00"), ("Docking station", "2", "150.00")),
    )
    supplier = make.vendor("Acme Systems")
    rfq = sourcing.create_rfq(
        sourcing.RfqData(request_id=pr.id, vendor_ids=[supplier.id], due_date=LATER),
        actor=buyer,
    )
    sourcing.send(rfq, actor=buyer)
    quote = sourcing.record_quote(
        rfq,
        sourcing.QuoteData(
            vendor_id=supplier.id,
            valid_until=LATER,
            lead_time_days=5,
            lines=[
                sourcing.QuoteLineData(
                    description=line.description,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    request_line_id=line.id,
                )
                for line in pr.lines
            ],
        ),
        actor=buyer,
    )
    order = sourcing.award(rfq, quote.id, actor=buyer)
    db.session.commit()
    return {"order": order, "buyer": buyer}


def headings(body: str) -> list[str]:
    table = body.split('<table class="table align-middle data-table">', 1)[1].split("</thead>")[0]
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>.*?</th>", table)]


def test_a_draft_shows_no_receiving_columns(app, draft):
    client = signed_in(app, draft["buyer"])
    body = client.get(f"/orders/{draft['order'].id}").get_data(as_text=True)
    assert headings(body) == ["#", "Description", "Ordered", "Unit price", "Total"]
    assert " received</td>" not in body and "Receipts" not in text_of(body)


def test_an_issued_order_shows_what_is_received_and_receipts_name_the_items(app, draft, db):
    order, buyer = draft["order"], draft["buyer"]
    orders.issue(order, actor=buyer)
    db.session.commit()
    client = signed_in(app, buyer)
    body = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert headings(body) == [
        "#",
        "Description",
        "Ordered",
        "Unit price",
        "Total",
        "Received",
        "Receive now",
    ]
    laptop, dock = order.lines
    received = client.post(
        f"/orders/{order.id}/receive",
        data={f"line-{laptop.id}": "2", f"line-{dock.id}": "1", "version": str(order.version)},
    )
    assert received.status_code == 302
    page = client.get(f"/orders/{order.id}")
    receipts = text(page).split("Receipts", 1)[1].split("History", 1)[0]
    assert "2 × Laptop <14-inch>" in receipts and "1 × Docking station" in receipts
    assert "line 1" not in receipts and "line 2" not in receipts
    assert "Laptop &lt;14-inch&gt;" in page.get_data(as_text=True)  # escaped
    assert "$2,150.00 received" in text(page)


def text_of(body: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_an_order_without_its_own_address_shows_the_organisations_as_the_pdf_does(app, draft, db):
    organisation.update(
        {"name": "Lakeview Schools", "address": "2400 Harbor Boulevard\nLakeview, OR 97630"},
        actor=None,
    )
    db.session.commit()
    client = signed_in(app, draft["buyer"])
    body = client.get(f"/orders/{draft['order'].id}").get_data(as_text=True)
    assert "2400 Harbor Boulevard" in text_of(body)
    assert "The organisation" not in text_of(body)
