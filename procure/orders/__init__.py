"""Purchase orders: issuing, the frozen PDF, receiving, revisions, returns, closing."""

from flask import Blueprint, Flask

from .. import workflow

bp = Blueprint("orders", __name__, url_prefix="/orders")

from . import after_views, revisions, settings_views, views  # noqa: E402, F401


def init_app(_app: Flask) -> None:
    """An order's increase is decided on its request (a workflow listener)."""
    workflow.on_transition(revisions.on_transition)
