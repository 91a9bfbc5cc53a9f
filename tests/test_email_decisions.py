"""Deciding from the "waits for you" e-mail: ``/act/<token>`` (API.md, "Decisions by
e-mail, webhooks").

The links are taken from the e-mail Procure really wrote (its text part), as a person
would click them. A GET changes nothing; a POST decides as the link's person and spends
the link; every refusal answers its page (404, 409, 410, 422) and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeSerializer

from procure import action_links, currencies, delegation, rates
from procure.admin import services as admin
from procure.history import entries
from procure.identity import lifecycle
from procure.models import ActionLink, AuditEvent, Notification, StepStatus, utcnow
from procure.observability import redacted
from procure.purchasing import services

LINK = re.compile(r"^(Approve|Reject|Return for changes): http://procure\.test(/act/\S+)$", re.M)
ACTION = {"Approve": "approve", "Reject": "reject", "Return for changes": "return"}
SIGN_IN = "/login?next=/requests/"


# Helpers --------------------------------------------------------------------------------


@pytest.fixture
def team(make):
    return {
        "requester": make.user(["requester"], department="IT", name="Rita Requester"),
        "ian": make.user(["approver"], department="IT", name="Ian Approver"),
        "alan": make.user(["approver"], department="IT", name="Alan Approver"),
        "fay": make.user(["finance"], department="FIN", name="Fay Finance"),
        "admin": make.user(["admin"], department="IT", name="Ada Admin"),
    }


def file_request(requester, price="900.00", *, title="Docking stations"):
    pr = services.create_request(
        services.RequestData(
            title=title,
            lines=[
                services.LineData(
                    description="USB-C dock", quantity=Decimal(2), unit_price=Decimal(price)
                )
            ],
        ),
        actor=requester,
    )
    services.submit(pr, actor=requester)
    return pr


def links(db, pr, person) -> dict[str, str]:
    """The decision links of the latest "waits for you" e-mail to ``person``: action → path."""
    note = db.session.scalars(
        sa.select(Notification)
        .where(
            Notification.email == person.email,
            Notification.entity == "request",
            Notification.entity_id == pr.id,
            Notification.kind == "step_pending",
        )
        .order_by(Notification.id.desc())
    ).first()
    assert note is not None, f"no e-mail to {person.email}"
    return {ACTION[label]: path for label, path in LINK.findall(note.body_text)}


def audit_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


def unchanged(db, pr, version: int, events: int) -> None:
    db.session.expire_all()
    assert pr.version == version
    assert pr.pending_step is not None and pr.pending_step.status == StepStatus.PENDING
    assert audit_count(db) == events


def refused(response, status: int, *words: str) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == status, page
    assert 'href="/login"' in page
    assert "Nothing was changed." in page
    for word in words:
        assert word in page, page
    return page


# The confirmation page ------------------------------------------------------------------


def test_the_email_carries_one_link_per_decision(db, team):
    pr = file_request(team["requester"])
    found = links(db, pr, team["ian"])
    assert set(found) == {"approve", "reject", "return"}
    assert len(set(found.values())) == 3


def test_opening_a_link_shows_the_request_and_changes_nothing(db, client, team):
    pr = file_request(team["requester"])
    version, events = pr.version, audit_count(db)
    response = client.get(links(db, pr, team["ian"])["approve"])
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    for text in (
        pr.number,
        "Docking stations",
        "Rita Requester",
        "IT",
        "$1,800.00",
        "USB-C dock",
        "$900.00",
        "The department step",
        pr.pending_step.reason,
        "You decide as <strong>Ian Approver</strong>",
        f">Approve {pr.number}</button>",
        f'href="{SIGN_IN}{pr.id}"',
    ):
        assert text in page, text
    assert 'name="decision" type="hidden" value="approve"' in page
    assert "on behalf of" not in page
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    unchanged(db, pr, version, events)
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(ActionLink.used_at.is_not(None))) == 0
    )


def test_reject_and_return_ask_for_a_reason(db, client, team):
    pr = file_request(team["requester"])
    found = links(db, pr, team["ian"])
    for action, label in (("reject", "Reject"), ("return", "Return for changes")):
        page = client.get(found[action]).get_data(as_text=True)
        assert "Required: the requester is told why." in page
        assert f">{label} {pr.number}</button>" in page


def test_a_foreign_request_shows_its_currency_and_base_equivalent(db, client, team):
    currencies.set_enabled(["EUR"], actor=team["admin"])
    rates.record("EUR", dt.date.today(), "1.1", actor=None)
    pr = services.create_request(
        services.RequestData(
            title="Servers",
            currency="EUR",
            lines=[
                services.LineData(
                    description="Rack server", quantity=Decimal(2), unit_price=Decimal("1200.00")
                )
            ],
        ),
        actor=team["requester"],
    )
    services.submit(pr, actor=team["requester"])
    page = client.get(links(db, pr, team["ian"])["approve"]).get_data(as_text=True)
    assert "€2,400.00" in page and " EUR" in page
    assert "≈ $2,640.00 at 1.1 on" in page


def test_an_over_budget_request_says_so(db, client, team):
    pr = file_request(team["requester"])
    pr.over_budget = True
    db.session.commit()
    # The e-mail predates the change: a fresh link for the request as it is now.
    ian = team["ian"]
    link = action_links.mint([ian], pr, pr.pending_step, now=utcnow())[ian.id]["approve"]
    db.session.commit()
    page = client.get(link.removeprefix("http://procure.test")).get_data(as_text=True)
    assert "Over budget" in page


def test_a_stand_in_decides_on_behalf_of_the_absent_approver(db, client, make, team):
    stand_in = make.user(["approver"], department="OPS", name="Sam Standin")
    today = delegation.today()
    delegation.create(team["ian"], stand_in, today, today, actor=team["ian"])
    pr = file_request(team["requester"])
    page = client.get(links(db, pr, stand_in)["approve"]).get_data(as_text=True)
    assert "You decide as <strong>Sam Standin</strong>, on behalf of <strong>Ian Approver" in page


# Deciding -------------------------------------------------------------------------------


def test_confirming_decides_as_the_links_person_from_the_email(db, client, team):
    pr = file_request(team["requester"], "4500.00")  # $9,000: a finance step follows
    found = links(db, pr, team["ian"])
    response = client.post(found["approve"], data={"decision": "approve", "comment": "Fine"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert f"{pr.number}: the department step is approved; the finance step now waits" in page
    db.session.expire_all()
    step = pr.current_steps[0]
    assert step.status == StepStatus.APPROVED and step.decided_by_id == team["ian"].id
    assert step.comment == "Fine"
    event = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity == "request",
            AuditEvent.entity_id == pr.id,
            AuditEvent.action == "approve",
        )
    ).one()
    assert json.loads(event.changes)["via"] == "email"
    assert event.actor_id == team["ian"].id
    (entry,) = [e for e in entries("request", [event])]
    assert entry["who"] == "Ian Approver from the e-mail"
    # The link is spent; the next step's deciders have their own links.
    assert all(link.used_at is not None for link in _links_of(db, pr, "approve", team["ian"]))
    assert set(links(db, pr, team["fay"])) == {"approve", "reject", "return"}


def _links_of(db, pr, action, person):
    return db.session.scalars(
        sa.select(ActionLink).where(
            ActionLink.request_id == pr.id,
            ActionLink.action == action,
            ActionLink.user_id == person.id,
        )
    ).all()


def test_the_requests_page_says_the_decision_came_from_the_email(db, client, auth, team):
    pr = file_request(team["requester"])
    client.post(links(db, pr, team["ian"])["approve"], data={"decision": "approve"})
    auth.login(team["requester"].email)
    page = client.get(f"/requests/{pr.id}").get_data(as_text=True)
    assert re.search(
        r"Approved — department step</strong>\s*<span[^>]*>by Ian Approver from the e-mail", page
    )


def test_a_reject_without_a_reason_answers_the_form_again_then_decides(db, client, team):
    pr = file_request(team["requester"])
    version, events = pr.version, audit_count(db)
    reject = links(db, pr, team["ian"])["reject"]
    response = client.post(reject, data={"decision": "reject", "comment": "  "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page
    assert re.search(
        r'id="comment-errors"[^>]*>\s*<div>Say why you reject the request.</div>', page
    )
    assert f">Reject {pr.number}</button>" in page
    unchanged(db, pr, version, events)

    response = client.post(reject, data={"decision": "reject", "comment": "Not this year"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert f"{pr.number}: Rejected; the requester is told why." in response.get_data(as_text=True)
    db.session.expire_all()
    assert pr.status.value == "rejected"
    told = db.session.scalars(
        sa.select(Notification).where(
            Notification.email == team["requester"].email, Notification.kind == "request_rejected"
        )
    ).one()
    assert "Not this year" in told.body_text


def test_a_decision_other_than_the_links_is_refused_and_the_link_stays_usable(db, client, team):
    pr = file_request(team["requester"])
    version, events = pr.version, audit_count(db)
    approve = links(db, pr, team["ian"])["approve"]
    response = client.post(approve, data={"decision": "reject", "comment": "No"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page
    assert f"This link can only approve {pr.number}" in page
    unchanged(db, pr, version, events)
    assert client.post(approve, data={"decision": "approve"}).status_code == 200


def test_a_return_sends_the_request_back(db, client, team):
    pr = file_request(team["requester"])
    response = client.post(
        links(db, pr, team["ian"])["return"], data={"decision": "return", "comment": "Two docks?"}
    )
    assert response.status_code == 200
    assert "Returned to the requester for changes." in response.get_data(as_text=True)
    db.session.expire_all()
    assert pr.status.value == "draft"  # back with the requester, to change and submit again


# Refusals -------------------------------------------------------------------------------


def test_a_used_link_cannot_be_replayed(db, client, team):
    pr = file_request(team["requester"], "4500.00")
    approve = links(db, pr, team["ian"])["approve"]
    assert client.post(approve, data={"decision": "approve"}).status_code == 200
    db.session.expire_all()
    version, events = pr.version, audit_count(db)
    refused(client.get(approve), 409, "This link was used on")
    refused(client.post(approve, data={"decision": "approve"}), 409, "This link was used on")
    db.session.expire_all()
    assert pr.version == version and audit_count(db) == events
    assert pr.pending_step.name == "finance"


def test_the_other_buttons_of_a_decided_email_say_who_decided(db, client, team):
    pr = file_request(team["requester"], "4500.00")
    ians = links(db, pr, team["ian"])
    services.approve(pr, actor=team["alan"])
    refused(
        client.get(ians["reject"]),
        409,
        "The department step was already approved by Alan Approver on",
    )
    page = refused(client.post(ians["approve"], data={"decision": "approve"}), 409)
    assert "already approved by Alan Approver" in page


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # tampered
        lambda token: token[: len(token) // 2],  # truncated
        lambda token: "x" * 500,  # absurd
        lambda token: URLSafeSerializer("test-secret-key", salt=action_links.SALT).dumps("mine"),
    ],
    ids=["tampered", "truncated", "too-long", "never-issued"],
)
def test_a_token_that_does_not_verify_is_a_404_page(db, client, team, mangle):
    pr = file_request(team["requester"])
    version, events = pr.version, audit_count(db)
    token = links(db, pr, team["ian"])["approve"].removeprefix("/act/")
    bad = "/act/" + mangle(token)
    refused(client.get(bad), 404, "This link is not valid")
    refused(client.post(bad, data={"decision": "approve"}), 404, "This link is not valid")
    unchanged(db, pr, version, events)


def test_an_expired_link_is_a_410_page(app, db, client, team, monkeypatch):
    monkeypatch.setitem(app.config, "PROCURE_ACTION_LINK_HOURS", 0)
    pr = file_request(team["requester"])
    version, events = pr.version, audit_count(db)
    approve = links(db, pr, team["ian"])["approve"]
    refused(client.get(approve), 410, "This link expired on", "This link has expired")
    refused(client.post(approve, data={"decision": "approve"}), 410)
    unchanged(db, pr, version, events)


def test_a_request_changed_since_the_email_refuses_its_links(db, client, team):
    pr = file_request(team["requester"])
    approve = links(db, pr, team["ian"])["approve"]
    pr.justification = "Changed after the e-mail"
    db.session.commit()
    version, events = pr.version, audit_count(db)
    refused(client.get(approve), 409, "The request changed after this e-mail was sent")
    refused(client.post(approve, data={"decision": "approve"}), 409)
    unchanged(db, pr, version, events)


def test_a_deactivated_person_cannot_use_their_link(db, client, team):
    pr = file_request(team["requester"])
    approve = links(db, pr, team["ian"])["approve"]
    lifecycle.deactivate(team["ian"], actor=team["admin"], via="admin")
    db.session.commit()
    version, events = pr.version, audit_count(db)
    refused(client.post(approve, data={"decision": "approve"}), 409, "is deactivated")
    unchanged(db, pr, version, events)


@pytest.mark.parametrize("change", ["role", "department"])
def test_a_person_who_lost_the_right_cannot_use_their_link(db, client, make, team, change):
    pr = file_request(team["requester"])
    approve = links(db, pr, team["ian"])["approve"]
    ian = team["ian"]
    admin.update_user(
        ian,
        name=ian.name,
        department=make.department("OPS") if change == "department" else ian.department,
        roles=set() if change == "role" else set(ian.roles),
        active=True,
        actor=team["admin"],
    )
    db.session.commit()
    version, events = pr.version, audit_count(db)
    refused(client.get(approve), 409, "You may no longer decide this step")
    refused(client.post(approve, data={"decision": "approve"}), 409)
    unchanged(db, pr, version, events)


def test_a_stand_in_whose_delegation_ended_cannot_use_the_link(db, client, make, team):
    stand_in = make.user(["approver"], department="OPS", name="Sam Standin")
    today = delegation.today()
    granted = delegation.create(team["ian"], stand_in, today, today, actor=team["ian"])
    pr = file_request(team["requester"])
    approve = links(db, pr, stand_in)["approve"]
    delegation.end(granted, actor=team["ian"])
    db.session.commit()
    version, events = pr.version, audit_count(db)
    refused(client.get(approve), 409, "You may no longer decide this step")
    refused(client.post(approve, data={"decision": "approve"}), 409)
    unchanged(db, pr, version, events)


def test_a_link_is_refused_in_somebody_elses_session(db, client, auth, team):
    pr = file_request(team["requester"])
    approve = links(db, pr, team["ian"])["approve"]
    auth.login(team["alan"].email)
    version, events = pr.version, audit_count(db)
    refused(
        client.get(approve), 409, "This link was sent to Ian Approver; you are signed in as Alan"
    )
    refused(client.post(approve, data={"decision": "approve"}), 409)
    unchanged(db, pr, version, events)


def test_the_links_own_person_signed_in_may_use_it(db, client, auth, team):
    pr = file_request(team["requester"])
    approve = links(db, pr, team["ian"])["approve"]
    auth.login(team["ian"].email)
    assert client.post(approve, data={"decision": "approve"}).status_code == 200


# CSRF, logs -----------------------------------------------------------------------------


def test_csrf_stays_on_for_an_anonymous_browser(db, new_client, csrf, team, caplog):
    pr = file_request(team["requester"])
    approve = links(db, pr, team["ian"])["approve"]
    browser = new_client()
    page = browser.get(approve).get_data(as_text=True)
    assert (
        browser.get_cookie("procure_session") is not None
    )  # the GET gave a session for the token
    with caplog.at_level("WARNING", logger="procure.security"):
        forged = browser.post(approve, data={"decision": "approve"})
    assert forged.status_code == 400
    # The refusal is logged, and its line names the page without the token.
    logged = [r.getMessage() for r in caplog.records if r.name == "procure.security"]
    assert logged and "/act/…" in logged[-1]
    assert approve.rsplit("/", 1)[1] not in "".join(logged)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = browser.post(approve, data={"decision": "approve", "csrf_token": token})
    assert response.status_code == 200, response.get_data(as_text=True)


def test_the_token_never_reaches_the_request_log():
    assert redacted("/act/secret.token-value") == "/act/…"
    assert redacted("/actors/1") == "/actors/1"
