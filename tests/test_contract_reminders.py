"""Contract reminders: two runs at once queue each reminder once, and the e-mail
reaches a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure.contracts import jobs, services
from procure.models import ContractReminder, Notification
from procure.money import format_date

from .test_notifications import Inbox, free_port, start_smtp

TODAY = dt.date.today()


def active_contract(make, *, days_left: int, owner=None):
    buyer = make.user(["procurement"], department="PROC")
    vendor = make.vendor()
    contract = services.create(
        services.ContractData(
            vendor_id=vendor.id,
            title="Storage array support",
            kind="support",
            start_date=TODAY - dt.timedelta(days=300),
            end_date=TODAY + dt.timedelta(days=days_left),
            value=Decimal("9000.00"),
            auto_renew=True,
            notice_days=30,
            renewal_term_months=12,
            owner_id=owner.id if owner else None,
        ),
        actor=buyer,
    )
    services.activate(contract, actor=buyer)
    return contract, buyer


@pytest.mark.committing
def test_two_runs_at_once_queue_each_reminder_once(app, committed_db, make):
    db = committed_db
    owner = make.user(["requester"], department="IT")
    contracts = [active_contract(make, days_left=40, owner=owner)[0] for _ in range(6)]
    db.session.commit()
    owner_email = owner.email
    db.session.remove()
    barrier = threading.Barrier(2)

    def run() -> jobs.Report:
        with app.app_context():
            try:
                barrier.wait(30)
                return jobs.run()
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = [future.result() for future in [pool.submit(run) for _ in range(2)]]
    assert sum(report.reminded for report in reports) == len(contracts)
    # deadline = 40 - 30 = 10 days away: the 60- and 30-day reminders, once each
    rows = db.session.execute(
        sa.select(ContractReminder.contract_id, ContractReminder.days_before)
    ).all()
    assert len(rows) == len(set(rows)) == 2 * len(contracts)
    # one e-mail per contract for the owner, however many runs
    mails = db.session.scalars(
        sa.select(Notification).where(
            Notification.kind == "contract_reminder", Notification.email == owner_email
        )
    ).all()
    assert len(mails) == len(contracts)


def test_the_reminder_reaches_an_smtp_server(app, make, db, runner, monkeypatch):
    owner = make.user(["requester"], department="IT", name="Olive Owner")
    contract, buyer = active_contract(make, days_left=37, owner=owner)
    db.session.commit()
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "reminded 1" in result.output
    inbox = Inbox()
    controller = start_smtp(inbox, free_port())
    monkeypatch.setitem(app.config, "PROCURE_SMTP_URL", inbox.url)
    try:
        sent = runner.invoke(args=["send-notifications"])
        assert sent.exit_code == 0, sent.output
    finally:
        controller.stop()
    received = {rcpt[0]: message for _sender, rcpt, message in inbox.messages}
    assert {owner.email, buyer.email} <= set(received)
    message = received[owner.email]
    deadline = format_date(contract.end_date - dt.timedelta(days=30))
    assert contract.number in message["Subject"] and deadline in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "7 days from now" in text and f"/contracts/{contract.id}" in text
    again = runner.invoke(args=["send-reminders"])
    assert "reminded 0" in again.output
