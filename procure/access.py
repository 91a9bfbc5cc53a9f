"""Who may see and change what: one helper, used by pages and API alike.

Each area registers the rules of its documents with :func:`rules`; views and
API endpoints then load a document with :func:`load`, which raises ``NotFound``
for what the user may not see (existence itself is private) and ``Forbidden``
for what they may see but not change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa

from .errors import Forbidden, NotFound
from .extensions import db
from .models import Role, User

T = TypeVar("T")

Check = Callable[[User, Any], bool]
Scope = Callable[[User, sa.Select[Any]], sa.Select[Any]]


@dataclasses.dataclass(frozen=True)
class Rules:
    noun: str
    can_see: Check
    can_change: Check
    # Narrows a list query to what the user may see.
    scope: Scope | None = None


_RULES: dict[type, Rules] = {}


def rules(
    model: type, *, noun: str, can_see: Check, can_change: Check, scope: Scope | None = None
) -> None:
    _RULES[model] = Rules(noun, can_see, can_change, scope)


def rules_for(model: type) -> Rules:
    try:
        return _RULES[model]
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
    rule = rules_for(model)
    return rule.scope(user, query) if rule.scope else query


def require_role(user: User, *roles: Role, action: str) -> None:
    """Raise ``Forbidden`` unless the user holds one of ``roles``."""
    if not user.has_role(*roles):
        names = " or ".join(role.value for role in roles)
        raise Forbidden(f"Only {names} may {action}.")
