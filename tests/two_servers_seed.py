"""Run by tests/test_two_servers.py in a process of its own, with an app server's
environment: the people and an awarded, not yet issued, purchase order, built through
the services in the shared database. Prints what the test needs as one JSON line."""

from __future__ import annotations

import datetime as dt
import json

from procure import create_app
from procure.extensions import db
from procure.sourcing import services as sourcing
from tests.factories import PASSWORD, Factories


def seed() -> dict[str, object]:
    make = Factories(db)
    requester = make.user(["requester"], department="IT")
    approver = make.user(["approver"], department="IT")
    buyer = make.user(["procurement"], department="PROC", email="buyer@example.org")
    pr = make.approved_request(requester, approver, lines=(("Laptop", "2", "1000.00"),))
    vendor = make.vendor(email="orders@vendor.example")
    later = dt.date.today() + dt.timedelta(days=30)
    rfq = sourcing.create_rfq(
        sourcing.RfqData(request_id=pr.id, vendor_ids=[vendor.id], due_date=later),
        actor=buyer,
    )
    sourcing.send(rfq, actor=buyer)
    lines = [
        sourcing.QuoteLineData(
            description=line.description,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,
            request_line_id=line.id,
        )
        for line in pr.lines
    ]
    quote = sourcing.record_quote(
        rfq,
        sourcing.QuoteData(
            vendor_id=vendor.id,
            valid_until=later,
            lead_time_days=5,
            payment_terms="30 days net",
            lines=lines,
        ),
        actor=buyer,
    )
    order = sourcing.award(rfq, quote.id, actor=buyer)
    db.session.commit()
    return {
        "order_id": order.id,
        "vendor_id": vendor.id,
        "email": buyer.email,
        "password": PASSWORD,
        "token": make.token(buyer),
    }


if __name__ == "__main__":
    with create_app().app_context():
        print(json.dumps(seed()))
