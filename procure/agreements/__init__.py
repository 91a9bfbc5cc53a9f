"""Framework agreements: agreed prices with a vendor, their items as the catalogue,
call-off orders that consume them."""

from flask import Blueprint, Flask

from .. import workflow

bp = Blueprint("agreements", __name__)

from . import calloff, catalogue_views, views  # noqa: E402, F401


def init_app(_app: Flask) -> None:
    """What agreements hear of other documents' transitions (workflow listeners): a
    cancelled call-off gives back, an approved catalogue request may be called off."""
    workflow.on_transition(calloff.on_transition)
