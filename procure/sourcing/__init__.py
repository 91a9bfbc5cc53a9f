"""Sourcing: RFQs, quotes, the explained comparison, award."""

from flask import Blueprint

bp = Blueprint("sourcing", __name__)

from . import views  # noqa: E402, F401
