"""Quotes: a vendor's prices for an open RFQ, entered by procurement or sent by the
vendor through their link. A corrected quote replaces the earlier one, which the
history keeps."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ... import access, audit, currencies
from ...errors import InvalidTransition
from ...extensions import db
from ...models import Quote, QuoteLine, Rfq, RfqInvitation, RfqStatus, User, Vendor, utcnow
from ...money import MAX_AMOUNT, MoneyError, parse_money, round_money
from ...validation import FieldErrors
from .rfqs import EDITORS, TEXT_MAX

MAX_LEAD_TIME_DAYS = 3650
MAX_WARRANTY_MONTHS = 600


@dataclasses.dataclass
class QuoteLineData:
    description: str
    quantity: Decimal
    unit_price: Decimal
    unit: str = "each"
    request_line_id: int | None = None


@dataclasses.dataclass
class QuoteData:
    vendor_id: int
    valid_until: dt.date | None
    lead_time_days: int | None
    lines: list[QuoteLineData]
    warranty_months: int = 0
    payment_terms: str = ""
    shipping: Decimal = Decimal("0.00")
    tax: Decimal = Decimal("0.00")
    currency: str | None = None
    notes: str = ""


def line_total(quantity: Decimal, unit_price: Decimal, currency: str | None = None) -> Decimal:
    """Quantity × unit price, half-up to the currency's minor units (a yen, a cent, a
    fils)."""
    return round_money(quantity * unit_price, currency)


def quote_total(
    lines: Iterable[tuple[Decimal, Decimal]],
    shipping: Decimal,
    tax: Decimal,
    currency: str | None = None,
) -> Decimal:
    """A quote's total from its lines' quantities and unit prices: each line rounded
    to the currency's minor unit, then shipping and tax. The vendor's page shows this
    running total, the stored quote adds up the same way."""
    return sum((line_total(q, p, currency) for q, p in lines), Decimal(0)) + shipping + tax


def quote_currency(code: str | None) -> str:
    """The quote's currency: an enabled one, the base currency when none is given
    (``ValidationError`` on ``currency`` otherwise)."""
    text = (code or "").strip()
    return currencies.require_enabled(text) if text else currencies.base()


def _check_amount(errors: FieldErrors, field: str, value: Decimal | None, currency: str) -> None:
    """At most the currency's minor units: 0.5 yen or 1.2345 dinars are not amounts."""
    if value is None:
        return
    try:
        parse_money(value, allow_negative=True, currency=currency)
    except MoneyError as exc:
        errors.add(field, f"In {currency}, {exc}.")


def _check_quote(rfq: Rfq, data: QuoteData) -> RfqInvitation:
    if rfq.status != RfqStatus.OPEN:
        raise InvalidTransition(
            f"{rfq.number} is {rfq.status.value}; quotes are recorded while it is open."
        )
    errors = FieldErrors()
    if rfq.sealed and utcnow().date() > rfq.due_date:
        # A sealed RFQ's quotes are all in by the due date: none comes after the others'.
        errors.add(
            "vendor_id",
            f"The bids of {rfq.number} were due by {rfq.due_date.isoformat()}; "
            "a sealed RFQ takes no late quote.",
        )
    invitation = next((i for i in rfq.invitations if i.vendor_id == data.vendor_id), None)
    if invitation is None:
        errors.add("vendor_id", "This vendor was not invited to quote.")
    currency = currencies.base()
    with errors.collect():
        currency = quote_currency(data.currency)
    if data.valid_until is None:
        errors.add("valid_until", "Give the date until which the quote is valid.")
    elif data.valid_until < utcnow().date():
        errors.add("valid_until", "The quote is valid until a date in the past.")
    if data.lead_time_days is None or not 0 <= data.lead_time_days <= MAX_LEAD_TIME_DAYS:
        errors.add("lead_time_days", f"Give a lead time from 0 to {MAX_LEAD_TIME_DAYS} days.")
    if not 0 <= (data.warranty_months or 0) <= MAX_WARRANTY_MONTHS:
        errors.add("warranty_months", f"Give a warranty from 0 to {MAX_WARRANTY_MONTHS} months.")
    errors.text(data.payment_terms, "payment_terms", max_length=200)
    errors.text(data.notes, "notes", max_length=TEXT_MAX)
    for name in ("shipping", "tax"):
        value = getattr(data, name)
        if value is None or value < 0:
            errors.add(name, "Must not be negative.")
        else:
            _check_amount(errors, name, value, currency)
    if not data.lines:
        errors.add("lines", "Price at least one line.")
    for index, line in enumerate(data.lines):
        errors.text(
            line.description,
            f"lines.{index}.description",
            max_length=TEXT_MAX,
            required=True,
            missing="Describe the line.",
        )
        if line.quantity is None or line.quantity <= 0:
            errors.add(f"lines.{index}.quantity", "The quantity must be greater than zero.")
        if line.unit_price is None or line.unit_price < 0:
            errors.add(f"lines.{index}.unit_price", "The unit price must not be negative.")
        else:
            _check_amount(errors, f"lines.{index}.unit_price", line.unit_price, currency)
    if not errors:
        total = quote_total(
            [(line.quantity, line.unit_price) for line in data.lines],
            data.shipping,
            data.tax,
            currency,
        )
        if total > MAX_AMOUNT:
            errors.add("lines", "The total is larger than Procure accepts.")
    errors.raise_if_any()
    # Not None: an uninvited vendor was refused above.
    return cast(RfqInvitation, invitation)


def record_quote(
    rfq: Rfq, data: QuoteData, *, actor: User | None, attachment_id: int | None = None
) -> Quote:
    """Record a vendor's quote; a corrected quote replaces the earlier one, which the
    history keeps. ``actor`` is None when the vendor answers through their link."""
    if actor is not None:
        access.require_role(actor, *EDITORS, action="record quotes")
    invitation = _check_quote(rfq, data)
    currency = quote_currency(data.currency)
    earlier = db.session.scalar(
        sa.select(Quote)
        .where(
            Quote.rfq_id == rfq.id,
            Quote.vendor_id == data.vendor_id,
            Quote.replaced_by_id.is_(None),
        )
        .with_for_update(of=Quote)
    )
    lines = [
        QuoteLine(
            position=index + 1,
            request_line_id=line.request_line_id,
            description=line.description.strip(),
            quantity=line.quantity,
            unit=(line.unit or "each").strip() or "each",
            unit_price=line.unit_price,
            total=line_total(line.quantity, line.unit_price, currency),
        )
        for index, line in enumerate(data.lines)
    ]
    subtotal = sum((line.total for line in lines), Decimal(0))
    quote = Quote(
        rfq_id=rfq.id,
        vendor_id=data.vendor_id,
        revision=(earlier.revision + 1) if earlier else 1,
        currency=currency,
        valid_until=data.valid_until,
        lead_time_days=data.lead_time_days,
        warranty_months=data.warranty_months or 0,
        payment_terms=(data.payment_terms or "").strip(),
        shipping=data.shipping,
        tax=data.tax,
        subtotal=subtotal,
        total=subtotal + data.shipping + data.tax,
        notes=(data.notes or "").strip(),
        attachment_id=attachment_id,
        entered_by_id=actor.id if actor else None,
        lines=lines,
    )
    if earlier is not None:
        # One current quote per vendor (a partial unique index): retire the earlier
        # one before the new one is written, then point it at its replacement.
        earlier.replaced_by_id = earlier.id
        db.session.flush()
    db.session.add(quote)
    db.session.flush()
    if earlier is not None:
        earlier.replaced_by_id = quote.id
        db.session.flush()
    if actor is None:
        invitation.token_used_at = utcnow()
    changes = {
        "vendor": invitation.vendor.name,
        "quote": quote.id,
        "revision": quote.revision,
        "currency": currency,
        "total": str(quote.total),
        "replaces": earlier.id if earlier else None,
        "source": "vendor link" if actor is None else "entered by procurement",
    }
    if rfq.sealed:
        # The audit log is read by more people than open bids: a sealed quote's amount
        # is left out (a hash of a few digits would give it away), the quote keeps it.
        del changes["total"]
        changes["sealed"] = True
    audit.record("rfq", rfq.id, "quote", actor=actor, changes=changes)
    return quote


def current_quotes(rfq: Rfq) -> list[Quote]:
    return list(
        db.session.scalars(
            sa.select(Quote)
            .where(Quote.rfq_id == rfq.id, Quote.replaced_by_id.is_(None))
            .order_by(Quote.id)
            # The comparison checks each vendor's compliance documents.
            .options(selectinload(Quote.vendor).selectinload(Vendor.documents))
        )
    )


def quote_history(rfq: Rfq) -> list[Quote]:
    return list(
        db.session.scalars(
            sa.select(Quote).where(Quote.rfq_id == rfq.id).order_by(Quote.vendor_id, Quote.id)
        )
    )
