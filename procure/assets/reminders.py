"""Warranty reminders, queued by ``send-reminders``: some days before an asset in use
loses its warranty (``registry.current().warranty_reminder_days``) while no active
maintenance or support contract covers it, the asset managers hear of it — or
procurement, where nobody holds ``asset_manager``.

Once per asset and warranty end: the ``asset_reminders`` row is written with
``INSERT … ON CONFLICT DO NOTHING`` before the e-mail, in the same transaction, so a
second run (or a second host running at the same time) finds it and sends nothing
again; a warranty extended to a later end is reminded of anew. One e-mail per
recipient per run lists every asset claimed by that run, soonest end first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from urllib.parse import quote

import sqlalchemy as sa

from ..db import insert_unless_present, write_intent
from ..extensions import db
from ..models import Asset, AssetReminder, Role, User, UserRole, utcnow
from ..notifications import services as notifications
from . import registry, services

WARRANTY_ENDING = notifications.ASSET_WARRANTY_ENDING
# Where the e-mail's button leads: the report of what runs out uncovered.
REPORT_PATH = "/assets/reports/warranty"


@dataclasses.dataclass
class Report:
    assets: int = 0  # assets reminded of by this run
    recipients: int = 0  # e-mails queued


def keepers() -> list[User]:
    """Who looks after the register: the active asset managers or, when there are
    none, the active procurement users."""
    for role in (Role.ASSET_MANAGER, Role.PROCUREMENT):
        people = list(
            db.session.scalars(
                sa.select(User)
                .join(UserRole, UserRole.user_id == User.id)
                .where(UserRole.role == role, User.active.is_(True))
                .distinct()
                .order_by(User.id)
            )
        )
        if people:
            return people
    return []


def asset_path(asset: Asset) -> str:
    return "/assets/" + quote(asset.tag, safe="")


def due(on: dt.date) -> list[Asset]:
    """Assets in use whose warranty ends from ``on`` to the reminder horizon, covered
    by no active contract, and not reminded of for that end yet."""
    horizon = on + dt.timedelta(days=registry.current().warranty_reminder_days)
    pairs = services.covering(on).subquery()
    reminded = sa.select(AssetReminder.id).where(
        AssetReminder.asset_id == Asset.id, AssetReminder.warranty_end == Asset.warranty_end
    )
    return list(
        db.session.scalars(
            sa.select(Asset)
            .where(
                Asset.status.in_(services.IN_USE),
                Asset.warranty_end >= on,
                Asset.warranty_end <= horizon,
                Asset.id.not_in(sa.select(pairs.c.asset_id)),
                ~reminded.exists(),
            )
            .order_by(Asset.warranty_end, Asset.tag)
        )
    )


def _claim(asset: Asset) -> bool:
    """Record the reminder for ``asset``'s warranty end; False when a row (another
    run's) is there already."""
    table = AssetReminder.__table__
    row = db.session.execute(
        insert_unless_present(
            table, asset_id=asset.id, warranty_end=asset.warranty_end, queued_at=utcnow()
        ).returning(table.c.id)
    ).first()
    return row is not None


def run(on: dt.date | None = None) -> Report:
    """Claim the reminders due and queue the e-mails, in one transaction (commits)."""
    on = on or utcnow().date()
    report = Report()
    db.session.commit()
    with write_intent():  # BEGIN IMMEDIATE on SQLite: one writer at a time, no deadlock
        _queue(on, report)
        db.session.commit()
    return report


def _queue(on: dt.date, report: Report) -> None:
    claimed = [asset for asset in due(on) if _claim(asset)]
    if claimed:
        rows = [
            {
                "asset": asset,
                "link": notifications.absolute_link(asset_path(asset)),
                "days": (asset.warranty_end - on).days,
            }
            for asset in claimed
        ]
        for person in keepers():
            notifications.queue(
                person,
                WARRANTY_ENDING,
                path=REPORT_PATH,
                entity="asset",
                entity_id=claimed[0].id if len(claimed) == 1 else None,
                rows=rows,
                count=len(rows),
                first_end=claimed[0].warranty_end,
            )
            report.recipients += 1
        report.assets = len(claimed)
