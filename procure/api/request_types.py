"""Request types through the API (API.md, "Agreements, catalogue, request types, sealed
bids"): the kinds of request admin defines and their extra fields."""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from pydantic import Field

from .. import request_types
from ..models import RequestType
from . import bp
from .schemas import Input, Output, Page, PageQuery
from .spec import current_user, operation, paginate


class RequestTypeIn(Input):
    code: Any = Field(description="Lower-case letters, digits, `-` or `_`, up to 40; unique.")
    name: Any = Field(description="What requesters see, e.g. Software or SaaS.")
    fields: Any = Field(
        default_factory=list,
        description='`[{"name", "label", "kind": "text"|"yes_no"|"number"|"choice", '
        '"required", "choices"}]`; `choices` only and always for a choice.',
    )


class FieldOut(Output):
    name: str
    label: str
    kind: Literal["text", "yes_no", "number", "choice"]
    required: bool
    choices: list[str] | None


class RequestTypeOut(Output):
    id: int
    code: str
    name: str
    active: bool
    fields: list[FieldOut]


def type_out(request_type: RequestType) -> RequestTypeOut:
    return RequestTypeOut(
        id=request_type.id,
        code=request_type.code,
        name=request_type.name,
        active=request_type.active,
        fields=[FieldOut(**field) for field in request_type.fields or []],
    )


@operation(
    bp,
    "GET",
    "/request-types",
    query=PageQuery,
    response=Page[RequestTypeOut],
    summary="List request types",
    tag="Request types",
)
def list_request_types(query: PageQuery):
    """Every request type, active ones first, with its fields: what a request's `type`
    and `fields` may say."""
    return paginate(
        sa.select(RequestType).order_by(RequestType.active.desc(), RequestType.code),
        query,
        type_out,
    )


@operation(
    bp,
    "POST",
    "/request-types",
    body=RequestTypeIn,
    response=RequestTypeOut,
    status=201,
    summary="Define a request type (admin)",
    tag="Request types",
    errors=(403,),
)
def create_request_type(body: RequestTypeIn):
    """A code in use, a field name twice, a kind other than the four, or `choices` on a
    field that is not a choice (or missing on one): 422 on the field named
    (`code`, `fields.N.name`, `fields.N.choices`…)."""
    request_type = request_types.create(body.code, body.name, body.fields, actor=current_user())
    return type_out(request_type)
