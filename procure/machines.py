"""The shape of a state machine: a table of ``(state, action) -> Transition`` for one
document type. The tables themselves, and :func:`workflow.apply`, the only place a
status changes, are in ``workflow.py``."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping
from typing import Any

from .models import User

Who = Callable[[User, Any], str | None]
Target = enum.Enum | Callable[[Any], enum.Enum]


@dataclasses.dataclass(frozen=True)
class Transition:
    target: Target
    who: Who
    # Extra condition on the document; returns the reason it does not hold.
    guard: Callable[[Any], str | None] | None = None

    def resolve(self, doc: Any) -> enum.Enum:
        return self.target(doc) if callable(self.target) else self.target


@dataclasses.dataclass(frozen=True)
class Machine:
    entity: str  # the audit log's entity name
    actions: type[enum.Enum]
    table: Mapping[tuple[enum.Enum, enum.Enum], Transition]
    # What an action does to the document's approval steps: (step, step action) pairs,
    # each a move of the STEP table.
    steps: Callable[[Any, enum.Enum], list[tuple[Any, enum.Enum]]] | None = None

    def transition(self, state: enum.Enum, action: enum.Enum) -> Transition | None:
        return self.table.get((state, action))


# Listeners run after a transition is applied, in the same transaction
# (notifications use this); they receive (machine, doc, action, old, new, actor)
# and the keywords ``comment`` and ``on_behalf_of`` of the call to :func:`workflow.apply`.
# What they read is the document as the transition left it, its steps included
# (the decided step decided, the next one pending).
LISTENERS: list[Callable[..., None]] = []


def on_transition(listener: Callable[..., None]) -> Callable[..., None]:
    """Register ``listener``; registering the same function again does nothing
    (every ``create_app`` registers the app's listeners)."""
    if listener not in LISTENERS:
        LISTENERS.append(listener)
    return listener
