"""Exchange rates and currencies for people: ``/rates`` (finance records and imports
rates) and ``/admin/currencies`` (admin enables currencies). The rules live in
``procure/rates.py`` and ``procure/currencies.py``; this area shows and feeds them."""

from flask import Blueprint

bp = Blueprint("exchange", __name__)

from . import views  # noqa: E402, F401
