"""Orders in any enabled currency, received and invoiced through the services, for the
budget and report tests of issue 20 (invoices split what is spent; payables)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from procure import rates
from procure.invoices import actions
from procure.invoices import services as invoices
from procure.orders import services as orders
from procure.purchasing import services as purchasing
from procure.sourcing import services as sourcing

TODAY = dt.date.today()


def days(n: int) -> dt.date:
    """``n`` days from today (negative: ago)."""
    return TODAY + dt.timedelta(days=n)


def rate(currency: str, value: str, day: dt.date) -> None:
    rates.record(currency, day, value, actor=None)


@dataclasses.dataclass
class People:
    """A department's requester and approver, a buyer, two finance people (one enters,
    the other approves and pays) and an executive, for the approval chains."""

    make: object
    department: str = "IT"

    def __post_init__(self) -> None:
        make = self.make
        self.requester = make.user(["requester"], department=self.department)
        self.approver = make.user(["approver"], department=self.department)
        self.buyer = make.user(["procurement"], department="PROC")
        self.clerk = make.user(["finance"], department="FIN")
        self.controller = make.user(["finance"], department="FIN")
        self.executive = make.user(["executive"], department="FIN")

    def decider(self, step_name: str):
        return {
            "department": self.approver,
            "finance": self.controller,
            "executive": self.executive,
        }[step_name]


def issued_order(
    people: People,
    vendor,
    *,
    currency: str | None = None,
    lines=(("Laptop", "2", "1000.00"), ("Dock", "3", "150.00")),
    category: str = "hardware",
):
    """A request of ``people``'s department in ``currency`` (the base when None), approved,
    quoted by ``vendor`` at its prices, awarded and issued (freezing the order's rate)."""
    pr = purchasing.create_request(
        purchasing.RequestData(
            title="Invoice test",
            currency=currency,
            lines=[
                purchasing.LineData(
                    description=d, quantity=Decimal(q), unit_price=Decimal(p), category=category
                )
                for d, q, p in lines
            ],
        ),
        actor=people.requester,
    )
    purchasing.submit(pr, actor=people.requester)
    while pr.pending_step is not None:
        purchasing.approve(pr, actor=people.decider(pr.pending_step.name))
    later = days(30)
    rfq = sourcing.create_rfq(
        sourcing.RfqData(request_id=pr.id, vendor_ids=[vendor.id], due_date=later),
        actor=people.buyer,
    )
    sourcing.send(rfq, actor=people.buyer)
    quote = sourcing.record_quote(
        rfq,
        sourcing.QuoteData(
            vendor_id=vendor.id,
            valid_until=later,
            lead_time_days=5,
            currency=currency or pr.currency,
            payment_terms="Net 30",
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
        actor=people.buyer,
    )
    order = sourcing.award(rfq, quote.id, actor=people.buyer, justification="The only quote.")
    orders.issue(order, actor=people.buyer)
    return order


def receive(order, people: People, *quantities: str) -> None:
    """Receive ``quantities`` per line (all of every line when none are given)."""
    wanted = quantities or tuple(str(line.quantity) for line in order.lines)
    orders.receive(
        order,
        [
            orders.ReceiptLineData(line_id=line.id, quantity=Decimal(q))
            for line, q in zip(order.lines, wanted, strict=True)
            if Decimal(q)
        ],
        received_on=TODAY,
        actor=people.buyer,
    )


def invoice(
    order,
    people: People,
    number: str,
    *,
    quantities=None,
    prices=None,
    invoice_date: dt.date = TODAY,
    due_date: dt.date | None = None,
    credit_for: int | None = None,
):
    """A draft invoice entered by the clerk: every line in full at the order's prices
    unless ``quantities`` / ``prices`` say otherwise."""
    quantities = quantities or [line.quantity for line in order.lines]
    prices = prices or [line.unit_price for line in order.lines]
    return invoices.create(
        invoices.InvoiceData(
            order_id=order.id,
            vendor_invoice_number=number,
            invoice_date=invoice_date,
            due_date=due_date,
            credit_for=credit_for,
            lines=[
                invoices.LineData(line.id, Decimal(q), Decimal(p))
                for line, q, p in zip(order.lines, quantities, prices, strict=True)
                if Decimal(q)
            ],
        ),
        actor=people.clerk,
    )


def submitted(order, people: People, number: str, **extra):
    found = invoice(order, people, number, **extra)
    actions.submit(found, actor=people.clerk)
    return found


def approved(order, people: People, number: str, **extra):
    """Entered and submitted by the clerk, approved by the controller (released past a
    hold, when matching held it)."""
    found = submitted(order, people, number, **extra)
    if found.open_exceptions:
        actions.release(found, "Agreed with the vendor.", actor=people.controller)
    else:
        actions.approve(found, actor=people.controller)
    return found


def pay(found, people: People, paid_on: dt.date = TODAY, reference: str = "BANK-1") -> None:
    actions.pay(
        found, actions.Payment(paid_on=paid_on, reference=reference), actor=people.controller
    )
