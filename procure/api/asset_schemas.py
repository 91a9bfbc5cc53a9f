"""What the assets and licences API reads and answers (API.md, "Assets and licences"),
and the translation of an asset or a licence pool into its JSON. The operations are in
``assets.py`` and ``licences.py``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from .. import access, currencies
from ..assets import services
from ..models import Asset, AssetStatus, Contract, Licence
from .requests import PersonOut, person
from .schemas import ActionBody, Amount, Id, Input, Output, PageQuery, Timestamp, amount_out
from .spec import current_user

# Long enough for the service to say what is too long, beside the field.
ShortText = Annotated[str, StringConstraints(max_length=1000)]
SearchText = Annotated[str, StringConstraints(max_length=200)]


# What is read ------------------------------------------------------------------------------


class AssetFilters(Input):
    status: AssetStatus | None = None
    holder: Id | None = Field(None, description="The holder's user id.")
    order_id: Id | None = None
    q: SearchText = Field("", description="Part of a tag, serial, model, holder name or e-mail.")
    warranty_before: dt.date | None = Field(
        None, description="Assets whose warranty ends before this day."
    )
    uncovered: bool = Field(
        False,
        description="`1`: assets neither retired nor disposed that no active maintenance or "
        "support contract covers (warranty does not count).",
    )
    category: Annotated[str, StringConstraints(max_length=40)] | None = None

    def filters(self) -> services.Filters:
        return services.Filters(
            status=self.status,
            holder_id=self.holder,
            order_id=self.order_id,
            q=self.q,
            warranty_before=self.warranty_before,
            uncovered=self.uncovered,
            category=self.category or None,
        )


class AssetQuery(PageQuery, AssetFilters):
    pass


class ExportQuery(AssetFilters):
    format: Literal["snipeit", "glpi"] = Field(
        description="`snipeit`: Snipe-IT's asset importer; `glpi`: GLPI's computer import."
    )


class LabelsQuery(Input):
    ids: Annotated[str, StringConstraints(max_length=4000)] = Field(
        description="Asset ids separated by commas, at most 240."
    )


class AssetPatch(Input):
    serial: Annotated[str, StringConstraints(max_length=400)] | None = Field(
        None, description="Empty clears it."
    )
    tag: Annotated[str, StringConstraints(max_length=400)] | None = None
    location: ShortText | None = None
    warranty_end: dt.date | None = None
    version: int | None = Field(
        None, description="The version you read; 409 conflict if the asset moved."
    )


class AssetActionIn(ActionBody):
    holder: Id | None = Field(None, description="`deploy`: who gets it (a user id).")
    location: ShortText | None = Field(None, description="Where it is now (≤ 200).")


class LicenceQuery(PageQuery):
    order_id: Id | None = None
    q: SearchText = Field("", description="Part of the product's name.")


class LicencePatch(Input):
    start_date: dt.date | None = Field(None, description="The term's first day.")
    end_date: dt.date | None = Field(None, description="The term's last day; null: none.")
    contract_id: Id | None = Field(
        None,
        description="The contract the pool renews under (its dates are taken unless dates "
        "are sent too); null unlinks it. A contract with another vendor: 422.",
    )
    version: int | None = Field(
        None, description="The pool's version you read; 409 conflict if it moved."
    )


class SeatIn(Input):
    user_id: Id
    version: int | None = Field(
        None, description="The pool's version you read; 409 conflict if it moved."
    )


# What is answered -------------------------------------------------------------------------


class AssetOut(Output):
    id: int
    tag: str
    serial: str | None
    model: str
    category: str
    vendor_id: int
    order_id: int
    request_id: int
    cost: Amount = Field(description="The unit cost in the base currency.")
    purchase_date: dt.date
    warranty_end: dt.date
    status: AssetStatus
    holder: PersonOut | None
    location: str
    covered_by: list[int] = Field(
        description="The active maintenance or support contracts covering it, the soonest "
        "to end first."
    )
    version: int
    allowed_actions: list[str]


def asset_out(asset: Asset, summary: list[Contract] | None = None) -> AssetOut:
    """``summary``: the contracts covering the asset, when a list read them for its page."""
    if summary is None:
        summary = services.covered_by([asset])[asset.id]
    return AssetOut(
        id=asset.id,
        tag=asset.tag,
        serial=asset.serial,
        model=asset.model,
        category=asset.category,
        vendor_id=asset.vendor_id,
        order_id=asset.order_id,
        request_id=asset.request_id,
        cost=amount_out(asset.cost, currencies.base()),
        purchase_date=asset.purchase_date,
        warranty_end=asset.warranty_end,
        status=asset.status,
        holder=person(asset.holder),
        location=asset.location,
        covered_by=[contract.id for contract in summary],
        version=asset.version,
        allowed_actions=services.allowed_actions(asset, current_user()),
    )


def covering(assets: list[Asset]) -> dict[int, list[Contract]]:
    """What covers a page of assets, read at once (``paginate``'s ``batch``)."""
    return services.covered_by(assets)


class SeatOut(Output):
    user_id: int
    name: str
    email: str
    assigned_at: Timestamp


class LicenceOut(Output):
    id: int
    product: str
    category: str
    vendor_id: int
    seats: int
    used: int
    free: int
    start_date: dt.date
    end_date: dt.date | None
    order_id: int
    contract_id: int | None
    unit_cost: Amount = Field(description="A seat's cost in the base currency.")
    assignments: list[SeatOut] = Field(description="The seats held now, first given first.")
    version: int
    can_assign: bool = Field(description="Whether the caller may assign and release seats.")


def licence_out(licence: Licence) -> LicenceOut:
    return LicenceOut(
        id=licence.id,
        product=licence.product,
        category=licence.category,
        vendor_id=licence.vendor_id,
        seats=licence.seats,
        used=licence.used,
        free=licence.free,
        start_date=licence.start_date,
        end_date=licence.end_date,
        order_id=licence.order_id,
        contract_id=licence.contract_id,
        unit_cost=amount_out(licence.unit_cost, currencies.base()),
        assignments=[
            SeatOut(
                user_id=seat.user_id,
                name=seat.user.name,
                email=seat.user.email,
                assigned_at=seat.assigned_at,
            )
            for seat in licence.live
        ],
        version=licence.version,
        can_assign=access.can_change(current_user(), licence),
    )


class AssetSettingsIn(Input):
    hardware_categories: list[Annotated[str, StringConstraints(max_length=40)]] = Field(
        max_length=200, description="Categories whose receipts make one asset per unit."
    )
    licence_categories: list[Annotated[str, StringConstraints(max_length=40)]] = Field(
        max_length=200, description="Categories whose receipts make or grow a licence pool."
    )
    locations: list[ShortText] = Field(
        default_factory=list, max_length=1000, description="Suggested places (≤ 200)."
    )
    warranty_reminder_days: int = Field(
        ge=1, le=365, description="How many days before a warranty ends its reminder goes out."
    )


class AssetSettingsOut(Output):
    hardware_categories: list[str]
    licence_categories: list[str]
    locations: list[str]
    warranty_reminder_days: int
