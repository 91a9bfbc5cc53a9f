"""Licence pools through the API (API.md, "Assets and licences"): the seats an order
bought, assigned to people and released; and the asset register's settings. What is
read and answered is in ``asset_schemas.py``."""

from __future__ import annotations

from sqlalchemy.orm import selectinload

from ..assets import licences, registry
from ..models import Licence, LicenceAssignment
from . import bp
from .asset_schemas import (
    AssetSettingsIn,
    AssetSettingsOut,
    LicenceOut,
    LicencePatch,
    LicenceQuery,
    SeatIn,
    licence_out,
)
from .schemas import Page
from .spec import current_user, operation, paginate

TAG = "Assets"


@operation(
    bp,
    "GET",
    "/licences",
    query=LicenceQuery,
    response=Page[LicenceOut],
    summary="List the licence pools the caller may see",
    tag=TAG,
)
def list_licences(query: LicenceQuery):
    """Procurement, asset managers, finance and admin see every pool; anyone else the
    pools they hold a seat of. Filters: `order_id`, `q` (part of the product). Products
    in order."""
    select = licences.query(current_user(), order_id=query.order_id, q=query.q).options(
        selectinload(Licence.assignments).joinedload(LicenceAssignment.user)
    )
    return paginate(select, query, licence_out)


@operation(
    bp,
    "GET",
    "/licences/<int:licence_id>",
    response=LicenceOut,
    summary="Read a licence pool: seats, used, free, who holds them",
    tag=TAG,
)
def get_licence(licence_id: int):
    """`assignments` are the seats held now. A pool the caller may not see is a 404."""
    return licence_out(licences.get(licence_id, current_user()))


@operation(
    bp,
    "POST",
    "/licences/<int:licence_id>/assign",
    body=SeatIn,
    response=LicenceOut,
    summary="Give a seat of the pool to a person",
    tag=TAG,
    errors=(403, 409),
)
def assign_seat(licence_id: int, body: SeatIn):
    """Procurement and asset managers. An unknown or deactivated user, or one holding a
    seat of the pool already, is a 422 on `user_id`; a pool whose every seat is in use
    a 409 `invalid_transition`."""
    licence = licences.get(licence_id, current_user())
    licences.assign(licence, body.user_id, actor=current_user(), expected_version=body.version)
    return licence_out(licence)


@operation(
    bp,
    "POST",
    "/licences/<int:licence_id>/release",
    body=SeatIn,
    response=LicenceOut,
    summary="Take a person's seat back",
    tag=TAG,
    errors=(403, 409),
)
def release_seat(licence_id: int, body: SeatIn):
    """Procurement and asset managers. A user without a seat of the pool is a 422 on
    `user_id`."""
    licence = licences.get(licence_id, current_user())
    licences.release(licence, body.user_id, actor=current_user(), expected_version=body.version)
    return licence_out(licence)


@operation(
    bp,
    "PATCH",
    "/licences/<int:licence_id>",
    body=LicencePatch,
    response=LicenceOut,
    summary="Set a pool's term and the contract it renews under",
    tag=TAG,
    errors=(403, 409),
)
def patch_licence(licence_id: int, body: LicencePatch):
    """Procurement and asset managers. Only the fields sent change; `end_date` or
    `contract_id` sent as null clear them. An end before the start: 422 on `end_date`."""
    licence = licences.get(licence_id, current_user())
    sent = body.model_fields_set
    keep = licences.KEEP
    licences.update_term(
        licence,
        actor=current_user(),
        start_date=body.start_date if "start_date" in sent else keep,
        end_date=body.end_date if "end_date" in sent else keep,
        contract_id=body.contract_id if "contract_id" in sent else keep,
        expected_version=body.version,
    )
    return licence_out(licence)


def _settings_out(value: registry.Registry) -> AssetSettingsOut:
    return AssetSettingsOut(
        hardware_categories=value.hardware_categories,
        licence_categories=value.licence_categories,
        locations=value.locations,
        warranty_reminder_days=value.warranty_reminder_days,
    )


@operation(
    bp,
    "GET",
    "/settings/assets",
    response=AssetSettingsOut,
    summary="The asset register's settings",
    tag="Settings",
)
def get_asset_settings():
    """Which purchase categories become assets (one per unit received) and which licence
    pools, the places suggested for an asset, and how many days before a warranty ends
    its reminder goes out."""
    return _settings_out(registry.current())


@operation(
    bp,
    "PUT",
    "/settings/assets",
    body=AssetSettingsIn,
    response=AssetSettingsOut,
    summary="Set the asset register's settings (admin)",
    tag="Settings",
    errors=(403,),
)
def put_asset_settings(body: AssetSettingsIn):
    """Send the whole object. An unknown category, or one both hardware and licences, is
    a 422 on the field; receipts from then on follow the new setting."""
    value = registry.update(
        hardware_categories=body.hardware_categories,
        licence_categories=body.licence_categories,
        locations=body.locations,
        warranty_reminder_days=body.warranty_reminder_days,
        actor=current_user(),
    )
    return _settings_out(value)
