"""Vendor invoices: entering and importing them, matching them to the order and its
receipts, holds and their resolution, approval and payment."""

from flask import Blueprint, Flask

from .. import workflow

bp = Blueprint("invoices", __name__, url_prefix="/invoices")

from . import actions, views  # noqa: E402, F401


def init_app(_app: Flask) -> None:
    """A receipt matches the order's invoices again (a workflow listener)."""
    workflow.on_transition(actions.on_transition)
