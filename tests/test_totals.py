"""Totals kept beside the documents (``procure/totals.py``): what each order and order
line has received, net, and each request's main category stay what the documents say
through receiving, reversing, returning, invoicing, crediting and cancelling;
``verify-totals`` names a total tampered with behind the services' back."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import totals
from procure.invoices import actions
from procure.orders import returns
from procure.orders import services as orders
from procure.purchasing import services as purchasing
from tests.invoice_support import People, approved, invoice, issued_order, receive

D = Decimal


@pytest.fixture
def people(make):
    return People(make)


def received(order) -> tuple[Decimal, list[Decimal]]:
    return order.received_value, [line.received_value for line in order.lines]


def test_a_new_order_has_received_nothing(make, db, people):
    order = issued_order(people, make.vendor())
    assert received(order) == (D("0.00"), [D("0.00"), D("0.00")])
    assert totals.differences() == []


def test_received_values_follow_receipts_reversals_returns_and_invoices(make, db, people):
    order = issued_order(people, make.vendor())  # 2 × 1,000.00 and 3 × 150.00
    receive(order, people, "1", "3")
    assert received(order) == (D("1450.00"), [D("1000.00"), D("450.00")])

    receive(order, people, "1", "0")
    second = max(order.receipts, key=lambda r: r.id)
    assert received(order) == (D("2450.00"), [D("2000.00"), D("450.00")])
    db.session.flush()
    assert totals.differences() == []

    returns.reverse_receipt(order, second, reason="Counted twice", actor=people.buyer)
    assert received(order) == (D("1450.00"), [D("1000.00"), D("450.00")])
    db.session.flush()
    assert totals.differences() == []

    receive(order, people, "1", "0")
    first = approved(order, people, "V-1", quantities=["2", "0"])
    laptops = next(line for line in order.lines if line.position == 1)
    returns.record_return(
        order,
        [returns.ReturnLineData(laptops.id, D("1"))],
        returned_on=None,
        reason="Dead on arrival",
        actor=people.buyer,
    )
    assert received(order) == (D("1450.00"), [D("1000.00"), D("450.00")])
    approved(order, people, "CN-1", quantities=["1", "0"], credit_for=first.id)
    draft = invoice(order, people, "V-2", quantities=["0", "1"])
    actions.cancel(draft, "Entered twice", actor=people.clerk)
    # Invoices and credit notes move money owed, not goods: what is received stays.
    assert received(order) == (D("1450.00"), [D("1000.00"), D("450.00")])
    db.session.flush()
    assert totals.differences() == []


def test_a_cancelled_order_keeps_nothing_received(make, db, people):
    order = issued_order(people, make.vendor())
    orders.cancel(order, comment="Not needed after all", actor=people.buyer)
    db.session.flush()
    assert received(order) == (D("0.00"), [D("0.00"), D("0.00")])
    assert totals.differences() == []


def _request(people, lines):
    return purchasing.create_request(
        purchasing.RequestData(
            title="Mixed",
            lines=[
                purchasing.LineData(
                    description=category, quantity=D(q), unit_price=D(p), category=category
                )
                for category, q, p in lines
            ],
        ),
        actor=people.requester,
    )


def test_the_main_category_is_kept_as_the_lines_are_saved(db, people):
    pr = _request(people, [("software", "1", "300.00"), ("hardware", "2", "200.00")])
    assert pr.main_category == "hardware"  # 400.00 against 300.00

    purchasing.update_request(
        pr,
        purchasing.RequestData(
            title="Mixed",
            lines=[
                purchasing.LineData(
                    description="Licence",
                    quantity=D("1"),
                    unit_price=D("500.00"),
                    category="software",
                ),
                purchasing.LineData(
                    description="Cable",
                    quantity=D("1"),
                    unit_price=D("100.00"),
                    category="hardware",
                ),
            ],
        ),
        actor=people.requester,
    )
    assert pr.main_category == "software"
    db.session.flush()
    assert totals.differences() == []


@pytest.mark.parametrize(
    ("lines", "main"),
    [
        ([], None),
        ([("software", D("10")), ("hardware", D("10"))], "hardware"),  # a tie: alphabetical
        ([("software", D("6")), ("hardware", D("10")), ("software", D("6"))], "software"),
    ],
)
def test_the_main_category_is_the_largest_share_ties_to_the_first_name(lines, main):
    assert totals.main_category(lines) == main


@pytest.mark.tampers_totals
def test_verify_totals_names_each_tampered_total_and_exits_1(make, db, people, runner):
    order = issued_order(people, make.vendor())
    receive(order, people, "1", "0")
    pr = order.request
    db.session.flush()
    assert runner.invoke(args=["verify-totals"]).exit_code == 0

    line = next(line for line in order.lines if line.position == 1)
    connection = db.session.connection()
    # Behind the services' back, in the columns' storage form (thousandths): 999.00 where
    # the receipt says 1,000.00, nothing on the order, another category on the request.
    connection.execute(
        sa.text("UPDATE order_lines SET received_value = 999000 WHERE id = :id"), {"id": line.id}
    )
    connection.execute(
        sa.text("UPDATE purchase_orders SET received_value = 0 WHERE id = :id"), {"id": order.id}
    )
    connection.execute(
        sa.text("UPDATE purchase_requests SET main_category = 'software' WHERE id = :id"),
        {"id": pr.id},
    )

    result = runner.invoke(args=["verify-totals"])

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"order {order.number} line 1: received value kept 999.00, "
        "from its receipts and returns 1000.00",
        f"order {order.number}: received value kept 0.00, from its receipts and returns 1000.00",
        f"request {pr.number}: main category kept software, from its lines hardware",
        # The budget sums count what the orders keep as received: they follow the
        # tampered columns and say so (the received figures were kept by the services).
        f"budget sums of department #{pr.department_id} {pr.fiscal_year} (whole), orders "
        "partially_received at rate 1: kept 2450.00/1000.00/0.00, from the documents "
        "2450.00/0.00/0.00 (total/received/paid)",
        f"budget sums of department #{pr.department_id} {pr.fiscal_year} hardware, orders "
        "partially_received at rate 1: kept 2450.00/1000.00/0.00, from the documents "
        "2450.00/999.00/0.00 (total/received/paid)",
        "5 kept totals differ from the documents",
    ]
