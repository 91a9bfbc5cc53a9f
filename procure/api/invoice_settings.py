"""The invoice matching settings: everyone signed in reads them, admin sets them."""

from __future__ import annotations

from pydantic import Field

from .. import currencies
from ..invoices import tolerances
from . import bp
from .schemas import Input, Output, amount_out
from .spec import current_user, operation


class MatchingIn(Input):
    price_tolerance_percent: str = Field(max_length=20, examples=["2"])
    price_tolerance_amount: str = Field(
        max_length=30, examples=["5.00"], description="In the base currency."
    )
    two_way_categories: list[str] = Field(max_length=200, examples=[["services", "licence"]])


class MatchingOut(Output):
    price_tolerance_percent: str
    price_tolerance_amount: str = Field(description="In the base currency.")
    two_way_categories: list[str] = Field(
        description="Matched against what was ordered; the other categories against "
        "what was received."
    )


def _out(value: tolerances.Tolerances) -> MatchingOut:
    return MatchingOut(
        price_tolerance_percent=f"{value.percent.normalize():f}",
        price_tolerance_amount=amount_out(value.amount, currencies.base()),
        two_way_categories=value.two_way_categories,
    )


@operation(
    bp,
    "GET",
    "/settings/invoices",
    response=MatchingOut,
    summary="The invoice matching settings",
    tag="Settings",
)
def get_invoice_settings():
    """A unit price or a total may exceed the order's by the lesser of the percent and
    the amount; the two-way categories are matched against what was ordered."""
    return _out(tolerances.current())


@operation(
    bp,
    "PUT",
    "/settings/invoices",
    body=MatchingIn,
    response=MatchingOut,
    summary="Set the invoice matching settings (admin)",
    tag="Settings",
    errors=(403,),
)
def put_invoice_settings(body: MatchingIn):
    """Every field is set: send the whole object. Invoices matched from then on use it."""
    return _out(
        tolerances.update(
            body.price_tolerance_percent,
            body.price_tolerance_amount,
            body.two_way_categories,
            actor=current_user(),
        )
    )
