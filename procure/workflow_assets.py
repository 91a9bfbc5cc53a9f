"""The life cycle of an asset: in stock, deployed to someone, in repair, retired,
disposed of.

A table only, in the shape of ``machines.py``; ``workflow.py`` re-exports it and its
:func:`workflow.apply` is still the only place a status changes. A licence pool has no
status: its seats are assigned and released (``assets/licences.py``).
"""

from __future__ import annotations

import enum

from . import permissions
from .machines import Machine, Transition
from .models import AssetStatus


class AssetAction(enum.StrEnum):
    DEPLOY = "deploy"  # to a holder, at a location
    RETURN = "return"  # back to stock
    REPAIR = "repair"
    RETIRE = "retire"
    DISPOSE = "dispose"
    # Sent back to the vendor with the order's return, or recorded in error (its
    # receipt reversed): it leaves the register.
    SEND_BACK = "send_back"


S, A = AssetStatus, AssetAction
MANAGES = permissions.manages_assets

ASSET = Machine(
    entity="asset",
    actions=AssetAction,
    table={
        (S.IN_STOCK, A.DEPLOY): Transition(S.DEPLOYED, MANAGES),
        (S.IN_REPAIR, A.DEPLOY): Transition(S.DEPLOYED, MANAGES),
        (S.DEPLOYED, A.RETURN): Transition(S.IN_STOCK, MANAGES),
        (S.IN_REPAIR, A.RETURN): Transition(S.IN_STOCK, MANAGES),
        (S.DEPLOYED, A.REPAIR): Transition(S.IN_REPAIR, MANAGES),
        **{
            (state, A.RETIRE): Transition(S.RETIRED, MANAGES)
            for state in (S.IN_STOCK, S.DEPLOYED, S.IN_REPAIR)
        },
        (S.RETIRED, A.DISPOSE): Transition(S.DISPOSED, MANAGES),
        (S.IN_STOCK, A.SEND_BACK): Transition(S.DISPOSED, permissions.follows),
    },
)

# What people do to an asset; ``send_back`` follows a return or a reversed receipt.
ASSET_USER_ACTIONS = tuple(action for action in AssetAction if action != A.SEND_BACK)
