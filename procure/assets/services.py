"""The asset register: finding an asset, correcting what was typed at the dock, and
moving it through its life (deployed to someone, in repair, back in stock, retired,
disposed of), each move through ``workflow.ASSET``.

Who may: procurement and asset managers change assets; finance and admin read them
all; a holder reads their own (``access.DOCUMENTS[Asset]``). Every function here checks
that itself, so pages and the API say the same.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa

from .. import access, audit, workflow
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import Asset, AssetStatus, Contract, ContractKind, ContractStatus, User, utcnow
from ..models import asset_coverage as coverage_table
from ..validation import FieldErrors
from ..workflow import ASSET, ASSET_USER_ACTIONS, AssetAction
from . import intake

LOCATION_MAX = 200
# The contracts that cover assets.
COVERING_KINDS = (ContractKind.MAINTENANCE, ContractKind.SUPPORT)
# Where an asset still is ours to cover and to find.
IN_USE = (AssetStatus.IN_STOCK, AssetStatus.DEPLOYED, AssetStatus.IN_REPAIR)
# A search names at most this many matching people's ids in its query (see _matches).
HOLDERS_NAMED = 500


@dataclasses.dataclass(frozen=True)
class Filters:
    status: AssetStatus | None = None
    holder_id: int | None = None
    order_id: int | None = None
    q: str = ""
    warranty_before: dt.date | None = None
    uncovered: bool = False
    category: str | None = None

    @property
    def by_status_only(self) -> bool:
        """Whether these narrow the register by its status alone, if at all."""
        return dataclasses.replace(self, status=None, q=self.q.strip()) == Filters()


def get(asset_id: int, user: User, *, change: bool = False, lock: bool = False) -> Asset:
    return access.load(Asset, asset_id, user, change=change, lock=lock)


def by_tag(tag: str, user: User) -> Asset:
    """The asset with ``tag`` (or, failing that, ``serial``) the user may see, ignoring
    case. The tag as stored (the register's own links) is one probe of its unique
    index; the others go through the trigram indexes (see ``same_text``)."""
    found = db.session.scalar(sa.select(Asset.id).where(Asset.tag == tag))
    if found is None:
        found = db.session.scalar(sa.select(Asset.id).where(same_text(Asset.tag, tag)))
    if found is None:
        found = db.session.scalar(sa.select(Asset.id).where(same_text(Asset.serial, tag)))
    if found is None:
        raise NotFound("No such asset.")
    return get(found, user)


def same_text(column: Any, text: str) -> sa.ColumnElement[bool]:
    """``column`` is ``text`` ignoring case: ``ILIKE`` without a wildcard, which the
    trigram indexes serve on PostgreSQL, where ``upper(column) = …`` reads every row."""
    return column.ilike(_escape(text), escape="\\")


# Coverage: which active contracts cover an asset ---------------------------------------


def _active_contract(today: dt.date) -> Any:
    return sa.and_(
        Contract.status == ContractStatus.ACTIVE,
        Contract.end_date >= today,
        Contract.start_date <= today,
        Contract.kind.in_(COVERING_KINDS),
    )


def covering(today: dt.date | None = None) -> sa.Select[Any]:
    """``(asset_id, contract_id)`` for every asset an active maintenance or support
    contract covers: the assets chosen for it, or — until someone chooses — every asset
    of the contract's order."""
    today = today or utcnow().date()
    chosen = (
        sa.select(coverage_table.c.asset_id, Contract.id.label("contract_id"))
        .join(Contract, Contract.id == coverage_table.c.contract_id)
        .where(_active_contract(today), Contract.covers_order_assets.is_(False))
    )
    of_order = (
        sa.select(Asset.id.label("asset_id"), Contract.id.label("contract_id"))
        .join(Contract, Contract.order_id == Asset.order_id)
        .where(_active_contract(today), Contract.covers_order_assets.is_(True))
    )
    return sa.union(chosen, of_order)


def covered_by(assets: list[Asset], today: dt.date | None = None) -> dict[int, list[Contract]]:
    """The active contracts covering each of ``assets``, by asset id (one query)."""
    ids = [asset.id for asset in assets]
    if not ids:
        return {}
    pairs = covering(today).subquery()
    rows = db.session.execute(
        sa.select(pairs.c.asset_id, Contract)
        .join(Contract, Contract.id == pairs.c.contract_id)
        .where(pairs.c.asset_id.in_(ids))
        .order_by(Contract.end_date)
    ).all()
    found: dict[int, list[Contract]] = {asset_id: [] for asset_id in ids}
    for asset_id, contract in rows:
        found[asset_id].append(contract)
    return found


def covered_assets(contract: Contract) -> list[Asset]:
    """The assets ``contract`` covers (or would, once active)."""
    if contract.covers_order_assets:
        if contract.order_id is None or contract.kind not in COVERING_KINDS:
            return []
        query = sa.select(Asset).where(Asset.order_id == contract.order_id)
    else:
        query = (
            sa.select(Asset)
            .join(coverage_table, coverage_table.c.asset_id == Asset.id)
            .where(coverage_table.c.contract_id == contract.id)
        )
    return list(db.session.scalars(query.order_by(Asset.tag)))


def set_coverage(contract: Contract, asset_ids: list[int], *, actor: User) -> list[Asset]:
    """Choose the assets ``contract`` covers (from now on those only; none is allowed).
    Only a maintenance or support contract covers assets; each must exist. Whoever
    keeps the register chooses (procurement, asset managers)."""
    access.require(actor, "manage_assets", action="choose the assets a contract covers")
    errors = FieldErrors()
    ids = sorted(set(asset_ids))
    if contract.kind not in COVERING_KINDS:
        errors.add("covered_assets", "Only a maintenance or support contract covers assets.")
    found = db.session.scalars(sa.select(Asset).where(Asset.id.in_(ids))).all() if ids else []
    missing = sorted(set(ids) - {asset.id for asset in found})
    if missing:
        errors.add("covered_assets", f"No such asset: {', '.join(map(str, missing))}.")
    errors.raise_if_any()
    before = [asset.tag for asset in covered_assets(contract)]
    db.session.execute(
        sa.delete(coverage_table).where(coverage_table.c.contract_id == contract.id)
    )
    if ids:
        db.session.execute(
            sa.insert(coverage_table), [{"contract_id": contract.id, "asset_id": i} for i in ids]
        )
    contract.covers_order_assets = False
    db.session.flush()
    after = sorted(asset.tag for asset in found)
    if sorted(before) != after:
        audit.record(
            "contract", contract.id, "cover", actor=actor, changes={"assets": [before, after]}
        )
    return sorted(found, key=lambda asset: asset.tag)


# Lists --------------------------------------------------------------------------------


def query(user: User, filters: Filters) -> sa.Select[Any]:
    """The assets ``user`` may see that match ``filters``, newest first."""
    stmt = access.scoped(Asset, user, sa.select(Asset))
    if filters.status is not None:
        stmt = stmt.where(Asset.status == filters.status)
    if filters.holder_id is not None:
        stmt = stmt.where(Asset.holder_id == filters.holder_id)
    if filters.order_id is not None:
        stmt = stmt.where(Asset.order_id == filters.order_id)
    if filters.category:
        stmt = stmt.where(Asset.category == filters.category)
    if filters.warranty_before is not None:
        stmt = stmt.where(Asset.warranty_end < filters.warranty_before)
    if filters.uncovered:
        pairs = covering().subquery()
        stmt = stmt.where(
            Asset.status.in_(IN_USE),
            Asset.id.not_in(sa.select(pairs.c.asset_id)),
        )
    text = filters.q.strip()
    if text:
        stmt = stmt.where(_matches(text))
    return stmt.order_by(Asset.id.desc())


def _matches(text: str) -> sa.ColumnElement[bool]:
    """Part of the tag, serial or model, or of the holder's name or e-mail, ignoring case.

    ``ILIKE`` is what the trigram indexes serve (``procure/models/search.py``). The
    holders are read first and their ids named in the query: inside the ``OR``, an
    ``IN (subquery)`` or an array computed at run time leaves PostgreSQL's planner
    guessing that they hold 1 % of the assets, so it walks the assets newest first for
    a page that a rare word never fills (every asset read). With the ids named (none,
    for most words) it takes the trigram indexes' bitmaps for a rare word and walks
    the newest ids for a common one. A word naming more than ``HOLDERS_NAMED`` people
    keeps the subquery."""
    like = f"%{_escape(text)}%"
    holders = sa.select(User.id).where(
        sa.or_(User.name.ilike(like, escape="\\"), User.email.ilike(like, escape="\\"))
    )
    ids = db.session.scalars(holders.limit(HOLDERS_NAMED + 1)).all()
    if len(ids) > HOLDERS_NAMED:
        held = Asset.holder_id.in_(holders)
    else:  # none: false, which the OR leaves out (an empty IN is a subquery again)
        held = Asset.holder_id.in_(ids) if ids else sa.false()
    return sa.or_(
        Asset.tag.ilike(like, escape="\\"),
        Asset.serial.ilike(like, escape="\\"),
        Asset.model.ilike(like, escape="\\"),
        held,
    )


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def held_by(user: User) -> list[Asset]:
    """What ``user`` holds now (their dashboard, the leavers' report)."""
    return list(
        db.session.scalars(
            sa.select(Asset)
            .where(Asset.holder_id == user.id, Asset.status.in_(IN_USE))
            .order_by(Asset.tag)
        )
    )


# Changes ------------------------------------------------------------------------------


def update(
    asset: Asset,
    *,
    actor: User,
    serial: str | None = None,
    tag: str | None = None,
    location: str | None = None,
    warranty_end: dt.date | None = None,
    expected_version: int | None = None,
) -> Asset:
    """Correct or complete what was typed at the dock (fields left None stay)."""
    access.load(Asset, asset.id, actor, change=True)
    workflow.check_version(asset, expected_version, "asset")
    if asset.status == AssetStatus.DISPOSED:
        raise ValidationError("A disposed asset is kept as it was.")
    errors = FieldErrors()
    changes: dict[str, list[Any]] = {}
    if serial is not None:
        clean = intake.clean_serial(serial, "serial", errors) or None
        if clean and intake.taken(Asset.serial, [clean], but=asset.id):
            tag_of = intake.taken(Asset.serial, [clean], but=asset.id)[clean.upper()]
            errors.add("serial", f"Serial {clean} belongs to asset {tag_of} already.")
        if clean != asset.serial:
            changes["serial"] = [asset.serial, clean]
    if tag is not None:
        clean_tag = intake.clean_tag(tag, "tag", errors, typed=tag.strip() != asset.tag)
        if not clean_tag:
            errors.add("tag", "An asset keeps a tag.")
        elif intake.taken(Asset.tag, [clean_tag], but=asset.id):
            errors.add("tag", f"Tag {clean_tag} belongs to another asset already.")
        if clean_tag and clean_tag != asset.tag:
            changes["tag"] = [asset.tag, clean_tag]
    if location is not None:
        place = errors.text(location, "location", max_length=LOCATION_MAX)
        if place != asset.location:
            changes["location"] = [asset.location, place]
    if warranty_end is not None:
        if warranty_end < asset.purchase_date:
            errors.add("warranty_end", "The warranty cannot end before the purchase date.")
        elif warranty_end != asset.warranty_end:
            changes["warranty_end"] = [asset.warranty_end.isoformat(), warranty_end.isoformat()]
    errors.raise_if_any()
    if not changes:
        return asset
    for field, (_old, new) in changes.items():
        setattr(asset, field, dt.date.fromisoformat(new) if field == "warranty_end" else new)
    intake.flush_unique("serial" if "serial" in changes else "tag")
    audit.record("asset", asset.id, "update", actor=actor, changes=changes)
    return asset


def act(
    asset: Asset,
    action: AssetAction,
    *,
    actor: User,
    holder: User | None = None,
    location: str | None = None,
    comment: str = "",
    expected_version: int | None = None,
) -> Asset:
    """Move ``asset`` through its life: ``deploy`` needs a holder (an active account)
    and may say where; ``return`` to stock, ``retire``, ``dispose`` clear the holder;
    ``repair`` keeps it (it comes back to the same person)."""
    if action not in ASSET_USER_ACTIONS:
        raise ValidationError(f"Unknown action {action}.")
    access.load(Asset, asset.id, actor, change=True)
    workflow.check(ASSET, asset, action, actor)
    errors = FieldErrors()
    comment = errors.text(comment, "comment", max_length=2000)
    place = errors.text(location, "location", max_length=LOCATION_MAX) if location else None
    if action == AssetAction.DEPLOY:
        if holder is None:
            errors.add("holder", "Say who gets it.")
        elif not holder.active:
            errors.add("holder", f"{holder.name}'s account is deactivated.")
    errors.raise_if_any()
    changes: dict[str, Any] = {}
    new_holder = _holder_after(asset, action, holder)
    if new_holder != asset.holder_id:
        changes["holder"] = [_person(asset.holder_id), _person(new_holder)]
    if place is not None and place != asset.location:
        changes["location"] = [asset.location, place]

    def alongside(_status: Any) -> None:
        asset.holder_id = new_holder
        if place is not None:
            asset.location = place

    workflow.apply(
        ASSET,
        asset,
        action,
        actor=actor,
        comment=comment,
        changes=changes,
        expected_version=expected_version,
        alongside=alongside,
    )
    return asset


def _holder_after(asset: Asset, action: AssetAction, holder: User | None) -> int | None:
    if action == AssetAction.DEPLOY:
        return holder.id if holder is not None else None
    if action == AssetAction.REPAIR:
        return asset.holder_id
    return None


def _person(user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    return user.email if user is not None else None


def allowed_actions(asset: Asset, user: User) -> list[str]:
    """What ``user`` may do to ``asset`` now, for buttons and the API."""
    if not access.can_change(user, asset):
        return []
    offered = workflow.allowed_actions(ASSET, asset, user)
    return [action for action in offered if action in ASSET_USER_ACTIONS]
