"""Approval ageing: the working-day clock, the overdue flag on pages, the service level
set by admin, and the daily reminder of ``send-reminders``."""

from __future__ import annotations

import datetime as dt
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from procure import reference, settings
from procure.models import ApprovalReminder, Notification
from procure.purchasing import ageing
from procure.purchasing import services as purchasing

from .factories import PASSWORD

TUESDAY = dt.datetime(2026, 11, 24, 10, 0)


# The working-day clock ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("since", "days", "due"),
    [
        (TUESDAY, 2, dt.datetime(2026, 11, 26, 10, 0)),  # Thursday 10:00
        (dt.datetime(2026, 11, 27, 15, 0), 2, dt.datetime(2026, 12, 1, 15, 0)),  # Fri → Tue
        (dt.datetime(2026, 11, 26, 9, 0), 1, dt.datetime(2026, 11, 27, 9, 0)),  # Thu → Fri
        (dt.datetime(2026, 11, 27, 9, 0), 1, dt.datetime(2026, 11, 30, 9, 0)),  # Fri → Mon
        # Pending at the weekend: the clock starts on Monday at 00:00.
        (dt.datetime(2026, 11, 28, 10, 0), 2, dt.datetime(2026, 12, 2, 0, 0)),
        (dt.datetime(2026, 11, 29, 23, 0), 1, dt.datetime(2026, 12, 1, 0, 0)),
    ],
)
def test_the_deadline_counts_working_days_only(since, days, due):
    assert ageing.deadline(since, days) == due
    assert not ageing.waited_too_long(since, due, days)
    assert ageing.waited_too_long(since, due + dt.timedelta(minutes=1), days)


def test_a_weekend_does_not_make_a_step_overdue():
    friday_noon = dt.datetime(2026, 11, 27, 12, 0)
    monday_morning = dt.datetime(2026, 11, 30, 8, 0)
    assert not ageing.waited_too_long(friday_noon, monday_morning, 1)


moments = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2030, 1, 1))


@given(since=moments, now=moments, days=st.integers(1, 30))
def test_the_sql_cutoff_agrees_with_the_clock(since, now, days):
    """Pages flag with ``waited_too_long``; queries filter with ``since < cutoff``."""
    assert (since < ageing.cutoff(now, days)) == ageing.waited_too_long(since, now, days)


# Flags on pages ------------------------------------------------------------------------


@pytest.fixture
def people(make):
    return {
        "requester": make.user(["requester"], department="IT", name="Rita Requester"),
        "approver": make.user(["approver"], department="IT", name="Albert Approver"),
        "other": make.user(["approver"], department="IT", name="Olga Otherapprover"),
        "admin": make.user(["admin"], department="ADM"),
    }


def pending(people, db, *, waited: dt.timedelta, title: str = "Monitors"):
    pr = purchasing.create_request(
        purchasing.RequestData(
            title=title,
            lines=[
                purchasing.LineData(
                    description="Monitor", quantity=Decimal(2), unit_price=Decimal("240.00")
                )
            ],
        ),
        actor=people["requester"],
    )
    purchasing.submit(pr, actor=people["requester"])
    pr.pending_step.pending_since = pr.pending_step.pending_since - waited
    db.session.commit()
    return pr


def page(new_client, user, path: str) -> str:
    client = new_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    answer = client.get(path)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_an_overdue_step_is_flagged_for_the_approver_and_the_requester(people, db, new_client):
    late = pending(people, db, waited=dt.timedelta(days=8), title="Late monitors")
    fresh = pending(people, db, waited=dt.timedelta(hours=1), title="Fresh monitors")
    inbox = page(new_client, people["approver"], "/approvals")
    late_row = inbox.split("Late monitors")[0].rsplit("<tr>", 1)[1]
    fresh_row = inbox.split("Fresh monitors")[0].rsplit("<tr>", 1)[1]
    assert "Overdue" in late_row and "Overdue" not in fresh_row
    home = page(new_client, people["approver"], "/")
    assert home.count("Overdue") == 1
    mine = page(new_client, people["requester"], f"/requests/{late.id}")
    assert "Overdue" in mine and "Longer than the 2 working days" in mine
    assert "Overdue" not in page(new_client, people["requester"], f"/requests/{fresh.id}")
    requester_home = page(new_client, people["requester"], "/")
    assert "Waiting for approval" in requester_home and requester_home.count("Overdue") == 1


def test_admin_sets_the_service_level(people, db, new_client, auth):
    pr = pending(people, db, waited=dt.timedelta(days=8))
    auth.login(people["admin"].email)
    refused = auth.client.post("/admin/policy/sla", data={"days": "0"})
    assert refused.status_code == 422
    assert "Give a number of working days from 1 to 30." in refused.get_data(as_text=True)
    assert reference.sla_days() == 2
    saved = auth.client.post("/admin/policy/sla", data={"days": "20"})
    assert saved.status_code == 302
    settings.forget()  # this test's session read them before the page changed one
    assert reference.sla_days() == 20
    assert "Overdue" not in page(new_client, people["approver"], f"/requests/{pr.id}")
    assert 'value="20"' in auth.client.get("/admin/policy").get_data(as_text=True)


def test_only_admin_sets_the_service_level(people, auth):
    auth.login(people["approver"].email)
    assert auth.client.post("/admin/policy/sla", data={"days": "9"}).status_code == 403
    assert reference.sla_days() == 2


# The daily reminder ----------------------------------------------------------------------


def reminders_to(db, user) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification).where(
                Notification.kind == "approval_overdue", Notification.user_id == user.id
            )
        )
    )


def test_send_reminders_tells_each_decider_once_a_day(people, db, runner):
    pr = pending(people, db, waited=dt.timedelta(days=8), title="Late <b>monitors</b>")
    pending(people, db, waited=dt.timedelta(hours=2))  # not overdue: nobody hears of it
    first = runner.invoke(args=["send-reminders"])
    assert first.exit_code == 0, first.output
    assert "approval steps overdue 1, deciders reminded 2" in first.output
    again = runner.invoke(args=["send-reminders"])
    assert "approval steps overdue 1, deciders reminded 0" in again.output
    for person in ("approver", "other"):
        (mail,) = reminders_to(db, people[person])
        assert pr.number in mail.subject
        assert "Late &lt;b&gt;monitors&lt;/b&gt;" in mail.body_html
        assert "longer than the 2 working days" in mail.body_text
    assert reminders_to(db, people["requester"]) == []
    # The next day, the step still waits: one more reminder each.
    tomorrow = ageing.utcnow() + dt.timedelta(days=1)
    report = ageing.remind(tomorrow)
    assert (report.steps, report.reminded) == (1, 2)
    assert len(reminders_to(db, people["approver"])) == 2


def test_the_reminder_carries_decision_links_that_work(people, db, runner, client):
    pr = pending(people, db, waited=dt.timedelta(days=8))
    runner.invoke(args=["send-reminders"])
    (mail,) = reminders_to(db, people["approver"])
    links = dict(
        re.findall(r"^(Approve|Reject|Return for changes): \S+?(/act/\S+)$", mail.body_text, re.M)
    )
    assert set(links) == {"Approve", "Reject", "Return for changes"}
    assert f'href="http://procure.test{links["Approve"]}"' in mail.body_html
    answer = client.post(links["Approve"], data={"decision": "approve", "comment": ""})
    assert answer.status_code == 200
    db.session.expire_all()
    assert pr.steps[0].decided_by_id == people["approver"].id


def test_a_decided_step_is_not_reminded(people, db):
    pr = pending(people, db, waited=dt.timedelta(days=8))
    purchasing.approve(pr, actor=people["approver"])
    db.session.commit()
    assert ageing.remind().reminded == 0


@pytest.mark.committing
def test_two_runs_at_once_remind_each_decider_once(app, committed_db, make):
    db = committed_db
    people = {
        "requester": make.user(["requester"], department="IT"),
        "approver": make.user(["approver"], department="IT"),
    }
    for n in range(5):
        pending(people, db, waited=dt.timedelta(days=9), title=f"Late {n}")
    db.session.remove()
    barrier = threading.Barrier(2)

    def run() -> ageing.Report:
        with app.app_context():
            try:
                barrier.wait(30)
                return ageing.remind()
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = [future.result() for future in [pool.submit(run) for _ in range(2)]]
    assert sum(report.reminded for report in reports) == 5
    rows = db.session.execute(sa.select(ApprovalReminder.step_id, ApprovalReminder.user_id)).all()
    assert len(rows) == len(set(rows)) == 5
