"""Purchase requests and their approval."""

from flask import Blueprint

bp = Blueprint("purchasing", __name__)

from . import views  # noqa: E402, F401
