"""Budgets per department and fiscal year."""

from flask import Blueprint

bp = Blueprint("budgets", __name__, url_prefix="/budgets")

from . import views  # noqa: E402, F401
