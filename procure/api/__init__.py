"""The JSON API, ``/api/v1``: a thin translation between HTTP and the services."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import (  # noqa: E402, F401
    agreements,
    assets,
    audit,
    budgets,
    catalogue,
    contracts,
    core,
    currencies,
    delegations,
    departments,
    invoice_settings,
    invoices,
    licences,
    notifications,
    order_settings,
    orders,
    organisation,
    request_types,
    requests,
    rfqs,
    sealed_bids,
    vendors,
    webhooks,
)
