"""The catalogue through the API: items of active agreements (API.md, "Agreements,
catalogue, request types, sealed bids")."""

from __future__ import annotations

from ..agreements import catalogue
from . import bp
from .agreement_schemas import CatalogueOut, CatalogueQuery
from .spec import current_user, operation


@operation(
    bp,
    "GET",
    "/catalogue",
    query=CatalogueQuery,
    response=CatalogueOut,
    summary="Search the catalogue: the items of active agreements within their dates",
    tag="Agreements",
)
def search_catalogue(query: CatalogueQuery):
    """Every word of `q` must appear in the item's description or its vendor's name;
    `category` narrows to one category. At most 200 items, by description."""
    return CatalogueOut(items=catalogue.search(current_user(), query.q, query.category))
