"""What the contracts API reads and answers (API.md, "Contracts"; ``covered_assets``:
"Assets and licences"), and the translation of a contract into its JSON. The
operations are in ``contracts.py``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, Field, StringConstraints, WithJsonSchema

from .. import money
from ..contracts import coverage, estimates, services
from ..models import BillingPeriod, Contract, ContractKind, ContractStatus
from .requests import PersonOut, person
from .schemas import (
    ActionBody,
    Id,
    Input,
    Name,
    Output,
    PageQuery,
    Text,
    Timestamp,
)
from .spec import current_user

Hours = Annotated[int, Field(ge=0, le=100_000)]
Item = Annotated[str, StringConstraints(max_length=1000)]


def _number(value: object) -> Decimal:
    try:
        return money.parse_number(value)
    except money.MoneyError as exc:
        raise ValueError(str(exc)) from None


# A contract's value in its own currency: read as any number here, then held to the
# currency's decimals (0 for JPY, 3 for BHD) and limits by the service.
Amount = Annotated[
    Decimal,
    BeforeValidator(_number),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\d{1,12}(\.\d{1,3})?$"},
                {"type": "number", "minimum": 0, "maximum": float(money.MAX_AMOUNT)},
            ],
            "examples": ["1234.50", "150000"],
        }
    ),
]
# Money answered in its currency's decimals: "1234.50" USD, "1235" JPY, "12.345" BHD.
AmountOut = Annotated[str, WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d{1,3})?$"})]
RateOut = Annotated[str, WithJsonSchema({"type": "string", "examples": ["1.082500"]})]


class VendorRef(Output):
    id: int
    name: str


class TermOut(Output):
    sequence: int
    start_date: dt.date
    end_date: dt.date
    value: AmountOut
    how: str = Field(description="initial, renewed or auto_renewed")


class ContractOut(Output):
    id: int
    number: str
    status: ContractStatus
    version: int
    allowed_actions: list[str]
    vendor: VendorRef
    owner: PersonOut
    title: str
    kind: ContractKind
    start_date: dt.date
    end_date: dt.date
    notice_deadline: dt.date = Field(description="The last day to give notice: end less notice.")
    value: AmountOut = Field(description="In the contract's currency.")
    currency: str
    value_base: AmountOut | None = Field(
        description="An estimate: the value in the base currency at the latest rate on or "
        "before today (it moves with the rates; nothing is frozen); null without a rate."
    )
    rate: RateOut | None = Field(
        description="The rate of the estimate: base units one unit of `currency` is worth."
    )
    rate_date: dt.date | None = Field(description="The date of that rate.")
    billing_period: BillingPeriod
    auto_renew: bool
    notice_days: int
    renewal_term_months: int
    sla_response_hours: int | None
    sla_resolution_hours: int | None
    covered_items: list[str]
    covered_assets: list[int] = Field(
        description="The assets the contract covers (maintenance and support): those chosen, "
        "else the assets of its order."
    )
    terms: str
    order_id: int | None
    terminated_on: dt.date | None
    termination_reason: str
    term_history: list[TermOut] = Field(description="Every term so far, the first first.")
    created_at: Timestamp


def _rate_text(rate: Decimal) -> str:
    """A rate with at least six decimals, as API.md keeps them: "1.082500"."""
    text = f"{rate.normalize():f}"
    places = len(text.partition(".")[2])
    return f"{rate:.{max(places, 6)}f}"


def covered(contracts: list[Contract]) -> dict[int, list[int]]:
    """What a page of contracts covers, read at once (``paginate``'s ``batch``)."""
    return coverage.covered_ids(contracts)


def contract_out(contract: Contract, summary: list[int] | None = None) -> ContractOut:
    """``summary``: the contract's covered asset ids when a list has read them."""
    if summary is None:
        summary = coverage.covered_ids([contract])[contract.id]
    estimate = estimates.value_estimate(contract)
    return ContractOut(
        id=contract.id,
        number=contract.number,
        status=contract.status,
        version=contract.version,
        allowed_actions=services.allowed_actions(contract, current_user()),
        vendor=VendorRef(id=contract.vendor.id, name=contract.vendor.name),
        owner=person(contract.owner),
        title=contract.title,
        kind=contract.kind,
        start_date=contract.start_date,
        end_date=contract.end_date,
        notice_deadline=services.notice_deadline(contract),
        value=money.to_api(contract.value, contract.currency),
        currency=contract.currency,
        value_base=money.to_api(estimate.amount_base) if estimate else None,
        rate=_rate_text(estimate.rate.rate) if estimate else None,
        rate_date=estimate.rate.date if estimate else None,
        billing_period=contract.billing_period,
        auto_renew=contract.auto_renew,
        notice_days=contract.notice_days,
        renewal_term_months=contract.renewal_term_months,
        sla_response_hours=contract.sla_response_hours,
        sla_resolution_hours=contract.sla_resolution_hours,
        covered_items=list(contract.covered_items or []),
        covered_assets=summary,
        terms=contract.terms,
        order_id=contract.order_id,
        terminated_on=contract.terminated_on,
        termination_reason=contract.termination_reason,
        term_history=[
            TermOut(
                sequence=term.sequence,
                start_date=term.start_date,
                end_date=term.end_date,
                value=money.to_api(term.value, contract.currency),
                how=term.how,
            )
            for term in contract.term_history
        ],
        created_at=contract.created_at,
    )


class ContractIn(Input):
    vendor_id: Id
    title: Name
    kind: str = Field(description="maintenance, support, licence, subscription or service")
    start_date: dt.date
    end_date: dt.date
    value: Amount = Decimal("0.00")
    currency: str | None = Field(None, description="Any enabled currency; default: the base.")
    billing_period: str = "yearly"
    auto_renew: bool = False
    notice_days: int = Field(0, ge=0, le=3650)
    renewal_term_months: int = Field(12, ge=0, le=120)
    sla_response_hours: Hours | None = None
    sla_resolution_hours: Hours | None = None
    covered_items: list[Item] = Field(default_factory=list, max_length=500)
    covered_assets: list[Id] | None = Field(
        None,
        max_length=5000,
        description="Asset ids the contract covers (maintenance or support); when given, "
        "they win over the assets of the contract's order.",
    )
    terms: Text = ""
    order_id: Id | None = None
    owner: int | Annotated[str, StringConstraints(max_length=254)] | None = Field(
        None, description="The owner's user id or e-mail address; default: the caller."
    )


class ContractPatch(Input):
    """The fields to change; the others keep their values."""

    vendor_id: Id | None = None
    title: Name | None = None
    kind: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    value: Amount | None = None
    currency: str | None = None
    billing_period: str | None = None
    auto_renew: bool | None = None
    notice_days: int | None = Field(None, ge=0, le=3650)
    renewal_term_months: int | None = Field(None, ge=0, le=120)
    sla_response_hours: Hours | None = None
    sla_resolution_hours: Hours | None = None
    covered_items: list[Item] | None = Field(None, max_length=500)
    covered_assets: list[Id] | None = Field(
        None,
        max_length=5000,
        description="Asset ids the contract covers (maintenance or support); sent alone, they "
        "change an active contract too; they win over the assets of the contract's order.",
    )
    terms: Text | None = None
    order_id: Id | None = None
    owner: int | Annotated[str, StringConstraints(max_length=254)] | None = None
    version: int | None = None


class ContractQuery(PageQuery):
    status: ContractStatus | None = None
    kind: ContractKind | None = None
    vendor_id: Id | None = None
    expiring_within: int | None = Field(
        None,
        ge=0,
        le=36_500,
        description="Active contracts whose notice deadline falls within this many days.",
    )


class RenewIn(ActionBody):
    end_date: dt.date | None = Field(None, description="Default: the end plus the renewal term.")
