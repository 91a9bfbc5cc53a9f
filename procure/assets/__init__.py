"""The asset register: hardware assets and licence pools made by receiving, their life
cycle, the contracts that cover them, and what the register reports."""

from flask import Blueprint

bp = Blueprint("assets", __name__)

from . import licence_views, report_views, settings_views, views  # noqa: E402, F401
