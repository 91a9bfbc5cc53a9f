"""The documents of the generated history as plain objects: planned first, their ids
and numbers filled in per chunk. Money in cents of the document's currency (the bulk
writer stores it as the columns do), quantities in thousandths, rates in billionths."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from .organisation import money

THOUSAND = 1000


def quantity_text(milli: int) -> str:
    """A quantity as typed and recorded by the services: ``3``, ``7.5``."""
    if milli % THOUSAND == 0:
        return str(milli // THOUSAND)
    return format(Decimal(milli).scaleb(-3).normalize(), "f")


def line_total(milli: int, cents: int) -> int:
    """``round_money(quantity * unit_price)`` in cents (half up; both positive)."""
    return (milli * cents + 500) // THOUSAND


# Planned documents (plain objects: ids and numbers are filled in per chunk) ------------


class Line:
    __slots__ = (
        "id", "position", "description", "category", "quantity", "unit", "price", "total",
        "catalogue_item_id"
    )  # fmt: skip


class Step:
    __slots__ = (
        "id", "round", "position", "name", "role", "reason", "status", "pending_since",
        "decided_by", "on_behalf_of", "decided_at", "comment"
    )  # fmt: skip


class Request:
    __slots__ = (
        "id", "number", "title", "justification", "requester", "department", "needed_by",
        "status", "total", "over_budget", "approval_round", "fiscal_year", "submitted_at",
        "decided_at", "created_at", "updated_at", "version", "lines", "steps", "currency", "rate",
        "rate_date", "total_base"
    )  # fmt: skip


class Rfq:
    __slots__ = (
        "id", "number", "request", "status", "due_date", "notes", "created_by", "created_at",
        "sent_at", "awarded_at", "awarded_quote", "justification", "version", "invitations",
        "quotes", "award_rate", "award_rate_date", "award_total_base"
    )  # fmt: skip


class Invitation:
    __slots__ = ("id", "vendor", "token_hash", "expires_on", "used_at", "emailed_to", "created_at")


class Quote:
    __slots__ = (
        "id", "vendor", "valid_until", "lead_time_days", "warranty_months", "payment_terms",
        "shipping", "tax", "subtotal", "total", "notes", "entered_by", "created_at", "lines",
        "currency"
    )  # fmt: skip


class QuoteLine:
    __slots__ = (
        "id", "position", "request_line", "description", "quantity", "unit", "price", "total"
    )  # fmt: skip


class Order:
    __slots__ = (
        "id", "number", "request", "rfq", "quote", "vendor", "status", "subtotal", "shipping",
        "tax", "total", "needed_by", "payment_terms", "lead_time_days", "created_by",
        "created_at", "issued_at", "issued_by", "attachment_id", "closed_at", "cancelled_at",
        "reason", "version", "lines", "receipts", "currency", "rate", "rate_date", "total_base",
        "invoices", "link_nonce", "link_hash", "revision_id", "agreement", "terms"
    )  # fmt: skip

    def content_reference(self) -> str:
        """``orders.services.content_reference``: the SHA-256 of the frozen content."""
        content = {
            "number": self.number,
            "vendor": self.vendor.name,
            "request": self.request.number,
            "currency": self.currency,
            "subtotal": money(self.subtotal),
            "shipping": money(self.shipping),
            "tax": money(self.tax),
            "total": money(self.total),
            "delivery_address": "",
            "payment_terms": self.payment_terms,
            "terms": self.terms,
            "needed_by": self.needed_by.isoformat() if self.needed_by else None,
            "issued_at": self.issued_at.isoformat() if self.issued_at else None,
            "lines": [
                [
                    line.description,
                    quantity_text(line.quantity),
                    line.unit,
                    money(line.price),
                    money(line.total),
                ]
                for line in self.lines
            ],
        }
        text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


class OrderLine:
    __slots__ = (
        "id", "position", "request_line", "description", "quantity", "unit", "price", "total",
        "received"
    )  # fmt: skip


class Receipt:
    __slots__ = ("id", "received_on", "note", "recorded_by", "created_at", "lines")


class Contract:
    __slots__ = (
        "id", "number", "vendor", "owner", "title", "kind", "status", "start_date", "end_date",
        "value", "billing_period", "auto_renew", "notice_days", "renewal_term_months",
        "sla_response_hours", "sla_resolution_hours", "covered_items", "terms", "order",
        "terminated_on", "termination_reason", "created_at", "updated_at", "version",
        "term_history", "currency"
    )  # fmt: skip


class Invoice:
    __slots__ = (
        "id", "number", "vendor_number", "order", "credit_for", "status", "invoice_date",
        "due_date", "subtotal", "shipping", "tax", "total", "total_base", "entered_by",
        "created_at", "submitted_at", "matched_first_time", "approved_at", "approved_by",
        "release_justification", "reason", "paid_on", "payment_reference", "paid_by",
        "paid_rate", "paid_base", "version", "lines", "exceptions", "record"
    )  # fmt: skip


class InvoiceLine:
    __slots__ = ("id", "position", "order_line", "quantity", "price", "total")


class InvoiceException:
    __slots__ = (
        "id", "line", "kind", "message", "created_at", "resolved_at", "resolved_by", "resolution"
    )  # fmt: skip

    def text(self) -> str:
        """The message; a possible duplicate's names the other invoice, whose number
        is given out with its chunk."""
        return self.message() if callable(self.message) else self.message


class Chunk:
    """What one chunk of requests brought: the documents to number and write."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.rfqs: list[Rfq] = []
        self.orders: list[Order] = []
        self.contracts: list[Contract] = []
        self.invoices: list[Invoice] = []
