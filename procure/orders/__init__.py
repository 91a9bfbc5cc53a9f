"""Purchase orders: issuing, the frozen PDF, receiving, closing."""

from flask import Blueprint

bp = Blueprint("orders", __name__, url_prefix="/orders")

from . import views  # noqa: E402, F401
