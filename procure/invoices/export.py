"""The payment CSV: what an accounting system imports to pay (or book) invoices.

One row per invoice line, with the columns of :data:`COLUMNS` (API.md, "Invoices").
So that a file adds up, an invoice's shipping and tax are rows of their own after its
lines — ``category`` ``shipping`` and ``tax``, quantity 1, only when not zero —: the
``amount`` of an invoice's rows adds up to its total, exactly (credit notes negative).

- ``category``: the order line's purchase category (``receiving.category_of``: the
  request line the quote line names, else the one at the same position);
- ``amount`` in the invoice's ``currency``; ``amount_base`` the same at the invoice's
  ``rate`` (the order's, frozen at issue), rounded half-up to the base currency's minor
  units, row by row — their sum may differ from ``total_base`` by rounding;
- amounts are decimal strings with the currency's decimals, dates ISO;
- the vendor's bank details as confirmed by a second person (``vendors/services/bank.py``),
  never a change still waiting, and empty when none is confirmed.

Text cells are neutralised against formula injection with the vendor export's
``neutralise`` (``vendors/csvio.py``), which the caller hands in as ``text``: this
area may not import ``vendors`` (``admin`` imports ``invoices`` and ``vendors``
imports ``admin``: a circle). Amounts and quantities are not: they are numbers this module writes
itself, never text from a person, and an apostrophe before a credit note's "-" would
make the accounting system read it as text.

The rows are read ``yield_per`` (a batch of rows at a time, no ORM objects) into a
spooled temporary file that the response streams: 100,000 lines never sit in memory
at once, and the file is whole before the first byte is sent (a failure mid-way is an
error answer, not a truncated file).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from .. import access, currencies, money, rates
from ..extensions import db
from ..models import (
    BankStatus,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    OrderLine,
    PurchaseOrder,
    RequestLine,
    User,
    Vendor,
    VendorBankAccount,
    utcnow,
)

COLUMNS = (
    "number",
    "vendor_invoice_number",
    "vendor",
    "vendor_tax_id",
    "category",
    "quantity",
    "unit_price",
    "amount",
    "currency",
    "amount_base",
    "due_date",
    # Where to pay: the vendor's confirmed bank details only (a change still waiting
    # for its second person is never paid to), empty when none is confirmed.
    "vendor_iban",
    "vendor_bic",
    "vendor_account_number",
    "vendor_routing_number",
)
BATCH = 1000
# A text cell as the file holds it: protected against formula injection.
Text = Callable[[object], str]
SPOOL_BYTES = 1024 * 1024


def filename(status: InvoiceStatus | None, today: dt.date | None = None) -> str:
    day = today or utcnow().date()
    return f"invoices-{status.value if status else 'all'}-{day.isoformat()}.csv"


def rows_query(
    user: User, status: InvoiceStatus | None, due_before: dt.date | None = None
) -> sa.Select[Any]:
    """Every line of the invoices ``user`` may see (of ``status``, due before
    ``due_before``), by invoice and line."""
    named = aliased(RequestLine)
    same_position = aliased(RequestLine)
    query = (
        sa.select(
            Invoice.id,
            Invoice.number,
            Invoice.vendor_invoice_number,
            Vendor.name,
            Vendor.tax_id,
            sa.func.coalesce(named.category, same_position.category).label("category"),
            InvoiceLine.quantity,
            InvoiceLine.unit_price,
            InvoiceLine.total,
            Invoice.currency,
            Invoice.rate,
            Invoice.invoice_date,
            Invoice.due_date,
            Invoice.shipping,
            Invoice.tax,
            VendorBankAccount.iban,
            VendorBankAccount.bic,
            VendorBankAccount.account_number,
            VendorBankAccount.routing_number,
        )
        .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .join(Vendor, Vendor.id == Invoice.vendor_id)
        .outerjoin(
            VendorBankAccount,
            sa.and_(
                VendorBankAccount.vendor_id == Vendor.id,
                VendorBankAccount.status == BankStatus.CONFIRMED,
            ),
        )
        .join(OrderLine, OrderLine.id == InvoiceLine.order_line_id)
        .join(PurchaseOrder, PurchaseOrder.id == OrderLine.order_id)
        .outerjoin(named, named.id == OrderLine.request_line_id)
        .outerjoin(
            same_position,
            sa.and_(
                same_position.request_id == PurchaseOrder.request_id,
                same_position.position == OrderLine.position,
                named.id.is_(None),
            ),
        )
        .order_by(Invoice.id, InvoiceLine.position)
    )
    if status is not None:
        query = query.where(Invoice.status == status)
    if due_before is not None:
        query = query.where(Invoice.due_date < due_before)
    return access.scoped(Invoice, user, query)


def _row(
    head: Any, category: str, quantity: Decimal, unit_price: Decimal, amount: Decimal, text: Text
) -> list[str]:
    base = currencies.base()
    rate = rates.Rate(head.currency, head.invoice_date, head.rate or Decimal(1))
    return [
        text(head.number),
        text(head.vendor_invoice_number),
        text(head.name),
        text(head.tax_id),
        text(category),
        money.quantity_to_api(quantity) or "",
        money.to_api(unit_price, head.currency) or "",
        money.to_api(amount, head.currency) or "",
        text(head.currency),
        money.to_api(rates.to_base(amount, rate), base) or "",
        head.due_date.isoformat(),
        text(head.iban or ""),
        text(head.bic or ""),
        text(head.account_number or ""),
        text(head.routing_number or ""),
    ]


def _extras(head: Any, text: Text) -> Iterator[list[str]]:
    """An invoice's shipping and tax rows, after its lines."""
    sign = Decimal(-1) if head.total < 0 else Decimal(1)
    for category, amount in (("shipping", head.shipping), ("tax", head.tax)):
        if amount:
            yield _row(head, category, sign, abs(amount), amount, text)


def rows(
    user: User, status: InvoiceStatus | None, text: Text, due_before: dt.date | None = None
) -> Iterator[list[str]]:
    """The file's rows, header first, read from the database a batch at a time."""
    yield list(COLUMNS)
    previous = None
    query = rows_query(user, status, due_before).execution_options(yield_per=BATCH)
    result = db.session.execute(query)
    for line in result:
        if previous is not None and previous.id != line.id:
            yield from _extras(previous, text)
        previous = line
        yield _row(line, line.category or "", line.quantity, line.unit_price, line.total, text)
    if previous is not None:
        yield from _extras(previous, text)


def payment_csv(
    user: User, status: InvoiceStatus | None, *, text: Text, due_before: dt.date | None = None
) -> IO[bytes]:
    """The payment CSV, UTF-8, in a spooled temporary file rewound to its start (memory
    up to :data:`SPOOL_BYTES`, disk beyond): finance and admin only (``read_payables``).
    The caller closes the file (:func:`chunks` does)."""
    access.require(user, "read_payables", action="export the invoices to pay")
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned
    try:
        out = io.TextIOWrapper(spool, encoding="utf-8", newline="", write_through=True)
        writer = csv.writer(out, lineterminator="\r\n")
        for row in rows(user, status, text, due_before):
            writer.writerow(row)
        out.flush()
        out.detach()  # leaves the file open for the response
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def chunks(spool: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    """The file's bytes for a streamed response; the file is closed at the end, or when
    the response is dropped half-way."""
    try:
        while chunk := spool.read(size):
            yield chunk
    finally:
        spool.close()
