"""Which assets a maintenance or support contract covers, chosen through the contract
(API.md, "Assets and licences": contracts accept and answer ``covered_assets``).

Until someone chooses, a contract made from an order covers that order's assets; once
chosen, the choice wins (``assets.services.set_coverage``). Choosing is a change of the
contract: whoever may file contracts may make it, on a draft or an active contract,
under the contract's version, audited with the contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from .. import access, workflow
from ..assets import services as assets
from ..errors import InvalidTransition
from ..extensions import db
from ..models import Asset, Contract, ContractStatus, User, asset_coverage

# A finished contract's coverage is history: it stays as it was.
CHANGEABLE = (ContractStatus.DRAFT, ContractStatus.ACTIVE)


def cover(
    contract: Contract,
    asset_ids: Sequence[int],
    *,
    actor: User,
    expected_version: int | None = None,
) -> list[Asset]:
    """From now on ``contract`` covers the assets ``asset_ids`` (none is allowed): a 422
    on ``covered_assets`` for an asset that does not exist or a contract of a kind that
    covers none."""
    access.require(actor, "file_contracts", action="choose what a contract covers")
    access.load(Contract, contract.id, actor, change=True)
    if contract.status not in CHANGEABLE:
        raise InvalidTransition(
            f"{contract.number} is {contract.status.value}: what it covered stays as it was."
        )
    workflow.check_version(contract, expected_version, "contract")
    return assets.set_coverage(contract, list(asset_ids), actor=actor)


def covered_ids(contracts: Iterable[Contract]) -> dict[int, list[int]]:
    """The ids of the assets each contract covers (or would, once active), by contract
    id, for a page of contracts in at most two queries; each list in tag order, as
    ``assets.services.covered_assets`` gives them."""
    contracts = list(contracts)
    found: dict[int, list[int]] = {contract.id: [] for contract in contracts}
    by_order: dict[int, list[int]] = {}
    chosen: list[int] = []
    for contract in contracts:
        if not contract.covers_order_assets:
            chosen.append(contract.id)
        elif contract.order_id is not None and contract.kind in assets.COVERING_KINDS:
            by_order.setdefault(contract.order_id, []).append(contract.id)
    if by_order:
        rows = db.session.execute(
            sa.select(Asset.order_id, Asset.id)
            .where(Asset.order_id.in_(by_order))
            .order_by(Asset.tag)
        )
        for order_id, asset_id in rows:
            for contract_id in by_order[order_id]:
                found[contract_id].append(asset_id)
    if chosen:
        rows = db.session.execute(
            sa.select(asset_coverage.c.contract_id, Asset.id)
            .join(Asset, Asset.id == asset_coverage.c.asset_id)
            .where(asset_coverage.c.contract_id.in_(chosen))
            .order_by(Asset.tag)
        )
        for contract_id, asset_id in rows:
            found[contract_id].append(asset_id)
    return found
