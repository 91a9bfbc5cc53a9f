"""Budgets learn the vendors' invoices (issue 20, point 6): committed and spent keep
their meaning (spent = received), invoiced (approved, unpaid) and paid split what is
spent and are never subtracted again; the exchange difference of a foreign invoice
paid at another rate is its own figure, never in spent or available."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from procure import currencies, reference
from procure.budgets import services as budgets

from .invoice_support import People, approved, days, issued_order, pay, rate, receive
from .vendor_support import counting_queries, signed_in

ZERO = Decimal("0.00")


@pytest.fixture
def people(make):
    return People(make)


def budget(amount: str, category: str | None = None):
    return budgets.create(
        budgets.BudgetData(
            department="IT",
            fiscal_year=reference.current_fiscal_year(),
            amount=Decimal(amount),
            category=category,
        ),
        actor=None,
    )


def figures(budget_row) -> tuple[Decimal, ...]:
    f = budgets.figures_of(budget_row)
    return f.committed, f.spent, f.invoiced, f.paid, f.available, f.exchange_difference


def test_the_budget_shows_the_order_spent_when_received_then_invoiced_then_paid(make, db, people):
    whole = budget("10000.00")
    hardware = budget("5000.00", category="hardware")
    order = issued_order(people, make.vendor())  # 2 × 1,000.00 + 3 × 150.00 = 2,450.00
    assert figures(whole) == (Decimal("2450.00"), ZERO, ZERO, ZERO, Decimal("7550.00"), ZERO)

    receive(order, people)
    received = (ZERO, Decimal("2450.00"), ZERO, ZERO, Decimal("7550.00"), ZERO)
    assert figures(whole) == received
    assert budgets.figures_of(whole).not_invoiced == Decimal("2450.00")

    invoice = approved(order, people, "V-100")
    invoiced = (ZERO, Decimal("2450.00"), Decimal("2450.00"), ZERO, Decimal("7550.00"), ZERO)
    assert figures(whole) == invoiced  # spent and available unchanged by invoicing
    assert budgets.figures_of(whole).not_invoiced == ZERO
    assert figures(hardware)[1:5] == (
        Decimal("2450.00"),
        Decimal("2450.00"),
        ZERO,
        Decimal("2550.00"),
    )

    pay(invoice, people)
    paid = (ZERO, Decimal("2450.00"), ZERO, Decimal("2450.00"), Decimal("7550.00"), ZERO)
    assert figures(whole) == paid  # and unchanged by paying
    assert figures(hardware)[3] == Decimal("2450.00")


def test_invoices_in_part_split_what_is_received(make, db, people):
    whole = budget("10000.00")
    order = issued_order(people, make.vendor())
    receive(order, people)
    approved(order, people, "V-1", quantities=["1", "0"])  # one laptop of two
    figure = budgets.figures_of(whole)
    assert (figure.not_invoiced, figure.invoiced, figure.paid) == (
        Decimal("1450.00"),
        Decimal("1000.00"),
        ZERO,
    )
    assert figure.spent == Decimal("2450.00")


def test_a_two_way_invoice_runs_ahead_of_receipt_without_touching_available(make, db, people):
    whole = budget("10000.00")
    order = issued_order(
        people,
        make.vendor(categories=("services",)),
        lines=(("Support", "1", "900.00"),),
        category="services",
    )
    approved(order, people, "S-1")  # services: matched against what was ordered
    figure = budgets.figures_of(whole)
    assert (figure.committed, figure.spent, figure.invoiced) == (
        Decimal("900.00"),
        ZERO,
        Decimal("900.00"),
    )
    assert figure.invoiced_ahead == Decimal("900.00")
    assert figure.available == Decimal("9100.00")  # never subtracted twice


def test_a_credit_note_subtracts_from_what_is_invoiced(make, db, people):
    whole = budget("10000.00")
    order = issued_order(people, make.vendor())
    receive(order, people)
    first = approved(order, people, "V-7")
    approved(
        order, people, "CN-7", quantities=["1", "0"], credit_for=first.id
    )  # one laptop returned, credited
    assert budgets.figures_of(whole).invoiced == Decimal("1450.00")


def test_a_foreign_invoice_paid_at_another_rate_has_an_exchange_difference(make, db, people):
    admin = make.user(["admin"], department="IT")
    currencies.set_enabled(["EUR"], actor=admin)
    rate("EUR", "1.10", days(-10))
    whole = budget("20000.00")
    hardware = budget("10000.00", category="hardware")
    order = issued_order(
        people, make.vendor(), currency="EUR", lines=(("Servers", "2", "1000.00"),)
    )
    assert order.rate == Decimal("1.10")
    receive(order, people)
    invoice = approved(order, people, "EU-1", invoice_date=days(-5))
    assert invoice.total_base == Decimal("2200.00")
    rate("EUR", "1.25", days(0))
    pay(invoice, people)
    assert invoice.paid_base == Decimal("2500.00")

    for row in (whole, hardware):
        figure = budgets.figures_of(row)
        assert figure.spent == Decimal("2200.00")  # at the order's frozen rate
        assert figure.paid == Decimal("2200.00")
        assert figure.exchange_difference == Decimal("300.00")
        assert figure.available == row.amount - Decimal("2200.00")  # not in available


def test_the_budget_page_and_the_api_show_the_new_figures(make, db, app, people, api):
    whole = budget("10000.00")
    order = issued_order(people, make.vendor())
    receive(order, people)
    approved(order, people, "V-55", quantities=["2", "0"])
    db.session.commit()

    page = signed_in(app, people.approver).get("/budgets/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    row = html[html.index(f'id="budget-{whole.id}"') :]
    row = row[: row.index("</tr>")]
    assert re.search(r'data-figure="invoiced">\$2,000\.00<', row)
    assert re.search(r'data-figure="not-invoiced">\$450\.00<', row)
    assert re.search(r'data-figure="paid">\$0\.00<', row)
    assert ">Exchange difference<" in html  # its own column, explained above the table:
    assert "it is not part of spend and does not change what is available" in html

    answer = api(people.approver).get(f"/api/v1/budgets/{whole.id}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["spent"], body["invoiced"], body["paid"], body["available"]) == (
        "2450.00",
        "2000.00",
        "0.00",
        "7550.00",
    )
    assert body["exchange_difference"] == "0.00"
    listed = api(people.approver).get("/api/v1/budgets").get_json()["items"]
    assert [item["invoiced"] for item in listed if item["id"] == whole.id] == ["2000.00"]


def test_the_figures_of_many_budgets_take_a_fixed_number_of_queries(make, db, people):
    rows = [budget("10000.00"), budget("5000.00", category="hardware")]
    db.session.commit()
    with counting_queries() as few:
        budgets.figures(rows)
    for n in range(3):
        order = issued_order(people, make.vendor())
        receive(order, people)
        pay(approved(order, people, f"Q-{n}"), people)
    db.session.commit()
    with counting_queries() as many:
        budgets.figures(rows)
    assert len(many) == len(few)
