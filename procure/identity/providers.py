"""Which ways of signing in this installation offers, as the sign-in page lists them.

OpenID Connect is offered when its issuer and client id are set, SAML when the
identity provider's metadata is; the directory (LDAP) signs in through the password
form. With ``PROCURE_PASSWORD_LOGIN=0`` the password form serves only the break-glass
admins named in ``PROCURE_BREAK_GLASS`` (and, when configured, the directory).
"""

from __future__ import annotations

import dataclasses

from flask import current_app


@dataclasses.dataclass(frozen=True)
class Provider:
    key: str  # "oidc" or "saml"
    name: str  # the button's label
    endpoint: str  # where the button goes (a url_for endpoint)


def oidc_configured() -> bool:
    config = current_app.config
    return bool(config["PROCURE_OIDC_ISSUER"] and config["PROCURE_OIDC_CLIENT_ID"])


def saml_configured() -> bool:
    return bool(current_app.config["PROCURE_SAML_IDP_METADATA"])


def ldap_configured() -> bool:
    return bool(current_app.config["PROCURE_LDAP_URL"])


def configured() -> list[Provider]:
    config = current_app.config
    found = []
    if oidc_configured():
        found.append(Provider("oidc", config["PROCURE_OIDC_NAME"], "auth.oidc_login"))
    if saml_configured():
        found.append(Provider("saml", config["PROCURE_SAML_NAME"], "auth.saml_login"))
    return found


def break_glass() -> set[str]:
    """The e-mail addresses that may sign in by password when password sign-in is off."""
    return {
        address.strip().lower()
        for address in current_app.config["PROCURE_BREAK_GLASS"].split(",")
        if address.strip()
    }


def password_allowed(email: str) -> bool:
    """Whether ``email`` may sign in with a Procure password (the form and the API)."""
    if current_app.config["PROCURE_PASSWORD_LOGIN"]:
        return True
    return email.strip().lower() in break_glass()
