"""Administration: users, departments, categories (and, as they land, policy)."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import (  # noqa: E402, F401
    invoice_views,
    organisation_views,
    policy_views,
    request_type_views,
    scim_views,
    sign_in_views,
    views,
)
