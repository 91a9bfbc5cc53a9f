"""The vendor's invoice page, reached through the order's private link without an
account: ``/invoice/<token>``, a blueprint of its own since the invoice pages live
under ``/invoices``."""

from flask import Blueprint

bp = Blueprint("invoice_link", __name__)

from . import vendor_views  # noqa: E402, F401
