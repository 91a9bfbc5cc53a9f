"""OpenID Connect sign-in: /login/oidc and its callback (procure/identity/oidc.py)."""

from flask import Response, abort, current_app, redirect, render_template, request, url_for

from .. import web
from ..identity import oidc, providers
from ..identity.accounts import SignInRefused
from ..security import external_url, safe_next
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


def leave_at_provider(id_token: str | None) -> Response | None:
    """Once Procure's session has ended: the page that takes the browser on to the
    provider's sign-out (RP-initiated logout), or None when there is none to go to.

    A page, not a redirect: the sign-out form posts to Procure, and the browser follows
    no redirect of a form's answer to another site (Content-Security-Policy
    ``form-action 'self'``), so the page moves on by itself (and offers a link)."""
    if not id_token:
        return None
    url = oidc.end_session_url(id_token, external_url("auth.login"))
    if url is None:
        return None
    page = render_template(
        "auth/oidc_sign_out.html", url=url, provider=current_app.config["PROCURE_OIDC_NAME"]
    )
    return Response(page, mimetype="text/html")
