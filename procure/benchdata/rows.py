"""The planned documents as table rows, in the columns' storage form (money in cents,
quantities in thousandths), parents before children."""

from __future__ import annotations

import json

import sqlalchemy as sa

from ..invoices.numbers import normalise
from ..models import (
    ApprovalStep,
    Attachment,
    Budget,
    Contract,
    ContractTerm,
    Department,
    ExchangeRate,
    Invoice,
    InvoiceException,
    InvoiceLine,
    OrderLine,
    OrderRevision,
    PurchaseOrder,
    PurchaseRequest,
    Quote,
    QuoteLine,
    Receipt,
    ReceiptLine,
    RequestLine,
    Rfq,
    RfqInvitation,
    User,
    UserRole,
    Vendor,
    VendorCategory,
    VendorContact,
)
from ..totals import main_category
from .bulk import Batch
from .history import Chunk

Spec = tuple[sa.Table, tuple[str, ...]]


def spec(model: type, columns: str) -> Spec:
    """A table and the columns its rows give, in order (``columns``: names by spaces)."""
    return model.__table__, tuple(columns.split())  # type: ignore[attr-defined]


DEPARTMENTS = spec(Department, "id code name created_at")
USERS = spec(User, "id email name password_hash department_id active created_at")
USER_ROLES = spec(UserRole, "user_id role")
VENDORS = spec(
    Vendor,
    "id name name_key legal_name tax_id address website email phone rating notes status "
    "created_at updated_at version",
)
VENDOR_CATEGORIES = spec(VendorCategory, "vendor_id category")
VENDOR_CONTACTS = spec(VendorContact, "id vendor_id name title email phone is_primary")
BUDGETS = spec(
    Budget, "id department_id fiscal_year category amount currency created_at updated_at version"
)
REQUESTS = spec(
    PurchaseRequest,
    "id number title justification requester_id department_id needed_by currency status total "
    "over_budget approval_round fiscal_year submitted_at decided_at created_at updated_at version "
    "rate rate_date total_base main_category",
)
REQUEST_LINES = spec(
    RequestLine,
    "id request_id position description category quantity unit unit_price total catalogue_item_id",
)
STEPS = spec(
    ApprovalStep,
    "id request_id department_id round position name role reason status pending_since "
    "decided_by_id on_behalf_of_id decided_at comment",
)
RFQS = spec(
    Rfq,
    "id number request_id status due_date weight_price weight_lead_time weight_rating "
    "weight_warranty notes created_by_id created_at sent_at awarded_at awarded_quote_id "
    "award_justification version award_rate award_rate_date award_total_base",
)
INVITATIONS = spec(
    RfqInvitation,
    "id rfq_id vendor_id token_hash token_expires_on token_used_at emailed_to created_at",
)
QUOTES = spec(
    Quote,
    "id rfq_id vendor_id revision replaced_by_id currency valid_until lead_time_days "
    "warranty_months payment_terms shipping tax subtotal total notes attachment_id "
    "entered_by_id created_at",
)
QUOTE_LINES = spec(
    QuoteLine, "id quote_id position request_line_id description quantity unit unit_price total"
)
ATTACHMENTS = spec(Attachment, "id sha256 size content_type filename uploaded_by_id created_at")
ORDERS = spec(
    PurchaseOrder,
    "id number request_id rfq_id quote_id vendor_id status currency subtotal shipping tax total "
    "delivery_address needed_by payment_terms terms lead_time_days created_by_id created_at "
    "issued_at issued_by_id pdf_attachment_id pdf_sha256 closed_at cancelled_at reason version "
    "rate rate_date total_base invoice_link_nonce invoice_token_hash received_value agreement_id",
)
ORDER_LINES = spec(
    OrderLine,
    "id order_id position request_line_id description quantity unit unit_price total "
    "received_quantity received_value",
)
ORDER_REVISIONS = spec(
    OrderRevision,
    "id order_id revision reason changes total total_base created_by_id created_at issued_at "
    "withdrawn_reason pdf_attachment_id pdf_sha256",
)
RECEIPTS = spec(Receipt, "id order_id received_on note recorded_by_id created_at")
RECEIPT_LINES = spec(ReceiptLine, "id receipt_id order_line_id quantity value")
CONTRACTS = spec(
    Contract,
    "id number vendor_id owner_id title kind status start_date end_date value currency "
    "billing_period auto_renew notice_days renewal_term_months sla_response_hours "
    "sla_resolution_hours covered_items terms order_id signed_copy_id terminated_on "
    "termination_reason created_at updated_at version",
)
EXCHANGE_RATES = spec(ExchangeRate, "id currency day rate created_by_id created_at")
CONTRACT_TERMS = spec(
    ContractTerm, "id contract_id sequence start_date end_date value how created_at"
)

INVOICES = spec(
    Invoice,
    "id number vendor_invoice_number vendor_number_key vendor_id order_id credit_for_id status "
    "source invoice_date due_date currency subtotal shipping tax total rate total_base note "
    "entered_by_id created_at submitted_at matched_first_time approved_at approved_by_id "
    "release_justification reason paid_on payment_reference paid_by_id paid_rate paid_base "
    "version",
)
INVOICE_LINES = spec(
    InvoiceLine, "id invoice_id position order_line_id description quantity unit_price total"
)
INVOICE_EXCEPTIONS = spec(
    InvoiceException,
    "id invoice_id line_id kind message created_at resolved_at resolved_by_id resolution",
)

# Fixed comparison weights of a new RFQ (thousandths): price 0.6, lead time 0.2, rating 0.2.
WEIGHTS = (600, 200, 200, 0)


def add(batch: Batch, spec: Spec, rows: list[tuple]) -> None:
    if rows:
        batch.inserts.append((spec[0], spec[1], rows))


def add_chunk(batch: Batch, chunk: Chunk, currency: str, pdf_sha256: str, pdf_size: int) -> None:
    """The rows of a chunk's documents."""
    requests, lines, steps = [], [], []
    for pr in chunk.requests:
        requests.append(
            (pr.id, pr.number, pr.title, pr.justification, pr.requester.id, pr.department.id,
             pr.needed_by, pr.currency, pr.status, pr.total, pr.over_budget, pr.approval_round,
             pr.fiscal_year, pr.submitted_at, pr.decided_at, pr.created_at, pr.updated_at,
             pr.version, pr.rate, pr.rate_date, pr.total_base,
             main_category((line.category, line.total) for line in pr.lines))
        )  # fmt: skip
        lines.extend(
            (line.id, pr.id, line.position, line.description, line.category, line.quantity,
             line.unit, line.price, line.total, line.catalogue_item_id)
            for line in pr.lines
        )  # fmt: skip
        steps.extend(
            (step.id, pr.id, pr.department.id, step.round, step.position, step.name,
             step.role.value, step.reason,
             step.status, step.pending_since, step.decided_by.id if step.decided_by else None,
             step.on_behalf_of.id if step.on_behalf_of else None, step.decided_at, step.comment)
            for step in pr.steps
        )  # fmt: skip
    add(batch, REQUESTS, requests)
    add(batch, REQUEST_LINES, lines)
    add(batch, STEPS, steps)

    rfqs, invitations, quotes, quote_lines = [], [], [], []
    for rfq in chunk.rfqs:
        awarded = rfq.status == "awarded"
        # An awarded RFQ is written open and awarded once its quotes exist.
        rfqs.append(
            (rfq.id, rfq.number, rfq.request.id, "open" if awarded else rfq.status, rfq.due_date,
             *WEIGHTS, rfq.notes, rfq.created_by.id, rfq.created_at, rfq.sent_at, rfq.awarded_at,
             None, rfq.justification, rfq.version - 1 if awarded else rfq.version,
             rfq.award_rate, rfq.award_rate_date, rfq.award_total_base)
        )  # fmt: skip
        if awarded:
            batch.awards.append((rfq.awarded_quote.id, rfq.version, rfq.id))
        invitations.extend(
            (inv.id, rfq.id, inv.vendor.id, inv.token_hash, inv.expires_on, inv.used_at,
             inv.emailed_to, inv.created_at)
            for inv in rfq.invitations
        )  # fmt: skip
        for quote in rfq.quotes:
            quotes.append(
                (quote.id, rfq.id, quote.vendor.id, 1, None, quote.currency, quote.valid_until,
                 quote.lead_time_days, quote.warranty_months, quote.payment_terms, quote.shipping,
                 quote.tax, quote.subtotal, quote.total, quote.notes, None,
                 quote.entered_by.id if quote.entered_by else None, quote.created_at)
            )  # fmt: skip
            quote_lines.extend(
                (line.id, quote.id, line.position, line.request_line.id, line.description,
                 line.quantity, line.unit, line.price, line.total)
                for line in quote.lines
            )  # fmt: skip
    quotes.sort()
    quote_lines.sort()
    add(batch, RFQS, rfqs)
    add(batch, INVITATIONS, invitations)
    add(batch, QUOTES, quotes)
    add(batch, QUOTE_LINES, quote_lines)
    batch.awards_after = len(batch.inserts)

    files, orders, order_lines, receipts, receipt_lines = [], [], [], [], []
    revisions = []
    for order in chunk.orders:
        issued = order.attachment_id is not None
        # What each line received (no receipt is reversed nor goods returned here).
        received: dict[int, int] = {}
        for receipt in order.receipts:
            for _ident, line, _quantity, value in receipt.lines:
                received[line.id] = received.get(line.id, 0) + value
        if issued:
            files.append(
                (order.attachment_id, pdf_sha256, pdf_size, "application/pdf",
                 f"{order.number}.pdf", order.issued_by.id, order.issued_at)
            )  # fmt: skip
            # Revision 0, as the migration gives every order issued before revisions
            # existed: the order as first issued, never revised in the generated history.
            revisions.append(
                (order.revision_id, order.id, 0, "", "[]", order.total, order.total_base,
                 order.issued_by.id, order.issued_at, order.issued_at, "",
                 order.attachment_id, pdf_sha256)
            )  # fmt: skip
        orders.append(
            (order.id, order.number, order.request.id,
             order.rfq.id if order.rfq is not None else None,
             order.quote.id if order.quote is not None else None,
             order.vendor.id, order.status, order.currency, order.subtotal, order.shipping,
             order.tax,
             order.total, "", order.needed_by, order.payment_terms, order.terms,
             order.lead_time_days,
             order.created_by.id, order.created_at, order.issued_at,
             order.issued_by.id if order.issued_by else None, order.attachment_id,
             pdf_sha256 if issued else None, order.closed_at, order.cancelled_at, order.reason,
             order.version, order.rate, order.rate_date, order.total_base,
             order.link_nonce if issued else None, order.link_hash if issued else None,
             sum(received.values()),
             order.agreement.id if order.agreement is not None else None)
        )  # fmt: skip
        order_lines.extend(
            (line.id, order.id, line.position, line.request_line.id, line.description,
             line.quantity, line.unit, line.price, line.total, line.received,
             received.get(line.id, 0))
            for line in order.lines
        )  # fmt: skip
        for receipt in order.receipts:
            receipts.append(
                (receipt.id, order.id, receipt.received_on, receipt.note, receipt.recorded_by.id,
                 receipt.created_at)
            )  # fmt: skip
            receipt_lines.extend(
                (ident, receipt.id, line.id, quantity, value)
                for ident, line, quantity, value in receipt.lines
            )
    files.sort()
    receipts.sort()
    receipt_lines.sort()
    add(batch, ATTACHMENTS, files)
    add(batch, ORDERS, orders)
    add(batch, ORDER_LINES, order_lines)
    add(batch, RECEIPTS, receipts)
    add(batch, RECEIPT_LINES, receipt_lines)
    revisions.sort()
    add(batch, ORDER_REVISIONS, revisions)
    _add_invoices(batch, chunk)

    contracts, terms = [], []
    for contract in chunk.contracts:
        contracts.append(
            (contract.id, contract.number, contract.vendor.id, contract.owner.id, contract.title,
             contract.kind, contract.status, contract.start_date, contract.end_date,
             contract.value, contract.currency, contract.billing_period, contract.auto_renew,
             contract.notice_days, contract.renewal_term_months, contract.sla_response_hours,
             contract.sla_resolution_hours, json.dumps(contract.covered_items), contract.terms,
             contract.order.id if contract.order is not None else None, None,
             contract.terminated_on, contract.termination_reason, contract.created_at,
             contract.updated_at, contract.version)
        )  # fmt: skip
        terms.extend(
            (ident, contract.id, sequence, start, end, value, how, moment)
            for ident, sequence, start, end, value, how, moment in contract.term_history
        )
    add(batch, CONTRACTS, contracts)
    add(batch, CONTRACT_TERMS, terms)


def _add_invoices(batch: Batch, chunk: Chunk) -> None:
    """The chunk's vendor invoices (ids in time order: a credit note after the invoice
    it credits), their lines and the exceptions matching found."""
    invoices, lines, exceptions = [], [], []
    for inv in chunk.invoices:
        order = inv.order
        invoices.append(
            (inv.id, inv.number, inv.vendor_number, normalise(inv.vendor_number), order.vendor.id,
             order.id, inv.credit_for.id if inv.credit_for is not None else None, inv.status,
             "entered", inv.invoice_date, inv.due_date, order.currency, inv.subtotal,
             inv.shipping, inv.tax, inv.total, order.rate, inv.total_base, "",
             inv.entered_by.id, inv.created_at, inv.submitted_at, inv.matched_first_time,
             inv.approved_at, inv.approved_by.id if inv.approved_by is not None else None,
             inv.release_justification, inv.reason, inv.paid_on, inv.payment_reference,
             inv.paid_by.id if inv.paid_by is not None else None, inv.paid_rate, inv.paid_base,
             inv.version)
        )  # fmt: skip
        lines.extend(
            (line.id, inv.id, line.position, line.order_line.id, line.order_line.description,
             line.quantity, line.price, line.total)
            for line in inv.lines
        )  # fmt: skip
        exceptions.extend(
            (e.id, inv.id, e.line.id if e.line is not None else None, e.kind, e.text(),
             e.created_at, e.resolved_at, e.resolved_by.id if e.resolved_by is not None else None,
             e.resolution)
            for e in inv.exceptions
        )  # fmt: skip
    invoices.sort()
    add(batch, INVOICES, invoices)
    add(batch, INVOICE_LINES, lines)
    add(batch, INVOICE_EXCEPTIONS, exceptions)
