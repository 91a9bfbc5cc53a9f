"""Every document's history reads the same way, in the past tense: "Created by",
"Issued by", "Received by", "Closed by", "Cancelled by" (API.md). The words live in
one table, procure/history.py, which every page's history uses."""

from __future__ import annotations

import datetime as dt
import enum
import re
from decimal import Decimal
from pathlib import Path

import pytest

from procure import history, workflow
from procure.orders import services as orders
from procure.sourcing import services as sourcing

from .pages import text
from .vendor_support import people_fixture, signed_in, vendor  # noqa: F401 -- people

ROOT = Path(__file__).resolve().parent.parent
LATER = dt.date.today() + dt.timedelta(days=10)
# What a history must never read like: a bare verb before "by".
BARE = re.compile(r"\b(Create|Issue|Receive|Close|Cancel|Send|Award|Approve|Submit) by\b")


def _audited_actions() -> set[str]:
    """Every action name the code records in the audit log."""
    found = set()
    call = re.compile(r"audit\.record\(\s*\"[a-z_]+\",[^,]+,\s*\"([a-z_]+)\"", re.S)
    for path in (ROOT / "procure").rglob("*.py"):
        found.update(call.findall(path.read_text(encoding="utf-8")))
    for value in vars(workflow).values():
        if (
            isinstance(value, type)
            and issubclass(value, enum.Enum)
            and value.__name__.endswith("Action")
        ):
            found.update(member.value for member in value)
    return found


def test_every_action_has_its_words_in_the_one_table():
    actions = _audited_actions()
    assert {"create", "issue", "receive", "close", "cancel", "send", "approve"} <= actions
    missing = sorted(a for a in actions if a not in history.ACTIONS)
    assert missing == [], f"add these to procure/history.py's ACTIONS: {missing}"
    for action in ("create", "issue", "receive", "close", "cancel"):
        words, _style = history.words("order", action)
        assert words in {"Created", "Issued", "Received", "Closed", "Cancelled"}


def test_no_other_module_words_a_history_of_its_own():
    # The mapping is in one place: no page capitalises a bare action or keeps a
    # table of labels beside history.py.
    offenders = []
    for path in (ROOT / "procure").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        if path.name != "history.py" and (
            "action.capitalize()" in source or "TIMELINE_LABELS" in source
        ):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_an_unknown_action_still_reads_in_the_past_tense():
    assert history.words("order", "reopen_later")[0] == "Reopened later"
    assert history.words("order", "return")[0] == "Returned to the vendor"
    assert history.words("request", "return")[0] == "Returned for changes"


@pytest.fixture
def documents(make, db, people):
    buyer = people["procurement"]
    pr = make.approved_request(people["requester"], people["approver"])
    supplier = make.vendor("Acme Systems")
    rfq = sourcing.create_rfq(
        sourcing.RfqData(request_id=pr.id, vendor_ids=[supplier.id], due_date=LATER),
        actor=buyer,
    )
    sourcing.send(rfq, actor=buyer)
    line = pr.lines[0]
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
                    unit_price=Decimal("900.00"),
                    request_line_id=line.id,
                )
            ],
        ),
        actor=buyer,
    )
    order = sourcing.award(rfq, quote.id, actor=buyer)
    orders.issue(order, actor=buyer)
    orders.receive(
        order,
        [orders.ReceiptLineData(order.lines[0].id, line.quantity)],
        received_on=None,
        actor=buyer,
    )
    orders.close(order, actor=buyer)
    db.session.commit()
    return {"pr": pr, "rfq": rfq, "order": order, "buyer": buyer}


def test_the_order_page_history_reads_in_the_past_tense(app, documents, people):
    name = documents["buyer"].name
    page = text(signed_in(app, documents["buyer"]).get(f"/orders/{documents['order'].id}"))
    history_part = page.split("History", 1)[1]
    for words in ("Created", "Issued", "Received", "Closed"):
        assert f"{words} by {name}" in history_part
    assert not BARE.search(page), BARE.search(page)


def test_a_cancelled_order_reads_cancelled_by(app, make, db, people):
    buyer = people["procurement"]
    pr = make.approved_request(people["requester"], people["approver"])
    supplier = make.vendor("Brick Computers")
    rfq = sourcing.create_rfq(
        sourcing.RfqData(request_id=pr.id, vendor_ids=[supplier.id], due_date=LATER),
        actor=buyer,
    )
    sourcing.send(rfq, actor=buyer)
    line = pr.lines[0]
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
                    unit_price=Decimal("900.00"),
                    request_line_id=line.id,
                )
            ],
        ),
        actor=buyer,
    )
    order = sourcing.award(rfq, quote.id, actor=buyer)
    orders.cancel(order, actor=buyer, comment="Ordered elsewhere.")
    db.session.commit()
    page = text(signed_in(app, buyer).get(f"/orders/{order.id}"))
    assert f"Cancelled by {buyer.name}" in page and "Ordered elsewhere." in page
    assert not BARE.search(page)


def test_the_request_page_history_reads_the_same(app, documents, people):
    page = text(signed_in(app, people["requester"]).get(f"/requests/{documents['pr'].id}"))
    assert f"Created by {people['requester'].name}" in page
    assert f"Approved — department step by {people['approver'].name}" in page
    assert f"Ordered by {documents['buyer'].name}" in page
    assert f"Closed by {documents['buyer'].name}" in page
    assert not BARE.search(page)


def test_the_vendor_page_history_reads_the_same(app, people):
    buyer = people["procurement"]
    made = vendor(buyer, "Contoso Cloud", status="approved")
    page = text(signed_in(app, buyer).get(f"/vendors/{made.id}"))
    assert f"Created by {buyer.name}" in page and f"Approved by {buyer.name}" in page
    assert "Added by" not in page and not BARE.search(page)
