"""Notifications: what each transition writes to the outbox, its delivery by SMTP
(a real server on loopback), concurrent senders, the list in the app, and the API."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import socket
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from procure import create_app, delegation, machines, workflow
from procure.errors import ValidationError
from procure.models import Notification, NotificationStatus, utcnow
from procure.money import format_date
from procure.notifications import mail
from procure.notifications import services as notifications
from procure.orders import services as orders
from procure.purchasing import services

from .report_support import Shop, fast_pdf  # noqa: F401 -- fast_pdf is a fixture

BASE_URL = "http://procure.test"  # the test app's PROCURE_BASE_URL
BARRIER_TIMEOUT = 60  # a barrier that is never met means a thread died: fail, do not hang


# Helpers --------------------------------------------------------------------------------


def file_request(requester, price="900.00", *, title="Docking stations", submit=True):
    pr = services.create_request(
        services.RequestData(
            title=title,
            lines=[
                services.LineData(
                    description="Dock", quantity=Decimal(1), unit_price=Decimal(price)
                )
            ],
        ),
        actor=requester,
    )
    if submit:
        services.submit(pr, actor=requester)
    return pr


def outbox(db, pr=None, kind=None) -> dict[str, Notification]:
    """The notifications written, by recipient's address (asserting one each)."""
    query = sa.select(Notification).order_by(Notification.id)
    if pr is not None:
        query = query.where(Notification.entity == "request", Notification.entity_id == pr.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    rows = list(db.session.scalars(query))
    by_email = {row.email: row for row in rows}
    assert len(by_email) == len(rows), [row.email for row in rows]
    return by_email


def delegate(delegator, stand_in, days=7):
    today = delegation.today()
    return delegation.create(
        delegator, stand_in, today, today + dt.timedelta(days=days), actor=delegator
    )


@pytest.fixture
def team(make):
    return {
        "requester": make.user(["requester"], department="IT", name="Rita Requester"),
        "approver": make.user(["approver"], department="IT", name="Alan Approver"),
        "approver2": make.user(["approver"], department="IT", name="Beth Approver"),
        "inactive": make.user(["approver"], department="IT", active=False),
        "ops_approver": make.user(["approver"], department="OPS", name="Otto Ops"),
        "finance": make.user(["finance"], department="FIN", name="Fay Finance"),
        "finance2": make.user(["finance"], department="FIN", name="Finn Finance"),
        "executive": make.user(["executive"], department="EXEC", name="Erin Executive"),
        "requester_only": make.user(["requester"], department="IT", name="Rob Requester"),
    }


# What each event writes --------------------------------------------------------------


def test_submit_tells_the_departments_active_approvers(db, team):
    pr = file_request(team["requester"])
    sent = outbox(db, pr)
    assert set(sent) == {team["approver"].email, team["approver2"].email}
    note = sent[team["approver"].email]
    assert note.kind == "step_pending"
    assert note.user_id == team["approver"].id
    assert note.entity == "request" and note.entity_id == pr.id
    assert note.link == f"{BASE_URL}/requests/{pr.id}"
    assert note.subject == f"{pr.number} waits for your decision: Docking stations"
    assert note.status == NotificationStatus.PENDING and note.attempts == 0
    assert note.read_at is None
    for body in (note.body_text, note.body_html):
        assert "Hello Alan Approver" in body
        assert "Rita Requester" in body
        assert "$900.00" in body
        assert "department" in body
        assert f"{BASE_URL}/requests/{pr.id}" in body
        assert "stand in" not in body


def test_the_requester_is_never_told_to_decide_their_own_request(db, make, team):
    approving_requester = make.user(["requester", "approver"], department="IT")
    pr = file_request(approving_requester)
    assert approving_requester.email not in outbox(db, pr)
    assert team["approver"].email in outbox(db, pr)


def test_approving_a_step_tells_the_next_steps_deciders_only(db, team):
    pr = file_request(team["requester"], "9000.00")
    assert set(outbox(db, pr)) == {team["approver"].email, team["approver2"].email}
    services.approve(pr, actor=team["approver"], comment="Fine")
    finance = outbox(db, pr, kind="step_pending")
    assert set(finance) - {team["approver"].email, team["approver2"].email} == {
        team["finance"].email,
        team["finance2"].email,
    }
    note = finance[team["finance"].email]
    assert "Alan Approver approved the step before" in note.body_text
    assert "finance step waits for your decision" in note.body_text
    # nothing for the requester while the request is still pending
    assert team["requester"].email not in outbox(db, pr)


def test_someone_who_decided_another_step_is_not_told(db, make, team):
    both = make.user(["finance", "executive"], department="FIN", name="Bo Both")
    pr = file_request(team["requester"], "60000.00")
    services.approve(pr, actor=team["approver"])
    assert both.email in outbox(db, pr, kind="step_pending")
    services.approve(pr, actor=both)
    executive_step = db.session.scalars(
        sa.select(Notification.email).where(Notification.body_text.contains("executive step"))
    ).all()
    assert executive_step == [team["executive"].email]


def test_delegates_are_told_and_say_for_whom(db, make, team):
    # Alan names Beth, who may decide anyway: she hears it once, in her own right.
    # Beth names Flo, an approver of FIN: Flo hears it as Beth's stand-in.
    flo = make.user(["approver", "finance"], department="FIN", name="Flo Stand-in")
    delegate(team["approver"], team["approver2"])
    delegate(team["approver2"], flo)
    pr = file_request(team["requester"])
    sent = outbox(db, pr)
    assert set(sent) == {team["approver"].email, team["approver2"].email, flo.email}
    assert "You stand in for Beth Approver" in sent[flo.email].body_text
    assert "as a stand-in" in sent[flo.email].body_text
    assert "You stand in for <strong>Beth Approver</strong>" in sent[flo.email].body_html
    assert "stand in" not in sent[team["approver2"].email].body_text
    assert sent[flo.email].subject == sent[team["approver"].email].subject


def test_a_stand_in_for_two_people_gets_one_email_naming_both(db, make, team):
    otto = make.user(["approver"], department="OPS", name="Otto Stand-in")
    delegate(team["approver"], otto)
    delegate(team["approver2"], otto)
    pr = file_request(team["requester"])
    sent = outbox(db, pr)
    assert set(sent) == {team["approver"].email, team["approver2"].email, otto.email}
    assert "You stand in for Alan Approver and Beth Approver" in sent[otto.email].body_text


def test_stand_ins_who_may_not_decide_are_not_told(db, make, team):
    # A delegate who lost the role, a delegation that ended, the requester's own
    # stand-in, and a stand-in who is the requester.
    lost_role = make.user(["approver"], department="OPS")
    ended = make.user(["approver"], department="OPS")
    delegate(team["approver"], lost_role)
    lost_role.set_roles({"requester"})
    finished = delegate(team["approver2"], ended)
    delegation.end(finished, actor=team["approver2"])
    approving_requester = make.user(["requester", "approver"], department="IT")
    their_stand_in = make.user(["approver"], department="OPS")
    delegate(approving_requester, their_stand_in)
    db.session.flush()
    pr = file_request(approving_requester)
    sent = outbox(db, pr)
    assert set(sent) == {team["approver"].email, team["approver2"].email}
    # the requester as someone's stand-in is not told to decide their own request
    stand_in_requester = make.user(["requester", "approver"], department="OPS")
    delegate(team["approver2"], stand_in_requester)  # Beth's earlier one has ended
    pr2 = file_request(stand_in_requester)
    assert stand_in_requester.email not in outbox(db, pr2)


def test_a_delegate_who_decided_a_step_is_not_told_of_the_next(db, make, team):
    # Flo, finance and an approver of FIN, decides the department step for Alan; she is
    # then not told of the finance step, though she holds the finance role.
    flo = make.user(["approver", "finance"], department="FIN", name="Flo")
    delegate(team["approver"], flo)
    pr = file_request(team["requester"], "9000.00")
    assert "You stand in for Alan Approver" in outbox(db, pr)[flo.email].body_text
    services.approve(pr, actor=flo, comment="For Alan")
    assert pr.current_steps[0].on_behalf_of_id == team["approver"].id
    finance_notes = [
        n.email
        for n in db.session.scalars(
            sa.select(Notification).where(Notification.body_text.contains("finance step"))
        )
    ]
    assert sorted(finance_notes) == sorted([team["finance"].email, team["finance2"].email])


def test_final_approval_tells_the_requester(db, team):
    pr = file_request(team["requester"])
    services.approve(pr, actor=team["approver"], comment="Go ahead")
    sent = outbox(db, pr, kind="request_approved")
    assert list(sent) == [team["requester"].email]
    note = sent[team["requester"].email]
    assert note.subject == f"{pr.number} is approved: Docking stations"
    assert "is approved" in note.body_text
    assert "Alan Approver approved the last step, department" in note.body_text
    assert "Go ahead" in note.body_text and "Go ahead" in note.body_html
    assert note.link == f"{BASE_URL}/requests/{pr.id}"


def test_rejection_tells_the_requester_the_reason_escaped_in_html(db, make, team):
    typed = '<script>alert("x")</script> & <b>no</b>'
    requester = make.user(["requester"], department="IT", name="Rita <i>R</i>")
    pr = file_request(requester, title="Screens <img src=x onerror=alert(1)>")
    services.reject(pr, actor=team["approver"], comment=f"Too dear.\n{typed}")
    note = outbox(db, pr, kind="request_rejected")[requester.email]
    assert note.subject == f"{pr.number} was rejected: Screens <img src=x onerror=alert(1)>"
    assert typed in note.body_text
    assert "Too dear." in note.body_text
    assert "department step by Alan Approver" in note.body_text
    assert "<script>" not in note.body_html and "<img src=x" not in note.body_html
    assert "<i>R</i>" not in note.body_html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;no&lt;/b&gt;" in (
        note.body_html
    )
    assert "Screens &lt;img src=x onerror=alert(1)&gt;" in note.body_html
    assert "Rita &lt;i&gt;R&lt;/i&gt;" in note.body_html
    # the deciders of the (cancelled) later steps hear nothing more
    assert set(outbox(db, pr)) == {
        requester.email,
        team["approver"].email,
        team["approver2"].email,
    }


def test_return_tells_the_requester_the_comment(db, team):
    pr = file_request(team["requester"])
    services.return_for_changes(pr, actor=team["approver2"], comment="Split the order, please.")
    note = outbox(db, pr, kind="request_returned")[team["requester"].email]
    assert note.subject == f"{pr.number} came back to you for changes: Docking stations"
    assert "Split the order, please." in note.body_text
    assert "Split the order, please." in note.body_html
    assert "Beth Approver returned your request" in note.body_text
    assert f"{BASE_URL}/requests/{pr.id}" in note.body_html
    # resubmitting tells the approvers again
    step_pending = sa.select(sa.func.count()).where(
        Notification.kind == "step_pending", Notification.entity_id == pr.id
    )
    before = db.session.scalar(step_pending)
    services.submit(pr, actor=team["requester"])
    assert db.session.scalar(step_pending) == before + 2


def test_drafts_edits_and_cancellations_write_nothing(db, team):
    pr = file_request(team["requester"], submit=False)
    assert outbox(db) == {}
    services.cancel(pr, actor=team["requester"], comment="Not needed")
    assert outbox(db) == {}
    pending = file_request(team["requester"])
    count = len(outbox(db))
    services.cancel(pending, actor=team["requester"])
    assert len(outbox(db)) == count


def test_a_refused_transition_writes_nothing(db, team):
    pr = file_request(team["requester"])
    count = len(outbox(db))
    with pytest.raises(workflow.Forbidden):
        services.approve(pr, actor=team["ops_approver"])
    with pytest.raises(workflow.Conflict):
        services.approve(pr, actor=team["approver"], expected_version=pr.version - 1)
    assert len(outbox(db)) == count


def test_notifications_commit_with_the_transition_or_not_at_all(api, db, team, monkeypatch):
    """A failure after the listener ran (another listener, here) undoes everything."""
    pr = file_request(team["requester"], submit=False)
    db.session.commit()

    def broken(*_args, **_kwargs):
        raise RuntimeError("a later listener fails")

    monkeypatch.setattr(machines, "LISTENERS", [*machines.LISTENERS, broken])
    response = api(team["requester"]).post(f"/api/v1/requests/{pr.id}/submit")
    assert response.status_code == 500
    db.session.expire_all()
    assert db.session.get(type(pr), pr.id).status.value == "draft"
    assert outbox(db) == {}


def test_subjects_are_one_line_whatever_the_title(db, team):
    pr = file_request(team["requester"], title="Laptops\r\nBcc: everyone@example.org\u2028x")
    note = outbox(db, pr)[team["approver"].email]
    assert "\r" not in note.subject and "\n" not in note.subject
    assert "\u2028" not in note.subject
    assert note.subject.endswith("Laptops Bcc: everyone@example.org x")
    assert notifications.clean_subject("a\rb\nc\td\x00e  f") == "a b c d e f"
    assert len(notifications.clean_subject("x" * 400)) == notifications.SUBJECT_MAX


def test_the_listener_is_registered_once(app, database_url):
    listeners = [f for f in machines.LISTENERS if f is notifications.on_transition]
    assert len(listeners) == 1
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    try:
        assert machines.LISTENERS.count(notifications.on_transition) == 1
    finally:
        with other.app_context():
            other.extensions["sqlalchemy"].engine.dispose()


# In the app -----------------------------------------------------------------------------


def signed_in(app, user):
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def unread_badge(page: str) -> str | None:
    match = re.search(r'notification-count">(\d+\+?)<', page)
    return match.group(1) if match else None


def test_the_navigation_counts_unread_notifications(app, db, team):
    pr = file_request(team["requester"])
    file_request(team["requester"], title="Second")
    db.session.commit()
    approver = signed_in(app, team["approver"])
    page = text(approver.get("/"))
    assert unread_badge(page) == "2"
    assert 'href="/notifications"' in page
    assert '2<span class="visually-hidden"> unread</span>' in page
    # the requester has nothing unread: no badge
    assert unread_badge(text(signed_in(app, team["requester"]).get("/"))) is None

    opened = approver.post(f"/notifications/{outbox(db, pr)[team['approver'].email].id}")
    assert opened.status_code == 303
    assert opened.location == f"/requests/{pr.id}"
    assert unread_badge(text(approver.get(f"/requests/{pr.id}"))) == "1"


def test_the_unread_count_costs_one_count_query(app, db, team):
    file_request(team["requester"])
    db.session.commit()
    approver = signed_in(app, team["approver"])
    statements = []

    def record(conn, cursor, statement, *args):
        if "notifications" in statement:
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        approver.get("/requests")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert len(statements) == 1
    assert "count(" in statements[0].lower()


def test_the_page_lists_newest_first_marks_unread_and_paginates(app, db, team):
    for _ in range(27):
        notifications.queue(team["approver"], "welcome", path="/")
    file_request(team["requester"], title="Newest <b>one</b>")
    db.session.commit()
    client = signed_in(app, team["approver"])
    page = text(client.get("/notifications"))
    assert "28 unread" in page
    assert page.count('class="list-group-item notification-item notification-unread"') == 25
    items = re.findall(r'data-notification="(\d+)"', page)
    assert [int(i) for i in items] == sorted((int(i) for i in items), reverse=True)
    assert "Newest &lt;b&gt;one&lt;/b&gt;" in page.split("data-notification")[1]
    assert f"/notifications/{items[0]}" in page
    assert "Mark all as read" in page
    second = text(client.get("/notifications?page=2"))
    assert len(re.findall(r'data-notification="(\d+)"', second)) == 3
    # no inline styles or scripts: the Content-Security-Policy forbids them
    assert " style=" not in page and "<script>" not in page


def test_opening_marks_read_and_marking_all_needs_the_csrf_token(app, db, team, monkeypatch):
    pr = file_request(team["requester"])
    file_request(team["requester"])
    db.session.commit()
    client = signed_in(app, team["approver"])
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    note = outbox(db, pr)[team["approver"].email]
    page = text(client.get("/notifications"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    # opening is a POST, so it needs the token too
    assert client.post(f"/notifications/{note.id}").status_code == 400
    assert client.get(f"/notifications/{note.id}").status_code == 405
    db.session.refresh(note)
    assert note.read_at is None
    opened = client.post(f"/notifications/{note.id}", data={"csrf_token": token})
    assert opened.status_code == 303 and opened.location == f"/requests/{pr.id}"
    db.session.refresh(note)
    assert note.read_at is not None
    # opening it again changes nothing
    first_read = note.read_at
    client.post(f"/notifications/{note.id}", data={"csrf_token": token})
    db.session.refresh(note)
    assert note.read_at == first_read

    refused = client.post("/notifications/read-all")
    assert refused.status_code == 400
    assert notifications.unread_count(team["approver"]) == 1
    done = client.post("/notifications/read-all", data={"csrf_token": token})
    assert done.status_code == 302 and done.location == "/notifications"
    after = text(client.get(done.location))
    assert "Marked 1 notification read." in after
    assert "All read" in after and "Mark all as read" not in after
    assert notifications.unread_count(team["approver"]) == 0


def test_someone_elses_notification_is_not_found(app, db, team):
    pr = file_request(team["requester"])
    db.session.commit()
    note = outbox(db, pr)[team["approver"].email]
    other = signed_in(app, team["approver2"])
    assert other.post(f"/notifications/{note.id}").status_code == 404
    assert other.post("/notifications/999999").status_code == 404
    db.session.refresh(note)
    assert note.read_at is None
    assert signed_in(app, team["requester"]).get("/notifications").status_code == 200
    assert app.test_client().get("/notifications").status_code == 302  # sign in first


# Delivery over SMTP -------------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler keeping what it received; refuses the addresses in ``refuse``."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.refuse: set[str] = set()
        self.url = ""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def ids(self) -> list[int]:
        found = []
        for _sender, _rcpt, message in self.messages:
            match = re.match(r"<notification-(\d+)\.", message["Message-ID"])
            assert match, message["Message-ID"]
            found.append(int(match.group(1)))
        return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_smtp(inbox: Inbox, port: int, **options) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{port}"
    return controller


@pytest.fixture
def smtp(app, monkeypatch):
    inbox = Inbox()
    controller = start_smtp(inbox, free_port())
    monkeypatch.setitem(app.config, "PROCURE_SMTP_URL", inbox.url)
    yield inbox
    controller.stop()


def claimed(note: Notification) -> mail.Claimed:
    return mail.Claimed(
        id=note.id,
        email=note.email,
        subject=note.subject,
        body_text=note.body_text,
        body_html=note.body_html,
        attempts=note.attempts,
        created_at=note.created_at,
        claimed_at=utcnow(),
    )


def parts(message) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_a_title_cannot_add_headers_to_the_email(db, team):
    pr = file_request(team["requester"], title="Laptops\r\nBcc: everyone@example.org")
    note = outbox(db, pr)[team["approver"].email]
    message = mail.build_message(claimed(note), "Procure <procure@localhost>")
    assert message["Bcc"] is None
    assert message["To"] == team["approver"].email
    assert message["Subject"].endswith("Laptops Bcc: everyone@example.org")
    headers = message.as_string().split("\n\n", 1)[0]
    assert not [line for line in headers.splitlines() if line.lower().startswith("bcc")]


def test_send_notifications_delivers_a_text_and_an_html_part(app, db, runner, smtp, team):
    pr = file_request(team["requester"], title="Docks & <cables>")
    services.reject(pr, actor=team["approver"], comment="Use the <old> ones")
    db.session.commit()

    result = runner.invoke(args=["send-notifications"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "sent 3, failed 0, waiting 0"
    assert result.stderr == ""

    received = {rcpt[0]: (sender, message) for sender, rcpt, message in smtp.messages}
    assert len(smtp.messages) == 3
    assert set(received) == {
        team["approver"].email,
        team["approver2"].email,
        team["requester"].email,
    }
    sender, message = received[team["requester"].email]
    assert sender == "procure@localhost"
    assert message["From"] == app.config["PROCURE_MAIL_FROM"]
    assert message["To"] == team["requester"].email
    assert message["Subject"] == f"{pr.number} was rejected: Docks & <cables>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    link = f"{BASE_URL}/requests/{pr.id}"
    assert "Use the <old> ones" in text and link in text
    assert "Use the &lt;old&gt; ones" in html and f'href="{link}"' in html
    assert "Docks &amp; &lt;cables&gt;" in html

    rows = list(db.session.scalars(sa.select(Notification)))
    assert {row.status for row in rows} == {NotificationStatus.SENT}
    assert all(row.sent_at is not None and row.attempts == 0 for row in rows)
    # nothing is sent twice
    again = runner.invoke(args=["send-notifications"])
    assert again.exit_code == 0 and again.stdout.strip() == "sent 0, failed 0, waiting 0"
    assert len(smtp.messages) == 3


def test_mail_waits_while_the_server_is_down_and_goes_once_it_is_back(
    app, db, runner, team, monkeypatch
):
    port = free_port()  # nothing listens here yet
    monkeypatch.setitem(app.config, "PROCURE_SMTP_URL", f"smtp://127.0.0.1:{port}")
    pr = file_request(team["requester"])
    services.approve(pr, actor=team["approver"])
    db.session.commit()
    before = utcnow()

    down = runner.invoke(args=["send-notifications"])
    assert down.exit_code != 0
    assert f"cannot deliver through smtp://127.0.0.1:{port}" in down.stderr
    assert "3 messages stay queued" in down.stderr
    assert down.stdout.strip() == "sent 0, failed 3, waiting 3"
    rows = list(db.session.scalars(sa.select(Notification).order_by(Notification.id)))
    assert len(rows) == 3
    for row in rows:
        assert row.status == NotificationStatus.PENDING
        assert row.attempts == 1
        assert row.next_attempt_at > before
        assert "cannot deliver through" in row.last_error

    inbox = Inbox()
    controller = start_smtp(inbox, port)
    try:
        # the server is back, but the messages wait for their next attempt
        early = runner.invoke(args=["send-notifications"])
        assert early.exit_code == 0 and early.stdout.strip() == "sent 0, failed 0, waiting 3"
        assert inbox.messages == []
        # time moves on: the retry is due
        later = rows[0].next_attempt_at + dt.timedelta(seconds=1)
        report = mail.send_pending(now=later)
        assert (report.sent, report.failed, report.waiting) == (3, 0, 0)
        assert sorted(inbox.ids()) == [row.id for row in rows]
        again = runner.invoke(args=["send-notifications"])
        assert again.stdout.strip() == "sent 0, failed 0, waiting 0"
        assert len(inbox.messages) == 3
    finally:
        controller.stop()
    db.session.expire_all()
    for row in db.session.scalars(sa.select(Notification)):
        assert row.status == NotificationStatus.SENT and row.attempts == 1


def test_retries_back_off_exponentially_then_give_up(app, db, team):
    note = notifications.queue(team["approver"], "welcome", path="/")
    db.session.commit()
    url = f"smtp://127.0.0.1:{free_port()}"
    now = utcnow()
    delays = []
    for attempt in range(1, mail.MAX_ATTEMPTS + 1):
        report = mail.send_pending(now=now, smtp_url=url)
        db.session.refresh(note)
        assert report.failed == 1 and note.attempts == attempt
        delays.append(note.next_attempt_at - now)
        now = note.next_attempt_at
    assert delays[:7] == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 32, 60)]
    assert set(delays[7:]) == {dt.timedelta(hours=1)}
    assert note.status == NotificationStatus.FAILED
    assert mail.send_pending(now=now + dt.timedelta(days=1), smtp_url=url).failed == 0


def test_a_mailbox_refused_for_good_is_given_up_the_others_go(app, db, runner, smtp, team):
    smtp.refuse.add(team["approver2"].email)
    file_request(team["requester"])
    db.session.commit()
    result = runner.invoke(args=["send-notifications"])
    assert result.exit_code == 1
    assert result.stdout.strip() == "sent 1, failed 1, waiting 0"
    assert [rcpt for _s, rcpt, _m in smtp.messages] == [[team["approver"].email]]
    refused = outbox(db)[team["approver2"].email]
    assert refused.status == NotificationStatus.FAILED
    assert "No such mailbox" in refused.last_error


def test_a_message_that_cannot_be_built_does_not_stop_the_others(
    app, db, runner, smtp, team, monkeypatch
):
    file_request(team["requester"])
    db.session.commit()
    broken_for = team["approver"].email
    build = mail.build_message

    def build_or_fail(item, sender):
        if item.email == broken_for:
            raise FileNotFoundError("attachment gone")
        return build(item, sender)

    monkeypatch.setattr(mail, "build_message", build_or_fail)
    result = runner.invoke(args=["send-notifications"])
    assert result.exit_code == 1
    assert result.stdout.strip() == "sent 1, failed 1, waiting 1"
    assert [rcpt for _s, rcpt, _m in smtp.messages] == [[team["approver2"].email]]
    broken = outbox(db)[broken_for]
    assert broken.status == NotificationStatus.PENDING and broken.attempts == 1
    assert "attachment gone" in broken.last_error


def test_messages_left_sending_by_a_dead_sender_are_sent_again(app, db, smtp, team):
    file_request(team["requester"])
    db.session.commit()
    stale, fresh = list(db.session.scalars(sa.select(Notification).order_by(Notification.id)))
    now = utcnow()
    ages = {stale: mail.STALE_CLAIM + dt.timedelta(minutes=1), fresh: dt.timedelta(minutes=5)}
    for row, age in ages.items():
        row.status = NotificationStatus.SENDING
        row.claimed_at = now - age
    db.session.commit()
    report = mail.send_pending(now=now)
    assert report.sent == 1 and report.waiting == 1
    assert smtp.ids() == [stale.id]
    db.session.expire_all()
    assert db.session.get(Notification, stale.id).status == NotificationStatus.SENT
    assert db.session.get(Notification, fresh.id).status == NotificationStatus.SENDING


def test_smtp_login_from_the_url(app, db, team, monkeypatch):
    seen = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"p@ss:word", handled=False)

    inbox = Inbox()
    port = free_port()
    controller = start_smtp(inbox, port, authenticator=authenticator, auth_require_tls=False)
    try:
        file_request(team["requester"])
        db.session.commit()
        bad = mail.send_pending(smtp_url=f"smtp://mailer:wrong@127.0.0.1:{port}")
        assert bad.failed == 2 and "mailer:wrong" not in " ".join(bad.errors)
        now = utcnow() + dt.timedelta(minutes=5)
        good = mail.send_pending(now=now, smtp_url=f"smtp://mailer:p%40ss%3Aword@127.0.0.1:{port}")
        assert (good.sent, good.failed) == (2, 0)
    finally:
        controller.stop()
    assert (b"mailer", b"p@ss:word") in seen
    assert len(inbox.messages) == 2


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:8025", mail.SmtpSettings("127.0.0.1", 8025)),
        ("smtp://mail.example.org", mail.SmtpSettings("mail.example.org", 25)),
        ("smtps://mail.example.org", mail.SmtpSettings("mail.example.org", 465, ssl=True)),
        (
            "smtp://me%40example.org:s%3Acret@mail.example.org:587?starttls=1",
            mail.SmtpSettings(
                "mail.example.org",
                587,
                starttls=True,
                username="me@example.org",
                password="s:cret",
            ),
        ),
    ],
)
def test_smtp_urls(url, expected):
    assert mail.SmtpSettings.from_url(url) == expected


@pytest.mark.parametrize("url", ["", "http://mail.example.org", "smtp://", "smtp://host:99999"])
def test_a_bad_smtp_url_is_refused_and_nothing_is_claimed(app, db, runner, team, url, monkeypatch):
    monkeypatch.setitem(app.config, "PROCURE_SMTP_URL", url)
    file_request(team["requester"])
    db.session.commit()
    result = runner.invoke(args=["send-notifications"])
    assert result.exit_code != 0
    assert "PROCURE_SMTP_URL" in result.stderr
    statuses = {row.status for row in db.session.scalars(sa.select(Notification))}
    assert statuses == {NotificationStatus.PENDING}


def test_passwords_are_not_shown():
    assert mail.redact("smtp://me:secret@host:25") == "smtp://me:***@host:25"
    assert "secret" not in mail.SmtpSettings.from_url("smtp://me:secret@host").describe()


# Several senders at once ----------------------------------------------------------------


@pytest.fixture
def postgres(request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--db") != "postgres":
        pytest.skip("needs PostgreSQL (run with --db postgres)")


def queue_welcomes(db, users, count) -> list[int]:
    rows = [notifications.queue(users[i % len(users)], "welcome", path="/") for i in range(count)]
    db.session.commit()
    return sorted(row.id for row in rows)


@pytest.mark.committing
def test_two_senders_at_once_deliver_each_message_exactly_once(app, committed_db, make):
    db = committed_db
    users = [make.user(["requester"]) for _ in range(3)]
    ids = queue_welcomes(db, users, 90)
    db.session.remove()
    inbox = Inbox()
    controller = start_smtp(inbox, free_port())
    barrier = threading.Barrier(2)

    def sender() -> mail.Report:
        with app.app_context():
            try:
                barrier.wait(BARRIER_TIMEOUT)
                return mail.send_pending(batch_size=4, smtp_url=inbox.url)
            finally:
                db.session.remove()

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            reports = [f.result() for f in [pool.submit(sender) for _ in range(2)]]
    finally:
        controller.stop()

    assert sum(report.sent for report in reports) == len(ids)
    assert [report.failed for report in reports] == [0, 0]
    delivered = Counter(inbox.ids())
    assert sorted(delivered) == ids
    assert set(delivered.values()) == {1}
    statuses = Counter(db.session.scalars(sa.select(Notification.status)))
    assert statuses == {NotificationStatus.SENT: len(ids)}


@pytest.mark.committing
@pytest.mark.postgres_only
def test_a_claimer_skips_rows_another_sender_holds(app, committed_db, make, postgres):
    db = committed_db
    ids = queue_welcomes(db, [make.user(["requester"])], 20)
    db.session.remove()
    other = sa.create_engine(db.engine.url)
    try:
        with other.connect() as connection:
            transaction = connection.begin()
            connection.execute(
                sa.select(Notification.id).order_by(Notification.id).limit(5).with_for_update()
            )

            def claim() -> list[int]:
                with app.app_context():
                    try:
                        return [item.id for item in mail.claim(10, utcnow())]
                    finally:
                        db.session.remove()

            with ThreadPoolExecutor(max_workers=1) as pool:
                future = pool.submit(claim)
                try:
                    # Without SKIP LOCKED this would wait for the lock, then take 1..10.
                    taken = future.result(timeout=BARRIER_TIMEOUT)
                finally:
                    transaction.rollback()
    finally:
        other.dispose()
    assert taken == ids[5:15]


# The API --------------------------------------------------------------------------------


def test_api_lists_the_callers_notifications(api, db, team):
    first = file_request(team["requester"], title="First")
    second = file_request(team["requester"], title="Second")
    services.approve(first, actor=team["approver2"])
    db.session.commit()
    client = api(team["approver"])
    body = client.get("/api/v1/notifications").get_json()
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 50
    newest = body["items"][0]
    assert newest["subject"] == f"{second.number} waits for your decision: Second"
    assert newest["kind"] == "step_pending"
    assert newest["entity"] == "request" and newest["entity_id"] == second.id
    assert newest["link"] == f"{BASE_URL}/requests/{second.id}"
    assert newest["unread"] is True and newest["read_at"] is None
    assert newest["delivery"] == "pending"
    assert "Hello Alan Approver" in newest["body"]
    assert newest["created_at"].endswith("+00:00") or newest["created_at"].endswith("Z")
    paged = client.get("/api/v1/notifications?per_page=1&page=2").get_json()
    assert paged["total"] == 2 and [i["entity_id"] for i in paged["items"]] == [first.id]
    # the requester sees only their own
    mine = api(team["requester"]).get("/api/v1/notifications").get_json()
    assert [i["kind"] for i in mine["items"]] == ["request_approved"]


def test_api_marks_read_one_and_all(api, db, team):
    file_request(team["requester"], title="One")
    file_request(team["requester"], title="Two")
    file_request(team["requester"], title="Three")
    db.session.commit()
    client = api(team["approver"])
    items = client.get("/api/v1/notifications").get_json()["items"]
    response = client.post(f"/api/v1/notifications/{items[0]['id']}/read")
    assert response.status_code == 200
    assert response.get_json()["unread"] is False and response.get_json()["read_at"]
    assert client.post(f"/api/v1/notifications/{items[0]['id']}/read").status_code == 200
    unread = client.get("/api/v1/notifications?unread=1").get_json()
    assert unread["total"] == 2
    assert {i["id"] for i in unread["items"]} == {items[1]["id"], items[2]["id"]}
    done = client.post("/api/v1/notifications/read-all")
    assert done.status_code == 200 and done.get_json() == {"marked": 2}
    assert client.get("/api/v1/notifications?unread=1").get_json()["total"] == 0
    assert client.post("/api/v1/notifications/read-all").get_json() == {"marked": 0}
    # the other approver's are untouched
    assert api(team["approver2"]).get("/api/v1/notifications?unread=1").get_json()["total"] == 3


def test_api_someone_elses_notification_is_404(api, db, team):
    pr = file_request(team["requester"])
    db.session.commit()
    note = outbox(db, pr)[team["approver"].email]
    response = api(team["approver2"]).post(f"/api/v1/notifications/{note.id}/read")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert api(team["approver2"]).post("/api/v1/notifications/2147483647/read").status_code == 404
    db.session.refresh(note)
    assert note.read_at is None


def test_api_notification_errors(api, client, team):
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.post("/api/v1/notifications/read-all").status_code == 401
    bad = api(team["approver"]).get("/api/v1/notifications?per_page=500")
    assert bad.status_code == 422 and "per_page" in bad.get_json()["error"]["fields"]
    bad = api(team["approver"]).get("/api/v1/notifications?unread=maybe")
    assert bad.status_code == 422 and "unread" in bad.get_json()["error"]["fields"]


def test_the_openapi_document_describes_the_notification_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    listing = paths["/api/v1/notifications"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"page", "per_page", "unread"}
    assert listing["tags"] == ["Notifications"]
    read = paths["/api/v1/notifications/{notification_id}/read"]["post"]
    assert {"200", "401", "404"} <= set(read["responses"])
    assert "post" in paths["/api/v1/notifications/read-all"]


# The demo -------------------------------------------------------------------------------


def test_seed_demo_leaves_notifications_to_read(db, runner):
    from procure.demo import PEOPLE

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    rows = list(db.session.scalars(sa.select(Notification)))
    welcomes = sorted(row.email for row in rows if row.kind == "welcome")
    assert welcomes == sorted(email for email, *_ in PEOPLE)
    kinds = Counter(row.kind for row in rows)
    assert {"step_pending", "request_approved", "request_rejected", "request_returned"} <= set(
        kinds
    )
    # what an approver has decided since, or what no longer waits, they have read; what
    # still waits for them, they have not
    ian = {
        row.subject.split(": ", 1)[1]: row
        for row in rows
        if row.email == "ian@example.org" and row.kind == "step_pending"
    }
    assert ian["Monitors for the support desk"].read_at is not None  # he approved it
    assert ian["Conference room display"].read_at is not None  # Olivia rejected it
    assert ian["Laptops for new developers"].read_at is None
    # idempotent
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == len(rows)


# Goods received --------------------------------------------------------------------------


@pytest.fixture
def shop(make, db, fast_pdf):  # noqa: F811 -- fast_pdf is a fixture
    return Shop(make, db)


def receive(shop, order, *quantities):
    orders.receive(
        order,
        [
            orders.ReceiptLineData(line_id=line.id, quantity=Decimal(quantity))
            for line, quantity in zip(order.lines, quantities, strict=True)
            if Decimal(quantity)
        ],
        received_on=None,
        actor=shop.buyer,
        note="Boxes <unopened>",
    )
    shop.db.session.commit()


def test_each_receipt_tells_the_requester_what_arrived_and_how_far_the_order_is(db, shop):
    vendor = shop.vendor("Acme")
    order = shop.order(
        "IT",
        [("Laptop <pro>", "3", "1000.00", "hardware"), ("Dock", "2", "150.00", "hardware")],
        vendor,
        issued="2026-01-10 09:00",
    )
    requester = shop.requesters["IT"]
    pr = order.request
    assert outbox(db, pr, kind="order_received") == {}
    # Part of it: the requester hears what arrived and what is still to come.
    receive(shop, order, "3", "0")
    partial = outbox(db, pr, kind="order_received")[requester.email]
    assert partial.user_id == requester.id and partial.link == f"{BASE_URL}/requests/{pr.id}"
    assert partial.subject == (
        f"{pr.number}: {order.number} partially received (3 of 5) — Report test"
    )
    for body in (partial.body_text, partial.body_html):
        assert f"{order.number} partially received (3 of 5)" in body
        assert "The rest is still to come." in body
    assert "\n- Laptop <pro>: 3\n\n" in partial.body_text  # a paragraph of its own
    assert "Boxes <unopened>" in partial.body_text
    assert "Laptop &lt;pro&gt;: 3" in partial.body_html and "<pro>" not in partial.body_html
    assert "&lt;unopened&gt;" in partial.body_html
    # The rest: received in full, on the day, said as every page says a date.
    receive(shop, order, "0", "2")
    db.session.expire_all()
    rows = list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.kind == "order_received")
            .order_by(Notification.id)
        )
    )
    assert [row.email for row in rows] == [requester.email, requester.email]
    full = rows[1]
    day = format_date(utcnow().date())
    assert full.subject == f"{pr.number}: {order.number} received in full on {day} — Report test"
    assert "Dock: 2" in full.body_text and "Laptop" not in full.body_text
    assert "still to come" not in full.body_text


def test_a_refused_receipt_tells_nobody(db, shop):
    order = shop.order(
        "IT", [("Laptop", "1", "1000.00", "hardware")], shop.vendor(), issued="2026-01-10 09:00"
    )
    with pytest.raises(ValidationError):
        receive(shop, order, "2")
    db.session.rollback()
    assert outbox(db, kind="order_received") == {}
