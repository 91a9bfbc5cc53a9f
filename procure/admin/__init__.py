"""Administration: users, departments, categories (and, as they land, policy)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import organisation_views, policy_views, scim_views, sign_in_views, views  # noqa: E402, F401
