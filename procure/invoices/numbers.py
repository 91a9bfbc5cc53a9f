"""The vendor's invoice number as duplicates are found by, and the due date an
order's payment terms give.

API.md: lower-cased, everything but letters and digits removed, leading zeros of each
digit group removed — ``inv-0042``, ``INV 42`` and ``Inv.042`` are one number."""

from __future__ import annotations

import datetime as dt
import re

# Runs of digits, and runs of letters (any script): everything else separates them.
_GROUPS = re.compile(r"\d+|[^\W\d_]+")
# "Net 30", "30 days net", "net30", "payment within 45 days": the number of days.
_DAYS = re.compile(r"(?<!\d)(\d{1,3})(?!\d)")
DEFAULT_DAYS = 30


def normalise(number: str) -> str:
    groups = _GROUPS.findall(number.lower())
    return "".join((group.lstrip("0") or "0") if group.isdigit() else group for group in groups)


def terms_days(payment_terms: str) -> int:
    """The days an order's payment terms give to pay (``Net 30`` → 30); 30 when the
    terms name no number of days (``on receipt`` is 0)."""
    text = (payment_terms or "").lower()
    if "receipt" in text and not _DAYS.search(text):
        return 0
    found = _DAYS.search(text)
    return int(found.group(1)) if found else DEFAULT_DAYS


def due_date(invoice_date: dt.date, payment_terms: str) -> dt.date:
    return invoice_date + dt.timedelta(days=terms_days(payment_terms))
