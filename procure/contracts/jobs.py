"""The daily contract job behind ``send-reminders``: roll auto-renewing contracts
forward, expire the others, and queue reminders before notice deadlines. Each
contract is handled in a transaction of its own, locked (``SKIP LOCKED`` on
PostgreSQL), so that any number of hosts may run it, as often as they like."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from ..db import write_intent
from ..extensions import db
from ..models import Contract, ContractStatus
from ..notifications import services as notifications
from ..webhooks import events
from . import services


@dataclasses.dataclass
class Report:
    renewed: int = 0
    expired: int = 0
    reminded: int = 0


def run(on: dt.date | None = None) -> Report:
    on = on or services.today()
    report = Report()
    db.session.commit()
    ids = db.session.scalars(
        sa.select(Contract.id)
        .where(Contract.status == ContractStatus.ACTIVE)
        .order_by(Contract.id)
    ).all()
    postgres = db.session.get_bind().dialect.name == "postgresql"
    for contract_id in ids:
        db.session.commit()
        with write_intent():
            query = sa.select(Contract).where(
                Contract.id == contract_id, Contract.status == ContractStatus.ACTIVE
            )
            if postgres:
                # OF contracts: the eager joins (vendor, owner) must not lock those
                # rows too, or contracts sharing an owner would skip each other.
                query = query.with_for_update(skip_locked=True, of=Contract)
            contract = db.session.scalar(query.execution_options(populate_existing=True))
            if contract is None:
                db.session.rollback()
                continue
            try:
                done = services.roll_or_expire(contract, on)
                if done == "renewed":
                    report.renewed += 1
                elif done == "expired":
                    report.expired += 1
                if contract.status == ContractStatus.ACTIVE:
                    days = services.claim_reminders(contract, on)
                    if days:
                        _queue(contract, min(days), on)
                        # Other systems hear of it once per reminder, in its transaction.
                        events.emit("contract.notice_due", "contract", contract)
                        report.reminded += 1
                db.session.commit()
            except StaleDataError:
                db.session.rollback()
    return report


def _queue(contract: Contract, days: int, on: dt.date) -> None:
    deadline = services.notice_deadline(contract)
    for person in services.reminder_recipients(contract):
        notifications.queue(
            person,
            notifications.CONTRACT_REMINDER,
            path=f"/contracts/{contract.id}",
            entity="contract",
            entity_id=contract.id,
            contract=contract,
            deadline=deadline,
            days=(deadline - on).days,
        )
