"""Finishing or refusing a sign-in through an identity provider or the directory.

The protocol views (``oidc_views.py``, ``saml_views.py``, the password form for LDAP)
turn the provider's answer into :class:`~procure.identity.accounts.Claims` and call
:func:`finish`; whatever is wrong ends in :func:`refuse`: a page saying what happened
and what to do, a line in the security log, and nothing changed (but the account made
for someone without a role, which stays).
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, session, url_for
from flask_login import login_user

from .. import web
from ..identity import providers
from ..identity.accounts import Claims, SignInRefused, provision
from ..security import safe_next, security_event
from . import services


def finish(claims: Claims, next_url: str | None, *, remember: dict[str, Any] | None = None):
    """Sign the person ``claims`` describe in: their account made or brought up to date,
    a fresh server-side session; ``remember`` goes into that session (the ID token for a
    provider's sign-out, say). Redirects to ``next_url`` when it is safe."""
    try:
        user = provision(claims)
    except SignInRefused as refused:
        return refuse_for(refused, method=claims.source)
    session.clear()
    services.start_session(
        user, remote_addr=request.remote_addr, user_agent=request.user_agent.string
    )
    login_user(user)
    session.update(remember or {})
    session["signed_in_via"] = claims.source
    security_event("sign_in", user=user, method=claims.source)
    return redirect(safe_next(next_url, url_for("main.dashboard")))


def refuse_for(refused: SignInRefused, *, method: str):
    return refuse(
        refused.reason, refused.message, refused.status, method=method, keep=refused.keep
    )


def refuse(reason: str, message: str, status: int = 400, *, method: str, keep: bool = False):
    """The refusal page; nothing this request did is committed unless ``keep``."""
    if keep:
        web.keep_changes()
    security_event("sign_in_refused", reason=reason, method=method)
    return render_template(
        "auth/refused.html",
        message=message,
        status=status,
        providers=providers.configured(),
    ), status
