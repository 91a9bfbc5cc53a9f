"""Signing in through SAML 2.0, against a real identity provider: pysaml2's IdP on
loopback (``tests/idp/saml``), which signs its assertions with a key made for the run
and, when a test asks, answers wrongly (unsigned, another key, another audience,
expired, for another request)."""

from __future__ import annotations

import base64
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import defusedxml.ElementTree as SafeET
import pytest
import requests
import sqlalchemy as sa
from saml2 import md
from saml2.validate import valid_instance

from procure.models import AuditEvent, ExternalIdentity, Role, User

from .saml_support import (  # noqa: F401 -- the fixtures
    ACS,
    ENTITY_ID,
    acs_path,
    ada,
    count,
    departments_fixture,
    idp_answer,
    saml_app_fixture,
    saml_idp_fixture,
    security_log_fixture,
    sign_in,
    signing_sp_fixture,
    user_by_email,
)

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"


def test_the_saml_paths_are_not_found_when_saml_is_not_configured(client):
    assert client.get("/saml/metadata").status_code == 404
    assert client.get("/saml/login").status_code == 404
    assert client.post("/saml/acs", data={"SAMLResponse": "x"}).status_code == 404


def test_the_metadata_names_our_entity_id_and_acs_and_asks_for_signed_assertions(client, saml_app):
    response = client.get("/saml/metadata")
    assert response.status_code == 200
    assert response.mimetype == "application/samlmetadata+xml"
    text = response.get_data(as_text=True)
    # Valid by the SAML metadata schema, as pysaml2 knows it.
    assert valid_instance(md.entity_descriptor_from_string(text))
    root = SafeET.fromstring(text)
    assert root.get("entityID") == ENTITY_ID
    sp = root.find(f"{MD}SPSSODescriptor")
    assert sp.get("WantAssertionsSigned") == "true"
    (acs,) = sp.findall(f"{MD}AssertionConsumerService")
    assert acs.get("Location") == ACS
    assert acs.get("Binding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    assert [element.text for element in sp.findall(f"{MD}NameIDFormat")] == [PERSISTENT]


def test_the_entity_id_may_be_set(client, saml_app):
    saml_app.config["PROCURE_SAML_SP_ENTITY_ID"] = "urn:example:procure"
    try:
        root = SafeET.fromstring(client.get("/saml/metadata").get_data(as_text=True))
    finally:
        saml_app.config["PROCURE_SAML_SP_ENTITY_ID"] = ""
    assert root.get("entityID") == "urn:example:procure"


def test_the_sign_in_button_leads_to_the_identity_provider(client, saml_app, saml_idp):
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with Test IdP" in page
    start = client.get("/saml/login?next=/requests")
    assert start.status_code == 302
    location = start.headers["Location"]
    assert location.startswith(saml_idp.url + "/sso/redirect?SAMLRequest=")
    # No key of Procure's configured: the request goes unsigned.
    assert "Signature=" not in location


def test_a_first_sign_in_creates_the_account_with_the_roles_of_its_groups(
    client, db, saml_app, saml_idp, departments, security_log
):
    saml_idp.set_users(ada())
    response = sign_in(client, saml_idp, next_url="/profile")

    assert response.status_code == 302
    assert response.headers["Location"] == "/profile"
    user = user_by_email(db, "ada@corp.example")
    assert user is not None and user.active and user.source == "saml"
    assert user.name == "Ada Lovelace"
    assert user.department.code == "FIN"
    assert set(user.roles) == {Role.REQUESTER, Role.APPROVER}
    link = db.session.scalar(
        sa.select(ExternalIdentity).where(ExternalIdentity.user_id == user.id)
    )
    assert (link.source, link.issuer, link.subject) == ("saml", saml_idp.entity_id, "ada-0001")
    # Signed in: the dashboard greets Ada.
    assert "Good to see you, Ada" in client.get("/").get_data(as_text=True)
    assert any("event=sign_in " in line and "method='saml'" in line for line in security_log())


def test_a_second_sign_in_after_a_group_change_updates_the_roles_audited(
    client, db, saml_app, saml_idp, departments
):
    saml_idp.set_users(ada())
    assert sign_in(client, saml_idp).status_code == 302
    first = user_by_email(db, "ada@corp.example")
    client.post("/logout")

    # Moved out of the approvers; a new address at the IdP, the same NameID.
    saml_idp.set_users(ada(groups=["procure-requesters"], mail="ada.lovelace@corp.example"))
    assert sign_in(client, saml_idp).status_code == 302

    user = db.session.get(User, first.id)
    assert user.email == "ada.lovelace@corp.example"
    assert set(user.roles) == {Role.REQUESTER}
    assert count(db, ExternalIdentity) == 1
    changes = [
        json.loads(event.changes)
        for event in db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity == "user",
                AuditEvent.entity_id == user.id,
                AuditEvent.action == "sync",
            )
        )
    ]
    assert {
        "email": ["ada@corp.example", "ada.lovelace@corp.example"],
        "roles": [["approver", "requester"], ["requester"]],
        "via": "saml",
    } in changes


def test_a_sign_in_whose_groups_give_no_role_keeps_the_account_but_lets_nobody_in(
    client, db, saml_app, saml_idp, departments, security_log
):
    saml_idp.set_users(ada(groups=["marketing"]))
    response = sign_in(client, saml_idp)

    assert response.status_code == 403
    assert "No access yet" in response.get_data(as_text=True)
    user = user_by_email(db, "ada@corp.example")
    assert user is not None and set(user.roles) == set()
    assert client.get("/").status_code == 302  # still the sign-in page
    assert any("reason='no_role'" in line for line in security_log())


CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
MICROSOFT = "http://schemas.microsoft.com/ws/2008/06/identity/claims/"
# What each provider sends when set up as docs/sign-in.md says.
PROVIDER_ATTRIBUTES = {
    "Entra ID": {
        CLAIMS + "emailaddress": "ada@corp.example",
        CLAIMS + "name": "ada.lovelace@corp.onmicrosoft.example",  # the UPN: not a name
        CLAIMS + "givenname": "Ada",
        CLAIMS + "surname": "Lovelace",
        MICROSOFT + "groups": ["procure-finance", "procure-requesters"],
        "department": "FIN",
    },
    "Okta or Keycloak": {
        "email": "ada@corp.example",
        "givenName": "Ada",
        "sn": "Lovelace",
        "groups": ["procure-finance", "procure-requesters"],
        "department": "FIN",
    },
    "ADFS": {
        CLAIMS + "emailaddress": "ada@corp.example",
        CLAIMS + "upn": "ada@corp.local",
        "http://schemas.microsoft.com/identity/claims/displayname": "Ada Lovelace",
        MICROSOFT + "role": ["procure-finance", "procure-requesters"],
        CLAIMS + "department": "FIN",
    },
}


@pytest.mark.parametrize("attributes", PROVIDER_ATTRIBUTES.values(), ids=PROVIDER_ATTRIBUTES)
def test_each_provider_s_attribute_names_are_read(
    client, db, saml_app, saml_idp, departments, attributes
):
    saml_idp.set_users({"ada": {"name_id": "2b3c0e4a-object-id", **attributes}})
    assert sign_in(client, saml_idp).status_code == 302
    user = user_by_email(db, "ada@corp.example")
    assert user.name == "Ada Lovelace"
    assert set(user.roles) == {Role.FINANCE, Role.REQUESTER}
    assert user.department.code == "FIN"


def test_the_department_attribute_is_admin_s_choice(client, db, saml_app, saml_idp, departments):
    saml_app.config["PROCURE_DEPARTMENT_ATTRIBUTE"] = "costCentre"
    saml_idp.set_users({"ada": {**ada()["ada"], CLAIMS + "costcentre": "IT", "department": "FIN"}})
    assert sign_in(client, saml_idp).status_code == 302
    assert user_by_email(db, "ada@corp.example").department.code == "IT"


def test_a_one_time_name_id_is_refused_saying_what_to_change(
    client, db, saml_app, saml_idp, departments, security_log
):
    saml_idp.set_users(ada(), transient=True)
    response = sign_in(client, saml_idp)
    assert response.status_code == 400
    assert "persistent" in response.get_data(as_text=True)
    assert user_by_email(db, "ada@corp.example") is None
    assert any("reason='transient_name_id'" in line for line in security_log())


def test_a_deactivated_account_is_refused_at_its_next_sign_in(
    client, db, saml_app, saml_idp, departments, security_log
):
    saml_idp.set_users(ada())
    assert sign_in(client, saml_idp).status_code == 302
    client.post("/logout")
    user = user_by_email(db, "ada@corp.example")
    user.active = False
    db.session.commit()

    response = sign_in(client, saml_idp)
    assert response.status_code == 403
    assert client.get("/").status_code == 302
    assert any("reason='deactivated'" in line for line in security_log())


TAMPERED = {
    "unsigned assertion": ({"sign_assertion": False}, "bad_signature"),
    "unsigned assertion in a signed response": (
        {"sign_assertion": False, "sign_response": True},
        "bad_signature",
    ),
    "signed by a key not in the metadata": ({"foreign_key": True}, "bad_signature"),
    "for another service provider": (
        {"audience": "https://elsewhere.example/saml/metadata"},
        "wrong_audience",
    ),
    "addressed to another ACS": (
        {"destination": "https://elsewhere.example/saml/acs"},
        "bad_assertion",
    ),
    "expired": ({"valid_minutes": -10}, "expired"),
    "answering another request": ({"in_response_to": "id-never-sent-by-procure"}, None),
    "unsolicited": ({"in_response_to": None}, "unsolicited"),
    "an assertion for another request in a new envelope": (
        {"in_response_to": "id-of-another-sign-in", "rewrap": True},
        "unsolicited",
    ),
    "the identity provider says no": ({"deny": True}, "idp_refused"),
}


@pytest.mark.parametrize("bend", TAMPERED.values(), ids=TAMPERED.keys())
def test_a_tampered_answer_is_refused_and_changes_nothing(
    client, db, saml_app, saml_idp, departments, security_log, bend
):
    bends, reason = bend
    saml_idp.set_users(ada(), **bends)
    users, links = count(db, User), count(db, ExternalIdentity)

    response = sign_in(client, saml_idp)

    assert response.status_code == 400, response.get_data(as_text=True)
    assert "Sign-in refused" in response.get_data(as_text=True)
    assert (count(db, User), count(db, ExternalIdentity)) == (users, links)
    assert user_by_email(db, "ada@corp.example") is None
    assert client.get("/").status_code == 302
    refusals = [line for line in security_log() if "event=sign_in_refused" in line]
    assert len(refusals) == 1 and "method='saml'" in refusals[0]
    if reason:
        assert f"reason='{reason}'" in refusals[0]
    else:
        # A signed answer to a request Procure never sent.
        assert "reason='unknown_request'" in refusals[0]


def test_the_same_answer_posted_twice_signs_in_once(
    app, client, db, saml_app, saml_idp, departments, security_log
):
    saml_idp.set_users(ada())
    action, form = idp_answer(client, saml_idp, "ada")
    assert client.post(acs_path(action), data=form).status_code == 302
    users, links = count(db, User), count(db, ExternalIdentity)

    # Someone who captured the form posts it again, from a browser of their own.
    thief = app.test_client()
    replayed = thief.post(acs_path(action), data=form)

    assert replayed.status_code == 400
    assert (count(db, User), count(db, ExternalIdentity)) == (users, links)
    assert thief.get("/").status_code == 302
    assert any(
        "event=sign_in_refused" in line and "reason='replay'" in line for line in security_log()
    )


@pytest.mark.committing
def test_the_same_answer_posted_twice_at_once_signs_in_once(
    app, db, committed_db, saml_app, saml_idp, make
):
    make.department("IT")
    make.department("FIN")
    db.session.commit()
    saml_idp.set_users(ada())
    action, form = idp_answer(app.test_client(), saml_idp, "ada")
    barrier = threading.Barrier(2)

    def post(_: int) -> int:
        browser = app.test_client()
        barrier.wait(60)
        return browser.post(acs_path(action), data=form).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(post, range(2)))

    assert statuses == [302, 400]
    db.session.remove()
    assert count(db, ExternalIdentity) == 1


@pytest.mark.parametrize(
    "next_url, relay_state",
    [
        ("/requests?status=pending", ["/requests?status=pending"]),
        ("https://evil.example/", None),
        ("/requests?q=" + "x" * 80, None),  # over SAML's 80 bytes
    ],
)
def test_the_page_to_come_back_to_travels_as_relay_state_when_safe(
    client, saml_app, next_url, relay_state
):
    location = client.get("/saml/login", query_string={"next": next_url}).headers["Location"]
    assert parse_qs(urlsplit(location).query).get("RelayState") == relay_state


def test_the_relay_state_never_sends_the_person_to_another_site(
    client, saml_app, saml_idp, departments
):
    saml_idp.set_users(ada())
    action, form = idp_answer(client, saml_idp, "ada")
    response = client.post(
        acs_path(action), data={**form, "RelayState": "https://evil.example/phish"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="x"
 InResponseTo="y">&lol2;</samlp:Response>"""


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not base64 at all!",
        base64.b64encode(b"<not-xml").decode(),
        base64.b64encode(b"<a>an element that is no SAML response</a>").decode(),
        base64.b64encode(BILLION_LAUGHS.encode()).decode(),
    ],
    ids=["empty", "not base64", "not XML", "not a response", "entities"],
)
def test_a_malformed_answer_is_refused_with_400(
    client, db, saml_app, departments, security_log, value
):
    users = count(db, User)
    response = client.post("/saml/acs", data={"SAMLResponse": value})
    assert response.status_code == 400
    assert count(db, User) == users
    assert any("reason='bad_response'" in line for line in security_log())


def test_the_identity_provider_metadata_may_come_from_a_url(
    client, db, saml_app, saml_idp, departments
):
    saml_app.config["PROCURE_SAML_IDP_METADATA"] = saml_idp.url + "/metadata"
    saml_idp.set_users(ada())
    assert sign_in(client, saml_idp).status_code == 302
    assert user_by_email(db, "ada@corp.example") is not None


@pytest.mark.parametrize("where", ["url", "file", "not an idp", "no xmlsec1"])
def test_saml_that_cannot_work_gives_a_page_not_a_crash(
    client, saml_app, saml_idp, security_log, tmp_path, monkeypatch, where
):
    sp_only = tmp_path / "sp.xml"
    sp_only.write_text(client.get("/saml/metadata").get_data(as_text=True))
    if where == "no xmlsec1":
        monkeypatch.setenv("PATH", str(tmp_path))
        assert client.get("/saml/metadata").status_code == 502
    saml_app.config["PROCURE_SAML_IDP_METADATA"] = {
        # Nothing listens on port 9 of loopback (discard, never run here).
        "url": "http://127.0.0.1:9/metadata",
        "file": str(tmp_path / "missing.xml"),
        "not an idp": str(sp_only),
        "no xmlsec1": str(saml_idp.metadata_file),
    }[where]
    response = client.get("/saml/login")
    assert response.status_code == 502
    assert "does not work just now" in response.get_data(as_text=True)
    assert any("event=saml_unavailable" in line for line in security_log())


def test_with_a_key_of_its_own_procure_signs_its_requests(
    client, db, saml_app, saml_idp, departments, signing_sp
):
    root = SafeET.fromstring(client.get("/saml/metadata").get_data(as_text=True))
    sp = root.find(f"{MD}SPSSODescriptor")
    assert sp.get("AuthnRequestsSigned") == "true"
    assert sp.find(f"{MD}KeyDescriptor[@use='signing']") is not None

    location = client.get("/saml/login?next=/requests").headers["Location"]
    query = parse_qs(urlsplit(location).query)
    assert query["SigAlg"] == ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"]
    assert query["Signature"]
    # The IdP checks the signature: a changed RelayState, or none at all, is refused.
    changed = location.replace("RelayState=%2Frequests", "RelayState=%2Fprofile")
    assert changed != location
    assert requests.get(changed, timeout=30).status_code == 400
    unsigned = location.split("&Signature=")[0]
    assert requests.get(unsigned, timeout=30).status_code == 400

    saml_idp.set_users(ada())
    assert sign_in(client, saml_idp).status_code == 302
    assert user_by_email(db, "ada@corp.example") is not None


def test_an_assertion_encrypted_to_procure_s_key_is_opened(
    client, db, saml_app, saml_idp, departments, signing_sp
):
    root = SafeET.fromstring(client.get("/saml/metadata").get_data(as_text=True))
    assert root.find(f"{MD}SPSSODescriptor/{MD}KeyDescriptor[@use='encryption']") is not None
    saml_idp.set_users(ada(), encrypt=True)
    action, form = idp_answer(client, saml_idp, "ada")
    assert b"EncryptedAssertion" in base64.b64decode(form["SAMLResponse"])
    assert client.post(acs_path(action), data=form).status_code == 302
    assert user_by_email(db, "ada@corp.example") is not None


def test_an_encrypted_assertion_must_still_be_signed(
    client, db, saml_app, saml_idp, departments, signing_sp, security_log
):
    saml_idp.set_users(ada(), encrypt=True, sign_assertion=False, sign_response=True)
    response = sign_in(client, saml_idp)
    assert response.status_code == 400
    assert user_by_email(db, "ada@corp.example") is None
    assert any("reason='bad_signature'" in line for line in security_log())


def test_an_encrypted_assertion_for_another_request_in_a_new_envelope_is_refused(
    client, db, saml_app, saml_idp, departments, signing_sp, security_log
):
    saml_idp.set_users(ada(), encrypt=True, in_response_to="id-of-another-sign-in", rewrap=True)
    response = sign_in(client, saml_idp)
    assert response.status_code == 400
    assert user_by_email(db, "ada@corp.example") is None
    assert any("reason='unsolicited'" in line for line in security_log())
