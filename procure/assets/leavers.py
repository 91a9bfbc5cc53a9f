"""Leavers: what a deactivated account still holds, and telling those who recover it.

``identity.lifecycle.deactivate`` — an admin unticking "active", SCIM's
``active: false`` or DELETE, ``sync-directory`` — calls :func:`on_deactivate` in its
own transaction: when the account holds assets (deployed to it, or in repair for it)
or live licence seats, the asset managers (or procurement, where nobody holds
``asset_manager``) get one e-mail listing them, queued with the deactivation. An
account holding nothing makes no e-mail; ``deactivate`` does nothing to an account
already inactive, so deactivating twice tells them once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

import sqlalchemy as sa

from ..extensions import db
from ..models import Asset, AssetStatus, Licence, LicenceAssignment, User
from ..notifications import services as notifications
from .reminders import asset_path, keepers

LEAVER_HOLDS = notifications.ASSET_LEAVER
REPORT_PATH = "/assets/reports/leavers"
# What a leaver may still have: an asset deployed to them, or in repair on their behalf.
HELD = (AssetStatus.DEPLOYED, AssetStatus.IN_REPAIR)


@dataclasses.dataclass
class Holdings:
    user: User
    assets: list[Asset] = dataclasses.field(default_factory=list)
    seats: list[Licence] = dataclasses.field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.assets or self.seats)


def holdings(user_ids: Collection[int] | None = None) -> list[Holdings]:
    """What each inactive account (of ``user_ids``, or every one) still holds, in two
    queries; accounts holding nothing are left out. By name."""
    inactive = sa.select(User.id).where(User.active.is_(False))
    if user_ids is not None:
        inactive = inactive.where(User.id.in_(list(user_ids)))
    assets = db.session.scalars(
        sa.select(Asset)
        .where(Asset.holder_id.in_(inactive), Asset.status.in_(HELD))
        .order_by(Asset.tag)
    ).all()
    seats = db.session.execute(
        sa.select(LicenceAssignment.user_id, Licence)
        .join(Licence, Licence.id == LicenceAssignment.licence_id)
        .where(LicenceAssignment.user_id.in_(inactive), LicenceAssignment.released_at.is_(None))
        .order_by(Licence.product, Licence.id)
    ).all()
    # By id, not through ``asset.holder``: an asset deployed in this transaction may
    # still carry the holder it was loaded with.
    ids = {asset.holder_id for asset in assets} | {user_id for user_id, _licence in seats}
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
    found: dict[int, Holdings] = {}
    for asset in assets:
        if asset.holder_id is not None:  # always, by the query
            holder = asset.holder_id
            found.setdefault(holder, Holdings(people[holder])).assets.append(asset)
    for user_id, licence in seats:
        found.setdefault(user_id, Holdings(people[user_id])).seats.append(licence)
    return sorted(found.values(), key=lambda held: (held.user.name.casefold(), held.user.id))


def on_deactivate(user: User) -> Holdings:
    """Queue the e-mail about what ``user`` (just deactivated, flushed) still holds."""
    held = next(iter(holdings([user.id])), None) or Holdings(user)
    if not held:
        return held
    assets = [
        {"asset": asset, "link": notifications.absolute_link(asset_path(asset))}
        for asset in held.assets
    ]
    for person in keepers():
        notifications.queue(
            person,
            LEAVER_HOLDS,
            path=REPORT_PATH,
            entity="user",
            entity_id=user.id,
            leaver=user,
            assets=assets,
            seats=held.seats,
        )
    return held
