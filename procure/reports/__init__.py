"""Reports for finance, procurement and admin: spend, approval cycle time, sourcing
savings, vendor scorecards side by side and split purchases — each a chart, the table
under it and a CSV export, narrowed by the same filters."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from . import views  # noqa: E402, F401
