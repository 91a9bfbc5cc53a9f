"""The life cycle of a framework agreement: a draft, active while its dates run, then
expired (its end date passed) or closed by procurement.

A table only, in the shape of ``machines.py``; ``workflow.py`` re-exports it and its
:func:`workflow.apply` is still the only place a status changes.
"""

from __future__ import annotations

import enum

from . import permissions
from .machines import Machine, Transition
from .models import AgreementStatus


class AgreementAction(enum.StrEnum):
    ACTIVATE = "activate"
    CLOSE = "close"
    EXPIRE = "expire"  # the end date passed (Procure itself)


S, A = AgreementStatus, AgreementAction

AGREEMENT = Machine(
    entity="agreement",
    actions=AgreementAction,
    table={
        (S.DRAFT, A.ACTIVATE): Transition(S.ACTIVE, permissions.procurement),
        (S.DRAFT, A.CLOSE): Transition(S.CLOSED, permissions.procurement),
        (S.ACTIVE, A.CLOSE): Transition(S.CLOSED, permissions.procurement),
        (S.ACTIVE, A.EXPIRE): Transition(S.EXPIRED, permissions.system),
    },
)

# What people do to an agreement; ``expire`` comes with the date.
AGREEMENT_USER_ACTIONS = (A.ACTIVATE, A.CLOSE)
