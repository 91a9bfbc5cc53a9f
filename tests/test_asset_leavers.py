"""Leavers: deactivating an account that holds assets or licence seats — by an admin,
by SCIM, by the directory sync — queues one e-mail to the asset managers (or
procurement) in the same transaction; an account holding nothing makes none, and a
second deactivation none again."""

from __future__ import annotations

import itertools
import json
import uuid

import pytest
import sqlalchemy as sa

from procure.assets import leavers, licences, services
from procure.extensions import db as _db
from procure.identity import lifecycle
from procure.models import Notification, Role, User, UserRole
from procure.scim import tokens
from procure.workflow import AssetAction

from .assets_world import hardware, licence_pool
from .factories import PASSWORD
from .ldap_support import Person
from .ldap_support import directory as directory  # noqa: F401 -- the slapd fixture

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MODULE = "leavers"
_numbers = itertools.count(1)


def mails(kind: str = "asset_leaver") -> list[Notification]:
    return list(
        _db.session.scalars(
            sa.select(Notification).where(Notification.kind == kind).order_by(Notification.id)
        )
    )


@pytest.fixture
def register(make, db):
    """A laptop deployed and a dock in repair for the leaver, and a seat of a pool."""
    world = hardware(make, db, warranty_months=12)
    manager = make.user(["asset_manager"], department="IT", name="Alan Assets")
    pool = licence_pool(make, db, seats="3", buyer=world.buyer)
    db.session.commit()

    def give(person: User, *, seat: bool = True) -> None:
        laptop, dock = world.laptops[0], world.docks[0]
        services.act(laptop, AssetAction.DEPLOY, actor=world.buyer, holder=person)
        services.act(dock, AssetAction.DEPLOY, actor=world.buyer, holder=person)
        services.act(dock, AssetAction.REPAIR, actor=world.buyer)
        if seat:
            licences.assign(pool, person.id, actor=world.buyer)
        db.session.commit()

    world.give = give
    world.manager = manager
    world.pool = pool
    return world


def _signed_in(app, user: User):
    browser = app.test_client()
    response = browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def test_an_admin_deactivating_a_holder_tells_the_asset_managers_once(app, db, make, register):
    leaver = make.user(["requester"], department="IT", name="Lee Leaver")
    register.give(leaver)
    admin = _signed_in(app, make.user(["admin"], department="ADM"))

    answer = admin.post(
        f"/admin/users/{leaver.id}",
        data={"name": leaver.name, "department": "IT", "roles": ["requester"]},
    )

    assert answer.status_code == 302
    sent = mails()
    # the asset manager only: procurement hears nothing while an asset manager exists
    assert [m.email for m in sent] == [register.manager.email]
    mail = sent[0]
    assert "Lee Leaver has left: 2 assets and 1 licence seat to recover" == mail.subject
    for asset in (register.laptops[0], register.docks[0]):
        assert asset.tag in mail.body_text and asset.tag in mail.body_html
        assert f"/assets/{asset.tag}" in mail.body_text
    assert register.pool.product in mail.body_text
    assert mail.link.endswith("/assets/reports/leavers")
    assert mail.entity == "user" and mail.entity_id == leaver.id
    # deactivating again (an admin saving the form again) tells nobody again
    admin.post(
        f"/admin/users/{leaver.id}",
        data={"name": leaver.name, "department": "IT", "roles": ["requester"]},
    )
    lifecycle.deactivate(db.session.get(User, leaver.id), actor=None, via="test")
    db.session.commit()
    assert len(mails()) == 1


def test_an_account_holding_nothing_makes_no_email(db, make, register):
    leaver = make.user(["requester"], department="IT")
    lifecycle.deactivate(leaver, actor=None, via="test")
    db.session.commit()
    assert mails() == []


def test_a_returned_asset_is_no_longer_the_leavers(db, make, register):
    leaver = make.user(["requester"], department="IT")
    register.give(leaver, seat=False)
    services.act(register.laptops[0], AssetAction.RETURN, actor=register.buyer)
    services.act(register.docks[0], AssetAction.RETURN, actor=register.buyer)
    lifecycle.deactivate(leaver, actor=None, via="test")
    db.session.commit()
    assert mails() == []


def test_without_an_asset_manager_procurement_hears_of_it(db, make):
    world = hardware(make, db, warranty_months=12)
    other_buyer = make.user(["procurement"], department="PROC")
    leaver = make.user(["requester"], department="IT", name="Lou Leaver")
    services.act(world.laptops[1], AssetAction.DEPLOY, actor=world.buyer, holder=leaver)
    lifecycle.deactivate(leaver, actor=None, via="test")
    db.session.commit()
    sent = mails()
    buyers = db.session.scalars(
        sa.select(User.email)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.PROCUREMENT)
    ).all()
    assert {world.buyer.email, other_buyer.email} <= set(buyers)
    assert sorted(m.email for m in sent) == sorted(set(buyers))
    assert sent[0].subject == "Lou Leaver has left: 1 asset to recover"


def test_a_rollback_takes_the_email_back_with_the_deactivation(db, make, register):
    leaver = make.user(["requester"], department="IT")
    register.give(leaver)
    lifecycle.deactivate(leaver, actor=None, via="test")
    db.session.rollback()
    assert mails() == []
    assert db.session.get(User, leaver.id).active


def test_scim_active_false_tells_the_asset_managers(app, db, make, register):
    leaver = make.user(["requester"], department="IT", name="Sid Scim")
    register.give(leaver, seat=False)
    _token, secret = tokens.issue("Entra ID", actor=None)
    db.session.commit()
    directory_client = app.test_client()

    answer = directory_client.patch(
        f"/scim/v2/Users/{leaver.id}",
        data=json.dumps(
            {
                "schemas": [PATCH],
                "Operations": [{"op": "Replace", "path": "active", "value": False}],
            }
        ),
        content_type="application/scim+json",
        headers={"Authorization": f"Bearer {secret}"},
    )

    assert answer.status_code == 200, answer.get_data(as_text=True)
    sent = mails()
    assert [m.email for m in sent] == [register.manager.email]
    assert sent[0].subject == "Sid Scim has left: 2 assets to recover"
    # the directory says it again: nothing more
    directory_client.delete(
        f"/scim/v2/Users/{leaver.id}", headers={"Authorization": f"Bearer {secret}"}
    )
    assert len(mails()) == 1


def test_the_leavers_holdings_are_read_in_three_queries_however_many(db, make, register):
    people = [make.user(["requester"], department="IT") for _ in range(3)]
    for person in people:
        licences.assign(register.pool, person.id, actor=register.buyer)
    services.act(register.laptops[2], AssetAction.DEPLOY, actor=register.buyer, holder=people[0])
    for person in people:
        lifecycle.deactivate(person, actor=None, via="test")
    db.session.commit()
    first, others = people[0].id, {p.id for p in people[1:]}
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        found = leavers.holdings()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 3
    held = {h.user.id: (len(h.assets), len(h.seats)) for h in found}
    assert held == {first: (1, 1), **{i: (0, 1) for i in others}}


# The directory sync (a real slapd) -----------------------------------------------------


@pytest.fixture(scope="module")
def groups(directory):  # noqa: F811
    directory.add_group(f"buyers-{MODULE}")


def test_the_directory_sync_tells_the_asset_managers(
    app,
    runner,
    db,
    make,
    register,
    directory,  # noqa: F811
    groups,
):
    base = directory.add_unit(f"leavers{next(_numbers)}-{uuid.uuid4().hex[:8]}")
    settings = directory.settings(
        PROCURE_LDAP_BASE_DN=base, PROCURE_GROUP_ROLES=f"buyers-{MODULE}=requester"
    )
    saved = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    make.department("OPS", "Operations")
    try:
        people = []
        for _ in range(2):
            number = next(_numbers)
            someone = Person(
                uid=f"leaver{number}",
                password=f"directory password {number}",
                mail=f"leaver{number}@example.org",
                cn=f"Dee Directory{number}",
                department="OPS",
                groups=(f"buyers-{MODULE}",),
                unit=base,
            )
            directory.add_person(someone)
            people.append(someone)
        assert runner.invoke(args=["sync-directory"]).exit_code == 0
        leaver = db.session.scalar(sa.select(User).where(User.email == people[0].mail))
        register.give(leaver)
        directory.delete(people[0].dn)

        result = runner.invoke(args=["sync-directory"])

        assert result.exit_code == 0, result.output
        assert "deactivated 1" in result.output
        sent = mails()
        assert [m.email for m in sent] == [register.manager.email]
        assert leaver.name in sent[0].subject
    finally:
        app.config.update(saved)
