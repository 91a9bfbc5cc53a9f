"""The vendor register: vendors, their contacts and compliance documents, the
scorecard, CSV import and export."""

from flask import Blueprint

# cli_group=None: the blueprint's commands (import-vendors) are top-level commands.
bp = Blueprint("vendors", __name__, cli_group=None)

from . import bank_views, cli, views  # noqa: E402, F401
