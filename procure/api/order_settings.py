"""The order revision settings: everyone signed in reads them, admin sets them."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

from .. import currencies
from ..errors import ValidationError
from ..orders import tolerances
from . import bp
from .schemas import Input, Money, Output, amount_out
from .spec import current_user, operation

# The service names its fields as the admin page does; the API's are longer.
FIELDS = {"percent": "revision_tolerance_percent", "amount": "revision_tolerance_amount"}


def _percent(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError("Give a number, such as 5 or 2.5.")
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        raise ValueError("Give a number, such as 5 or 2.5.") from None
    if not number.is_finite() or number < 0 or number > 100:
        raise ValueError("Give a percent from 0 to 100.")
    return number


Percent = Annotated[
    Decimal,
    BeforeValidator(_percent),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\d{1,3}(\.\d+)?$"},
                {"type": "number", "minimum": 0, "maximum": 100},
            ],
            "examples": ["5"],
        },
        mode="validation",
    ),
]


class OrderSettingsIn(Input):
    revision_tolerance_percent: Percent
    revision_tolerance_amount: Money = Field(description="In the base currency.")


class OrderSettingsOut(Output):
    revision_tolerance_percent: str = Field(examples=["5"])
    revision_tolerance_amount: str = Field(
        examples=["500.00"], description="In the base currency."
    )


def _out(value: tolerances.Tolerances) -> OrderSettingsOut:
    return OrderSettingsOut(
        revision_tolerance_percent=f"{value.percent.normalize():f}",
        revision_tolerance_amount=amount_out(value.amount, currencies.base()),
    )


@operation(
    bp,
    "GET",
    "/settings/orders",
    response=OrderSettingsOut,
    summary="The order revision settings",
    tag="Settings",
)
def get_order_settings():
    """A revision of an issued order that raises it above the approved amount by more than
    the lesser of the percent (of the approved amount) and the amount waits for the
    request's approvers; within it, it is issued at once."""
    return _out(tolerances.current())


@operation(
    bp,
    "PUT",
    "/settings/orders",
    body=OrderSettingsIn,
    response=OrderSettingsOut,
    summary="Set the order revision settings (admin)",
    tag="Settings",
    errors=(403,),
)
def put_order_settings(body: OrderSettingsIn):
    """Both fields are set: send the whole object. Revisions proposed from then on use
    it; a revision already waiting for approval still waits."""
    try:
        value = tolerances.update(
            body.revision_tolerance_percent, body.revision_tolerance_amount, actor=current_user()
        )
    except ValidationError as exc:
        fields = {FIELDS.get(name, name): texts for name, texts in exc.fields.items()}
        raise ValidationError(exc.message, fields=fields) from None
    return _out(value)
