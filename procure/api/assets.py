"""Assets through the API (API.md, "Assets and licences"): the register, corrections,
the life cycle, the CMDB export and the label sheet. What is read and answered is in
``asset_schemas.py``; licence pools are in ``licences.py``."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

import sqlalchemy as sa
from flask import Response

from .. import access, kept_counts
from ..assets import export, labels, services
from ..errors import ValidationError
from ..extensions import db
from ..models import Asset, User
from ..security import PRIVATE
from ..workflow import ASSET_USER_ACTIONS, AssetAction
from . import bp
from .asset_schemas import (
    AssetActionIn,
    AssetOut,
    AssetPatch,
    AssetQuery,
    ExportQuery,
    LabelsQuery,
    asset_out,
    covering,
)
from .schemas import MAX_ID, Page
from .spec import current_user, operation, paginate

TAG = "Assets"
SPOOL_BYTES = 4 * 1024 * 1024


@operation(
    bp,
    "GET",
    "/assets",
    query=AssetQuery,
    response=Page[AssetOut],
    summary="List the assets the caller may see",
    tag=TAG,
)
def list_assets(query: AssetQuery):
    """Procurement, asset managers, finance and admin see every asset; anyone else the
    assets they hold. Filters: `status`, `holder` (user id), `order_id`, `q` (tag,
    serial, model, holder), `warranty_before=DATE` (`warranty_end` before it),
    `uncovered=1` (in use and covered by no active maintenance or support contract),
    `category`. Newest first."""
    filters = query.filters()
    select = services.query(current_user(), filters)
    total = None
    if filters.by_status_only:
        total = kept_counts.total(Asset, current_user(), filters.status)
    return paginate(select, query, asset_out, batch=covering, total=total)


@operation(
    bp,
    "GET",
    "/assets/export.csv",
    query=ExportQuery,
    response=bytes,
    content_type="text/csv",
    summary="The assets as CSV for Snipe-IT's or GLPI's importer",
    tag=TAG,
)
def export_assets(query: ExportQuery):
    """`format=snipeit`: the header begins `Asset Tag,Serial Number,Model Name,Category,
    Status,Supplier,Purchase Date,Purchase Cost,Order Number,Warranty Months`;
    `format=glpi`: GLPI's computer fields (`Name`, `Serial number`, `Inventory number`,
    …). The same filters as the list, every asset they select (no pages), UTF-8, cells
    that a spreadsheet would run as a formula prefixed with `'`. Another format is a 422
    on `format`."""
    select = services.query(current_user(), query.filters())
    # Written while the request reads the database, sent afterwards: memory up to
    # SPOOL_BYTES, a temporary file beyond.
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - streamed
    try:
        for text in export.generate(select, query.format):
            spool.write(text.encode("utf-8"))
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    response = Response(_chunks(spool), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{export.filename(query.format)}"'
    )
    response.headers["Cache-Control"] = PRIVATE
    return response


def _chunks(spool: IO[bytes], size: int = 64 * 1024) -> Iterator[bytes]:
    try:
        while chunk := spool.read(size):
            yield chunk
    finally:
        spool.close()


def _ids(text: str) -> list[int]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts or not all(part.isdigit() and 0 < int(part) <= MAX_ID for part in parts):
        raise ValidationError.field("ids", "Give asset ids separated by commas, such as 1,2,3.")
    ids = list(dict.fromkeys(int(part) for part in parts))
    labels.check(len(ids))
    return ids


@operation(
    bp,
    "GET",
    "/assets/labels.pdf",
    query=LabelsQuery,
    response=bytes,
    content_type="application/pdf",
    summary="A PDF sheet of labels: tag, model, serial and a QR code to the asset",
    tag=TAG,
)
def asset_labels(query: LabelsQuery):
    """`ids=1,2,3`: at most 240, printed in that order, 24 to an A4 sheet (3 × 8 labels
    of 70 × 37 mm). An id that is not an asset the caller may see, a malformed list or
    more than 240 ids is a 422 on `ids`."""
    ids = _ids(query.ids)
    found = {
        asset.id: asset
        for asset in db.session.scalars(
            access.scoped(Asset, current_user(), sa.select(Asset).where(Asset.id.in_(ids)))
        )
    }
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise ValidationError.field("ids", f"No such asset: {', '.join(missing[:20])}.")
    data = labels.render([found[i] for i in ids])
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'attachment; filename="asset-labels.pdf"'
    response.headers["Cache-Control"] = PRIVATE
    return response


@operation(
    bp,
    "GET",
    "/assets/<int:asset_id>",
    response=AssetOut,
    summary="Read an asset, with what covers it and what the caller may do",
    tag=TAG,
)
def get_asset(asset_id: int):
    """An asset the caller may not see is a 404 (a requester sees what they hold)."""
    return asset_out(services.get(asset_id, current_user()))


@operation(
    bp,
    "PATCH",
    "/assets/<int:asset_id>",
    body=AssetPatch,
    response=AssetOut,
    summary="Correct an asset's serial, tag, location or warranty end",
    tag=TAG,
    errors=(403, 409),
)
def patch_asset(asset_id: int, body: AssetPatch):
    """Procurement and asset managers; only the fields sent change (`serial` `""`
    clears it). A serial or tag another asset has is a 422 on `serial` / `tag`; a
    warranty end before the purchase date a 422 on `warranty_end`; a disposed asset
    stays as it was (422)."""
    asset = services.get(asset_id, current_user())
    services.update(
        asset,
        actor=current_user(),
        serial=body.serial,
        tag=body.tag,
        location=body.location,
        warranty_end=body.warranty_end,
        expected_version=body.version,
    )
    return asset_out(asset)


ACTION_SUMMARIES = {
    AssetAction.DEPLOY: "Deploy an asset to someone (in stock or in repair → deployed)",
    AssetAction.RETURN: "Take an asset back into stock (deployed or in repair → in stock)",
    AssetAction.REPAIR: "Send a deployed asset to repair; it keeps its holder",
    AssetAction.RETIRE: "Retire an asset (from any status but disposed)",
    AssetAction.DISPOSE: "Dispose of a retired asset",
}


def _holder(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    found = db.session.get(User, user_id)
    if found is None:
        raise ValidationError.field("holder", "No such user.")
    return found


def _action_view(action: AssetAction) -> Callable[..., Any]:
    def act(asset_id: int, body: AssetActionIn):
        asset = services.get(asset_id, current_user())
        services.act(
            asset,
            action,
            actor=current_user(),
            holder=_holder(body.holder) if action == AssetAction.DEPLOY else None,
            location=body.location,
            comment=body.comment,
            expected_version=body.version,
        )
        db.session.expire(asset, ["holder"])  # the move set holder_id: read who it is
        return asset_out(asset)

    act.__name__ = f"{action.value}_asset"
    act.__doc__ = (
        "Procurement and asset managers. `deploy` needs `holder` (an active user's id; an "
        "unknown one is a 422 on `holder`); any action may say `location`. A move the life "
        "cycle does not allow from the asset's status is a 409 `invalid_transition`; "
        "`allowed_actions` says which are."
    )
    return act


for _action in ASSET_USER_ACTIONS:
    operation(
        bp,
        "POST",
        f"/assets/<int:asset_id>/{_action.value}",
        body=AssetActionIn,
        response=AssetOut,
        summary=ACTION_SUMMARIES[_action],
        tag=TAG,
        errors=(403, 409),
    )(_action_view(_action))
