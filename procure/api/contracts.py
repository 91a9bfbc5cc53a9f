"""Contracts through the API (API.md, "Contracts"; what a contract covers: "Assets and
licences"). What is read and answered is in ``contract_schemas.py``."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response

from ..contracts import coverage, document, services
from ..errors import ValidationError
from ..extensions import db
from ..models import User
from . import bp
from .contract_schemas import (
    ContractIn,
    ContractOut,
    ContractPatch,
    ContractQuery,
    RenewIn,
    contract_out,
    covered,
)
from .schemas import ActionBody, Page
from .spec import current_user, operation, paginate

TAG = "Contracts"


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
    """`owner` is a user id or e-mail address (default: the caller). `covered_assets`
    (asset ids) chooses what a maintenance or support contract covers; without it, a
    contract of an order covers that order's assets. An asset that does not exist, or
    assets on another kind of contract, is a 422 on `covered_assets`."""
    skip = {"owner", "covered_assets"}
    values = {name: getattr(body, name) for name in ContractIn.model_fields if name not in skip}
    contract = services.create(
        _data(values, _owner_id(body.owner)),
        actor=current_user(),
    )
    if body.covered_assets is not None:
        coverage.cover(contract, body.covered_assets, actor=current_user())
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
    return paginate(select, query, contract_out, batch=covered)


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
    change, and `null` clears the SLA hours or the order. Send the `version` you read.
    `covered_assets` sent alone (with `version`) also changes what an active contract
    covers."""
    contract = services.get(contract_id, current_user())
    sent = body.model_fields_set
    if body.covered_assets is not None and not sent - {"covered_assets", "version"}:
        coverage.cover(
            contract, body.covered_assets, actor=current_user(), expected_version=body.version
        )
        return contract_out(contract)
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
    if body.covered_assets is not None:
        coverage.cover(contract, body.covered_assets, actor=current_user())
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
