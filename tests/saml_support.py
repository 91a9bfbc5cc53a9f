"""SAML sign-in fixtures: the test identity provider (``tests/idp/saml``) and the steps
a browser takes between Procure and it, for the test client."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa

from procure.models import User

from .idp.saml import SamlIdentityProvider, start_identity_provider
from .idp.saml.idp import make_key_pair

# The test app's PROCURE_BASE_URL (tests/conftest.py).
ENTITY_ID = "http://procure.test/saml/metadata"
ACS = "http://procure.test/saml/acs"

GROUP_ROLES = (
    "procure-requesters=requester,procure-approvers=approver,"
    "procure-finance=finance,procure-admins=admin"
)
BUTTON_NAME = "Test IdP"
SETTINGS = (
    "PROCURE_SAML_IDP_METADATA",
    "PROCURE_SAML_NAME",
    "PROCURE_GROUP_ROLES",
    "PROCURE_DEPARTMENT_ATTRIBUTE",
)


def person(
    name_id: str,
    *,
    mail: str,
    name: str,
    groups: list[str],
    department: str | None = "IT",
) -> dict[str, Any]:
    """One person of the IdP's ``users.json``."""
    found: dict[str, Any] = {
        "name_id": name_id,
        "mail": mail,
        "displayName": name,
        "groups": groups,
    }
    if department is not None:
        found["department"] = department
    return found


def live_settings(idp: SamlIdentityProvider) -> dict[str, str]:
    """What a live Procure needs to sign in through ``idp``."""
    return {
        "PROCURE_SAML_IDP_METADATA": str(idp.metadata_file),
        "PROCURE_SAML_NAME": BUTTON_NAME,
        "PROCURE_GROUP_ROLES": GROUP_ROLES,
    }


@pytest.fixture(scope="module", name="saml_idp")
def saml_idp_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamlIdentityProvider]:
    idp = start_identity_provider(tmp_path_factory.mktemp("saml_idp"))
    yield idp
    idp.stop()


@pytest.fixture(name="saml_app")
def saml_app_fixture(app, client, saml_idp: SamlIdentityProvider):
    """The test app with SAML on, and the IdP knowing its metadata (a file: the test app
    is not served); settings are put back after the test."""
    saved = {key: app.config[key] for key in SETTINGS}
    app.config.update(live_settings(saml_idp))
    sp_metadata = saml_idp.folder / "sp-metadata.xml"
    sp_metadata.write_text(client.get("/saml/metadata").get_data(as_text=True))
    saml_idp.sp_metadata = str(sp_metadata)
    saml_idp.set_users({})
    yield app
    app.config.update(saved)


class _Forms(HTMLParser):
    """The first form of a page: its action and its inputs' values."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = values.get("action") or ""
        elif tag == "input" and values.get("name"):
            self.fields[values["name"] or ""] = values.get("value") or ""


def read_form(page: str) -> tuple[str, dict[str, str]]:
    parser = _Forms()
    parser.feed(page)
    return parser.action or "", parser.fields


def idp_answer(
    client, idp: SamlIdentityProvider, username: str, *, next_url: str | None = None
) -> tuple[str, dict[str, str]]:
    """Start a sign-in at Procure, sign in at the IdP as ``username``: where the IdP's
    page posts its answer, and the answer (``SAMLResponse``, ``RelayState``)."""
    start = client.get("/saml/login", query_string={"next": next_url} if next_url else {})
    assert start.status_code == 302, start.get_data(as_text=True)
    location = start.headers["Location"]
    assert location.startswith(idp.url + "/sso/redirect?")
    login = requests.get(location, timeout=30)
    login.raise_for_status()
    action, fields = read_form(login.text)
    answer = requests.post(idp.url + action, data={**fields, "username": username}, timeout=30)
    answer.raise_for_status()
    return read_form(answer.text)


def acs_path(action: str) -> str:
    return urlsplit(action).path


@pytest.fixture(name="signing_sp")
def signing_sp_fixture(saml_app, saml_idp, client, tmp_path):
    """Procure with a key of its own, signing its requests; the IdP insists on it."""
    key, cert = make_key_pair(tmp_path, "procure-sp")
    saml_app.config.update(PROCURE_SAML_SP_KEY=str(key), PROCURE_SAML_SP_CERT=str(cert))
    (saml_idp.folder / "sp-metadata.xml").write_text(
        client.get("/saml/metadata").get_data(as_text=True)
    )
    saml_idp.require_signed_requests = True
    yield
    saml_idp.require_signed_requests = False
    saml_app.config.update(PROCURE_SAML_SP_KEY="", PROCURE_SAML_SP_CERT="")


@pytest.fixture(name="security_log")
def security_log_fixture(caplog):
    """``security_log()``: the lines logged on ``procure.security`` so far."""
    caplog.set_level(logging.INFO, logger="procure.security")

    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "procure.security"]

    return lines


@pytest.fixture(name="departments")
def departments_fixture(make):
    make.department("IT")
    make.department("FIN")


def ada(**changes: Any) -> dict[str, dict[str, Any]]:
    """The IdP's ``users.json`` people: Ada, a requester and approver of FIN."""
    values = {
        "mail": "ada@corp.example",
        "name": "Ada Lovelace",
        "groups": ["procure-requesters", "procure-approvers"],
        "department": "FIN",
        **changes,
    }
    return {"ada": person("ada-0001", **values)}


def sign_in(client, idp: SamlIdentityProvider, username: str = "ada", next_url: str | None = None):
    """The whole round trip for the test client; Procure's answer to the ACS POST."""
    action, form = idp_answer(client, idp, username, next_url=next_url)
    assert action == ACS
    return client.post(acs_path(action), data=form)


def user_by_email(db, email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))
