"""Purchase requests and their approval."""

from flask import Blueprint

bp = Blueprint("purchasing", __name__)

from . import act_views, views  # noqa: E402, F401
