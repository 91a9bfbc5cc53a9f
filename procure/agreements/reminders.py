"""Agreement reminders, queued by ``send-reminders``: active agreements whose end date
passed expire; procurement hears once per agreement of its end 30 days ahead
(``expiry``) and once when 80 % of it is consumed (``consumed``: of the ceiling, or,
without one, of every limited item's maximum; an agreement of rate-only items without a
ceiling is never consumed).

Once per agreement and kind: the ``agreement_reminders`` row is written with
``INSERT … ON CONFLICT DO NOTHING`` before the e-mail, in the same transaction, so a
second run (or a second host) finds it and sends nothing again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from ..db import insert_unless_present, write_intent
from ..extensions import db
from ..models import Agreement, AgreementReminder, AgreementStatus, Role, User, UserRole, utcnow
from ..money import format_money
from ..notifications import services as notifications
from . import services

EXPIRY_DAYS = 30
CONSUMED_SHARE = Decimal("0.8")
EXPIRY, CONSUMED = "expiry", "consumed"


@dataclasses.dataclass
class Report:
    expired: int = 0
    reminded: int = 0  # e-mails queued


def procurement() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.PROCUREMENT, User.active.is_(True))
            .distinct()
            .order_by(User.id)
        )
    )


def consumed_share(agreement: Agreement) -> Decimal | None:
    """How much of the agreement is called off, 0 to 1; None when nothing limits it."""
    if agreement.ceiling is not None:
        return agreement.consumed / agreement.ceiling
    limited = [item for item in agreement.items if item.max_quantity is not None]
    if not limited:
        return None
    return min(item.ordered / item.max_quantity for item in limited)  # type: ignore[operator]


def _claim(agreement: Agreement, kind: str) -> bool:
    table = AgreementReminder.__table__
    row = db.session.execute(
        insert_unless_present(
            table, agreement_id=agreement.id, kind=kind, queued_at=utcnow()
        ).returning(table.c.id)
    ).first()
    return row is not None


def run(on: dt.date | None = None) -> Report:
    """Expire what ended, claim the reminders due and queue the e-mails (commits)."""
    on = on or utcnow().date()
    report = Report()
    db.session.commit()
    with write_intent():  # BEGIN IMMEDIATE on SQLite: one writer at a time
        report.expired = len(services.expire_due(on))
        _queue(on, report)
        db.session.commit()
    return report


def _queue(on: dt.date, report: Report) -> None:
    active = db.session.scalars(
        sa.select(Agreement)
        .where(Agreement.status == AgreementStatus.ACTIVE)
        .order_by(Agreement.end_date, Agreement.id)
    ).all()
    people = procurement()
    for agreement in active:
        due = []
        if agreement.end_date <= on + dt.timedelta(days=EXPIRY_DAYS):
            due.append(EXPIRY)
        share = consumed_share(agreement)
        if share is not None and share >= CONSUMED_SHARE:
            due.append(CONSUMED)
        for kind in due:
            if not _claim(agreement, kind):
                continue
            for person in people:
                notifications.queue(
                    person,
                    notifications.AGREEMENT_EXPIRING
                    if kind == EXPIRY
                    else notifications.AGREEMENT_CONSUMED,
                    path=f"/agreements/{agreement.id}",
                    entity="agreement",
                    entity_id=agreement.id,
                    agreement=agreement,
                    days=(agreement.end_date - on).days,
                    percent=int((share or 0) * 100),
                    consumed=format_money(agreement.consumed, agreement.currency),
                )
                report.reminded += 1
