"""Documents built through the services, for tests that need real ones on disk."""

from __future__ import annotations

import datetime as dt

from procure.orders import services as orders
from procure.sourcing import services as sourcing


def issued_order(
    make,
    *,
    title_lines=(("Laptop", "2", "1000.00"), ("Dock", "3", "150.00")),
    category="hardware",
    buyer=None,
    currency=None,
    warranty_months=0,
):
    """An approved request, sourced from one quote, awarded and issued: the order
    has its PDF stored under the attachments folder and its hash recorded."""
    requester = make.user(["requester"], department="IT")
    approver = make.user(["approver"], department="IT")
    buyer = buyer or make.user(["procurement"], department="PROC")
    pr = make.approved_request(requester, approver, lines=title_lines, category=category)
    vendor = make.vendor(email="orders@vendor.example", categories=(category,))
    later = dt.date.today() + dt.timedelta(days=30)
    rfq = sourcing.create_rfq(
        sourcing.RfqData(request_id=pr.id, vendor_ids=[vendor.id], due_date=later),
        actor=buyer,
    )
    sourcing.send(rfq, actor=buyer)
    quote = sourcing.record_quote(
        rfq,
        sourcing.QuoteData(
            vendor_id=vendor.id,
            valid_until=later,
            lead_time_days=5,
            payment_terms="30 days net",
            currency=currency,
            warranty_months=warranty_months,
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
        actor=buyer,
    )
    order = sourcing.award(rfq, quote.id, actor=buyer)
    orders.issue(order, actor=buyer)
    make.db.session.commit()
    return order
