"""The demo's vendor invoices: one in every state of the life cycle, on the orders the
demo issued (``demo.seed_sourcing`` and ``demo_currencies``).

- the conference headsets (received in full): invoiced in two parts, one paid and one
  approved, so the order closes by itself — received and invoiced in full;
- the rack PDUs (received): half invoiced at the order's price (matched, waiting for
  finance), half 5 % over (held for procurement's price check);
- the laptop bags (privacy filters back-ordered): invoiced in full, held because more is
  invoiced than received; a copy typed twice by mistake, cancelled;
- the docking stations (issued, nothing received): one sent by the vendor through the
  order's link (a draft for finance to check), one addressed to another company, rejected;
- the euro server racks (first line received): the racks invoiced and approved, in euros
  at the order's frozen rate.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from . import attachments
from .auth.services import find_user_by_email
from .demo_currencies import ORDERED_TITLE
from .extensions import db
from .invoices import actions
from .invoices import services as invoices
from .models import (
    Invoice,
    InvoiceSource,
    OrderStatus,
    PurchaseOrder,
    PurchaseRequest,
    Vendor,
    VendorBankAccount,
    utcnow,
)
from .vendors.demo import tiny_pdf
from .vendors.services import bank


def _order(title: str) -> PurchaseOrder | None:
    return db.session.scalar(
        sa.select(PurchaseOrder)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
        .where(PurchaseRequest.title == title, PurchaseOrder.status != OrderStatus.DRAFT)
    )


def _invoice(
    order: PurchaseOrder,
    number: str,
    shares: list[tuple[str, str]],
    *,
    actor,
    days_ago: int,
    source: InvoiceSource = InvoiceSource.ENTERED,
    shipping: str = "0.00",
    due_in: int | None = None,
) -> Invoice:
    """An invoice for ``order`` billing, per order line, (quantity, price factor), with
    the vendor's PDF."""
    document = tiny_pdf(
        f"Invoice {number}",
        f"From {order.vendor.name} to the buyer of {order.number}",
        "Please pay within the terms of the order.",
    )
    pdf = attachments.store_bytes(document, f"{number}.pdf", "application/pdf", user=actor)
    return invoices.create(
        invoices.InvoiceData(
            order_id=order.id,
            vendor_invoice_number=number,
            invoice_date=utcnow().date() - dt.timedelta(days=days_ago),
            shipping=Decimal(shipping),
            due_date=(utcnow().date() + dt.timedelta(days=due_in)) if due_in is not None else None,
            lines=[
                invoices.LineData(
                    line.id,
                    Decimal(quantity),
                    (line.unit_price * Decimal(factor)).quantize(line.unit_price),
                )
                for line, (quantity, factor) in zip(order.lines, shares, strict=True)
                if Decimal(quantity)
            ],
        ),
        actor=None if source == InvoiceSource.VENDOR else actor,
        source=source,
        pdf=pdf,
        order=order if source == InvoiceSource.VENDOR else None,
    )


def seed() -> None:
    """Once: skipped when any invoice exists, or when the demo's orders are missing."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(Invoice)):
        return
    clerk = find_user_by_email("frank@example.org")
    controller = find_user_by_email("fiona@example.org")
    buyer = find_user_by_email("paul@example.org")
    if clerk is None or controller is None or buyer is None:
        return
    today = utcnow().date()

    headsets = _order("Conference room headsets")
    if headsets is not None and headsets.status == OrderStatus.RECEIVED:
        # Two deliveries' worth, of different sizes: the same amount twice within 30 days
        # would be held as a possible duplicate.
        most = headsets.lines[0].quantity - 3
        first = _invoice(headsets, "NW-2026-0311", [(str(most), "1")], actor=clerk, days_ago=20)
        actions.submit(first, actor=clerk)
        actions.approve(first, actor=controller)
        actions.pay(first, actions.Payment(today, "BANK-2026-1187"), actor=controller)
        second = _invoice(headsets, "NW-2026-0342", [("3", "1")], actor=clerk, days_ago=3)
        actions.submit(second, actor=clerk)
        actions.approve(second, actor=controller)  # the order closes: all received, invoiced

    pdus = _order("Rack power distribution units")
    if pdus is not None and pdus.status == OrderStatus.RECEIVED:
        half = str(pdus.lines[0].quantity / 2)
        matched = _invoice(
            pdus, "NW-2026-0350", [(half, "1")], actor=clerk, days_ago=6, due_in=3
        )  # due this week: the finance dashboard shows it
        actions.submit(matched, actor=clerk)
        dearer = _invoice(pdus, "NW-2026-0351", [(half, "1.05")], actor=clerk, days_ago=2)
        actions.submit(dearer, actor=clerk)  # on hold: price 5 % over, for procurement

    bags = _order("Laptop bags and privacy filters")
    if bags is not None:
        everything = [(str(line.quantity), "1") for line in bags.lines]
        held = _invoice(bags, "NW-2026-0360", everything, actor=buyer, days_ago=1)
        actions.submit(held, actor=buyer)  # on hold: the filters have not arrived
        typo = _invoice(bags, "NW-2026-0361", everything, actor=clerk, days_ago=1)
        actions.cancel(typo, "Typed twice; NW-2026-0360 is the real one.", actor=clerk)

    docks = _order("Docking stations for hot desks")
    if docks is not None:
        everything = [(str(line.quantity), "1") for line in docks.lines]
        _invoice(
            docks,
            "2026-11-874",
            everything,
            actor=None,
            days_ago=0,
            source=InvoiceSource.VENDOR,
            shipping="35.00",
        )
        wrong = _invoice(docks, "2026-11-801", everything, actor=clerk, days_ago=9)
        actions.reject(
            wrong, "Addressed to Contoso Ltd, not to us; the vendor re-issues it.", actor=clerk
        )

    racks = _order(ORDERED_TITLE)
    if racks is not None and racks.lines[0].received_quantity:
        first = racks.lines[0]
        shares = [(str(first.received_quantity), "1")] + [("0", "1")] * (len(racks.lines) - 1)
        euros = _invoice(racks, "FR-26-00417", shares, actor=clerk, days_ago=1)
        actions.submit(euros, actor=clerk)
        actions.approve(euros, actor=controller)


# name, bank details (IBAN, or account and routing number), confirmed by finance or not
BANK_DETAILS = [
    (
        "Northwind Hardware",
        bank.BankData(account_number="000123456789", routing_number="021000021"),
        True,
    ),
    ("Rheinwerk Server GmbH", bank.BankData(iban="DE89 3704 0044 0532 0130 00"), True),
    ("Thames Data Systems Ltd", bank.BankData(iban="GB29 NWBK 6016 1331 9268 19"), True),
    # "Our bank account changed": entered by procurement, waiting for finance to check it.
    (
        "Coho Computers",
        bank.BankData(account_number="000987654321", routing_number="026009593"),
        False,
    ),
]


def seed_bank_details() -> None:
    """The bank details the demo's vendors are paid to, and one change waiting for a
    second person (once: skipped when any exist)."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(VendorBankAccount)):
        return
    buyer = find_user_by_email("paul@example.org")
    controller = find_user_by_email("fiona@example.org")
    if buyer is None or controller is None:
        return
    for name, data, confirmed in BANK_DETAILS:
        vendor = db.session.scalar(sa.select(Vendor).where(Vendor.name == name))
        if vendor is None:
            continue
        account = bank.change(vendor, data, actor=buyer)
        if confirmed:
            bank.confirm(account, actor=controller)
