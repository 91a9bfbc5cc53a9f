"""Who hears of a vendor invoice, and about what (``services.queue_all`` writes it):

- an invoice goes on hold: whoever must resolve one of its open exceptions —
  procurement for price, total and over-the-order ones, the order's requester and
  procurement for quantity ones, finance for a possible duplicate — one e-mail each,
  naming the exceptions that are theirs; not the person whose action held it, who
  sees the hold on their screen;
- a vendor sends an invoice through its order's link: finance and procurement, who
  check it and submit it.

Approval and payment are quiet: whoever acts next sees them in the invoice list."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import ExceptionKind, Invoice, InvoiceException, InvoiceLine, Role, User, UserRole

INVOICE_HELD = "invoice_held"
INVOICE_FROM_VENDOR = "invoice_from_vendor"


class Resolver(enum.Enum):
    PROCUREMENT = "procurement"
    FINANCE = "finance"
    REQUESTER = "requester"  # the requester of the invoiced order


# Whom each kind of exception goes to (API.md, "Invoices": who resolves what).
RESOLVERS: dict[ExceptionKind, tuple[Resolver, ...]] = {
    ExceptionKind.PRICE: (Resolver.PROCUREMENT,),
    ExceptionKind.TOTAL: (Resolver.PROCUREMENT,),
    ExceptionKind.OVER_ORDER: (Resolver.PROCUREMENT,),
    ExceptionKind.QUANTITY: (Resolver.REQUESTER, Resolver.PROCUREMENT),
    ExceptionKind.POSSIBLE_DUPLICATE: (Resolver.FINANCE,),
}
_ROLES = {Resolver.PROCUREMENT: Role.PROCUREMENT, Resolver.FINANCE: Role.FINANCE}


@dataclasses.dataclass(frozen=True)
class Outgoing:
    """One e-mail to write: to whom, of which kind, its link and its template's context."""

    user: User
    kind: str
    path: str
    entity: str
    entity_id: int
    context: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Held:
    """One exception as an e-mail names it: with its invoice line (None for a
    whole-invoice exception)."""

    exception: InvoiceException
    line: InvoiceLine | None


@dataclasses.dataclass
class HoldRecipient:
    user: User
    held: list[Held] = dataclasses.field(default_factory=list)


def role_holders(*roles: Role) -> list[User]:
    """The active holders of any of ``roles``, once each, in a stable order."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.active.is_(True),
                User.id.in_(sa.select(UserRole.user_id).where(UserRole.role.in_(roles))),
            )
            .order_by(User.id)
        )
    )


def _people(resolver: Resolver, invoice: Invoice, holders: dict[Role, list[User]]) -> list[User]:
    if resolver is Resolver.REQUESTER:
        requester = invoice.order.request.requester
        return [requester] if requester.active else []
    role = _ROLES[resolver]
    if role not in holders:
        holders[role] = role_holders(role)
    return holders[role]


def hold_recipients(invoice: Invoice, *, actor: User | None) -> list[HoldRecipient]:
    """Everyone who must resolve an open exception of ``invoice``, with theirs."""
    lines = {line.id: line for line in invoice.lines}
    holders: dict[Role, list[User]] = {}
    recipients: dict[int, HoldRecipient] = {}
    for exception in invoice.open_exceptions:
        held = Held(exception, lines.get(exception.line_id) if exception.line_id else None)
        for resolver in RESOLVERS[exception.kind]:
            for user in _people(resolver, invoice, holders):
                if actor is not None and user.id == actor.id:
                    continue
                recipients.setdefault(user.id, HoldRecipient(user)).held.append(held)
    return sorted(recipients.values(), key=lambda recipient: recipient.user.id)


def invoice_desk() -> list[User]:
    """Who checks and submits what a vendor sent: finance and procurement."""
    return role_holders(Role.FINANCE, Role.PROCUREMENT)


def _path(invoice: Invoice) -> str:
    return f"/invoices/{invoice.id}"


def held(invoice: Invoice, *, actor: User | None) -> list[Outgoing]:
    """The invoice has just gone on hold: an e-mail to each who must resolve it."""
    return [
        Outgoing(
            recipient.user,
            INVOICE_HELD,
            _path(invoice),
            "invoice",
            invoice.id,
            {"invoice": invoice, "order": invoice.order, "held": recipient.held, "actor": actor},
        )
        for recipient in hold_recipients(invoice, actor=actor)
    ]


def from_vendor(invoice: Invoice) -> list[Outgoing]:
    """A vendor sent ``invoice`` through its link: finance and procurement check it."""
    return [
        Outgoing(
            user,
            INVOICE_FROM_VENDOR,
            _path(invoice),
            "invoice",
            invoice.id,
            {"invoice": invoice, "order": invoice.order},
        )
        for user in invoice_desk()
    ]
