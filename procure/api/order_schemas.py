"""What the purchase orders API reads and answers (API.md, "Purchase orders" and "Orders
after issue"), and the translation of an order into its JSON. The operations are in
``orders.py``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, StringConstraints, WithJsonSchema

from .. import currencies, money, receiving
from ..invoices import matching
from ..models import (
    OrderLine,
    OrderRevision,
    OrderStatus,
    PurchaseOrder,
    RevisionStatus,
)
from ..orders import revisions, services
from .requests import PersonOut, person
from .schemas import (
    QUANTITY_PATTERN,
    Amount,
    Id,
    Input,
    Output,
    PageQuery,
    Price,
    Quantity,
    QuantityOut,
    Text,
    Timestamp,
    amount_out,
    rate_out,
)
from .spec import current_user

VERSION = Field(None, description="The version you acted on; 409 conflict if the order moved.")


def _quantity_or_zero(value: Any) -> Decimal:
    try:
        return money.parse_quantity(value, allow_zero=True)
    except money.MoneyError as exc:
        raise ValueError(str(exc)) from None


# A revised line's quantity: zero removes a line nothing of which was received.
QuantityOrZero = Annotated[
    Decimal,
    BeforeValidator(_quantity_or_zero),
    PlainSerializer(money.quantity_to_api, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": QUANTITY_PATTERN},
                {"type": "number", "minimum": 0, "maximum": float(money.MAX_QUANTITY)},
            ],
            "examples": ["5", "0"],
        },
        mode="validation",
    ),
]
# Long enough for the service to say what is too long, beside the field.
ShortText = Annotated[str, StringConstraints(max_length=1000)]


# What is read ------------------------------------------------------------------------------


class OrderQuery(PageQuery):
    status: OrderStatus | None = None
    vendor_id: Id | None = None
    request_id: Id | None = None


class PdfQuery(Input):
    revision: int | None = Field(
        None,
        ge=0,
        le=1_000_000,
        description="An issued revision's number (0: as first issued); default the latest.",
    )


class OrderPatch(Input):
    delivery_address: Text | None = None
    needed_by: dt.date | None = None
    payment_terms: Annotated[str, StringConstraints(max_length=200)] | None = None
    terms: Text | None = None
    version: int | None = None


# A serial number or asset tag as typed or scanned: long enough for the service to
# say what is too long, beside the field.
Serial = Annotated[str, StringConstraints(max_length=400)]


class ReceiveLineIn(Input):
    line_id: Id
    quantity: Quantity
    serials: list[Serial] = Field(
        default_factory=list,
        max_length=1000,
        description="A hardware line's serial numbers, one per unit received (at most the "
        "quantity; optional). One already used, or given twice, is a 422 on "
        "`lines.N.serials` and nothing is stored.",
    )
    tags: list[Serial] = Field(
        default_factory=list,
        max_length=1000,
        description="Asset tags typed for the units, in the same order (optional; "
        "otherwise `AT-NNNNNN` from the sequence).",
    )


class ReceiveIn(Input):
    lines: list[ReceiveLineIn] = Field(min_length=1, max_length=1000)
    received_on: dt.date | None = Field(None, description="Default: today.")
    note: Text = ""
    version: int | None = None


class ReviseLineIn(Input):
    line_id: Id | None = Field(
        None, description="The order line changed; leave out for a new line."
    )
    description: Text | None = None
    quantity: QuantityOrZero | None = Field(
        None, description="0 removes a line nothing of which was received or invoiced."
    )
    unit_price: Price | None = Field(None, description="In the order's currency.")
    unit: ShortText | None = None


class ReviseIn(Input):
    reason: Text = Field("", description="Why the order changes (required).")
    lines: list[ReviseLineIn] = Field(
        default_factory=list,
        max_length=1000,
        description="Only the lines that change or are added; the others stay as they are.",
    )
    shipping: Price | None = None
    tax: Price | None = None
    needed_by: dt.date | None = None
    delivery_address: Text | None = None
    terms: Text | None = None
    payment_terms: ShortText | None = None
    version: int | None = VERSION


class ReturnLineIn(Input):
    line_id: Id
    quantity: Quantity


class ReturnIn(Input):
    lines: list[ReturnLineIn] = Field(default_factory=list, max_length=1000)
    returned_on: dt.date | None = Field(None, description="Default: today.")
    reason: Text = Field("", description="Why the goods go back (required).")
    rma: ShortText = Field("", description="The vendor's return authorisation number.")
    version: int | None = VERSION


class ReverseIn(Input):
    reason: Text = Field("", description="Why the receipt was wrong (required).")
    version: int | None = VERSION


# What is answered -------------------------------------------------------------------------


class VendorRef(Output):
    id: int
    name: str


class OrderLineOut(Output):
    id: int
    position: int
    request_line_id: int | None
    description: str
    quantity: QuantityOut
    unit: str
    unit_price: Amount
    total: Amount
    received_quantity: QuantityOut = Field(description="Net of returns and reversed receipts.")
    returned_quantity: QuantityOut
    category: str | None = Field(
        description="The purchase category of the request line it orders (what receiving "
        "it makes: assets, a licence pool, or neither)."
    )


class RevisionOut(Output):
    revision: int = Field(description="0 as first issued, then 1, 2, …")
    issued_at: Timestamp
    total: Amount = Field(description="In the order's `currency`.")
    pdf_sha256: str
    reason: str
    changes: list[str] = Field(description="What the revision changed, one sentence each.")


class ProposedLineOut(Output):
    line_id: int | None = Field(description="Null for a line the revision adds.")
    position: int
    description: str
    quantity: QuantityOut
    unit: str
    unit_price: Amount
    total: Amount


class PendingRevisionOut(Output):
    reason: str
    total: Amount = Field(description="The proposed total, in the order's `currency`.")
    increase: Amount = Field(
        description="Above the approved amount, in the base currency: what the request's "
        "approvers decide."
    )
    changes: list[str]
    lines: list[ProposedLineOut]
    shipping: Amount
    tax: Amount
    needed_by: dt.date | None
    delivery_address: str
    terms: str
    payment_terms: str
    created_by: PersonOut | None
    created_at: Timestamp


class MovementLineOut(Output):
    line_id: int
    quantity: QuantityOut


class ReturnOut(Output):
    id: int
    returned_on: dt.date
    lines: list[MovementLineOut]
    reason: str
    rma: str


class ReceiptOut(Output):
    id: int
    received_on: dt.date
    lines: list[MovementLineOut]
    reversed: bool
    reversed_at: Timestamp | None
    reversal_reason: str


class OrderOut(Output):
    id: int
    number: str | None
    status: OrderStatus
    version: int
    allowed_actions: list[str]
    vendor: VendorRef
    request_id: int
    request_number: str
    rfq_id: int | None
    quote_id: int | None
    agreement_id: int | None = Field(
        description="A call-off order's framework agreement; null for an order from an RFQ."
    )
    currency: str
    lines: list[OrderLineOut] = Field(description="As last issued, while a revision waits.")
    subtotal: Amount
    shipping: Amount
    tax: Amount
    total: Amount = Field(description="In the order's `currency`.")
    total_base: Amount | None = Field(
        description="In the base currency at `rate`, frozen at issue (null while draft)."
    )
    rate: str | None = Field(
        description="Base units one unit of `currency` was worth on `rate_date`, frozen "
        "at issue (1 for the base currency; null while draft)."
    )
    rate_date: dt.date | None
    delivery_address: str
    needed_by: dt.date | None
    payment_terms: str
    terms: str
    created_at: Timestamp
    issued_at: Timestamp | None
    issued_by: PersonOut | None
    pdf_sha256: str | None = Field(description="The latest issued revision's PDF.")
    revision: int = Field(description="The latest issued revision: 0 as first issued.")
    revision_status: Literal["issued", "pending_approval"] | None = Field(
        description="`issued`, or `pending_approval` while a revision's increase waits for "
        "the request's approvers; null for an order never issued."
    )
    revisions: list[RevisionOut] = Field(description="The issued revisions, 0 first.")
    pending_revision: PendingRevisionOut | None
    returns: list[ReturnOut]
    receipts: list[ReceiptOut]
    credit_expected: Amount = Field(
        description="What submitted invoices bill beyond what is received now (goods "
        "returned or a receipt reversed after they were invoiced), in the order's `currency`."
    )


def order_line_out(line: OrderLine, currency: str) -> OrderLineOut:
    return OrderLineOut(
        id=line.id,
        position=line.position,
        request_line_id=line.request_line_id,
        description=line.description,
        quantity=line.quantity,
        unit=line.unit,
        unit_price=amount_out(line.unit_price, currency),
        total=amount_out(line.total, currency),
        received_quantity=line.received_quantity,
        returned_quantity=line.returned_quantity,
        category=receiving.category_of(line),
    )


def _pending_out(revision: OrderRevision, currency: str) -> PendingRevisionOut:
    content = revision.content or {}
    needed_by = content.get("needed_by")
    return PendingRevisionOut(
        reason=revision.reason,
        total=amount_out(revision.total, currency),
        increase=amount_out(revision.increase_base or Decimal(0), currencies.base()),
        changes=revision.changes,
        lines=[
            ProposedLineOut(
                line_id=line["line_id"],
                position=line["position"],
                description=line["description"],
                quantity=Decimal(line["quantity"]),
                unit=line["unit"],
                unit_price=amount_out(Decimal(line["unit_price"]), currency),
                total=amount_out(Decimal(line["total"]), currency),
            )
            for line in content.get("lines", [])
        ],
        shipping=amount_out(Decimal(content.get("shipping", "0")), currency),
        tax=amount_out(Decimal(content.get("tax", "0")), currency),
        needed_by=dt.date.fromisoformat(needed_by) if needed_by else None,
        delivery_address=content.get("delivery_address", ""),
        terms=content.get("terms", ""),
        payment_terms=content.get("payment_terms", ""),
        created_by=person(revision.created_by),
        created_at=revision.created_at,
    )


def _after_issue(order: PurchaseOrder) -> dict[str, Any]:
    """The fields of API.md's "Orders after issue": revisions, returns, receipts."""
    currency = order.currency
    waiting = revisions.pending(order)
    status = None
    if order.issued_at is not None:
        status = (RevisionStatus.PENDING_APPROVAL if waiting else RevisionStatus.ISSUED).value
    return {
        "revision": order.revision,
        "revision_status": status,
        "revisions": [
            RevisionOut(
                revision=revision.revision or 0,
                issued_at=revision.issued_at,
                total=amount_out(revision.total, currency),
                pdf_sha256=revision.pdf_sha256 or "",
                reason=revision.reason,
                changes=revision.changes,
            )
            for revision in revisions.issued(order)
        ],
        "pending_revision": _pending_out(waiting, currency) if waiting else None,
        "returns": [
            ReturnOut(
                id=sent.id,
                returned_on=sent.returned_on,
                lines=[
                    MovementLineOut(line_id=line.order_line_id, quantity=line.quantity)
                    for line in sent.lines
                ],
                reason=sent.reason,
                rma=sent.rma,
            )
            for sent in order.returns
        ],
        "receipts": [
            ReceiptOut(
                id=receipt.id,
                received_on=receipt.received_on,
                lines=[
                    MovementLineOut(line_id=line.order_line_id, quantity=line.quantity)
                    for line in receipt.lines
                ],
                reversed=receipt.reversed_at is not None,
                reversed_at=receipt.reversed_at,
                reversal_reason=receipt.reversal_reason,
            )
            for receipt in order.receipts
        ],
    }


def order_out(order: PurchaseOrder, summary: Decimal | None = None) -> OrderOut:
    """``summary``: the order's expected credit when a list has read it for its page
    (``orders.expected_credits``); read here otherwise."""
    credit = matching.credit_expected(order) if summary is None else summary
    return OrderOut(
        id=order.id,
        number=order.number,
        status=order.status,
        version=order.version,
        allowed_actions=services.allowed_actions(order, current_user()),
        vendor=VendorRef(id=order.vendor.id, name=order.vendor.name),
        request_id=order.request_id,
        request_number=order.request.number,
        agreement_id=order.agreement_id,
        rfq_id=order.rfq_id,
        quote_id=order.quote_id,
        currency=order.currency,
        lines=[order_line_out(line, order.currency) for line in order.lines],
        subtotal=amount_out(order.subtotal, order.currency),
        shipping=amount_out(order.shipping, order.currency),
        tax=amount_out(order.tax, order.currency),
        total=amount_out(order.total, order.currency),
        total_base=(
            amount_out(order.total_base, currencies.base())
            if order.total_base is not None
            else None
        ),
        rate=rate_out(order.rate),
        rate_date=order.rate_date,
        delivery_address=order.delivery_address,
        needed_by=order.needed_by,
        payment_terms=order.payment_terms,
        terms=order.terms,
        created_at=order.created_at,
        issued_at=order.issued_at,
        issued_by=person(services.issued_by(order)),
        pdf_sha256=order.pdf_sha256,
        credit_expected=amount_out(credit, order.currency),
        **_after_issue(order),
    )
