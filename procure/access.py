"""Who may see and change what, in one table.

:data:`DOCUMENTS` names, for each document type, who may see one, who may change
it, and how a list query is narrowed to what a user may see; read it top to
bottom like the workflow tables. :data:`CAPABILITIES` names who may do the
things that are not one document (read the reports, the whole audit log…).

Views and API endpoints load a document with :func:`load`, which raises
``NotFound`` for what the user may not see (existence itself is private) and
``Forbidden`` for what they may see but not change. Services answer pages with
booleans computed here; no view or template tests a role itself.

Nothing here imports an area package: the rules sit below the areas.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa

from . import permissions
from .errors import Forbidden, NotFound
from .extensions import db
from .models import (
    Agreement,
    ApprovalStep,
    Asset,
    Budget,
    Contract,
    Invoice,
    Licence,
    LicenceAssignment,
    PurchaseOrder,
    PurchaseRequest,
    RequestStatus,
    Rfq,
    Role,
    User,
    Vendor,
)

T = TypeVar("T")

Check = Callable[[User, Any], bool]
Scope = Callable[[User, sa.Select[Any]], sa.Select[Any]]

# Roles that see every purchase request, and so every RFQ and order that follows one.
SEE_ALL_REQUESTS = (Role.FINANCE, Role.PROCUREMENT, Role.ADMIN)
CONTRACT_READERS = (Role.PROCUREMENT, Role.FINANCE, Role.ADMIN)
BUDGET_MANAGERS = (Role.FINANCE, Role.ADMIN)


# Purchase requests: the requester, their department's approvers (and whoever stands
# in for one today), everyone who decided or holds the role of one of its steps, and
# finance, procurement and admin. Only the requester changes it, while a draft.


def approver_departments(user: User) -> set[int]:
    """The departments whose requests ``user`` sees as an approver: their own, and
    today those of the approvers they stand in for (the inbox lists those too)."""
    if Role.APPROVER not in user.roles:
        return set()
    return {user.department_id} | {
        principal.department_id
        for principal in permissions.standing_in_for(user)
        if Role.APPROVER in principal.roles
    }


def _request_can_see(user: User, pr: PurchaseRequest) -> bool:
    if user.has_role(*SEE_ALL_REQUESTS) or pr.requester_id == user.id:
        return True
    # Their own department's approver needs no look at who they stand in for.
    if Role.APPROVER in user.roles and pr.department_id == user.department_id:
        return True
    if pr.department_id in approver_departments(user):
        return True
    return any(
        step.decided_by_id == user.id
        or step.on_behalf_of_id == user.id
        or (step.role != Role.APPROVER and step.role in user.roles)
        for step in pr.steps
    )


def _request_can_change(user: User, pr: PurchaseRequest) -> bool:
    return pr.requester_id == user.id and pr.status == RequestStatus.DRAFT


def _request_scope(user: User, query: sa.Select[Any]) -> sa.Select[Any]:
    if user.has_role(*SEE_ALL_REQUESTS):
        return query
    conditions = [PurchaseRequest.requester_id == user.id]
    departments = approver_departments(user)
    if departments:
        conditions.append(PurchaseRequest.department_id.in_(departments))
    step_roles = [role for role in user.roles if role != Role.APPROVER]
    held = [ApprovalStep.decided_by_id == user.id, ApprovalStep.on_behalf_of_id == user.id]
    if step_roles:
        held.append(ApprovalStep.role.in_(step_roles))
    conditions.append(
        sa.exists().where(ApprovalStep.request_id == PurchaseRequest.id, sa.or_(*held))
    )
    return query.where(sa.or_(*conditions))


def _follows_request(column: Any) -> Scope:
    """The scope of a document that follows its request: visible with the request."""

    def scope(user: User, query: sa.Select[Any]) -> sa.Select[Any]:
        if user.has_role(*SEE_ALL_REQUESTS):
            return query
        return query.where(column.in_(_request_scope(user, sa.select(PurchaseRequest.id))))

    return scope


def _sees_its_request(user: User, doc: Rfq | PurchaseOrder) -> bool:
    return _request_can_see(user, doc.request)


# Budgets: finance and admin; an approver sees their own department's.


def _budget_can_see(user: User, budget: Budget) -> bool:
    if user.has_role(*BUDGET_MANAGERS):
        return True
    return Role.APPROVER in user.roles and budget.department_id == user.department_id


def _budget_scope(user: User, query: sa.Select[Any]) -> sa.Select[Any]:
    if user.has_role(*BUDGET_MANAGERS):
        return query
    if Role.APPROVER in user.roles:
        return query.where(Budget.department_id == user.department_id)
    return query.where(sa.false())


# Contracts: procurement, finance, admin and the contract's owner.


def _contract_can_see(user: User, contract: Contract) -> bool:
    return user.has_role(*CONTRACT_READERS) or contract.owner_id == user.id


def _contract_scope(user: User, query: sa.Select[Any]) -> sa.Select[Any]:
    if user.has_role(*CONTRACT_READERS):
        return query
    return query.where(Contract.owner_id == user.id)


# Vendor invoices: finance, procurement and admin; the requester of the order's request
# sees them too (a quantity exception is theirs to resolve).
INVOICE_READERS = (Role.FINANCE, Role.PROCUREMENT, Role.ADMIN)
INVOICE_BOOKERS = (Role.FINANCE, Role.PROCUREMENT)


def _invoice_can_see(user: User, invoice: Invoice) -> bool:
    return user.has_role(*INVOICE_READERS) or invoice.order.request.requester_id == user.id


def _invoice_scope(user: User, query: sa.Select[Any]) -> sa.Select[Any]:
    if user.has_role(*INVOICE_READERS):
        return query
    own_orders = (
        sa.select(PurchaseOrder.id)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseOrder.request_id)
        .where(PurchaseRequest.requester_id == user.id)
    )
    return query.where(Invoice.order_id.in_(own_orders))


AGREEMENT_READERS = (Role.PROCUREMENT, Role.FINANCE, Role.ADMIN)


def _agreement_scope(user: User, query: sa.Select[Any]) -> sa.Select[Any]:
    return query if user.has_role(*AGREEMENT_READERS) else query.where(sa.false())


# Assets and licence pools: procurement and asset managers keep them, finance and admin
# read them all; whoever holds an asset (or a seat of a pool) sees it.
ASSET_KEEPERS = (Role.PROCUREMENT, Role.ASSET_MANAGER)
ASSET_READERS = (*ASSET_KEEPERS, Role.FINANCE, Role.ADMIN)


def _asset_can_see(user: User, asset: Asset) -> bool:
    return user.has_role(*ASSET_READERS) or asset.holder_id == user.id


def _asset_scope(user: User, query: sa.Select[Any]) -> sa.Select[Any]:
    if user.has_role(*ASSET_READERS):
        return query
    return query.where(Asset.holder_id == user.id)


def _licence_can_see(user: User, licence: Licence) -> bool:
    return user.has_role(*ASSET_READERS) or any(a.user_id == user.id for a in licence.live)


def _licence_scope(user: User, query: sa.Select[Any]) -> sa.Select[Any]:
    if user.has_role(*ASSET_READERS):
        return query
    return query.where(
        sa.exists().where(
            LicenceAssignment.licence_id == Licence.id,
            LicenceAssignment.user_id == user.id,
            LicenceAssignment.released_at.is_(None),
        )
    )


def _everyone(_user: User, _doc: Any) -> bool:
    return True


def _holds(*roles: Role) -> Check:
    def check(user: User, _doc: Any = None) -> bool:
        return user.has_role(*roles)

    return check


@dataclasses.dataclass(frozen=True)
class Rules:
    noun: str
    can_see: Check
    can_change: Check
    # Narrows a list query to what the user may see; None: everything. For whoever
    # sees every document it returns the query itself (``sees_every``).
    scope: Scope | None = None


DOCUMENTS: dict[type, Rules] = {
    PurchaseRequest: Rules(
        "purchase request", _request_can_see, _request_can_change, _request_scope
    ),
    # Every signed-in user sees vendors: requesters suggest them.
    Vendor: Rules("vendor", _everyone, _holds(Role.PROCUREMENT)),
    # An RFQ, its quotes and its order follow their request.
    Rfq: Rules(
        "RFQ", _sees_its_request, _holds(Role.PROCUREMENT), _follows_request(Rfq.request_id)
    ),
    PurchaseOrder: Rules(
        "purchase order",
        _sees_its_request,
        _holds(Role.PROCUREMENT),
        _follows_request(PurchaseOrder.request_id),
    ),
    Contract: Rules("contract", _contract_can_see, _holds(Role.PROCUREMENT), _contract_scope),
    Budget: Rules("budget", _budget_can_see, _holds(Role.FINANCE), _budget_scope),
    Invoice: Rules("invoice", _invoice_can_see, _holds(*INVOICE_BOOKERS), _invoice_scope),
    Asset: Rules("asset", _asset_can_see, _holds(*ASSET_KEEPERS), _asset_scope),
    Licence: Rules("licence", _licence_can_see, _holds(*ASSET_KEEPERS), _licence_scope),
    # Framework agreements: procurement keeps them; finance and admin read them. Their
    # items reach requesters as the catalogue (capability below), not as agreements.
    Agreement: Rules(
        "agreement",
        _holds(*AGREEMENT_READERS),
        _holds(Role.PROCUREMENT),
        _agreement_scope,
    ),
}

# What is not one document: who may, by role.
CAPABILITIES: dict[str, tuple[Role, ...]] = {
    "file_requests": (Role.REQUESTER,),
    "source_requests": (Role.PROCUREMENT,),
    "manage_vendors": (Role.PROCUREMENT,),
    "file_contracts": (Role.PROCUREMENT,),
    "open_budgets": (Role.FINANCE, Role.ADMIN, Role.APPROVER),
    "manage_budgets": (Role.FINANCE,),
    "read_reports": (Role.FINANCE, Role.PROCUREMENT, Role.ADMIN),
    "see_split_flags": (Role.APPROVER, Role.FINANCE, Role.PROCUREMENT, Role.ADMIN),
    "read_audit_log": (Role.FINANCE, Role.ADMIN),
    "administer": (Role.ADMIN,),
    # Who decides approval steps from an inbox (and may name a stand-in for them).
    "decide_steps": (Role.APPROVER, Role.FINANCE, Role.EXECUTIVE),
    "see_all_budgets": BUDGET_MANAGERS,
    # Exchange rates: finance records them (admin too, who enables the currencies).
    "record_rates": (Role.FINANCE, Role.ADMIN),
    # Vendor invoices: finance and procurement enter them; finance pays them; the
    # accounts-payable reports are finance's (and admin's).
    "enter_invoices": INVOICE_BOOKERS,
    "pay_invoices": (Role.FINANCE,),
    "read_payables": (Role.FINANCE, Role.ADMIN),
    # A vendor's bank details (masked): who pays or orders sees them.
    "see_bank_details": INVOICE_READERS,
    # The asset register and licence pools: kept by procurement and asset managers,
    # read (all of it, with its reports) by finance and admin too.
    "manage_assets": ASSET_KEEPERS,
    "read_assets": ASSET_READERS,
    # Framework agreements and call-offs are procurement's; every signed-in person reads
    # the catalogue (the items of active agreements) to file a request from it.
    "manage_agreements": (Role.PROCUREMENT,),
    "read_catalogue": tuple(Role),
}


def rules_for(model: type) -> Rules:
    try:
        return DOCUMENTS[model]
    except KeyError:
        raise LookupError(f"no access rules for {model.__name__}") from None


def load(model: type[T], ident: Any, user: User, *, change: bool = False, lock: bool = False) -> T:
    """Load a document the user may see (and, with ``change``, change)."""
    rule = rules_for(model)
    obj = db.session.get(model, ident, with_for_update=lock or None)
    if obj is None or not rule.can_see(user, obj):
        raise NotFound(f"No such {rule.noun}.")
    if change and not rule.can_change(user, obj):
        raise Forbidden(f"You may not change this {rule.noun}.")
    return obj


def can_see(user: User, obj: Any) -> bool:
    return rules_for(type(obj)).can_see(user, obj)


def can_change(user: User, obj: Any) -> bool:
    return rules_for(type(obj)).can_change(user, obj)


def scoped(model: type, user: User, query: sa.Select[Any]) -> sa.Select[Any]:
    """``query`` narrowed to the documents of ``model`` the user may see."""
    rule = rules_for(model)
    return rule.scope(user, query) if rule.scope else query


def sees_every(model: type, user: User) -> bool:
    """Whether ``user`` sees every document of ``model``: its lists are not narrowed."""
    rule = rules_for(model)
    if rule.scope is None:
        return True
    query = sa.select(model)
    return rule.scope(user, query) is query


def may(user: User, capability: str) -> bool:
    return user.has_role(*CAPABILITIES[capability])


def require(user: User, capability: str, *, action: str) -> None:
    """Raise ``Forbidden`` naming the roles unless the user has ``capability``."""
    require_role(user, *CAPABILITIES[capability], action=action)


def require_role(user: User, *roles: Role, action: str) -> None:
    """Raise ``Forbidden`` unless the user holds one of ``roles``."""
    if not user.has_role(*roles):
        names = " or ".join(role.value for role in roles)
        raise Forbidden(f"Only {names} may {action}.")
