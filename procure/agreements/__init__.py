"""Framework agreements: agreed prices with a vendor, their items as the catalogue,
call-off orders that consume them."""

from flask import Blueprint, Flask

bp = Blueprint("agreements", __name__)

from . import catalogue_views, views  # noqa: E402, F401


def init_app(_app: Flask) -> None:
    """What agreements hear of other documents' transitions (workflow listeners)."""
