"""Maintenance and service contracts: terms, renewals, reminders."""

from flask import Blueprint

bp = Blueprint("contracts", __name__, url_prefix="/contracts")

from . import coverage_views, views  # noqa: E402, F401
