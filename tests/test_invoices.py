"""Vendor invoices through the services: recording, three- and two-way matching, holds
and their resolution, approval with separation of duties, payment, the order closing
(API.md, "Additions — Invoices")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from procure import currencies, rates
from procure.errors import Forbidden, ValidationError
from procure.invoices import actions, numbers
from procure.invoices import services as invoices
from procure.models import InvoiceSource, InvoiceStatus, OrderStatus, RequestStatus
from procure.orders import services as orders
from tests.documents import issued_order

TODAY = dt.date.today()


@pytest.fixture
def people(make):
    return {
        "buyer": make.user(["procurement"], department="PROC"),
        "clerk": make.user(["finance"], department="FIN"),
        "controller": make.user(["finance"], department="FIN"),
    }


def _receive(order, buyer, *quantities):
    orders.receive(
        order,
        [
            orders.ReceiptLineData(line_id=line.id, quantity=Decimal(q))
            for line, q in zip(order.lines, quantities, strict=True)
            if Decimal(q)
        ],
        received_on=TODAY,
        actor=buyer,
    )


def _invoice(order, actor, number="INV-1", *, quantities=None, prices=None, **extra):
    quantities = quantities or [line.quantity for line in order.lines]
    prices = prices or [line.unit_price for line in order.lines]
    return invoices.create(
        invoices.InvoiceData(
            order_id=order.id,
            vendor_invoice_number=number,
            invoice_date=TODAY,
            lines=[
                invoices.LineData(line.id, Decimal(q), Decimal(p))
                for line, q, p in zip(order.lines, quantities, prices, strict=True)
            ],
            **extra,
        ),
        actor=actor,
    )


def test_received_in_part_invoiced_in_full_is_held_then_matches_approves_pays_and_closes(
    make, db, people
):
    order = issued_order(make, buyer=people["buyer"])
    _receive(order, people["buyer"], "1", "3")
    invoice = _invoice(order, people["clerk"])
    assert invoice.number.startswith(f"INV-{TODAY.year}-")
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.total == Decimal("2450.00")
    actions.submit(invoice, actor=people["clerk"])
    assert invoice.status == InvoiceStatus.ON_HOLD
    [held] = invoice.open_exceptions
    assert held.kind.value == "quantity"
    assert "but 1 received" in held.message
    assert invoice.matched_first_time is False

    _receive(order, people["buyer"], "1", "0")  # the rest arrives: matched by itself
    assert invoice.status == InvoiceStatus.MATCHED
    assert not invoice.open_exceptions

    with pytest.raises(Forbidden, match="entered this invoice"):
        actions.approve(invoice, actor=people["clerk"])
    actions.approve(invoice, actor=people["controller"])
    assert invoice.status == InvoiceStatus.APPROVED
    assert order.status == OrderStatus.CLOSED  # received in full and invoiced in full
    assert order.request.status == RequestStatus.CLOSED

    actions.pay(
        invoice, actions.Payment(paid_on=TODAY, reference="BANK-77"), actor=people["controller"]
    )
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.exchange_difference == Decimal("0.00")
    db.session.commit()


def test_a_price_five_percent_over_is_held_for_procurement(make, db, people):
    order = issued_order(make, buyer=people["buyer"])
    _receive(order, people["buyer"], "2", "3")
    invoice = _invoice(order, people["clerk"], prices=["1050.00", "150.00"])
    actions.submit(invoice, actor=people["clerk"])
    assert invoice.status == InvoiceStatus.ON_HOLD
    kinds = sorted(e.kind.value for e in invoice.open_exceptions)
    assert kinds == ["over_order", "price"]  # 100.00 over: past 2 % or 5.00
    price = next(e for e in invoice.open_exceptions if e.kind.value == "price")
    assert "5.0 % above" in price.message
    with pytest.raises(Forbidden):
        actions.resolve(invoice, "Agreed", actor=people["controller"])
    with pytest.raises(ValidationError):
        actions.resolve(invoice, "  ", actor=people["buyer"])
    assert actions.resolve(invoice, "Vendor's new list price, agreed", actor=people["buyer"]) == 2
    assert invoice.status == InvoiceStatus.MATCHED


def test_release_needs_finance_and_a_justification(make, db, people):
    order = issued_order(make, buyer=people["buyer"])
    invoice = _invoice(order, people["clerk"])
    actions.submit(invoice, actor=people["clerk"])  # nothing received yet
    assert invoice.status == InvoiceStatus.ON_HOLD
    with pytest.raises(Forbidden):
        actions.release(invoice, "Pay it", actor=people["buyer"])
    with pytest.raises(ValidationError):
        actions.release(invoice, "", actor=people["controller"])
    actions.release(invoice, "Prepayment agreed in the contract", actor=people["controller"])
    assert invoice.status == InvoiceStatus.APPROVED
    assert invoice.release_justification == "Prepayment agreed in the contract"


@pytest.mark.parametrize("again", ["inv-0042", "INV 42", "Inv.042"])
def test_the_same_vendor_number_is_refused_however_written(make, db, people, again):
    order = issued_order(make, buyer=people["buyer"])
    _invoice(order, people["clerk"], "INV-0042", quantities=["1", "1"])
    with pytest.raises(ValidationError) as refused:
        _invoice(order, people["clerk"], again, quantities=["1", "1"])
    assert "vendor_invoice_number" in refused.value.fields


def test_numbers_normalise_and_terms_give_due_dates():
    assert numbers.normalise("inv-0042") == numbers.normalise("INV 42") == "inv42"
    assert numbers.normalise("2026/000/07") == "202607"
    assert numbers.terms_days("Net 45") == 45
    assert numbers.terms_days("30 days net") == 30
    assert numbers.terms_days("") == 30
    assert numbers.due_date(dt.date(2026, 1, 31), "Net 30") == dt.date(2026, 3, 2)


def test_bad_invoices_are_refused_with_every_field(make, db, people):
    order = issued_order(make, buyer=people["buyer"])
    other = issued_order(make, buyer=people["buyer"])
    with pytest.raises(ValidationError) as refused:
        invoices.create(
            invoices.InvoiceData(
                order_id=order.id,
                vendor_invoice_number="A-1",
                invoice_date=TODAY,
                due_date=TODAY - dt.timedelta(days=1),
                lines=[
                    invoices.LineData(other.lines[0].id, Decimal(1), Decimal(1)),
                    invoices.LineData(order.lines[0].id, Decimal(-1), Decimal(1)),
                ],
            ),
            actor=people["clerk"],
        )
    assert set(refused.value.fields) == {
        "due_date",
        "lines.0.order_line_id",
        "lines.1.quantity",
    }
    with pytest.raises(ValidationError) as refused:
        _invoice(order, people["clerk"], total=Decimal("1.00"))
    assert "add up to 2450.00" in refused.value.fields["total"][0]


def test_shipping_beyond_the_orders_is_held_for_its_total(make, db, people):
    order = issued_order(make, buyer=people["buyer"])
    _receive(order, people["buyer"], "2", "3")
    invoice = _invoice(order, people["clerk"], shipping=Decimal("40.00"))
    actions.submit(invoice, actor=people["clerk"])
    assert sorted(e.kind.value for e in invoice.open_exceptions) == ["over_order", "total"]
    total = next(e for e in invoice.open_exceptions if e.kind.value == "total")
    assert "$2,490.00 is above the $2,450.00" in total.message


def test_the_same_amount_from_the_same_vendor_within_30_days_is_a_possible_duplicate(
    make, db, people
):
    order = issued_order(
        make, buyer=people["buyer"], title_lines=(("Support", "4", "250.00"),), category="services"
    )
    first = _invoice(order, people["clerk"], "S-1", quantities=["2"])
    actions.submit(first, actor=people["clerk"])
    second = _invoice(order, people["clerk"], "S-2", quantities=["2"])
    actions.submit(second, actor=people["clerk"])
    [twin] = second.open_exceptions
    assert twin.kind.value == "possible_duplicate"
    assert first.number in twin.message
    # Finance (or procurement) confirms it is not a duplicate.
    actions.resolve(second, "Two separate months of support", actor=people["controller"])
    assert second.status == InvoiceStatus.MATCHED
    [resolved] = second.exceptions
    assert (resolved.resolved_by_id, resolved.resolution) == (
        people["controller"].id,
        "Two separate months of support",
    )


def test_a_foreign_invoice_paid_at_another_rate_keeps_the_exchange_difference(make, db, people):
    currencies.set_enabled(["EUR"], actor=None)
    rates.record("EUR", TODAY - dt.timedelta(days=1), "1.10", actor=None)
    order = issued_order(
        make,
        buyer=people["buyer"],
        title_lines=(("Support", "1", "1000.00"),),
        category="services",
        currency="EUR",
    )
    assert (order.currency, order.rate, order.total_base) == (
        "EUR",
        Decimal("1.1"),
        Decimal("1100.00"),
    )
    invoice = _invoice(order, people["clerk"])
    assert invoice.total_base == Decimal("1100.00")
    actions.submit(invoice, actor=people["clerk"])
    actions.approve(invoice, actor=people["controller"])
    rates.record("EUR", TODAY, "1.12", actor=None)
    actions.pay(invoice, actions.Payment(TODAY, "SEPA-1"), actor=people["controller"])
    assert (invoice.paid_rate, invoice.paid_base) == (Decimal("1.12"), Decimal("1120.00"))
    assert invoice.exchange_difference == Decimal("20.00")
    assert invoice.total_base == Decimal("1100.00")  # what budgets count stays as booked


def test_two_way_lines_match_against_what_was_ordered(make, db, people):
    order = issued_order(
        make, buyer=people["buyer"], title_lines=(("Support", "1", "900.00"),), category="services"
    )
    invoice = _invoice(order, people["clerk"])
    actions.submit(invoice, actor=people["clerk"])
    assert invoice.status == InvoiceStatus.MATCHED  # nothing received, nothing needed


def test_over_the_order_and_credit_notes(make, db, people):
    order = issued_order(
        make, buyer=people["buyer"], title_lines=(("Support", "2", "500.00"),), category="services"
    )
    first = _invoice(order, people["clerk"], "A-1", quantities=["2"])
    actions.submit(first, actor=people["clerk"])
    assert first.status == InvoiceStatus.MATCHED
    second = _invoice(order, people["clerk"], "A-2", quantities=["1"])
    actions.submit(second, actor=people["clerk"])
    assert sorted(e.kind.value for e in second.open_exceptions) == ["over_order", "quantity"]
    credit = invoices.create(
        invoices.InvoiceData(
            order_id=order.id,
            vendor_invoice_number="CN-1",
            invoice_date=TODAY,
            lines=[invoices.LineData(order.lines[0].id, Decimal(1), Decimal("500.00"))],
            credit_for=first.id,
        ),
        actor=people["clerk"],
    )
    assert credit.total == Decimal("-500.00")
    actions.submit(credit, actor=people["clerk"])
    assert credit.status == InvoiceStatus.MATCHED
    assert first.status == InvoiceStatus.MATCHED  # the earlier invoice was never held
    # The credit note matches the held invoice again by itself.
    assert second.status == InvoiceStatus.MATCHED
    assert not second.open_exceptions


def test_the_later_of_two_invoices_is_held_and_cancelling_the_earlier_frees_it(make, db, people):
    order = issued_order(
        make, buyer=people["buyer"], title_lines=(("Support", "2", "500.00"),), category="services"
    )
    first = _invoice(order, people["clerk"], "B-1", quantities=["2"])
    actions.submit(first, actor=people["clerk"])
    second = _invoice(order, people["clerk"], "B-2", quantities=["2"], prices=["400.00"])
    actions.submit(second, actor=people["clerk"])
    assert (first.status, second.status) == (InvoiceStatus.MATCHED, InvoiceStatus.ON_HOLD)
    actions.cancel(first, "The vendor re-issued it as B-2.", actor=people["clerk"])
    assert second.status == InvoiceStatus.MATCHED
    [cleared, *_] = second.exceptions
    assert cleared.resolution == "No longer holds: matched again."


def test_whoever_submits_a_vendors_invoice_does_not_approve_it(make, db, people):
    order = issued_order(
        make, buyer=people["buyer"], title_lines=(("Support", "1", "900.00"),), category="services"
    )
    sent = invoices.create(
        invoices.InvoiceData(
            order_id=None,
            vendor_invoice_number="V-77",
            invoice_date=TODAY,
            lines=[invoices.LineData(order.lines[0].id, Decimal(1), Decimal("900.00"))],
        ),
        actor=None,
        source=InvoiceSource.VENDOR,
        order=order,
    )
    assert sent.entered_by_id is None
    actions.submit(sent, actor=people["clerk"])
    assert sent.submitted_by_id == people["clerk"].id
    with pytest.raises(Forbidden, match="submitted the vendor's invoice"):
        actions.approve(sent, actor=people["clerk"])
    actions.approve(sent, actor=people["controller"])
    assert sent.status == InvoiceStatus.APPROVED
