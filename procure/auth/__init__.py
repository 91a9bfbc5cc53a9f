"""Signing in and out (password, OpenID Connect, SAML, the directory), the profile page,
API tokens."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import oidc_views, saml_views, sso_views, views  # noqa: E402, F401
