"""OpenID Connect sign-in: /login/oidc and its callback (procure/identity/oidc.py)."""

from flask import abort, redirect, request, url_for

from .. import web
from ..identity import oidc, providers
from ..identity.accounts import SignInRefused
from ..security import safe_next
from . import bp, sso_views


@bp.get("/login/oidc")
def oidc_login():
    """Send the browser to the provider; ``next`` is where it lands once signed in."""
    if not providers.oidc_configured():
        abort(404)
    next_url = safe_next(request.args.get("next"), url_for("main.dashboard"))
    try:
        return redirect(oidc.begin(next_url))
    except SignInRefused as refused:
        return sso_views.refuse_for(refused, method="oidc")


@bp.get("/login/oidc/callback")
@web.writes_on_get
def oidc_callback():
    """The provider's answer: a verified sign-in signs in (a GET that commits), anything
    else is refused with a page and a line in the security log."""
    if not providers.oidc_configured():
        abort(404)
    try:
        result = oidc.complete(request.args)
    except SignInRefused as refused:
        return sso_views.refuse_for(refused, method="oidc")
    return sso_views.finish(
        result.claims, result.next_url, remember={"oidc_id_token": result.id_token}
    )
