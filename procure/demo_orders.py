"""The demo's orders after issue (docs/orders.md), each made through the services, so
that their audit events, PDFs and e-mails are real:

- the annex cabling: revised down (rev 1, fewer cables; issued at once, no approval);
- the annex access points: the delivery address changed (rev 1), then three more of
  each line, beyond the tolerance: approved by the department's approver and issued
  (rev 2);
- the comms-room UPS units: one more, beyond the tolerance, still waiting for the
  department's approver (her approvals inbox shows it; Ian's too, while he stands in
  for her);
- the operations laptops: received in full, four invoiced and approved, then two sent
  back with the vendor's RMA number: partially received, waiting for replacements, not
  settled;
- the operations monitors: the arms' delivery booked against the monitors by mistake,
  reversed, and recorded again against the arms.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from . import attachments
from .auth.services import find_user_by_email
from .extensions import db
from .invoices import actions as invoice_actions
from .invoices import services as invoices
from .models import PurchaseOrder, PurchaseRequest, User, Vendor, utcnow
from .orders import returns, revisions
from .orders import services as orders
from .purchasing import services as purchasing
from .sourcing import services as sourcing
from .vendors.demo import tiny_pdf

CABLING = "Network cabling for the annex"
ACCESS_POINTS = "Wireless access points for the annex"
UPS = "UPS units for the comms rooms"
LAPTOPS = "Replacement laptops for the operations team"
MONITORS = "Monitors for the operations floor"

# title, lines (description, quantity, unit price, category)
ORDERS = [
    (
        CABLING,
        [
            ("Cat6A patch cable, 3 m", "200", "7.50", "peripherals"),
            ("Patch panel, 24-port", "4", "85.00", "hardware"),
        ],
    ),
    (
        ACCESS_POINTS,
        [
            ("Wi-Fi 6E access point", "6", "480.00", "hardware"),
            ("PoE injector", "6", "35.00", "peripherals"),
        ],
    ),
    (UPS, [("Rack UPS, 3 kVA", "4", "1150.00", "hardware")]),
    (LAPTOPS, [("Latitude 5450 laptop, 16 GB", "6", "1290.00", "hardware")]),
    (
        MONITORS,
        [
            ('24" monitor, USB-C', "8", "219.00", "peripherals"),
            ("Monitor arm, single", "8", "79.00", "peripherals"),
        ],
    ),
]

ANNEX_DOCK = (
    "Lakeview County Public Schools — Annex\nLoading dock B, 2410 Harbor Boulevard\n"
    "Lakeview, OR 97630"
)
RMA = "RMA-NW-20418"
# Quoting for each order (those that supply its categories), the first the cheapest.
VENDORS = ["Northwind Hardware", "Coho Computers", "Woodgrove Systems"]
FACTORS = ("0.95", "0.99", "1.03")  # each one's price against the request's
LEAD_TIMES = (7, 14, 5)


def _people() -> dict[str, User | None]:
    return {
        "buyer": find_user_by_email("paul@example.org"),
        "requester": find_user_by_email("oscar@example.org"),
        "department": find_user_by_email("olivia@example.org"),
        "finance": find_user_by_email("fiona@example.org"),
        "executive": find_user_by_email("eve@example.org"),
        "clerk": find_user_by_email("frank@example.org"),
    }


def _approve_all(pr: PurchaseRequest, people: dict[str, User | None], comment: str) -> None:
    """Every step now open, each by its step's decider (one a step)."""
    while pr.pending_step is not None:
        purchasing.approve(pr, actor=people[pr.pending_step.name], comment=comment)


def _issued_order(
    title: str,
    lines: list[tuple[str, str, str, str]],
    people: dict[str, User | None],
    vendors: tuple[Vendor, ...],
) -> PurchaseOrder:
    """A request approved, quoted by each of ``vendors`` that supplies all it asks for,
    awarded to the first (the cheapest), issued."""
    today = utcnow().date()
    buyer, requester = people["buyer"], people["requester"]
    pr = purchasing.create_request(
        purchasing.RequestData(
            title=title,
            needed_by=today + dt.timedelta(days=28),
            lines=[
                purchasing.LineData(
                    description=d, quantity=Decimal(q), unit_price=Decimal(p), category=c
                )
                for d, q, p, c in lines
            ],
        ),
        actor=requester,
    )
    purchasing.submit(pr, actor=requester)
    _approve_all(pr, people, "Fine.")
    needed = {category for *_, category in lines}
    vendors = tuple(vendor for vendor in vendors if needed <= set(vendor.categories))
    rfq = sourcing.create_rfq(
        sourcing.RfqData(
            request_id=pr.id,
            vendor_ids=[vendor.id for vendor in vendors],
            due_date=today + dt.timedelta(days=7),
        ),
        actor=buyer,
    )
    sourcing.send(rfq, actor=buyer)
    quotes = [
        sourcing.record_quote(
            rfq,
            sourcing.QuoteData(
                vendor_id=vendor.id,
                valid_until=today + dt.timedelta(days=30),
                lead_time_days=lead,
                warranty_months=24,
                payment_terms="30 days net",
                shipping=Decimal("35.00"),
                tax=Decimal("0.00"),
                lines=[
                    sourcing.QuoteLineData(
                        description=line.description,
                        quantity=line.quantity,
                        unit=line.unit,
                        unit_price=(line.unit_price * Decimal(factor)).quantize(Decimal("0.01")),
                        request_line_id=line.id,
                    )
                    for line in pr.lines
                ],
            ),
            actor=buyer,
        )
        for vendor, factor, lead in zip(
            vendors, FACTORS[: len(vendors)], LEAD_TIMES[: len(vendors)], strict=True
        )
    ]
    order = sourcing.award(rfq, quotes[0].id, actor=buyer)
    orders.issue(order, actor=buyer)
    return order


def _line(order: PurchaseOrder, position: int):
    return next(line for line in order.lines if line.position == position)


def seed() -> None:
    """Once: skipped when any of these requests exists, or when the demo's people or
    its three hardware vendors are missing."""
    titles = [title for title, _ in ORDERS]
    if db.session.scalar(
        sa.select(PurchaseRequest.id).where(PurchaseRequest.title.in_(titles)).limit(1)
    ):
        return
    people = _people()
    by_name = {
        v.name: v for v in db.session.scalars(sa.select(Vendor).where(Vendor.name.in_(VENDORS)))
    }
    if any(person is None for person in people.values()) or len(by_name) < len(VENDORS):
        return
    vendors = tuple(by_name[name] for name in VENDORS)
    made = {title: _issued_order(title, lines, people, vendors) for title, lines in ORDERS}
    buyer = people["buyer"]
    assert buyer is not None  # noqa: S101 -- checked above
    _revise_down(made[CABLING], buyer)
    _increase_approved(made[ACCESS_POINTS], buyer, people)
    _increase_waiting(made[UPS], buyer)
    _return_two_laptops(made[LAPTOPS], buyer, people)
    _reverse_and_receive_again(made[MONITORS], buyer)


def _revise_down(order: PurchaseOrder, buyer: User) -> None:
    """Fewer cables: within the tolerance, issued at once as rev 1."""
    revisions.revise(
        order,
        revisions.RevisionData(
            reason="The annex survey counted 150 outlets, not 200.",
            lines=[revisions.LineChange(line_id=_line(order, 1).id, quantity=Decimal("150"))],
        ),
        actor=buyer,
    )


def _increase_approved(order: PurchaseOrder, buyer: User, people: dict[str, User | None]) -> None:
    """Rev 1 changes where it goes; rev 2 adds three access points, beyond the tolerance:
    the department's approver approves the increase, which issues it."""
    revisions.revise(
        order,
        revisions.RevisionData(
            reason="Deliver to the annex's loading dock, not to the main office.",
            delivery_address=ANNEX_DOCK,
        ),
        actor=buyer,
    )
    revisions.revise(
        order,
        revisions.RevisionData(
            reason="The annex's second floor is fitted out too: three more access points.",
            lines=[
                revisions.LineChange(line_id=_line(order, 1).id, quantity=Decimal("9")),
                revisions.LineChange(line_id=_line(order, 2).id, quantity=Decimal("9")),
            ],
        ),
        actor=buyer,
    )
    _approve_all(order.request, people, "The second floor opens in spring; agreed.")


def _increase_waiting(order: PurchaseOrder, buyer: User) -> None:
    """A fifth UPS, beyond the tolerance: waiting for the department's approver."""
    revisions.revise(
        order,
        revisions.RevisionData(
            reason="The new comms room in the annex needs a UPS of its own.",
            lines=[revisions.LineChange(line_id=_line(order, 1).id, quantity=Decimal("5"))],
        ),
        actor=buyer,
    )


def _return_two_laptops(order: PurchaseOrder, buyer: User, people: dict[str, User | None]) -> None:
    """All six received; four invoiced and approved; two sent back with an RMA number."""
    laptops = _line(order, 1)
    orders.receive(
        order,
        [orders.ReceiptLineData(line_id=laptops.id, quantity=laptops.quantity)],
        received_on=utcnow().date(),
        actor=buyer,
    )
    clerk, controller = people["clerk"], people["finance"]
    assert clerk is not None and controller is not None  # noqa: S101 -- checked by seed
    number = "NW-2026-0377"
    pdf = attachments.store_bytes(
        tiny_pdf(
            f"Invoice {number}",
            f"From {order.vendor.name} to the buyer of {order.number}",
            "Four laptops delivered; the rest follow on a second invoice.",
        ),
        f"{number}.pdf",
        "application/pdf",
        user=clerk,
    )
    invoice = invoices.create(
        invoices.InvoiceData(
            order_id=order.id,
            vendor_invoice_number=number,
            invoice_date=utcnow().date(),
            lines=[invoices.LineData(laptops.id, Decimal("4"), laptops.unit_price)],
        ),
        actor=clerk,
        pdf=pdf,
    )
    invoice_actions.submit(invoice, actor=clerk)
    invoice_actions.approve(invoice, actor=controller)
    returns.record_return(
        order,
        [returns.ReturnLineData(line_id=laptops.id, quantity=Decimal("2"))],
        returned_on=utcnow().date(),
        reason="Two arrived with cracked screens; the vendor sends replacements.",
        rma=RMA,
        actor=buyer,
    )


def _reverse_and_receive_again(order: PurchaseOrder, buyer: User) -> None:
    """The arms arrived first and were booked against the monitors: the receipt is
    reversed, and the arms recorded again against their own line."""
    monitors, arms = _line(order, 1), _line(order, 2)
    wrong = orders.receive(
        order,
        [orders.ReceiptLineData(line_id=monitors.id, quantity=monitors.quantity)],
        received_on=utcnow().date(),
        actor=buyer,
    )
    returns.reverse_receipt(
        order,
        wrong,
        reason="The delivery was the monitor arms, booked against the monitors by mistake.",
        actor=buyer,
    )
    orders.receive(
        order,
        [orders.ReceiptLineData(line_id=arms.id, quantity=arms.quantity)],
        received_on=utcnow().date(),
        actor=buyer,
        note="Monitor arms; the monitors follow next week.",
    )
