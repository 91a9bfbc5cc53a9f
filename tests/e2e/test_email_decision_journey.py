"""An approver decides from the e-mail on a phone: the real "waits for you" message,
delivered by SMTP to a sink started here, its Approve link opened in Chromium at
390 px and confirmed without signing in; then finance rejects from its own e-mail (a
reason is required), and a used link says so.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from procure.db import write_intent
from procure.extensions import db
from procure.models import AuditEvent, Notification, PurchaseRequest, Role, StepStatus
from procure.notifications import mail
from tests.test_notifications import Inbox, free_port, start_smtp

from . import org
from .axe import violations
from .conftest import DESKTOP
from .live import LiveServer, no_sideways_scrolling, sign_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
LINES = [("Thunderbolt docking station", "3", "2500.00")]  # $7,500: department, then finance


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    found = Inbox()
    controller = start_smtp(found, free_port())
    yield found
    controller.stop()


def deliver(live_server: LiveServer, inbox: Inbox) -> None:
    """What ``send-notifications`` does: the outbox, by SMTP, to the sink."""
    with live_server.app.app_context(), write_intent():
        report = mail.send_pending(smtp_url=inbox.url)
    assert not report.errors, report.errors


def received(inbox: Inbox, person: org.Person, number: str) -> tuple[str, str]:
    """The text and HTML of the one "waits for you" e-mail to ``person`` about ``number``."""
    found = [
        message
        for _sender, recipients, message in inbox.messages
        if person.email in recipients and number in message["Subject"]
    ]
    assert len(found) == 1, [m["Subject"] for _s, _r, m in inbox.messages if person.email in _r]
    text = found[0].get_body(preferencelist=("plain",)).get_content()
    html = found[0].get_body(preferencelist=("html",)).get_content()
    return text, html


def link(text: str, label: str) -> str:
    match = re.search(rf"^{re.escape(label)}: (\S+/act/\S+)\r?$", text, re.M)
    assert match, text
    return match.group(1)


def keep_screenshot(page: Page, name: str) -> None:
    """A picture of ``page`` for a person to look at, in ``$PROCURE_SCREENSHOTS`` if set."""
    folder = os.environ.get("PROCURE_SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def no_serious_violation(page: Page, what: str) -> None:
    found = violations(page, f"{what} at {PHONE['width']} px")
    assert not found, "\n".join(str(violation) for violation in found)


def confirm_button(page: Page, label: str):
    return page.get_by_role("button", name=label)


def test_deciding_from_the_email_on_a_phone(
    new_page: Callable[..., Page], live_server: LiveServer, inbox: Inbox
) -> None:
    department = org.add_department(live_server, "E", "E-mail")
    rita = org.add_person(live_server, "Rita Requester", department, Role.REQUESTER)
    ian = org.add_person(live_server, "Ian Approver", department, Role.APPROVER)
    fay = org.add_person(live_server, "Fay Finance", department, Role.FINANCE)
    filed = org.file_request(live_server, rita, f"Docking stations {org.tag()}", LINES)
    deliver(live_server, inbox)

    text, html = received(inbox, ian, filed.number)
    approve = link(text, "Approve")
    assert link(text, "Reject") != approve

    # The e-mail itself on a phone: its buttons within the screen.
    mail_page = new_page(viewport=PHONE)
    mail_page.set_content(html)
    no_sideways_scrolling(mail_page)
    expect(mail_page.get_by_role("link", name=f"Approve {filed.number}")).to_be_visible()
    keep_screenshot(mail_page, "email-decision-mail-390")

    # Opening the link on a wide screen shows the same page and decides nothing.
    desk = new_page(viewport=DESKTOP)
    desk.goto(approve)
    expect(desk.get_by_role("heading", level=1)).to_have_text(f"Approve {filed.number}?")
    keep_screenshot(desk, "email-decision-confirm-1280")

    # The approver, on a phone, signed in nowhere: the summary, who decides, one button.
    phone = new_page(viewport=PHONE, bypass_csp=True)  # axe is injected as a script
    response = phone.goto(approve)
    assert response is not None and response.status == 200
    assert response.headers["cache-control"] == "private, no-store"
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Approve {filed.number}?")
    main = phone.get_by_role("main")
    for shown in (filed.title, "Rita Requester", "$7,500.00", "Thunderbolt docking station"):
        expect(main.get_by_text(shown, exact=False).first).to_be_visible()
    expect(main).to_contain_text("You decide as Ian Approver.")
    expect(phone.get_by_role("link", name="Open the request (sign in)")).to_have_attribute(
        "href", f"/login?next=/requests/{filed.id}"
    )
    no_sideways_scrolling(phone)
    keep_screenshot(phone, "email-decision-confirm-390")
    no_serious_violation(phone, "the confirmation page")

    button = confirm_button(phone, f"Approve {filed.number}")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= PHONE["width"]
    phone.get_by_label("Comment").fill("Fine, from my phone.")
    button.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Approved: {filed.number}")
    expect(phone.get_by_role("status")).to_have_text(
        f"{filed.number}: the department step is approved; the finance step now waits for finance."
    )
    no_sideways_scrolling(phone)

    with live_server.app.app_context():
        pr = db.session.get(PurchaseRequest, filed.id)
        department_step = pr.current_steps[0]
        assert department_step.status == StepStatus.APPROVED
        assert department_step.decided_by.email == ian.email
        assert department_step.comment == "Fine, from my phone."
        event = db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity == "request",
                AuditEvent.entity_id == filed.id,
                AuditEvent.action == "approve",
            )
        ).one()
        assert json.loads(event.changes)["via"] == "email"
        assert db.session.scalars(
            sa.select(Notification).where(
                Notification.email == fay.email, Notification.entity_id == filed.id
            )
        ).one()

    # Finance hears of it with links of its own; rejecting needs a reason.
    deliver(live_server, inbox)
    fay_text, _ = received(inbox, fay, filed.number)
    reject = link(fay_text, "Reject")
    assert "/act/" in link(fay_text, "Approve")
    finance = new_page(viewport=PHONE, bypass_csp=True)
    finance.goto(reject)
    with finance.expect_response(lambda r: r.request.method == "POST") as answer:
        confirm_button(finance, f"Reject {filed.number}").click()
    assert answer.value.status == 422
    comment = finance.get_by_label("Comment")
    expect(finance.locator("#comment-errors")).to_have_text("Say why you reject the request.")
    expect(comment).to_have_attribute("aria-describedby", re.compile("comment-errors"))
    no_sideways_scrolling(finance)
    no_serious_violation(finance, "the confirmation page with its error")
    comment.fill("Over the quarter's budget for docks.")
    confirm_button(finance, f"Reject {filed.number}").click()
    expect(finance.get_by_role("heading", level=1)).to_have_text(f"Rejected: {filed.number}")

    # The approver's link again: used, says so, decides nothing.
    again = new_page(viewport=PHONE)
    response = again.goto(approve)
    assert response is not None and response.status == 409
    expect(again.get_by_role("heading", level=1)).to_have_text("This link can no longer decide")
    expect(again.get_by_role("main")).to_contain_text("This link was used on")
    expect(again.get_by_role("link", name="Sign in to Procure")).to_have_attribute(
        "href", "/login"
    )
    no_sideways_scrolling(again)

    # The request's page on a phone, as the requester reads the outcome.
    requester = new_page(viewport=PHONE)
    sign_in(requester, live_server, rita.email, rita.password)
    requester.goto(f"{live_server.url}/requests/{filed.id}")
    expect(requester.get_by_role("main")).to_contain_text("by Ian Approver from the e-mail")
    no_sideways_scrolling(requester)
