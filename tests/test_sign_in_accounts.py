"""Accounts from identity providers (issue 17, item 3): matched by the provider's stable
subject, made on first sign-in, brought up to date at every sign-in through the admin's
mapping, audited; and the mapping admin edits on ``/admin/sign-in``.

The protocols (OpenID Connect, SAML, LDAP) have their own tests against real providers;
these drive :func:`procure.identity.accounts.provision` directly, as each of them does."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import delegation, settings
from procure.identity import mapping
from procure.identity.accounts import Claims, SignInRefused, provision
from procure.models import AuditEvent, ExternalIdentity, Role, User
from procure.permissions import may_decide
from procure.purchasing import services as purchasing

from .pages import csrf_token, field_errors, flashes, text

ISSUER = "https://login.example.org"
GROUPS = "procure-staff = requester\nprocure-approvers = approver\nprocure-approvers = requester"


@pytest.fixture
def groups_mapping(app, db, make):
    make.department("IT", "Information Technology")
    make.department("OPS", "Operations")
    mapping.update(
        {
            "group_roles": GROUPS,
            "department_attribute": "department",
            "department_values": "Ops team = OPS",
            "default_department": "IT",
            "contact": "the IT service desk (extension 4444)",
        },
        actor=None,
    )
    db.session.commit()
    yield
    settings.put(mapping.SETTING, None, actor=None)
    db.session.commit()


def claims(subject="sub-1", *, email="grace@example.org", groups=("procure-staff",), **more):
    return Claims(
        source="oidc",
        issuer=ISSUER,
        subject=subject,
        email=email,
        email_verified=True,
        name=more.pop("name", "Grace Hopper"),
        groups=tuple(groups),
        **more,
    )


def events(db, user: User) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity == "user", AuditEvent.entity_id == user.id)
            .order_by(AuditEvent.id)
        )
    )


def test_a_first_sign_in_makes_the_account_with_the_roles_of_its_groups(db, groups_mapping):
    user = provision(claims(groups=("Procure-Approvers",), department="Ops team"))
    db.session.commit()

    assert user.email == "grace@example.org"
    assert user.name == "Grace Hopper"
    assert user.roles == {Role.APPROVER, Role.REQUESTER}  # groups compare without case
    assert user.department.code == "OPS"  # through the table of values
    assert user.source == "oidc" and not user.has_password
    assert user.last_sign_in_at is not None
    link = db.session.scalar(
        sa.select(ExternalIdentity).where(ExternalIdentity.user_id == user.id)
    )
    assert (link.issuer, link.subject, link.source) == (ISSUER, "sub-1", "oidc")
    actions = [event.action for event in events(db, user)]
    assert actions == ["create", "sync"]


def test_roles_are_read_again_at_every_sign_in_and_the_change_is_audited(db, groups_mapping):
    user = provision(claims(groups=("procure-approvers",)))
    db.session.commit()

    again = provision(claims(groups=("procure-staff",)))
    db.session.commit()

    assert again.id == user.id
    assert again.roles == {Role.REQUESTER}
    last = events(db, user)[-1]
    assert last.action == "sync"
    assert '"roles":[["approver","requester"],["requester"]]' in last.changes.replace(" ", "")


def test_an_address_changed_at_the_provider_keeps_the_same_account(db, groups_mapping):
    user = provision(claims(email="grace@example.org"))
    db.session.commit()

    moved = provision(claims(email="grace.hopper@example.org"))
    db.session.commit()

    assert moved.id == user.id
    assert moved.email == "grace.hopper@example.org"
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .where(User.email.in_(["grace@example.org", "grace.hopper@example.org"]))
        )
        == 1
    )


def test_the_same_address_from_another_subject_is_not_taken_over(db, make, groups_mapping):
    local = make.user(["requester"], email="grace@example.org")

    with pytest.raises(SignInRefused) as refused:
        provision(claims(subject="someone-else"))
    db.session.rollback()

    assert refused.value.status == 403 and refused.value.reason == "email_taken"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExternalIdentity)) == 0
    assert db.session.get(User, local.id).source == "local"


def test_linking_by_verified_address_needs_the_admins_leave(db, make, groups_mapping):
    local = make.user(["finance"], email="grace@example.org")
    stored = dict(settings.get(mapping.SETTING))
    settings.put(mapping.SETTING, {**stored, "link_by_email": True}, actor=None)
    db.session.commit()

    unverified = Claims(source="saml", issuer=ISSUER, subject="s", email="grace@example.org")
    with pytest.raises(SignInRefused):
        provision(unverified)
    db.session.rollback()

    linked = provision(claims(groups=("procure-staff",)))
    db.session.commit()
    assert linked.id == local.id
    assert linked.roles == {Role.REQUESTER}  # the provider's groups rule from now on
    assert linked.has_password  # the break-glass password, if any, stays
    assert [e.action for e in events(db, local)][-2:] == ["link_identity", "sync"]


def test_an_account_the_directory_made_is_linked_at_its_first_sign_in(db, groups_mapping):
    scim_made = User(
        email="grace@example.org",
        name="Grace Hopper",
        department=mapping.current().fallback_department(),
        source="scim",
        password_hash=None,
    )
    db.session.add(scim_made)
    db.session.commit()

    signed_in = provision(claims(groups=("procure-staff",)))
    db.session.commit()

    assert signed_in.id == scim_made.id
    assert [e.action for e in events(db, scim_made)] == ["link_identity", "sync"]


def test_no_role_keeps_the_account_and_says_whom_to_ask(db, groups_mapping):
    with pytest.raises(SignInRefused) as refused:
        provision(claims(groups=("everyone",)))

    assert refused.value.status == 403 and refused.value.keep
    assert "the IT service desk (extension 4444)" in refused.value.message
    db.session.commit()
    user = db.session.scalar(sa.select(User).where(User.email == "grace@example.org"))
    assert user.active and user.roles == set()
    assert user.department.code == "IT"  # no attribute: the default department


def test_a_deactivated_account_is_refused(db, groups_mapping):
    user = provision(claims())
    user.active = False
    db.session.commit()

    with pytest.raises(SignInRefused) as refused:
        provision(claims())
    assert refused.value.status == 403 and refused.value.reason == "deactivated"


def test_a_sync_writes_the_account_without_signing_it_in(db, groups_mapping):
    user = provision(claims(groups=()), signing_in=False)
    db.session.commit()

    assert user.roles == set() and user.synced_at is not None
    assert user.last_sign_in_at is None


def test_a_provider_without_subject_or_address_is_refused(db, groups_mapping):
    with pytest.raises(SignInRefused) as no_subject:
        provision(claims(subject=" "))
    with pytest.raises(SignInRefused) as no_email:
        provision(claims(email=None))
    db.session.rollback()
    assert no_subject.value.status == no_email.value.status == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ExternalIdentity)) == 0


def test_the_mapping_falls_back_to_the_settings(app, db):
    app.config["PROCURE_GROUP_ROLES"] = "Buyers=procurement, finance = finance"
    try:
        current = mapping.current()
    finally:
        app.config["PROCURE_GROUP_ROLES"] = ""
    assert current.roles_for(["buyers"]) == {Role.PROCUREMENT}
    assert current.roles_for(["finance", "nobody"]) == {Role.FINANCE}


def test_a_group_on_the_page_may_be_a_directory_name_with_commas(db, groups_mapping):
    pairs = mapping.parse_group_roles("cn=buyers,ou=groups,dc=example,dc=org = procurement")
    assert pairs == (("cn=buyers,ou=groups,dc=example,dc=org", Role.PROCUREMENT),)


def submitted_request(db, requester: User, description: str, quantity: str, price: str):
    """A one-line hardware request filed and submitted by ``requester``, committed."""
    line = purchasing.LineData(
        description=description,
        quantity=Decimal(quantity),
        unit_price=Decimal(price),
        category="hardware",
    )
    pr = purchasing.create_request(
        purchasing.RequestData(title=description, lines=[line]), actor=requester
    )
    purchasing.submit(pr, actor=requester)
    db.session.commit()
    return pr


def test_a_provisioned_approver_still_cannot_approve_their_own_request(db, make, groups_mapping):
    user = provision(claims(groups=("procure-approvers",), department="IT"))
    colleague = provision(
        claims("sub-2", email="ada@example.org", groups=("procure-approvers",), department="IT")
    )
    db.session.commit()
    pr = submitted_request(db, user, "Dock", "2", "150")

    assert pr.pending_step.name == "department"
    assert may_decide(user, pr) == "You filed this request, so you cannot decide on it."
    assert may_decide(colleague, pr) is None


# The admin page -----------------------------------------------------------------------


def test_admin_edits_the_mapping_on_the_page(client, auth, db, make, groups_mapping):
    admin = make.user(["admin"])
    auth.login(admin.email)
    page = client.get("/admin/sign-in")
    assert page.status_code == 200
    assert "procure-approvers = approver" in page.get_data(as_text=True)
    base = client.application.config["PROCURE_BASE_URL"]
    assert f"{base}/login/oidc/callback" in text(page)

    saved = client.post(
        "/admin/sign-in",
        data={
            "csrf_token": csrf_token(page),
            "group_roles": "Finance Team = finance",
            "groups_claim": "roles",
            "department_attribute": "costCenter",
            "department_values": "",
            "default_department": "OPS",
            "link_by_email": "y",
            "contact": "Erin in IT",
        },
        follow_redirects=True,
    )

    assert saved.status_code == 200
    assert flashes(saved) == [
        "The sign-in mapping is saved: it applies at each person's next sign-in."
    ]
    current = mapping.current()
    assert current.group_roles == (("Finance Team", Role.FINANCE),)
    assert (current.groups_claim, current.department_attribute) == ("roles", "costCenter")
    assert current.link_by_email and current.default_department == "OPS"
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity == "settings").order_by(AuditEvent.id.desc())
    ).first()
    assert event.actor_id == admin.id and "signin.mapping" in event.changes


def test_a_wrong_mapping_is_shown_beside_its_field_and_changes_nothing(
    client, auth, db, make, groups_mapping
):
    auth.login(make.user(["admin"]).email)
    before = settings.get(mapping.SETTING)

    answer = client.post(
        "/admin/sign-in",
        data={
            "group_roles": "procure-staff = requester\nbuyers = purchaser\nno role here",
            "department_values": "Ops team = NOPE",
            "default_department": "OPS",
        },
    )

    assert answer.status_code == 422
    roles = ", ".join(role.value for role in Role)
    assert field_errors(answer, "group_roles") == [
        f"Entry 2: 'purchaser' is not a role; one of {roles}."
    ]
    assert field_errors(answer, "department_values") == ["Line 1: there is no department NOPE."]
    db.session.expire_all()
    assert settings.get(mapping.SETTING) == before


def test_only_admin_reaches_the_sign_in_page(client, auth, make):
    auth.login(make.user(["finance", "approver"]).email)
    assert client.get("/admin/sign-in").status_code == 403


# Password sign-in switched off ----------------------------------------------------------


@pytest.fixture
def passwords_off(app):
    app.config.update(PROCURE_PASSWORD_LOGIN=False, PROCURE_BREAK_GLASS="Root@Example.org")
    yield
    app.config.update(PROCURE_PASSWORD_LOGIN=True, PROCURE_BREAK_GLASS="")


def test_with_passwords_off_only_break_glass_admins_sign_in_by_password(
    client, auth, make, passwords_off, caplog
):
    person = make.user(["requester"])
    root = make.user(["admin"], email="root@example.org")

    refused = auth.login(person.email)
    assert refused.status_code == 403
    assert "switched off" in " ".join(field_errors(refused, "password"))
    assert client.get("/").status_code == 302
    assert "event=sign_in_refused" in caplog.text and "password_login_off" in caplog.text

    assert auth.login(root.email).status_code == 302
    assert client.get("/").status_code == 200


def test_with_passwords_off_the_api_gives_tokens_to_break_glass_admins_only(
    client, make, passwords_off
):
    person = make.user(["requester"])
    make.user(["admin"], email="root@example.org")
    body = {"password": "correct horse battery", "name": "cli"}

    refused = client.post("/api/v1/auth/token", json={**body, "email": person.email})
    allowed = client.post("/api/v1/auth/token", json={**body, "email": "root@example.org"})

    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert allowed.status_code == 201


def test_existing_tokens_keep_working_with_passwords_off(api, make, passwords_off):
    person = make.user(["requester"])
    assert api(person).get("/api/v1/me").status_code == 200


def test_the_sign_in_page_offers_the_configured_providers(app, client):
    app.config.update(
        PROCURE_OIDC_ISSUER="https://login.example.org",
        PROCURE_OIDC_CLIENT_ID="procure",
        PROCURE_OIDC_NAME="Northwind account",
    )
    try:
        page = client.get("/login?next=/requests")
    finally:
        app.config.update(PROCURE_OIDC_ISSUER="", PROCURE_OIDC_CLIENT_ID="")
    body = page.get_data(as_text=True)
    assert "Sign in with Northwind account" in text(page)
    assert 'href="/login/oidc?next=/requests"' in body


def test_an_approver_from_the_provider_delegates_as_any_approver(db, make, groups_mapping):
    """Out of office: IT's approver, who signs in through the provider, names OPS's
    approver, who decides IT's step on their behalf."""
    it_approver = provision(
        claims("it", email="ian@example.org", groups=("procure-approvers",), department="IT")
    )
    ops_approver = provision(
        claims("ops", email="olga@example.org", groups=("procure-approvers",), department="OPS")
    )
    requester = make.user(["requester"], department="IT")
    pr = submitted_request(db, requester, "27-inch monitor", "3", "240")
    assert may_decide(ops_approver, pr) is not None

    today = delegation.today()
    delegation.create(it_approver, ops_approver, today, today, actor=it_approver)
    db.session.commit()
    assert may_decide(ops_approver, pr) is None
    purchasing.approve(pr, actor=ops_approver)
    db.session.commit()

    decided = pr.steps[0]
    assert decided.decided_by_id == ops_approver.id
    assert decided.on_behalf_of_id == it_approver.id
