"""Administration: users, departments, categories (and, as they land, policy)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import organisation_views, policy_views, views  # noqa: E402, F401
