"""Vendors through the API (API.md, "Vendors")."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from .. import access
from ..models import Vendor, VendorBankAccount, VendorStatus
from ..vendors import services
from ..vendors.services import bank
from . import bp
from .schemas import ActionBody, Input, Name, Output, Page, PageQuery, Text, Timestamp
from .spec import current_user, operation, paginate

Short = Annotated[str, StringConstraints(max_length=200)]
Email = Annotated[str, StringConstraints(max_length=254)]
Phone = Annotated[str, StringConstraints(max_length=50)]
Rating = Annotated[int, Field(ge=1, le=5, description="1 (poor) to 5 (excellent).")]


class ContactIn(Input):
    name: Name
    title: Short = ""
    email: Email = ""
    phone: Phone = ""
    primary: bool = Field(False, description="At most one; the first contact when none is.")


class VendorIn(Input):
    name: Name
    legal_name: Short = ""
    tax_id: Annotated[str, StringConstraints(max_length=50)] = ""
    email: Email = ""
    phone: Phone = ""
    website: Annotated[str, StringConstraints(max_length=300)] = Field(
        "", description="An http:// or https:// address."
    )
    address: Text = ""
    categories: list[Annotated[str, StringConstraints(max_length=40)]] = Field(
        default_factory=list,
        max_length=services.MAX_CATEGORIES,
        description="Names from the category list.",
    )
    rating: Rating | None = None
    notes: Text = ""
    contacts: list[ContactIn] = Field(default_factory=list, max_length=services.MAX_CONTACTS)


class VendorPatch(Input):
    name: Name | None = None
    legal_name: Short | None = None
    tax_id: Annotated[str, StringConstraints(max_length=50)] | None = None
    email: Email | None = None
    phone: Phone | None = None
    website: Annotated[str, StringConstraints(max_length=300)] | None = None
    address: Text | None = None
    categories: list[Annotated[str, StringConstraints(max_length=40)]] | None = Field(
        None, max_length=services.MAX_CATEGORIES
    )
    rating: Rating | None = Field(None, description="null clears the rating.")
    notes: Text | None = None
    contacts: list[ContactIn] | None = Field(
        None, max_length=services.MAX_CONTACTS, description="When sent, replace all contacts."
    )
    version: int | None = Field(None, description="The version you edited; 409 if it moved.")


class ContactOut(Output):
    id: int
    name: str
    title: str
    email: str
    phone: str
    primary: bool


class DocumentOut(Output):
    id: int
    kind: str
    title: str
    expires_on: dt.date | None
    expired: bool
    filename: str | None
    content_type: str | None
    size: int | None


class BankOut(Output):
    iban: str | None = Field(description="Masked: the country code and the last 4 characters.")
    account_number: str | None = Field(description="Masked: the last 4 digits.")
    routing_number: str | None
    bic: str
    status: Literal["pending", "confirmed"] = Field(
        description="`pending` until a second person (finance) confirms it; payments go "
        "only to confirmed details."
    )
    entered_at: Timestamp
    confirmed_at: Timestamp | None


class BankIn(Input):
    iban: str = Field("", max_length=50, examples=["DE89 3704 0044 0532 0130 00"])
    bic: str = Field("", max_length=20, examples=["COBADEFFXXX"])
    account_number: str = Field("", max_length=40)
    routing_number: str = Field("", max_length=20)


def bank_out(account: VendorBankAccount | None) -> BankOut | None:
    if account is None:
        return None
    return BankOut(
        iban=account.masked if account.iban else None,
        account_number=account.masked if account.account_number else None,
        routing_number=account.routing_number or None,
        bic=account.bic,
        status=account.status.value,
        entered_at=account.entered_at,
        confirmed_at=account.confirmed_at,
    )


class VendorOut(Output):
    id: int
    name: str
    status: VendorStatus
    version: int
    allowed_actions: list[str]
    legal_name: str
    tax_id: str
    email: str
    phone: str
    website: str
    address: str
    categories: list[str]
    rating: int | None
    notes: str
    contacts: list[ContactOut]
    documents: list[DocumentOut]
    flagged: bool = Field(
        description="A required document is missing or expired: it cannot be invited to quote."
    )
    flag_reasons: list[str]
    bank: BankOut | None = Field(
        description="Bank details, masked: a change waiting for confirmation, else the "
        "details in use. Shown to finance, procurement and admin (null for others)."
    )
    created_at: Timestamp
    updated_at: Timestamp


class VendorQuery(PageQuery):
    q: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="Part of the name, ignoring case and spacing."
    )
    status: VendorStatus | None = None
    category: Annotated[str, StringConstraints(max_length=40)] | None = None
    flagged: bool | None = None


UNREAD = object()  # vendor_out's bank details not read for a whole page: read them


def vendor_out(
    vendor: Vendor,
    *,
    required: list[str] | None = None,
    today: dt.date | None = None,
    summary: Any = UNREAD,
) -> VendorOut:
    """``summary``: the bank details read for a whole page (``paginate``'s batch); left
    out, they are read for this vendor."""
    reasons = services.flag_reasons(vendor, required=required, on=today)
    sees_bank = access.may(current_user(), "see_bank_details")
    if summary is UNREAD:
        summary = bank.shown(vendor) if sees_bank else None
    return VendorOut(
        id=vendor.id,
        name=vendor.name,
        status=vendor.status,
        version=vendor.version,
        allowed_actions=services.allowed_actions(vendor, current_user()),
        legal_name=vendor.legal_name,
        tax_id=vendor.tax_id,
        email=vendor.email,
        phone=vendor.phone,
        website=vendor.website,
        address=vendor.address,
        categories=vendor.categories,
        rating=vendor.rating,
        notes=vendor.notes,
        contacts=[
            ContactOut(
                id=c.id,
                name=c.name,
                title=c.title,
                email=c.email,
                phone=c.phone,
                primary=c.is_primary,
            )
            for c in vendor.contacts
        ],
        documents=[
            DocumentOut(
                id=d.id,
                kind=d.kind,
                title=d.title,
                expires_on=d.expires_on,
                expired=services.is_expired(d, today),
                filename=d.attachment.filename if d.attachment else None,
                content_type=d.attachment.content_type if d.attachment else None,
                size=d.attachment.size if d.attachment else None,
            )
            for d in vendor.documents
        ],
        flagged=bool(reasons),
        flag_reasons=reasons,
        bank=bank_out(summary) if sees_bank else None,
        created_at=vendor.created_at,
        updated_at=vendor.updated_at,
    )


def _contacts(contacts: list[ContactIn]) -> list[services.ContactData]:
    return [services.ContactData(c.name, c.title, c.email, c.phone, c.primary) for c in contacts]


@operation(
    bp,
    "GET",
    "/vendors",
    query=VendorQuery,
    response=Page[VendorOut],
    summary="List vendors (every signed-in user)",
    tag="Vendors",
)
def list_vendors(query: VendorQuery):
    """Filters: `q` (part of the name, ignoring case), `status`, `category`, `flagged`.
    Sorted by name."""
    select = services.list_query(
        q=query.q, status=query.status, category=query.category, flagged=query.flagged
    )
    required = services.required_documents()
    today = services.today()
    sees_bank = access.may(current_user(), "see_bank_details")
    return paginate(
        select,
        query,
        lambda v, summary: vendor_out(v, required=required, today=today, summary=summary),
        batch=lambda rows: (
            bank.shown_for([v.id for v in rows])
            if sees_bank
            else dict.fromkeys((v.id for v in rows), None)
        ),
    )


@operation(
    bp,
    "POST",
    "/vendors",
    body=VendorIn,
    response=VendorOut,
    status=201,
    summary="Add a vendor, as a prospect (procurement)",
    tag="Vendors",
    errors=(403,),
)
def create_vendor(body: VendorIn):
    """The vendor starts as a `prospect`: approve it before inviting it to quote or ordering
    from it. A name another vendor has already (ignoring case and spacing) is a 422 on
    `name`."""
    vendor = services.create_vendor(
        services.VendorData(
            name=body.name,
            legal_name=body.legal_name,
            tax_id=body.tax_id,
            address=body.address,
            website=body.website,
            email=body.email,
            phone=body.phone,
            categories=body.categories,
            rating=body.rating,
            notes=body.notes,
            contacts=_contacts(body.contacts),
        ),
        actor=current_user(),
    )
    return vendor_out(vendor)


@operation(
    bp,
    "GET",
    "/vendors/<int:vendor_id>",
    response=VendorOut,
    summary="Read a vendor",
    tag="Vendors",
)
def get_vendor(vendor_id: int):
    """Every signed-in user may read a vendor: its details, contacts, documents with their
    expiry dates, and `flagged` with the reasons when a required document is missing or
    expired."""
    return vendor_out(services.get(vendor_id, current_user()))


@operation(
    bp,
    "PATCH",
    "/vendors/<int:vendor_id>",
    body=VendorPatch,
    response=VendorOut,
    summary="Edit a vendor (procurement)",
    tag="Vendors",
    errors=(403, 409),
)
def patch_vendor(vendor_id: int, body: VendorPatch):
    """Only the fields sent change; `contacts`, when sent, replace all contacts;
    `"rating": null` clears the rating. The status changes through the actions only."""
    user = current_user()
    vendor = services.get(vendor_id, user)
    data = services.VendorData.of(vendor)
    sent = body.model_fields_set
    for field in ("name", "legal_name", "tax_id", "email", "phone", "website", "address", "notes"):
        value = getattr(body, field)
        if field in sent and value is not None:
            setattr(data, field, value)
    if "categories" in sent and body.categories is not None:
        data.categories = body.categories
    if "rating" in sent:
        data.rating = body.rating
    if "contacts" in sent and body.contacts is not None:
        data.contacts = _contacts(body.contacts)
    services.update_vendor(vendor, data, actor=user, expected_version=body.version)
    return vendor_out(vendor)


def _action(name: str, summary: str, description: str):  # type: ignore[no-untyped-def]
    def view(vendor_id: int, body: ActionBody):  # type: ignore[no-untyped-def]
        user = current_user()
        vendor = services.get(vendor_id, user)
        services.act(vendor, name, actor=user, comment=body.comment, expected_version=body.version)
        return vendor_out(vendor)

    view.__name__ = f"{name}_vendor"
    view.__doc__ = description
    return operation(
        bp,
        "POST",
        f"/vendors/<int:vendor_id>/{name}",
        body=ActionBody,
        response=VendorOut,
        summary=summary,
        tag="Vendors",
        errors=(403, 409),
    )(view)


_action(
    "approve",
    "Approve a prospect: it may now be invited and ordered from (procurement)",
    "Only a `prospect` is approved (another state: 409 `invalid_transition`). An approved "
    "vendor can be invited to quote and sent orders, while its required documents are valid.",
)
_action(
    "suspend",
    "Suspend an approved vendor (procurement)",
    "A suspended vendor is not invited to quote and no order is issued to it until it is "
    "reinstated; its history stays.",
)
_action(
    "reinstate",
    "Approve a suspended vendor again (procurement)",
    "Lifts a suspension: the vendor is `approved` again and may be invited and ordered from.",
)
_action(
    "block",
    "Block a vendor, whatever its state (procurement)",
    "For good: a blocked vendor is never invited or ordered from again, and no action "
    "brings it back.",
)


@operation(
    bp,
    "PUT",
    "/vendors/<int:vendor_id>/bank",
    body=BankIn,
    response=VendorOut,
    summary="Enter a vendor's new bank details (procurement or finance)",
    tag="Vendors",
    errors=(403,),
)
def put_vendor_bank(vendor_id: int, body: BankIn):
    """An IBAN (checked: country format and check digits) with its BIC (derived from the
    IBAN when the registry knows the bank), or an account and a 9-digit ABA routing
    number. The details are `pending` until a second person confirms them; a change still
    pending is withdrawn. Invalid: 422 on the field."""
    user = current_user()
    vendor = services.get(vendor_id, user)
    bank.change(
        vendor,
        bank.BankData(body.iban, body.bic, body.account_number, body.routing_number),
        actor=user,
    )
    return vendor_out(vendor)


@operation(
    bp,
    "POST",
    "/vendors/<int:vendor_id>/bank/confirm",
    response=VendorOut,
    summary="Confirm a vendor's new bank details (finance, not whoever entered them)",
    tag="Vendors",
    errors=(403, 409),
)
def confirm_vendor_bank(vendor_id: int):
    """Payments go to the confirmed details from now; the details in use until now are
    superseded, and the vendor's primary contact (else the vendor's e-mail) is told that
    its bank details changed, masked. Nothing waiting: 409 `invalid_transition`."""
    user = current_user()
    vendor = services.get(vendor_id, user)
    bank.confirm_pending(vendor, actor=user)
    return vendor_out(vendor)
