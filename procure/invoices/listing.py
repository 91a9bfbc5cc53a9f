"""Many invoices at once, for lists: what their answers need loaded with them, and the
line figures of a whole page in one query (``services.line_figures`` reads them one
invoice at a time)."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Invoice, InvoiceException, InvoiceLine
from .matching import COUNTED
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
    line has been invoiced on the order's other counted invoices."""
    order_lines = {line.order_line_id for invoice in invoices for line in invoice.lines}
    counted: dict[int, Decimal] = {}
    if order_lines:
        counted = dict(
            db.session.execute(
                sa.select(InvoiceLine.order_line_id, sa.func.sum(InvoiceLine.quantity))
                .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
                .where(InvoiceLine.order_line_id.in_(order_lines), Invoice.status.in_(COUNTED))
                .group_by(InvoiceLine.order_line_id)
            ).all()
        )
    figures: dict[int, list[LineFigures]] = {}
    for invoice in invoices:
        own = invoice.status in COUNTED
        figures[invoice.id] = [
            LineFigures(
                line=line,
                ordered=line.order_line.quantity,
                received=line.order_line.received_quantity,
                previously_invoiced=(counted.get(line.order_line_id) or Decimal(0))
                - (line.quantity if own else Decimal(0)),
            )
            for line in invoice.lines
        ]
    return figures
