"""SAML sign-in fixtures: the test identity provider (``tests/idp/saml``) and the steps
a browser takes between Procure and it, for the test client."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from .idp.saml import SamlIdentityProvider, start_identity_provider

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
