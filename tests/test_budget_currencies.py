"""Budgets in the base currency (issue 19): a foreign request commits its total at the
rate frozen at submit, an order its total at the rate frozen at issue, and receipts
count at the order's frozen rate; a rate entered later moves none of it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from procure import currencies, rates, reference
from procure.budgets import services as budgets
from procure.orders import services as orders
from procure.purchasing import services as purchasing
from procure.sourcing import services as sourcing


@pytest.fixture
def org(make):
    admin = make.user(["admin"], department="IT")
    currencies.set_enabled(["EUR", "JPY"], actor=admin)
    return {
        "requester": make.user(["requester"], department="IT"),
        "approver": make.user(["approver"], department="IT"),
        "finance": make.user(["finance"], department="FIN"),
        "buyer": make.user(["procurement"], department="PROC"),
    }


def today() -> dt.date:
    return dt.date.today()


def rate(currency: str, value: str, day: dt.date | None = None) -> None:
    rates.record(currency, day or today(), value, actor=None)


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


def file(org, currency="EUR", lines=(("Servers", "4", "1200.00", "hardware"),)):
    pr = purchasing.create_request(
        purchasing.RequestData(
            title="Servers",
            currency=currency,
            lines=[
                purchasing.LineData(
                    description=d, quantity=Decimal(q), unit_price=Decimal(p), category=c
                )
                for d, q, p, c in lines
            ],
        ),
        actor=org["requester"],
    )
    purchasing.submit(pr, actor=org["requester"])
    return pr


def approve(org, pr) -> None:
    while pr.pending_step is not None:
        decider = org["approver"] if pr.pending_step.name == "department" else org["finance"]
        purchasing.approve(pr, actor=decider)


def issued_order(org, make, pr, currency="EUR"):
    """``pr`` sourced from one quote in ``currency`` at the request's prices, awarded
    and issued (which freezes the order's rate)."""
    vendor = make.vendor(email="orders@vendor.example")
    later = today() + dt.timedelta(days=30)
    rfq = sourcing.create_rfq(
        sourcing.RfqData(request_id=pr.id, vendor_ids=[vendor.id], due_date=later),
        actor=org["buyer"],
    )
    sourcing.send(rfq, actor=org["buyer"])
    quote = sourcing.record_quote(
        rfq,
        sourcing.QuoteData(
            vendor_id=vendor.id,
            valid_until=later,
            lead_time_days=5,
            currency=currency,
            lines=[
                sourcing.QuoteLineData(
                    description=line.description,
                    quantity=line.quantity,
                    unit=line.unit,
                    unit_price=line.unit_price,
                    request_line_id=line.id,
                )
                for line in pr.lines
            ],
        ),
        actor=org["buyer"],
    )
    order = sourcing.award(
        rfq, quote.id, actor=org["buyer"], justification="The only vendor with stock."
    )
    orders.issue(order, actor=org["buyer"])
    return order


def test_the_budget_check_is_in_the_base_currency(org):
    budget("5000.00")
    rate("EUR", "1.10")
    over = file(org)  # 4,800 EUR = 5,280 USD > 5,000 available
    assert over.over_budget
    finance = [step for step in over.current_steps if step.name == "finance"]
    assert "$5,000.00 available, $5,280.00 requested" in finance[0].reason


def test_within_the_budget_at_a_lower_rate(org):
    budget("5000.00")
    rate("EUR", "1.02")
    within = file(org)  # 4,896 USD: within the budget and under the threshold
    assert not within.over_budget
    assert [step.name for step in within.current_steps] == ["department"]


def test_a_category_budget_is_checked_in_the_base_currency(org):
    budget("1000.00", category="licence")
    rate("EUR", "1.25")
    pr = file(org, lines=(("Seats", "10", "90.00", "licence"),))  # 900 EUR = 1,125 USD
    assert pr.over_budget
    finance = [step for step in pr.current_steps if step.name == "finance"]
    assert "$1,000.00 available, $1,125.00 requested" in finance[0].reason


def test_an_approved_foreign_request_commits_its_frozen_base_total(org, db):
    whole = budget("20000.00")
    hardware = budget("10000.00", category="hardware")
    rate("EUR", "1.10")
    pr = file(
        org,
        lines=(("Servers", "4", "1200.00", "hardware"), ("Seats", "3", "33.33", "licence")),
    )
    approve(org, pr)
    base = file(org, currency="USD", lines=(("Dock", "2", "150.00", "hardware"),))
    approve(org, base)
    db.session.flush()
    # 4,899.99 EUR at 1.10 = 5,389.989 → 5,389.99; plus 300.00 USD.
    assert pr.total_base == Decimal("5389.99")
    figures = budgets.figures([whole, hardware])
    assert figures[whole.id].committed == Decimal("5689.99")
    # The hardware lines: 4,800 EUR = 5,280.00 USD, plus the dock's 300.00.
    assert figures[hardware.id].committed == Decimal("5580.00")

    rate("EUR", "1.50")  # today's rate replaced: nothing frozen moves
    rate("EUR", "3.00", today() - dt.timedelta(days=2))
    db.session.flush()
    assert budgets.figures([whole, hardware]) == figures


def test_orders_commit_at_their_frozen_rate_and_receipts_count_at_it(org, make, db):
    whole = budget("20000.00")
    hardware = budget("8000.00", category="hardware")
    rate("EUR", "1.10")
    pr = file(org, lines=(("Servers", "4", "1200.00", "hardware"),))
    approve(org, pr)
    rate("EUR", "1.20")  # the rate of the issue day differs from the submit's
    order = issued_order(org, make, pr)
    assert (order.currency, order.rate, order.total_base) == (
        "EUR",
        Decimal("1.2"),
        Decimal("5760.00"),
    )
    db.session.flush()
    figures = budgets.figures([whole, hardware])
    # The order replaces the request's estimate, at the issue date's rate.
    assert (figures[whole.id].committed, figures[whole.id].spent) == (
        Decimal("5760.00"),
        Decimal("0.00"),
    )
    assert figures[hardware.id].committed == Decimal("5760.00")

    line = order.lines[0]
    orders.receive(
        order,
        [orders.ReceiptLineData(line_id=line.id, quantity=Decimal("1"))],
        received_on=today(),
        actor=org["buyer"],
    )
    rate("EUR", "2.00")  # a rate entered after the receipt moves nothing
    db.session.flush()
    figures = budgets.figures([whole, hardware])
    # One server received: 1,200 EUR at the order's 1.20 = 1,440.00 USD spent.
    assert figures[whole.id].spent == Decimal("1440.00")
    assert figures[whole.id].committed == Decimal("4320.00")
    assert figures[whole.id].available == Decimal("14240.00")
    assert figures[hardware.id].spent == Decimal("1440.00")
    assert figures[hardware.id].available == Decimal("2240.00")

    orders.receive(
        order,
        [orders.ReceiptLineData(line_id=line.id, quantity=Decimal("3"))],
        received_on=today(),
        actor=org["buyer"],
    )
    db.session.flush()
    done = budgets.figures_of(whole)
    assert (done.committed, done.spent) == (Decimal("0.00"), Decimal("5760.00"))


def test_the_budget_api_and_page_answer_base_amounts(org, api, client, auth, db):
    whole = budget("10000.00")
    rate("JPY", "0.0065")
    pr = file(org, currency="JPY", lines=(("Cables", "100", "1999", "other"),))
    approve(org, pr)
    db.session.commit()
    # 199,900 JPY at 0.0065 = 1,299.35 USD
    listed = api(org["finance"]).get("/api/v1/budgets").get_json()["items"]
    row = [item for item in listed if item["id"] == whole.id][0]
    assert (row["committed"], row["available"]) == ("1299.35", "8700.65")
    auth.login(org["finance"].email)
    page = client.get("/budgets/").get_data(as_text=True)
    assert "$1,299.35" in page and "$8,700.65" in page
    assert "in USD: a document in another currency counts at the rate frozen on it" in page
