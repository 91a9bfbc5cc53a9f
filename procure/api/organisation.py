"""The buying organisation's details: everyone reads them, admin sets them."""

from __future__ import annotations

from pydantic import Field

from .. import organisation
from . import bp
from .schemas import Input, Output
from .spec import current_user, operation


class OrganisationIn(Input):
    name: str = Field(max_length=200, examples=["Northwind Traders Ltd"])
    address: str = Field("", max_length=1_000)
    phone: str = Field("", max_length=200)
    email: str = Field("", max_length=254)
    tax_id: str = Field("", max_length=200)
    bill_to: str = Field(
        "", max_length=1_000, description="The invoice address; empty: the address."
    )
    terms: str = Field("", max_length=20_000, description="General terms of purchase.")


class OrganisationOut(Output):
    name: str
    address: str
    phone: str
    email: str
    tax_id: str
    bill_to: str
    terms: str


@operation(
    bp,
    "GET",
    "/settings/organisation",
    response=OrganisationOut,
    summary="The organisation's details",
    tag="Settings",
)
def get_organisation():
    """Shown on purchase orders, contracts, e-mails and the vendors' pages; PDFs carry
    the name as their Author."""
    return OrganisationOut(**organisation.current().as_dict())


@operation(
    bp,
    "PUT",
    "/settings/organisation",
    body=OrganisationIn,
    response=OrganisationOut,
    summary="Set the organisation's details (admin)",
    tag="Settings",
    errors=(403,),
)
def put_organisation(body: OrganisationIn):
    """Every field is set: send the whole object."""
    updated = organisation.update(body.model_dump(), actor=current_user())
    return OrganisationOut(**updated.as_dict())
