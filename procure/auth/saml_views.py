"""SAML 2.0 sign-in: /saml/metadata, /saml/login, /saml/acs (procure/identity/saml.py).

All three answer 404 while no identity provider is configured. The ACS is exempt from
CSRF: the identity provider's page posts to it from another site, and what protects it
is the signed assertion answering a request we remembered, not a token of ours.
"""

from __future__ import annotations

from flask import Response, abort, redirect, request

from .. import web
from ..extensions import csrf
from ..identity import saml
from ..identity.accounts import SignInRefused
from ..security import safe_next, security_event
from . import bp, sso_views

METADATA_TYPE = "application/samlmetadata+xml"
UNAVAILABLE = (
    "Signing in through the identity provider does not work just now. "
    "Please try again in a few minutes, or tell your administrator."
)


def _require_saml() -> None:
    if not saml.configured():
        abort(404)


def _unavailable(exc: saml.SamlUnavailable):
    """A page for the person, the set-up's problem for the administrator (502)."""
    security_event("saml_unavailable", problem=str(exc))
    return sso_views.refuse("idp_unavailable", UNAVAILABLE, 502, method=saml.SOURCE)


@bp.get("/saml/metadata")
def saml_metadata():
    """Our service provider metadata, for the identity provider's administrator."""
    _require_saml()
    try:
        return Response(saml.metadata_xml(), mimetype=METADATA_TYPE)
    except saml.SamlUnavailable as exc:
        return _unavailable(exc)


@bp.get("/saml/login")
@web.writes_on_get
def saml_login():
    """Off to the identity provider; the request id we send is remembered (committed)."""
    _require_saml()
    try:
        return redirect(saml.begin(request.args.get("next")))
    except saml.SamlUnavailable as exc:
        return _unavailable(exc)


@bp.post("/saml/acs")
@csrf.exempt
def saml_acs():
    """The identity provider's answer: the person signed in, or a refusal page."""
    _require_saml()
    try:
        claims = saml.complete(request.form)
    except SignInRefused as refused:
        return sso_views.refuse_for(refused, method=saml.SOURCE)
    except saml.SamlUnavailable as exc:
        return _unavailable(exc)
    return sso_views.finish(claims, safe_next(request.form.get("RelayState"), "") or None)
