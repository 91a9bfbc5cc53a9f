"""De-provisioning is immediate: the directory's ``active: false`` (or DELETE) arriving
while someone is mid-session ends their browser session, their API tokens and their
delegations in one transaction; re-activation restores sign-in, not the tokens. The
account and its history stay: its open approval steps go to the other holders of the
role, and the requests it filed stay visible to whoever may see them."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import delegation
from procure.models import AuditEvent, Delegation, User, UserSession
from procure.purchasing import services as purchasing
from procure.scim import tokens

from .factories import PASSWORD

TODAY = dt.date.today()
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def directory(app, db):
    """Send a SCIM PATCH as the directory does, from a client of its own."""
    _token, secret = tokens.issue("Entra ID", actor=None)
    db.session.commit()
    client = app.test_client()

    def set_active(user: User, active: bool | str):
        response = client.patch(
            f"/scim/v2/Users/{user.id}",
            data=json.dumps(
                {
                    "schemas": [PATCH],
                    "Operations": [{"op": "Replace", "path": "active", "value": active}],
                }
            ),
            content_type="application/scim+json",
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json(force=True)

    def delete(user: User):
        response = client.delete(
            f"/scim/v2/Users/{user.id}", headers={"Authorization": f"Bearer {secret}"}
        )
        assert response.status_code == 204, response.get_data(as_text=True)

    set_active.delete = delete  # type: ignore[attr-defined]
    return set_active


@pytest.fixture
def org(make):
    return {
        "requester": make.user(["requester"], department="IT", name="Rita Requester"),
        "approver": make.user(["approver"], department="IT", name="Lea Leaver"),
        "colleague": make.user(["approver"], department="IT", name="Cole Colleague"),
        "stand_in": make.user(["approver"], department="OPS", name="Sam Standin"),
        "procurement": make.user(["procurement"], department="OPS"),
    }


def signed_in(app, user: User):
    browser = app.test_client()
    response = browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def api_me(client, secret: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code


def file(requester: User):
    pr = purchasing.create_request(
        purchasing.RequestData(
            title="Laptops for the new starters",
            lines=[
                purchasing.LineData(
                    description="Laptop", quantity=Decimal(1), unit_price=Decimal("500.00")
                )
            ],
        ),
        actor=requester,
    )
    purchasing.submit(pr, actor=requester)
    return pr


def test_a_deactivation_mid_session_signs_out_the_browser_and_the_api(
    app, db, make, org, directory
):
    leaver = org["approver"]
    browser = signed_in(app, leaver)
    secret = make.token(leaver)
    assert browser.get("/").status_code == 200
    assert api_me(browser, secret) == 200

    answer = directory(leaver, "False")

    assert answer["active"] is False
    page = browser.get("/")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert "Sign in" in browser.get(page.headers["Location"]).get_data(as_text=True)
    assert api_me(app.test_client(), secret) == 401
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                UserSession.user_id == leaver.id, UserSession.ended_at.is_(None)
            )
        )
        == 0
    )


def test_one_audit_event_says_what_was_shut(db, make, org, directory):
    leaver = org["approver"]
    make.token(leaver)
    make.token(leaver)
    delegation.create(leaver, org["stand_in"], TODAY, TODAY + dt.timedelta(days=3), actor=leaver)
    db.session.commit()

    directory(leaver, False)

    event = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity == "user",
            AuditEvent.entity_id == leaver.id,
            AuditEvent.action == "deactivate",
        )
    ).one()
    assert json.loads(event.changes) == {
        "active": [True, False],
        "via": "scim",
        "sessions_ended": 0,
        "tokens_revoked": 2,
        "delegations_ended": 1,
    }


def test_reactivation_restores_sign_in_but_not_the_tokens(app, db, make, org, directory):
    leaver = org["approver"]
    secret = make.token(leaver)
    directory(leaver, False)

    answer = directory(leaver, True)

    assert answer["active"] is True
    assert api_me(app.test_client(), secret) == 401
    browser = signed_in(app, leaver)
    assert browser.get("/").status_code == 200
    fresh = make.token(db.session.get(User, leaver.id))
    assert api_me(app.test_client(), fresh) == 200


def test_delegations_given_and_received_are_stood_down(db, org, directory):
    leaver, stand_in = org["approver"], org["stand_in"]
    given = delegation.create(leaver, stand_in, TODAY, TODAY + dt.timedelta(days=5), actor=leaver)
    later = delegation.create(
        leaver,
        stand_in,
        TODAY + dt.timedelta(days=10),
        TODAY + dt.timedelta(days=12),
        actor=leaver,
    )
    received = delegation.create(
        org["colleague"], leaver, TODAY, TODAY + dt.timedelta(days=5), actor=org["colleague"]
    )
    db.session.commit()
    pr = file(org["requester"])
    db.session.commit()

    directory(leaver, False)

    for row in (given, later, received):
        assert db.session.get(Delegation, row.id).ended_at is not None
    assert delegation.delegators_of(stand_in) == []
    assert pr not in db.session.scalars(purchasing.awaiting(stand_in)).all()


def test_the_leavers_open_steps_go_to_the_other_holders_of_the_role(db, org, directory):
    pr = file(org["requester"])
    db.session.commit()
    assert pr in db.session.scalars(purchasing.awaiting(org["approver"])).all()

    directory(org["approver"], False)

    colleague = db.session.get(User, org["colleague"].id)
    assert pr in db.session.scalars(purchasing.awaiting(colleague)).all()
    purchasing.approve(pr, actor=colleague, comment="Lea has left")
    db.session.commit()
    decided = [step for step in pr.steps if step.decided_by_id == colleague.id]
    assert decided and decided[0].name == "department"


def test_the_leavers_requests_and_history_stay(app, db, org, directory):
    requester = org["requester"]
    pr = file(requester)
    db.session.commit()
    viewer = signed_in(app, org["procurement"])

    directory.delete(requester)

    page = viewer.get(f"/requests/{pr.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Laptops for the new starters" in html and "Rita Requester" in html
    approver = signed_in(app, org["approver"])
    assert approver.get(f"/requests/{pr.id}").status_code == 200
    user = db.session.get(User, requester.id)
    assert user is not None and user.active is False
    actions = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.actor_id == requester.id)
        .order_by(AuditEvent.id)
    ).all()
    assert "create" in actions and "submit" in actions


def test_an_admin_deactivating_shuts_the_same_doors(app, db, make, org):
    leaver = org["approver"]
    admin = make.user(["admin"])
    browser = signed_in(app, leaver)
    secret = make.token(leaver)
    given = delegation.create(
        leaver, org["stand_in"], TODAY, TODAY + dt.timedelta(days=3), actor=leaver
    )
    db.session.commit()
    admin_browser = signed_in(app, admin)

    response = admin_browser.post(
        f"/admin/users/{leaver.id}",
        data={"name": leaver.name, "department": "IT", "roles": ["approver"]},
    )

    assert response.status_code == 302
    assert browser.get("/").status_code == 302
    assert api_me(app.test_client(), secret) == 401
    assert db.session.get(Delegation, given.id).ended_at is not None
    event = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity_id == leaver.id, AuditEvent.action == "deactivate"
        )
    ).one()
    assert json.loads(event.changes)["via"] == "admin"
    assert event.actor_id == admin.id
