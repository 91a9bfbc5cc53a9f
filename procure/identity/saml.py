"""Procure as a SAML 2.0 service provider (pysaml2, which checks signatures with
Debian's ``xmlsec1``).

One identity provider, described by its metadata (``PROCURE_SAML_IDP_METADATA``: a file
or an http(s) URL). The sign-in goes out as an HTTP-Redirect AuthnRequest and comes back
as an HTTP-POST Response to ``/saml/acs``. That POST arrives from the identity provider's
site, so the SameSite=Lax session cookie is not sent with it: the request's id is
remembered in the database (``replay``), not in the session, and taken once when the
answer comes. Only a signed assertion is accepted, for our entity id, at our ACS, inside
its validity window, answering a request we sent; its id is remembered so that the same
answer never signs anybody in twice. Any failure is a :class:`SignInRefused` (400).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import logging
import shutil
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
import requests
from defusedxml import DefusedXmlException
from flask import current_app
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.response import StatusError, UnsolicitedResponse
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT
from saml2.sigver import SigverError
from saml2.validate import ResponseLifetimeExceed, ToEarly
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

from ..security import safe_next
from . import mapping, replay
from .accounts import Claims, SignInRefused

SOURCE = "saml"
log = logging.getLogger(__name__)
# How long a person may take at the identity provider before the answer is refused.
REQUEST_LIFETIME = dt.timedelta(minutes=30)
# SAML bindings, 3.4.3: "RelayState data MUST NOT exceed 80 bytes in length".
RELAY_STATE_MAX = 80
# Clocks drift; this much either way is tolerated on the validity window.
CLOCK_SKEW_SECONDS = 60
# Metadata fetched from a URL is read again after this long (keys roll over).
METADATA_TTL_SECONDS = 3600
METADATA_TIMEOUT_SECONDS = 10

MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata"
PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol"

# Attribute names identity providers use for the same thing (compared in lower case):
# plain LDAP-style names, their OIDs, and the claim URIs of Entra ID and ADFS.
EMAIL_NAMES = (
    "mail",
    "email",
    "emailaddress",
    "urn:oid:0.9.2342.19200300.100.1.3",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
)
DISPLAY_NAMES = (
    "displayname",
    "name",
    "cn",
    "urn:oid:2.16.840.1.113730.3.1.241",
    "urn:oid:2.5.4.3",
    # Not …/claims/name: Entra ID and ADFS put the user principal name there.
    "http://schemas.microsoft.com/identity/claims/displayname",
)
GIVEN_NAMES = (
    "givenname",
    "firstname",
    "urn:oid:2.5.4.42",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
)
SURNAMES = (
    "sn",
    "surname",
    "lastname",
    "urn:oid:2.5.4.4",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
)
GROUP_NAMES = (
    "groups",
    "group",
    "memberof",
    "role",
    "roles",
    "urn:oid:1.3.6.1.4.1.5923.1.5.1.1",
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
    "http://schemas.xmlsoap.org/claims/group",
)

BAD_RESPONSE = "The answer from the identity provider could not be read. Please sign in again."
BAD_SIGNATURE = (
    "The answer from the identity provider is not signed with its key. Nobody was signed in."
)
EXPIRED = "The answer from the identity provider has expired. Please sign in again."
UNKNOWN_REQUEST = (
    "This answer from the identity provider does not match a sign-in started here, "
    "or was used already. Please sign in again."
)
REPLAY = "This answer from the identity provider was used already. Please sign in again."
NOT_FOR_US = (
    "The answer from the identity provider is not valid for Procure. Please sign in again."
)
IDP_REFUSED = "The identity provider did not sign you in."
TRANSIENT = (
    "The identity provider sent a one-time name identifier; Procure needs a persistent "
    "one to recognise you next time. Please ask your administrator."
)
NO_SUBJECT = "The identity provider's answer names nobody. Please ask your administrator."


class SamlUnavailable(RuntimeError):
    """SAML cannot work just now: the identity provider's metadata cannot be read (or
    is not an IdP's), or ``xmlsec1`` is missing. Nobody's fault but the set-up's."""


@dataclasses.dataclass
class _Fetched:
    text: str
    at: float


_fetched: dict[str, _Fetched] = {}
_fetch_lock = threading.Lock()


def configured() -> bool:
    return bool(current_app.config.get("PROCURE_SAML_IDP_METADATA"))


def entity_id() -> str:
    """Our entity id: the setting, else the metadata URL (what most IdPs expect)."""
    return current_app.config.get("PROCURE_SAML_SP_ENTITY_ID") or _base_url() + "/saml/metadata"


def acs_url() -> str:
    return _base_url() + "/saml/acs"


def _base_url() -> str:
    return current_app.config["PROCURE_BASE_URL"].rstrip("/")


# The identity provider's metadata.


def idp_metadata() -> str:
    """The IdP's metadata as configured: a file read each time, or a URL fetched with a
    timeout and kept for an hour (the last good copy is used while the URL fails)."""
    source = current_app.config["PROCURE_SAML_IDP_METADATA"]
    if source.startswith(("https://", "http://")):
        return _fetch(source)
    try:
        return _checked(Path(source).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SamlUnavailable(f"cannot read {source}: {exc.strerror}") from exc


def _fetch(url: str) -> str:
    with _fetch_lock:
        cached = _fetched.get(url)
        if cached is not None and time.monotonic() - cached.at < METADATA_TTL_SECONDS:
            return cached.text
        try:
            answer = requests.get(url, timeout=METADATA_TIMEOUT_SECONDS, allow_redirects=False)
            answer.raise_for_status()
            text = _checked(answer.text)
        except (requests.RequestException, SamlUnavailable) as exc:
            if cached is not None:
                return cached.text
            raise SamlUnavailable(f"cannot fetch {url}: {exc}") from exc
        _fetched[url] = _Fetched(text=text, at=time.monotonic())
        return text


def _checked(text: str) -> str:
    """``text`` when it parses safely (no entities, no DTD) and describes an IdP."""
    try:
        root = SafeET.fromstring(text)
    except (SafeET.ParseError, DefusedXmlException) as exc:
        raise SamlUnavailable(f"the metadata is not safe, well-formed XML: {exc}") from exc
    if root.find(f".//{{{MD_NS}}}IDPSSODescriptor") is None:
        raise SamlUnavailable("the metadata describes no identity provider")
    return text


# pysaml2's service provider.


def _config(idp: str | None = None) -> SPConfig:
    """pysaml2's settings for us; ``idp`` the identity provider's metadata, when needed.
    With a key and certificate of ours, requests are signed and the metadata shows the
    certificate."""
    key, cert = (
        current_app.config.get(name) for name in ("PROCURE_SAML_SP_KEY", "PROCURE_SAML_SP_CERT")
    )
    signing = bool(key and cert)
    settings: dict[str, Any] = {
        "entityid": entity_id(),
        "xmlsec_binary": _xmlsec(),
        "accepted_time_diff": CLOCK_SKEW_SECONDS,
        "allow_unknown_attributes": True,
        # For our requests, when a key is configured to sign them.
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
        "service": {
            "sp": {
                "name": "Procure",
                "endpoints": {"assertion_consumer_service": [(acs_url(), BINDING_HTTP_POST)]},
                "want_assertions_signed": True,
                "want_response_signed": False,
                "allow_unsolicited": False,
                "authn_requests_signed": signing,
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "name_id_format_allow_create": True,
            }
        },
        "metadata": {"inline": [idp]} if idp else {},
    }
    if signing:
        # The same pair signs our requests and opens assertions encrypted to us.
        settings.update(
            key_file=key,
            cert_file=cert,
            encryption_keypairs=[{"key_file": key, "cert_file": cert}],
        )
    config = SPConfig()
    config.load(settings)
    return config


def _xmlsec() -> str:
    """Debian's xmlsec1, which pysaml2 runs to sign and to check signatures."""
    found = shutil.which("xmlsec1")
    if found is None:
        raise SamlUnavailable("xmlsec1 is not installed (the Debian package xmlsec1)")
    return found


def _client() -> Saml2Client:
    return Saml2Client(config=_config(idp_metadata()))


def metadata_xml() -> str:
    """Our metadata, for the identity provider's administrator (and the IdP itself)."""
    return str(entity_descriptor(_config()))


def begin(next_url: str | None) -> str:
    """Where to send the person: the IdP's sign-in with our AuthnRequest. The request id
    is remembered until it is answered (once) or expires."""
    client = _client()
    # One identity provider: the first the metadata describes (by entity id, for a
    # metadata file that lists several).
    idp = min(client.metadata.identity_providers())
    try:
        request_id, info = client.prepare_for_authenticate(
            entityid=idp,
            relay_state=_relay_state(next_url),
            binding=BINDING_HTTP_REDIRECT,
            nameid_format=NAMEID_FORMAT_PERSISTENT,
            # pysaml2 would sign the redirect with SHA-1 otherwise (the setting is for XML).
            sigalg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
    except Exception as exc:  # pysaml2 says "no SSO location" with bare ones
        raise SamlUnavailable(f"no HTTP-Redirect sign-in at {idp}: {exc}") from exc
    replay.remember("saml_request", request_id, _now() + REQUEST_LIFETIME)
    return dict(info["headers"])["Location"]


def _relay_state(next_url: str | None) -> str:
    """The page to come back to, when it is ours and fits SAML's 80 bytes of RelayState
    (identity providers may refuse more); else none, and the dashboard it is."""
    relay_state = safe_next(next_url, "")
    return relay_state if len(relay_state.encode()) <= RELAY_STATE_MAX else ""


def complete(form: Mapping[str, str]) -> Claims:
    """The person the identity provider's answer (the ACS POST's form) vouches for."""
    encoded = form.get("SAMLResponse", "")
    in_response_to = _in_response_to(encoded)
    client = _client()
    try:
        response = client.parse_authn_request_response(
            encoded, BINDING_HTTP_POST, outstanding={in_response_to: ""}
        )
    except Exception as exc:  # pysaml2 raises bare Exception too
        raise _refusal(exc) from exc
    if response is None or response.assertion is None:
        # pysaml2's "not for me" (another Destination, say), after logging why.
        raise SignInRefused("bad_assertion", NOT_FOR_US, 400)
    if not _confirms(response.assertion, in_response_to):
        raise SignInRefused("unsolicited", UNKNOWN_REQUEST, 400)
    # Checked after the signature, so that nobody can spend our ids with a forged answer.
    if not replay.remember("saml_assertion", response.assertion.id, _expiry(response)):
        raise SignInRefused("replay", REPLAY, 400)
    if not replay.take("saml_request", in_response_to):
        raise SignInRefused("unknown_request", UNKNOWN_REQUEST, 400)
    return _claims(response)


def _in_response_to(encoded: str) -> str:
    """The request the answer claims to answer (not trusted yet: pysaml2 checks the
    signed assertion against it, then the id is taken from what we sent)."""
    try:
        root = SafeET.fromstring(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError, SafeET.ParseError, DefusedXmlException) as exc:
        raise SignInRefused("bad_response", BAD_RESPONSE, 400) from exc
    if root.tag != f"{{{PROTOCOL_NS}}}Response":
        raise SignInRefused("bad_response", BAD_RESPONSE, 400)
    in_response_to = root.get("InResponseTo")
    if not in_response_to:
        raise SignInRefused("unsolicited", UNKNOWN_REQUEST, 400)
    return in_response_to


def _confirms(assertion: Any, in_response_to: str) -> bool:
    """Whether the signed assertion itself answers ``in_response_to``: pysaml2 compares
    it with the unsigned envelope's only when the assertion was not encrypted."""
    confirmations = assertion.subject.subject_confirmation if assertion.subject else []
    return bool(confirmations) and all(
        confirmation.subject_confirmation_data is not None
        and confirmation.subject_confirmation_data.in_response_to == in_response_to
        for confirmation in confirmations
    )


def _refusal(exc: Exception) -> SignInRefused:
    """pysaml2's complaint as a refusal: the reason for the security log, words for
    the person; pysaml2's own words go to the log for the administrator."""
    log.warning("SAML answer refused: %s: %.300s", type(exc).__name__, exc)
    if isinstance(exc, SigverError):
        return SignInRefused("bad_signature", BAD_SIGNATURE, 400)
    if isinstance(exc, ResponseLifetimeExceed | ToEarly):
        return SignInRefused("expired", EXPIRED, 400)
    if isinstance(exc, UnsolicitedResponse):
        return SignInRefused("unsolicited", UNKNOWN_REQUEST, 400)
    if isinstance(exc, StatusError):
        return SignInRefused("idp_refused", IDP_REFUSED, 400)
    if "AudienceRestrictions" in str(exc):
        return SignInRefused("wrong_audience", NOT_FOR_US, 400)
    return SignInRefused("bad_assertion", NOT_FOR_US, 400)


def _expiry(response: Any) -> dt.datetime:
    """Until when the assertion could be presented: its NotOnOrAfter (pysaml2 keeps it
    as seconds since the epoch), plus the tolerated skew."""
    seconds = response.not_on_or_after or time.time() + REQUEST_LIFETIME.total_seconds()
    return dt.datetime.fromtimestamp(seconds + CLOCK_SKEW_SECONDS, dt.UTC)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# From the assertion to the claims.


def _claims(response: Any) -> Claims:
    name_id = response.assertion.subject.name_id
    if name_id is None or not (name_id.text or "").strip():
        raise SignInRefused("no_subject", NO_SUBJECT, 400)
    if name_id.format == NAMEID_FORMAT_TRANSIENT:
        raise SignInRefused("transient_name_id", TRANSIENT, 400)
    values = attribute_values(response.assertion)
    department_attribute = mapping.current().department_attribute
    return Claims(
        source=SOURCE,
        issuer=response.assertion.issuer.text.strip(),
        subject=name_id.text.strip(),
        email=_first(values, EMAIL_NAMES),
        # The administrator chose this identity provider as the company's: what it says
        # of an address is as good as a verification (linking still needs the mapping).
        email_verified=_first(values, EMAIL_NAMES) is not None,
        name=_name(values),
        groups=tuple(dict.fromkeys(_all(values, GROUP_NAMES))),
        department=_department(values, department_attribute),
        attributes={key: ", ".join(found) for key, found in values.items()},
    )


def attribute_values(assertion: Any) -> dict[str, list[str]]:
    """Every attribute of the assertion by name (lower case), friendly names too."""
    values: dict[str, list[str]] = {}
    for statement in assertion.attribute_statement:
        for attribute in statement.attribute:
            found = [
                value.text.strip()
                for value in attribute.attribute_value
                if value.text and value.text.strip()
            ]
            names = {name.lower() for name in (attribute.name, attribute.friendly_name) if name}
            for name in names:
                values.setdefault(name, []).extend(found)
    return values


def _department(values: Mapping[str, list[str]], attribute: str) -> str | None:
    """The department attribute's value: by its name, or as the last part of a claim
    URI (an Entra ID or ADFS claim is named ``…/claims/department``)."""
    name = (attribute or "").strip().lower()
    if not name:
        return None
    for key in sorted(values, key=lambda key: key != name):
        if (key == name or key.endswith("/" + name)) and values[key]:
            return values[key][0]
    return None


def _first(values: Mapping[str, list[str]], names: tuple[str, ...]) -> str | None:
    return next(iter(_all(values, names)), None)


def _all(values: Mapping[str, list[str]], names: tuple[str, ...]) -> list[str]:
    return [value for name in names for value in values.get(name, ())]


def _name(values: Mapping[str, list[str]]) -> str | None:
    full = _first(values, DISPLAY_NAMES)
    if full:
        return full
    parts = [_first(values, GIVEN_NAMES), _first(values, SURNAMES)]
    return " ".join(part for part in parts if part) or None
