"""Warranty reminders: ``send-reminders`` queues, once per asset and warranty end, one
e-mail per asset manager (or procurement) listing the in-use assets whose warranty
ends within the reminder days and that no active contract covers; the e-mail reaches
a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from procure.assets import registry, reminders, services
from procure.models import AssetReminder, Notification, Role, User, UserRole
from procure.money import format_date
from procure.workflow import AssetAction

from .assets_world import hardware, set_warranty
from .test_notifications import Inbox, free_port, start_smtp

TODAY = dt.date.today()
KIND = "asset_warranty_ending"


def mails(db) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification).where(Notification.kind == KIND).order_by(Notification.id)
        )
    )


@pytest.fixture
def world(make, db):
    """Laptops ending in 10 (deployed to Hal), 20 (covered by a contract) and 25 days
    (retired); docks in 29 and 40 days. Reminder days: 30 (the default)."""
    w = hardware(make, db, warranty_months=12)
    w.manager = make.user(["asset_manager"], department="IT", name="Alan Assets")
    holder = make.user(["requester"], department="IT", name="Hal Holder")
    for asset, days in zip(w.laptops + w.docks, (10, 20, 25, 29, 40), strict=True):
        set_warranty(asset, days, w.buyer)
    services.act(w.laptops[0], AssetAction.DEPLOY, actor=w.buyer, holder=holder)
    contract = make.contract(kind="maintenance", owner=w.buyer)
    services.set_coverage(contract, [w.laptops[1].id], actor=w.buyer)
    services.act(w.laptops[2], AssetAction.RETIRE, actor=w.buyer)
    db.session.commit()
    return w


def test_one_email_per_asset_manager_lists_the_uncovered_assets(world, db):
    report = reminders.run()
    assert (report.assets, report.recipients) == (2, 1)
    sent = mails(db)
    assert [m.email for m in sent] == [world.manager.email]
    text = sent[0].body_text
    first, dock = world.laptops[0], world.docks[0]
    assert text.index(first.tag) < text.index(dock.tag)
    assert "Hal Holder" in text and format_date(first.warranty_end) in text
    assert f"/assets/{first.tag}" in text and f"/assets/{dock.tag}" in sent[0].body_html
    for left_out in (world.laptops[1], world.laptops[2], world.docks[1]):
        assert left_out.tag not in text
    assert sent[0].subject.startswith("2 asset warranties end soon")
    assert sent[0].link.endswith("/assets/reports/warranty")
    rows = db.session.scalars(sa.select(AssetReminder.asset_id)).all()
    assert sorted(rows) == sorted([first.id, dock.id])


def test_running_again_sends_nothing_new_until_another_asset_is_due(world, db, make):
    reminders.run()
    assert reminders.run().assets == 0
    assert len(mails(db)) == 1
    # the later dock comes within the reminder days
    assert reminders.run(on=TODAY + dt.timedelta(days=15)).assets == 1
    later = mails(db)
    assert len(later) == 2 and world.docks[1].tag in later[1].body_text
    assert world.laptops[0].tag not in later[1].body_text


def test_an_extended_warranty_is_reminded_of_again(world, db):
    reminders.run()
    set_warranty(world.docks[0], 28 + 365, world.buyer)
    db.session.commit()
    assert reminders.run(on=TODAY + dt.timedelta(days=365)).assets == 1


def test_the_reminder_days_are_the_registrys(world, db, make):
    admin = make.user(["admin"], department="ADM")
    current = registry.current()
    registry.update(
        hardware_categories=current.hardware_categories,
        licence_categories=current.licence_categories,
        locations=current.locations,
        warranty_reminder_days=15,
        actor=admin,
    )
    db.session.commit()
    assert reminders.run().assets == 1  # the laptop in 10 days only


def test_without_an_asset_manager_procurement_is_reminded(world, db):
    db.session.execute(sa.delete(UserRole).where(UserRole.role == Role.ASSET_MANAGER))
    db.session.commit()
    report = reminders.run()
    buyers = db.session.scalars(
        sa.select(User.email)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.PROCUREMENT, User.active.is_(True))
        .distinct()
    ).all()
    assert report.recipients == len(buyers) >= 1
    assert sorted(m.email for m in mails(db)) == sorted(buyers)


@pytest.mark.committing
def test_two_runs_at_once_remind_of_each_asset_once(app, committed_db, make):
    db = committed_db
    w = hardware(make, db, warranty_months=12)
    for asset in w.laptops + w.docks:
        set_warranty(asset, 5, w.buyer)
    db.session.commit()
    db.session.remove()
    barrier = threading.Barrier(2)

    def run() -> reminders.Report:
        with app.app_context():
            try:
                barrier.wait(30)
                return reminders.run()
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = [future.result() for future in [pool.submit(run) for _ in range(2)]]
    assert sum(report.assets for report in reports) == 5
    rows = db.session.scalars(sa.select(AssetReminder.asset_id)).all()
    assert len(rows) == len(set(rows)) == 5


def test_the_reminder_reaches_an_smtp_server(app, world, db, runner, monkeypatch):
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "warranties ending uncovered 2, asset managers reminded 1" in result.output
    inbox = Inbox()
    controller = start_smtp(inbox, free_port())
    monkeypatch.setitem(app.config, "PROCURE_SMTP_URL", inbox.url)
    try:
        sent = runner.invoke(args=["send-notifications"])
        assert sent.exit_code == 0, sent.output
    finally:
        controller.stop()
    received = {rcpt[0]: message for _sender, rcpt, message in inbox.messages}
    message = received[world.manager.email]
    assert "2 asset warranties end soon" in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert world.laptops[0].tag in text and "Hal Holder" in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert world.docks[0].tag in html
    again = runner.invoke(args=["send-reminders"])
    assert "warranties ending uncovered 0, asset managers reminded 0" in again.output
