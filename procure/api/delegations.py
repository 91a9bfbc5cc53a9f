"""Delegations through the API: the caller's, given and received; naming a stand-in;
ending one early. The rules are those of ``procure.delegation``."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import sqlalchemy as sa
from pydantic import Field

from .. import delegation
from ..auth.services import find_user_by_email
from ..errors import ValidationError
from ..models import Delegation
from . import bp
from .requests import PersonOut, person
from .schemas import Input, Output, Page, PageQuery, Text, Timestamp
from .spec import current_user, operation, paginate


class DelegationQuery(PageQuery):
    direction: Literal["given", "received"] | None = Field(
        None, description="`given`: the caller's stand-ins; `received`: whom the caller covers."
    )


class DelegationIn(Input):
    delegate: str | None = Field(
        None,
        max_length=254,
        description="The e-mail address of the person who stands in for you.",
        examples=["nils@example.org"],
    )
    starts_on: dt.date | None = Field(None, description="The first day (inclusive).")
    ends_on: dt.date | None = Field(None, description="The last day (inclusive).")
    note: Text = ""


class DelegationOut(Output):
    id: int
    direction: Literal["given", "received"] = Field(
        description="`given` when the caller is the delegator, `received` when the delegate."
    )
    delegator: PersonOut
    delegate: PersonOut
    starts_on: dt.date
    ends_on: dt.date
    note: str
    current: bool = Field(description="In force today.")
    ended_at: Timestamp | None = Field(description="Set when it was ended early.")
    created_at: Timestamp


def delegation_out(row: Delegation) -> DelegationOut:
    return DelegationOut(
        id=row.id,
        direction="given" if row.delegator_id == current_user().id else "received",
        delegator=person(row.delegator),
        delegate=person(row.delegate),
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        note=row.note,
        current=delegation.is_current(row),
        ended_at=row.ended_at.replace(tzinfo=dt.UTC) if row.ended_at else None,
        created_at=row.created_at.replace(tzinfo=dt.UTC),
    )


@operation(
    bp,
    "GET",
    "/delegations",
    query=DelegationQuery,
    response=Page[DelegationOut],
    summary="The caller's delegations, given and received",
    tag="Delegations",
)
def list_delegations(query: DelegationQuery):
    """Latest last day first. `direction=given` or `received` narrows the list."""
    user = current_user()
    mine = {
        "given": Delegation.delegator_id == user.id,
        "received": Delegation.delegate_id == user.id,
    }
    where = mine[query.direction] if query.direction else sa.or_(*mine.values())
    select = sa.select(Delegation).where(where).order_by(Delegation.ends_on.desc(), Delegation.id)
    return paginate(select, query, delegation_out)


@operation(
    bp,
    "POST",
    "/delegations",
    body=DelegationIn,
    response=DelegationOut,
    status=201,
    summary="Name a stand-in for a date range (approvers, finance, executives)",
    tag="Delegations",
    errors=(403,),
)
def create_delegation(body: DelegationIn):
    """Only approvers, finance and executives delegate (anybody else: 403).
    The delegate must be another active user who holds one of your deciding roles;
    the range may not end before it starts, end in the past, last over 366 days, or
    overlap one of your delegations. Every problem is a 422 naming the field."""
    user = current_user()
    stand_in = None
    if body.delegate and body.delegate.strip():
        stand_in = find_user_by_email(body.delegate)
        if stand_in is None:
            raise ValidationError.field(
                "delegate", f"Nobody has the e-mail address {body.delegate.strip()}."
            )
    created = delegation.create(
        user, stand_in, body.starts_on, body.ends_on, note=body.note, actor=user
    )
    return delegation_out(created)


@operation(
    bp,
    "POST",
    "/delegations/<int:delegation_id>/end",
    response=DelegationOut,
    summary="End one of your delegations now (or withdraw one not started yet)",
    tag="Delegations",
    errors=(403, 422),
)
def end_delegation(delegation_id: int):
    """Only the delegator may end it: the delegate gets 403, anybody else 404. A
    delegation that is over already is a 422."""
    user = current_user()
    row = delegation.get_own(delegation_id, user)
    delegation.end(row, actor=user)
    return delegation_out(row)
