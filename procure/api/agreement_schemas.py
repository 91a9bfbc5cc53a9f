"""What the agreements and catalogue API reads and answers (API.md, "Agreements,
catalogue, request types, sealed bids"). The operations are in ``agreements.py`` and
``catalogue.py``."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from .. import money
from ..agreements import services
from ..models import Agreement, AgreementStatus
from .contract_schemas import VendorRef
from .schemas import (
    Amount,
    Id,
    Input,
    Name,
    OptionalName,
    Output,
    PageQuery,
    Price,
    Quantity,
    Text,
    Timestamp,
)
from .spec import current_user


class ItemIn(Input):
    description: Text
    category: OptionalName = "other"
    unit: OptionalName = "each"
    unit_price: Price
    max_quantity: Quantity | None = Field(
        None, description="The most that may be called off; null: rate only, no limit."
    )


class AgreementIn(Input):
    vendor_id: Id
    title: Name
    start_date: dt.date
    end_date: dt.date
    currency: str | None = Field(None, description="Any enabled currency; default: the base.")
    ceiling: Price | None = Field(
        None, description="The most that may be called off in all; null: no ceiling."
    )
    rfq_id: Id | None = None
    terms: Text = ""
    items: list[ItemIn] = Field(max_length=services.MAX_ITEMS)


class AgreementQuery(PageQuery):
    status: AgreementStatus | None = None
    vendor_id: Id | None = None


class CallOffIn(Input):
    request_id: Id


class ItemOut(Output):
    id: int
    position: int
    description: str
    category: str
    unit: str
    unit_price: Amount
    max_quantity: str | None
    ordered: str = Field(description="What call-offs not cancelled ordered of it.")
    remaining: str | None = Field(description="null for a rate-only item.")


class AgreementOut(Output):
    id: int
    number: str
    status: AgreementStatus
    version: int
    allowed_actions: list[str]
    vendor: VendorRef
    vendor_id: int
    title: str
    start_date: dt.date
    end_date: dt.date
    currency: str
    ceiling: Amount | None
    consumed: Amount = Field(description="The amount called off, in the agreement's currency.")
    remaining_amount: Amount | None = Field(description="Under the ceiling; null without one.")
    rfq_id: int | None
    terms: str
    items: list[ItemOut]
    created_at: Timestamp
    activated_at: Timestamp | None
    closed_at: Timestamp | None


class CatalogueQuery(Input):
    q: str = Field("", max_length=200)
    category: str = Field("", max_length=40)


class CatalogueItemOut(Output):
    item_id: int
    agreement_id: int
    agreement_number: str
    vendor_id: int
    vendor: str
    description: str
    category: str
    unit: str
    unit_price: Amount
    currency: str
    remaining: str | None


class CatalogueOut(Output):
    items: list[CatalogueItemOut]


def _amount(value, currency: str) -> str | None:
    return None if value is None else str(money.to_api(value, currency))


def agreement_out(agreement: Agreement, _summary: object = None) -> AgreementOut:
    currency = agreement.currency
    return AgreementOut(
        id=agreement.id,
        number=agreement.number,
        status=agreement.status,
        version=agreement.version,
        allowed_actions=services.allowed_actions(agreement, current_user()),
        vendor=VendorRef(id=agreement.vendor.id, name=agreement.vendor.name),
        vendor_id=agreement.vendor_id,
        title=agreement.title,
        start_date=agreement.start_date,
        end_date=agreement.end_date,
        currency=currency,
        ceiling=_amount(agreement.ceiling, currency),
        consumed=str(money.to_api(agreement.consumed, currency)),
        remaining_amount=_amount(services.remaining_amount(agreement), currency),
        rfq_id=agreement.rfq_id,
        terms=agreement.terms,
        items=[
            ItemOut(
                id=item.id,
                position=item.position,
                description=item.description,
                category=item.category,
                unit=item.unit,
                unit_price=str(money.to_api(item.unit_price, currency)),
                max_quantity=money.quantity_to_api(item.max_quantity),
                ordered=str(money.quantity_to_api(item.ordered)),
                remaining=money.quantity_to_api(item.remaining),
            )
            for item in agreement.items
        ],
        created_at=agreement.created_at,
        activated_at=agreement.activated_at,
        closed_at=agreement.closed_at,
    )


def agreement_data(body: AgreementIn) -> services.AgreementData:
    return services.AgreementData(
        vendor_id=body.vendor_id,
        title=body.title,
        start_date=body.start_date,
        end_date=body.end_date,
        currency=body.currency or None,
        ceiling=body.ceiling,
        rfq_id=body.rfq_id,
        terms=body.terms,
        items=[
            services.ItemData(
                description=item.description,
                unit_price=item.unit_price,
                category=item.category or "other",
                unit=item.unit or "each",
                max_quantity=item.max_quantity,
            )
            for item in body.items
        ],
    )
