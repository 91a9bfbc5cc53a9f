"""What the contract pages show, gathered in one call each so that a view only
parses, calls and renders: the vendors to choose from, one contract's page, and a
new contract drafted from a purchase order."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from .. import access
from ..extensions import db
from ..models import Agreement, Contract, ContractKind, PurchaseOrder, User, Vendor
from . import document, estimates, services


def may_file(user: User) -> bool:
    return access.may(user, "file_contracts")


def may_read_agreements(user: User) -> bool:
    """Whether the contracts list links the framework agreements (the rules ignore which)."""
    return access.rules_for(Agreement).can_see(user, None)


def vendors() -> list[Vendor]:
    """Every vendor by name: the register's filter and the form's choices."""
    return list(db.session.scalars(sa.select(Vendor).order_by(Vendor.name)))


@dataclasses.dataclass(frozen=True)
class ContractPage:
    contract: Contract
    actions: list[str]  # the life-cycle actions the user may take now
    deadline: dt.date  # the notice deadline of the current term
    clause: str  # the renewal clause, in words
    can_change: bool
    # A foreign currency's value in the base currency at today's rate (None for the
    # base currency, or while there is no rate), and the fees with their estimates.
    estimate: estimates.Estimate | None
    fees: list[estimates.ScheduledFee]
    rate_missing: bool  # a foreign currency without any rate on or before today


def contract_page(contract: Contract, user: User) -> ContractPage:
    book = estimates.RateBook()
    estimate = book.foreign_estimate(contract.value, contract.currency)
    return ContractPage(
        contract=contract,
        actions=services.allowed_actions(contract, user),
        deadline=services.notice_deadline(contract),
        clause=document.renewal_clause(contract),
        can_change=access.can_change(user, contract),
        estimate=estimate,
        fees=estimates.fee_schedule(contract, book),
        rate_missing=estimates.is_foreign(contract) and book.rate(contract.currency) is None,
    )


def draft_from_order(order_id: int | None, user: User) -> services.ContractData | None:
    """A maintenance contract for what an order bought, to start the form from; None
    when there is no such order the user may see."""
    order = db.session.get(PurchaseOrder, order_id) if order_id else None
    if order is None or not access.can_see(user, order):
        return None
    return services.ContractData(
        vendor_id=order.vendor_id,
        title=f"Maintenance for {order.number or 'order ' + str(order.id)}",
        kind=ContractKind.MAINTENANCE.value,
        start_date=None,
        end_date=None,
        covered_items=[line.description for line in order.lines],
        order_id=order.id,
    )
