"""Vendor invoices through the API (API.md, "Additions — Invoices"): enter or import
them, match them, resolve and release holds, approve, pay, and the payment CSV. The
shapes are in ``invoice_schemas.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, request

from .. import attachments, kept_counts
from ..errors import ValidationError
from ..invoices import actions, export, files, listing, services, ubl
from ..models import Invoice, User
from ..security import PRIVATE
from ..vendors.csvio import neutralise
from . import bp
from .invoice_schemas import (
    BatchPayIn,
    CommentBody,
    ExportQuery,
    InvoiceIn,
    InvoiceOut,
    InvoiceQuery,
    PaidOut,
    PayIn,
    ReleaseIn,
    ResolveIn,
    VersionBody,
    invoice_out,
)
from .schemas import Page
from .spec import current_user, operation, paginate

TAG = "Invoices"


@operation(
    bp,
    "POST",
    "/invoices",
    body=InvoiceIn,
    response=InvoiceOut,
    status=201,
    summary="Enter a vendor invoice or credit note (finance, procurement)",
    tag=TAG,
    errors=(403,),
)
def create_invoice(body: InvoiceIn):
    """Records a `draft` invoice with its `INV-YYYY-NNNNN` number against an issued
    order, in the order's currency. 422 by field: an order not issued (`order_id`), a
    line of another order (`lines.N.order_line_id`), a quantity not above zero
    (`lines.N.quantity`), a `total` that is not the lines, shipping and tax added up, a
    `due_date` before the `invoice_date`, the vendor's number already recorded for the
    vendor (`vendor_invoice_number`). With `credit_for`, a credit note: its amounts
    become negative. Over-invoicing is not refused here: `submit` holds it."""
    invoice = services.create(
        services.InvoiceData(
            order_id=body.order_id,
            vendor_invoice_number=body.vendor_invoice_number,
            invoice_date=body.invoice_date,
            due_date=body.due_date,
            lines=[
                services.LineData(line.order_line_id, line.quantity, line.unit_price)
                for line in body.lines
            ],
            shipping=body.shipping,
            tax=body.tax,
            total=body.total,
            credit_for=body.credit_for,
            note=body.note,
        ),
        actor=current_user(),
    )
    return invoice_out(invoice)


@attachments.accepts_uploads
@operation(
    bp,
    "POST",
    "/invoices/import",
    response=InvoiceOut,
    status=201,
    summary="Import an e-invoice: UBL 2.1 or Peppol BIS Billing 3.0 XML (finance, procurement)",
    tag=TAG,
    errors=(400, 403, 413, 422),
)
def import_invoice():
    """The body is the XML file itself, sent with `Content-Type: application/xml`. An
    `Invoice` or a `CreditNote`: `cac:OrderReference/cbc:ID` names the order, the
    supplier's `cbc:CompanyID` the vendor (by its tax id), `cac:OrderLineReference/cbc:LineID`
    each line's order line by position (without it, lines map in order). Answers 201 with
    the draft invoice, `source` `einvoice`, the XML kept as received (`xml_sha256`).
    A file with a DOCTYPE, entities or external references, malformed XML, an unknown
    tax id, another currency than the order's or a total that does not add up: 422
    naming the field (`file` for the document itself); nothing is stored."""
    invoice = ubl.import_xml(
        request.get_data(cache=False), actor=current_user(), content_type=request.mimetype
    )
    return invoice_out(invoice)


@operation(
    bp,
    "GET",
    "/invoices",
    query=InvoiceQuery,
    response=Page[InvoiceOut],
    summary="List the invoices the caller may see",
    tag=TAG,
)
def list_invoices(query: InvoiceQuery):
    """Finance, procurement and admin see every invoice; a requester those of their own
    requests' orders. Filters: `status`, `order_id`, `vendor_id`, `due_before` (due
    strictly before that date: `?status=approved&due_before=…` is what to pay). Newest
    first."""
    select = services.list_query(
        current_user(),
        status=query.status,
        order_id=query.order_id,
        vendor_id=query.vendor_id,
        due_before=query.due_before,
    ).options(*listing.LOADS)
    narrowed = query.order_id or query.vendor_id or query.due_before
    total = None if narrowed else kept_counts.total(Invoice, current_user(), query.status)
    return paginate(select, query, invoice_out, batch=listing.line_figures_of, total=total)


@operation(
    bp,
    "GET",
    "/invoices/export.csv",
    query=ExportQuery,
    response=bytes,
    content_type="text/csv",
    summary="The payment CSV: one row per invoice line (finance, admin)",
    tag=TAG,
    errors=(403,),
)
def export_invoices(query: ExportQuery):
    """Columns `number`, `vendor_invoice_number`, `vendor`, `vendor_tax_id`, `category`,
    `quantity`, `unit_price`, `amount`, `currency`, `amount_base`, `due_date`; each
    invoice's shipping and tax follow its lines as rows of category `shipping` and `tax`,
    so that an invoice's amounts add up to its total. `amount_base` is at the invoice's
    rate, in the base currency. Text cells are protected against formula injection.
    `?status=approved&due_before=…` gives what is to be paid by then."""
    spool = export.payment_csv(
        current_user(), query.status, text=neutralise, due_before=query.due_before
    )
    response = Response(export.chunks(spool), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{export.filename(query.status)}"'
    )
    response.headers["Cache-Control"] = PRIVATE
    return response


@operation(
    bp,
    "POST",
    "/invoices/pay",
    body=BatchPayIn,
    response=PaidOut,
    summary="Pay many approved invoices at once, with one date and reference (finance)",
    tag=TAG,
    errors=(403, 404, 409),
)
def pay_invoices(body: BatchPayIn):
    """All or none: an invoice that may not be paid refuses the whole batch, naming it
    (409 when not approved), and nothing is paid; an id the caller cannot see is a 404.
    Each invoice is paid at the rate of `paid_on`. Answers `items`: the invoices paid,
    in the order given."""
    user = current_user()
    chosen = [services.get(invoice_id, user) for invoice_id in dict.fromkeys(body.invoice_ids)]
    actions.pay_batch(
        chosen, actions.Payment(paid_on=body.paid_on, reference=body.reference), actor=user
    )
    return PaidOut(items=[invoice_out(invoice) for invoice in chosen])


@operation(
    bp,
    "GET",
    "/invoices/<int:invoice_id>",
    response=InvoiceOut,
    summary="Read an invoice, its lines beside the order and its exceptions",
    tag=TAG,
)
def get_invoice(invoice_id: int):
    """Each line answers what was `ordered`, `received` and `previously_invoiced` on
    its order line; `exceptions` lists what matching found (`kind`, `line_id`, the
    `message` with the figures), open and `resolved`. An invoice the caller may not see
    is a 404."""
    return invoice_out(services.get(invoice_id, current_user()))


@attachments.accepts_uploads
@operation(
    bp,
    "POST",
    "/invoices/<int:invoice_id>/pdf",
    response=InvoiceOut,
    summary="Attach the vendor's PDF to the invoice (finance, procurement)",
    tag=TAG,
    errors=(403, 409, 413, 422),
)
def attach_invoice_pdf(invoice_id: int):
    """A `multipart/form-data` body with the PDF as `file` (and optionally the
    invoice's `version`), while the invoice is a draft, matched or on hold. The file
    must be a PDF by its content (422 on `file` otherwise); a PDF attached before is
    replaced. Answers the invoice with the new `pdf_sha256`."""
    invoice = services.get(invoice_id, current_user())
    version = request.form.get("version", "").strip()
    if version and not version.isdigit():
        raise ValidationError.field("version", "The version is a whole number.")
    files.attach_pdf(
        invoice,
        request.files.get("file"),
        actor=current_user(),
        expected_version=int(version) if version else None,
    )
    return invoice_out(invoice)


@operation(
    bp,
    "GET",
    "/invoices/<int:invoice_id>/pdf",
    response=bytes,
    content_type="application/pdf",
    summary="The vendor's PDF of the invoice",
    tag=TAG,
)
def invoice_pdf(invoice_id: int):
    """Exactly the bytes attached (their SHA-256 is `pdf_sha256`); 404 when the invoice
    has no PDF or the caller may not see it."""
    invoice = services.get(invoice_id, current_user())
    response = attachments.send(files.pdf_of(invoice))
    response.headers["Cache-Control"] = PRIVATE
    return response


# Actions --------------------------------------------------------------------------------


# What an action does: the invoice, the parsed body, the caller.
Act = Callable[[Invoice, Any, User], object]


def _action(
    name: str, body_model: type[VersionBody], summary: str, description: str, act: Act
) -> None:
    def view(invoice_id: int, body: VersionBody) -> InvoiceOut:
        invoice = services.get(invoice_id, current_user())
        act(invoice, body, current_user())
        return invoice_out(invoice)

    view.__name__ = f"{name}_invoice"
    view.__doc__ = description
    operation(
        bp,
        "POST",
        f"/invoices/<int:invoice_id>/{name}",
        body=body_model,
        response=InvoiceOut,
        summary=summary,
        tag=TAG,
        errors=(403, 409),
    )(view)


_action(
    "submit",
    VersionBody,
    "Match the invoice: matched, or on hold with its exceptions",
    "Matches a draft (or, again, an invoice on hold) against the order and its receipts: "
    "quantity (three-way for goods, two-way for the two-way categories), price and total "
    "within tolerance, everything invoiced against the order, possible duplicates. No "
    "exception: `matched`; any: `on_hold`, each exception in `exceptions`.",
    lambda invoice, body, user: actions.submit(invoice, actor=user, expected_version=body.version),
)
_action(
    "resolve",
    ResolveIn,
    "Resolve the invoice's exceptions with a reason, and match again",
    "`reason` is required (422). Procurement resolves `price` and `total` exceptions, the "
    "order's requester or procurement `quantity` ones; `exception_ids` narrows it to "
    "some. They are marked resolved and the invoice is matched again: `matched` when none "
    "is left open. No open exception of yours: 403.",
    lambda invoice, body, user: actions.resolve(
        invoice,
        body.reason,
        actor=user,
        exception_ids=body.exception_ids,
        expected_version=body.version,
    ),
)
_action(
    "release",
    ReleaseIn,
    "Approve an invoice past its hold, with a written justification (finance)",
    "Finance only, never whoever entered the invoice; `justification` is required (422). "
    "The invoice becomes `approved` with its exceptions still open, and the "
    "justification recorded.",
    lambda invoice, body, user: actions.release(
        invoice, body.justification, actor=user, expected_version=body.version
    ),
)
_action(
    "approve",
    VersionBody,
    "Approve a matched invoice for payment (finance, not whoever entered it)",
    "A `matched` invoice becomes `approved`. Whoever entered it may not (403). When the "
    "order is received in full and every quantity is on approved invoices, the order "
    "(and its request) close. Two approving at once: one wins, the other gets 409.",
    lambda invoice, body, user: actions.approve(
        invoice, actor=user, expected_version=body.version
    ),
)
_action(
    "reject",
    CommentBody,
    "Reject the invoice; a comment is required (finance, procurement)",
    "A draft, matched or held invoice becomes `rejected`; `comment` says why (422 without "
    "it). It no longer counts against the order.",
    lambda invoice, body, user: actions.reject(
        invoice, body.comment, actor=user, expected_version=body.version
    ),
)
_action(
    "cancel",
    CommentBody,
    "Withdraw the invoice (finance, procurement)",
    "A draft, matched or held invoice becomes `cancelled`, e.g. entered by mistake; its "
    "vendor number may then be entered again. The comment is optional.",
    lambda invoice, body, user: actions.cancel(
        invoice, body.comment, actor=user, expected_version=body.version
    ),
)
_action(
    "pay",
    PayIn,
    "Mark an approved invoice paid, on a date, with the bank's reference (finance)",
    "`paid_on` is required, not in the future nor before the invoice date (422). A "
    "foreign invoice is paid at the rate of `paid_on`: `paid_rate`, `paid_base` and the "
    "`exchange_difference` from the order's frozen rate.",
    lambda invoice, body, user: actions.pay(
        invoice,
        actions.Payment(paid_on=body.paid_on, reference=body.reference),
        actor=user,
        expected_version=body.version,
    ),
)
