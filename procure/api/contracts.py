"""Contracts through the API (API.md, "Contracts")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

import sqlalchemy as sa
from flask import Response
from pydantic import BeforeValidator, Field, StringConstraints, WithJsonSchema

from .. import money
from ..contracts import document, estimates, services
from ..errors import ValidationError
from ..extensions import db
from ..models import BillingPeriod, Contract, ContractKind, ContractStatus, User
from . import bp
from .requests import PersonOut, person
from .schemas import (
    ActionBody,
    Id,
    Input,
    Name,
    Output,
    Page,
    PageQuery,
    Text,
    Timestamp,
)
from .spec import current_user, operation, paginate

TAG = "Contracts"
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


def contract_out(contract: Contract) -> ContractOut:
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


def _owner_id(owner: int | str | None) -> int | None:
    if owner is None or owner == "":
        return None
    if isinstance(owner, int):
        found = db.session.get(User, owner)
    else:
        found = db.session.scalar(
            sa.select(User).where(sa.func.lower(User.email) == owner.strip().lower())
        )
    if found is None or not found.active:
        raise ValidationError.field("owner", "The owner must be an active user.")
    return found.id


def _data(values: dict, owner_id: int | None) -> services.ContractData:
    return services.ContractData(
        vendor_id=values["vendor_id"],
        title=values["title"],
        kind=values["kind"],
        start_date=values["start_date"],
        end_date=values["end_date"],
        value=values["value"],
        currency=values["currency"],
        billing_period=values["billing_period"],
        auto_renew=values["auto_renew"],
        notice_days=values["notice_days"],
        renewal_term_months=values["renewal_term_months"],
        sla_response_hours=values["sla_response_hours"],
        sla_resolution_hours=values["sla_resolution_hours"],
        covered_items=list(values["covered_items"] or []),
        terms=values["terms"],
        order_id=values["order_id"],
        owner_id=owner_id,
    )


@operation(
    bp,
    "POST",
    "/contracts",
    body=ContractIn,
    response=ContractOut,
    status=201,
    summary="File a contract as a draft (procurement)",
    tag=TAG,
    errors=(403,),
)
def create_contract(body: ContractIn):
    """`owner` is a user id or e-mail address (default: the caller)."""
    values = {name: getattr(body, name) for name in ContractIn.model_fields if name != "owner"}
    contract = services.create(
        _data(values, _owner_id(body.owner)),
        actor=current_user(),
    )
    return contract_out(contract)


@operation(
    bp,
    "GET",
    "/contracts",
    query=ContractQuery,
    response=Page[ContractOut],
    summary="List the contracts the caller may see",
    tag=TAG,
)
def list_contracts(query: ContractQuery):
    """Procurement, finance and admin see every contract; others the contracts they own.
    Filters: `status`, `kind`, `vendor_id`, and `expiring_within=DAYS` (active contracts
    whose notice deadline falls within that many days)."""
    select = services.list_query(
        current_user(),
        status=query.status,
        kind=query.kind,
        vendor_id=query.vendor_id,
        expiring_within=query.expiring_within,
    )
    return paginate(select, query, contract_out)


@operation(
    bp,
    "GET",
    "/contracts/<int:contract_id>",
    response=ContractOut,
    summary="Read a contract, with its notice deadline and term history",
    tag=TAG,
)
def get_contract(contract_id: int):
    """With `notice_deadline` (the last day to give notice before the term renews or ends)
    and `term_history` (every term, the current one last). A contract the caller may not
    see is a 404."""
    return contract_out(services.get(contract_id, current_user()))


@operation(
    bp,
    "PATCH",
    "/contracts/<int:contract_id>",
    body=ContractPatch,
    response=ContractOut,
    summary="Edit a draft contract (procurement)",
    tag=TAG,
    errors=(403, 409),
)
def patch_contract(contract_id: int, body: ContractPatch):
    """Only a draft changes (otherwise 409 `invalid_transition`); only the fields sent
    change, and `null` clears the SLA hours or the order. Send the `version` you read."""
    contract = services.get(contract_id, current_user())
    sent = body.model_fields_set
    current = {
        "vendor_id": contract.vendor_id,
        "title": contract.title,
        "kind": contract.kind.value,
        "start_date": contract.start_date,
        "end_date": contract.end_date,
        "value": contract.value,
        "currency": contract.currency,
        "billing_period": contract.billing_period.value,
        "auto_renew": contract.auto_renew,
        "notice_days": contract.notice_days,
        "renewal_term_months": contract.renewal_term_months,
        "sla_response_hours": contract.sla_response_hours,
        "sla_resolution_hours": contract.sla_resolution_hours,
        "covered_items": list(contract.covered_items or []),
        "terms": contract.terms,
        "order_id": contract.order_id,
    }
    nullable = {"sla_response_hours", "sla_resolution_hours", "order_id"}
    for name in current:
        if name in sent and (getattr(body, name) is not None or name in nullable):
            current[name] = getattr(body, name)
    owner_id = _owner_id(body.owner) if "owner" in sent and body.owner else contract.owner_id
    services.update(
        contract, _data(current, owner_id), actor=current_user(), expected_version=body.version
    )
    return contract_out(contract)


@operation(
    bp,
    "POST",
    "/contracts/<int:contract_id>/activate",
    body=ActionBody,
    response=ContractOut,
    summary="Activate a draft contract: its first term begins the history",
    tag=TAG,
    errors=(403, 409),
)
def activate_contract(contract_id: int, body: ActionBody):
    """The contract's dates become its first term. A contract whose end date has passed is
    a 422 on `end_date`: correct its dates first."""
    contract = services.get(contract_id, current_user())
    services.activate(
        contract, actor=current_user(), comment=body.comment, expected_version=body.version
    )
    return contract_out(contract)


@operation(
    bp,
    "POST",
    "/contracts/<int:contract_id>/renew",
    body=RenewIn,
    response=ContractOut,
    summary="Renew an active contract for a new term",
    tag=TAG,
    errors=(403, 409),
)
def renew_contract(contract_id: int, body: RenewIn):
    """The new term starts the day after the current end and lasts the renewal term unless
    `end_date` says otherwise; the term it replaces stays in `term_history`."""
    contract = services.get(contract_id, current_user())
    services.renew(
        contract,
        actor=current_user(),
        end_date=body.end_date,
        comment=body.comment,
        expected_version=body.version,
    )
    return contract_out(contract)


@operation(
    bp,
    "POST",
    "/contracts/<int:contract_id>/terminate",
    body=ActionBody,
    response=ContractOut,
    summary="Terminate an active contract (a comment giving the reason is required)",
    tag=TAG,
    errors=(403, 409),
)
def terminate_contract(contract_id: int, body: ActionBody):
    """`comment` gives the reason and is required (422 without it). The termination date
    is today."""
    contract = services.get(contract_id, current_user())
    services.terminate(
        contract, actor=current_user(), comment=body.comment, expected_version=body.version
    )
    return contract_out(contract)


@operation(
    bp,
    "GET",
    "/contracts/<int:contract_id>/pdf",
    response=bytes,
    content_type="application/pdf",
    summary="The contract as a PDF (a draft is watermarked DRAFT)",
    tag=TAG,
)
def contract_pdf(contract_id: int):
    """The contract document with its parties, terms and renewal clause, as a download;
    a draft's pages are watermarked DRAFT."""
    contract = services.get(contract_id, current_user())
    data, filename = document.render(contract)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
