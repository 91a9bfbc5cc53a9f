"""The audit log through the API: a document's history, or the whole log."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import Field

from .. import access
from ..audit_export import period_bounds
from ..errors import Forbidden, NotFound, ValidationError
from ..extensions import db
from ..models import (
    Agreement,
    Asset,
    AuditEvent,
    Budget,
    Contract,
    Invoice,
    Licence,
    PurchaseOrder,
    PurchaseRequest,
    Receipt,
    Rfq,
    User,
    Vendor,
)
from . import bp
from .requests import PersonOut, person
from .schemas import Id, Output, Page, PageQuery, Timestamp
from .spec import current_user, operation, paginate

# Entity name -> the model whose access rules decide who may read its history.
DOCUMENTS: dict[str, type] = {
    "request": PurchaseRequest,
    "budget": Budget,
    "rfq": Rfq,
    "order": PurchaseOrder,
    "vendor": Vendor,
    "contract": Contract,
    "invoice": Invoice,
    "asset": Asset,
    "licence": Licence,
    "agreement": Agreement,
}
# Entities recorded under an earlier name: asking for the new one finds both.
FORMERLY = {"settings": ("settings", "setting")}
ENTITIES = (
    "request",
    "vendor",
    "rfq",
    "order",
    "contract",
    "budget",
    "user",
    "department",
    "category",
    "policy",
    "invoice",
    "receipt",
    "asset",
    "licence",
    "bank_account",
    "agreement",
    "rate",
    "webhook",
    "request_type",
    "settings",
    "scim_group",
    "scim_token",
)


class AuditQuery(PageQuery):
    entity: Literal[ENTITIES] | None = None  # type: ignore[valid-type]
    entity_id: Id | None = None
    from_: dt.date | None = Field(
        None, alias="from", description="Events recorded on or after this day (UTC)."
    )
    to: dt.date | None = Field(None, description="Events recorded on or before this day (UTC).")


class AuditEventOut(Output):
    id: int
    at: Timestamp
    actor: PersonOut | None
    on_behalf_of: PersonOut | None
    entity: str
    entity_id: int | None
    action: str
    changes: dict[str, Any] = Field(description="{field: [old, new]} or the values set.")
    comment: str
    hash: str
    prev_hash: str


def _can_read(user: User, entity: str | None, entity_id: int | None) -> None:
    if entity is None or entity_id is None:
        if not access.may(user, "read_audit_log"):
            raise Forbidden("Only finance and admin may read the whole audit log.")
        return
    model = DOCUMENTS.get(entity)
    if model is not None:
        access.load(model, entity_id, user)
    elif entity == "receipt":
        # A receipt's history is its order's to read.
        receipt = db.session.get(Receipt, entity_id)
        if receipt is None:
            raise NotFound("No such receipt.")
        access.load(PurchaseOrder, receipt.order_id, user)
    elif entity == "user":
        if entity_id != user.id and not access.may(user, "administer"):
            raise Forbidden("Only admin may read another user's history.")
    elif not access.may(user, "read_audit_log"):
        raise Forbidden(f"Only finance and admin may read the history of a {entity}.")


@operation(
    bp,
    "GET",
    "/audit",
    query=AuditQuery,
    response=Page[AuditEventOut],
    summary="Audit events, oldest first",
    tag="Audit",
    errors=(403, 404),
)
def list_audit(query: AuditQuery):
    """With `entity` and `entity_id`: that document's history, for whoever may see the
    document. Without: the whole log, for finance and admin. `from` and `to` (days, UTC,
    both included) keep the events recorded in that period."""
    if query.entity_id is not None and query.entity is None:
        raise ValidationError.field("entity", "Name the entity of entity_id.")
    if query.from_ is not None and query.to is not None and query.from_ > query.to:
        raise ValidationError.field("to", "Give a day on or after from.")
    user = current_user()
    _can_read(user, query.entity, query.entity_id)
    select = sa.select(AuditEvent).order_by(AuditEvent.id)
    if query.entity is not None:
        select = select.where(AuditEvent.entity.in_(FORMERLY.get(query.entity, (query.entity,))))
    if query.entity_id is not None:
        select = select.where(AuditEvent.entity_id == query.entity_id)
    select = select.where(*period_bounds(query.from_, query.to))
    people: dict[int, User] = {}

    def event_out(event: AuditEvent) -> AuditEventOut:
        for ident in (event.actor_id, event.on_behalf_of_id):
            if ident is not None and ident not in people:
                people[ident] = db.session.get(User, ident)
        return AuditEventOut(
            id=event.id,
            at=event.at.replace(tzinfo=dt.UTC),
            actor=person(people.get(event.actor_id)) if event.actor_id else None,
            on_behalf_of=person(people.get(event.on_behalf_of_id))
            if event.on_behalf_of_id
            else None,
            entity=event.entity,
            entity_id=event.entity_id,
            action=event.action,
            changes=json.loads(event.changes or "{}"),
            comment=event.comment,
            hash=event.hash,
            prev_hash=event.prev_hash,
        )

    return paginate(select, query, event_out)
