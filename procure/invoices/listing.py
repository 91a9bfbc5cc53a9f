"""Many invoices at once, for lists: what their answers need loaded with them, and the
line figures of a whole page in one query (``services.line_figures`` reads them one
invoice at a time)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Invoice, InvoiceException, InvoiceLine
from .matching import COUNTED, counts_before
from .services import LineFigures

# The relations an invoice's answer reads besides those the model loads eagerly.
LOADS = (
    selectinload(Invoice.pdf),
    selectinload(Invoice.xml),
    selectinload(Invoice.entered_by),
    selectinload(Invoice.approved_by),
    selectinload(Invoice.paid_by),
    selectinload(Invoice.exceptions).selectinload(InvoiceException.resolved_by),
)


def line_figures_of(invoices: list[Invoice]) -> dict[int, list[LineFigures]]:
    """``services.line_figures`` of each invoice, by invoice id: what each line's order
    line has been invoiced on the invoices :func:`matching.before` it — read for the
    whole page in one query, then counted by :func:`matching.counts_before`."""
    order_lines = {line.order_line_id for invoice in invoices for line in invoice.lines}
    counted: dict[int, list[tuple[int, dt.datetime | None, bool, Decimal]]] = {}
    if order_lines:
        for order_line_id, other_id, submitted_at, credit_for_id, quantity in db.session.execute(
            sa.select(
                InvoiceLine.order_line_id,
                Invoice.id,
                Invoice.submitted_at,
                Invoice.credit_for_id,
                InvoiceLine.quantity,
            )
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .where(InvoiceLine.order_line_id.in_(order_lines), Invoice.status.in_(COUNTED))
        ):
            counted.setdefault(order_line_id, []).append(
                (other_id, submitted_at, credit_for_id is not None, quantity)
            )
    figures: dict[int, list[LineFigures]] = {}
    for invoice in invoices:
        figures[invoice.id] = [
            LineFigures(
                line=line,
                ordered=line.order_line.quantity,
                received=line.order_line.received_quantity,
                previously_invoiced=sum(
                    (
                        quantity
                        for other_id, submitted_at, is_credit, quantity in counted.get(
                            line.order_line_id, []
                        )
                        if counts_before(invoice, other_id, submitted_at, is_credit)
                    ),
                    Decimal(0),
                ),
            )
            for line in invoice.lines
        ]
    return figures
