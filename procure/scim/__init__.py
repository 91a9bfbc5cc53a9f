"""SCIM 2.0 (RFC 7643/7644) at /scim/v2: the directory pushes users and groups."""

from flask import Blueprint

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")

from . import views  # noqa: E402, F401
