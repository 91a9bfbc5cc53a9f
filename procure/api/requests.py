"""Purchase requests through the API (API.md, "Purchase requests")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, StringConstraints
from sqlalchemy.orm import selectinload

from .. import currencies, kept_counts
from ..models import (
    ApprovalStep,
    PurchaseRequest,
    RequestLine,
    RequestStatus,
    StepStatus,
    User,
)
from ..purchasing import services
from . import bp
from .schemas import (
    ActionBody,
    Amount,
    Id,
    Input,
    Name,
    Output,
    Page,
    PageQuery,
    Price,
    Quantity,
    QuantityOut,
    Text,
    Timestamp,
    amount_out,
    rate_out,
)
from .spec import current_user, operation, paginate


class PersonOut(Output):
    id: int
    name: str
    email: str


def person(user: User | None) -> PersonOut | None:
    return None if user is None else PersonOut(id=user.id, name=user.name, email=user.email)


Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)
]
Code = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]
# A line's description: required but on a catalogue line (the service says so, by field).
CatalogueDescription = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]


class LineIn(Input):
    description: CatalogueDescription = Field(
        "", description="Required, except on a catalogue line (the item's is taken)."
    )
    category: Code = "other"
    quantity: Quantity
    unit: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ] = "each"
    unit_price: Price | None = Field(
        None,
        description="Required, except on a catalogue line, whose agreed price is taken "
        "(another price there: 422).",
    )
    catalogue_item_id: Id | None = Field(
        None, description="An item of an active agreement (`GET /catalogue`)."
    )


class RequestIn(Input):
    title: Name
    justification: Text = ""
    department: Code | None = Field(None, description="Department code; default the caller's.")
    needed_by: dt.date | None = None
    currency: Annotated[str, StringConstraints(max_length=3)] | None = Field(
        None,
        description="An enabled currency (`GET /currencies`); default the base. Unit "
        "prices have at most its minor units of decimals.",
    )
    lines: list[LineIn] = Field(min_length=1, max_length=services.MAX_LINES)
    type: Code | None = Field(None, description="A request type's code (`GET /request-types`).")
    fields: dict[str, Any] | None = Field(
        None, description="The type's field values by name; 422 on `fields.<name>`."
    )


class RequestPatch(Input):
    title: Name | None = None
    justification: Text | None = None
    department: Code | None = None
    needed_by: dt.date | None = None
    currency: Annotated[str, StringConstraints(max_length=3)] | None = None
    lines: list[LineIn] | None = Field(None, min_length=1, max_length=services.MAX_LINES)
    type: Code | None = None
    fields: dict[str, Any] | None = None
    version: int | None = Field(None, description="The version you edited; 409 if it moved.")


class LineOut(Output):
    id: int
    position: int
    description: str
    category: str
    quantity: QuantityOut
    unit: str
    unit_price: Amount
    total: Amount
    catalogue_item_id: int | None = Field(description="The agreement item it is, or null.")


class ApprovalOut(Output):
    step: int
    name: str
    role: str
    reason: str
    status: StepStatus
    decided_by: PersonOut | None
    on_behalf_of: PersonOut | None
    decided_at: Timestamp | None
    comment: str


class RequestOut(Output):
    id: int
    number: str
    status: RequestStatus
    version: int
    allowed_actions: list[str]
    title: str
    justification: str
    department: str
    requester: PersonOut
    needed_by: dt.date | None
    currency: str
    type: str | None = Field(description="The request type's code, or null.")
    fields: dict[str, str] = Field(
        description='The type\'s field values by name, as strings (yes/no as "yes"/"no").'
    )
    total: Amount = Field(description="In the request's `currency`.")
    total_base: Amount | None = Field(
        description="The total in the base currency at `rate`, frozen at submit; the "
        "policy thresholds and the budget check see it. A base-currency request answers "
        "its total; a foreign draft answers null."
    )
    rate: str | None = Field(
        description="Base units one unit of `currency` was worth on `rate_date`, frozen at "
        'submit. A base-currency request answers "1.000000" always; a foreign draft null '
        "(a returned request is frozen again at its next submit)."
    )
    rate_date: dt.date | None = Field(
        description="The date of the rate applied: on or before the submit date; null while draft."
    )
    over_budget: bool
    approvals: list[ApprovalOut]
    lines: list[LineOut]
    created_at: Timestamp
    submitted_at: Timestamp | None
    updated_at: Timestamp


class RequestQuery(PageQuery):
    status: RequestStatus | None = None
    mine: bool = False
    awaiting_me: bool = False


def request_out(pr: PurchaseRequest) -> RequestOut:
    user = current_user()
    return RequestOut(
        id=pr.id,
        number=pr.number,
        status=pr.status,
        version=pr.version,
        allowed_actions=[a for a in services.allowed_actions(pr, user) if a != "edit"],
        title=pr.title,
        justification=pr.justification,
        department=pr.department.code,
        requester=person(pr.requester),
        needed_by=pr.needed_by,
        currency=pr.currency,
        type=pr.type_code,
        fields={name: str(value) for name, value in (pr.fields or {}).items()},
        total=amount_out(pr.total, pr.currency),
        **frozen(pr),
        over_budget=pr.over_budget,
        approvals=[
            ApprovalOut(
                step=step.position,
                name=step.name,
                role=step.role.value,
                reason=step.reason,
                status=step.status,
                decided_by=person(step.decided_by),
                on_behalf_of=person(step.on_behalf_of),
                decided_at=step.decided_at,
                comment=step.comment,
            )
            for step in pr.current_steps
        ],
        lines=[line_out(line, pr.currency) for line in pr.lines],
        created_at=pr.created_at,
        submitted_at=pr.submitted_at,
        updated_at=pr.updated_at,
    )


def line_out(line: RequestLine, currency: str) -> LineOut:
    return LineOut(
        id=line.id,
        position=line.position,
        description=line.description,
        category=line.category,
        quantity=line.quantity,
        unit=line.unit,
        unit_price=amount_out(line.unit_price, currency),
        total=amount_out(line.total, currency),
        catalogue_item_id=line.catalogue_item_id,
    )


def frozen(pr: PurchaseRequest) -> dict[str, Any]:
    """``total_base``, ``rate`` and ``rate_date`` as API.md answers them: what submit
    froze; while draft nothing is frozen (a base-currency draft: its total at 1)."""
    base = currencies.base()
    if pr.status == RequestStatus.DRAFT or pr.total_base is None:
        if pr.currency == base:
            return {
                "total_base": amount_out(pr.total, base),
                "rate": rate_out(Decimal(1)),
                "rate_date": None,
            }
        return {"total_base": None, "rate": None, "rate_date": None}
    return {
        "total_base": amount_out(pr.total_base, base),
        "rate": rate_out(pr.rate),
        "rate_date": pr.rate_date,
    }


def _lines(lines: list[LineIn]) -> list[services.LineData]:
    return [
        services.LineData(
            description=line.description,
            category=line.category,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,  # type: ignore[arg-type]
            catalogue_item_id=line.catalogue_item_id,
        )
        for line in lines
    ]


@operation(
    bp,
    "POST",
    "/requests",
    body=RequestIn,
    response=RequestOut,
    status=201,
    summary="File a purchase request (draft)",
    tag="Purchase requests",
    errors=(403,),
)
def create_request(body: RequestIn):
    """Requesters file for their own department (the default). The request starts as a
    `draft` with a `PR-YYYY-NNNNN` number and its total computed from the lines; submit
    it for approval with `POST /requests/{pr_id}/submit`. `currency` is any enabled
    currency (default the base; 422 on `currency` otherwise), and unit prices have at
    most its minor units of decimals (422 on `lines.N.unit_price`)."""
    pr = services.create_request(
        services.RequestData(
            title=body.title,
            justification=body.justification,
            department=body.department,
            needed_by=body.needed_by,
            currency=body.currency,
            lines=_lines(body.lines),
            type_code=body.type,
            fields=body.fields,
        ),
        actor=current_user(),
    )
    return request_out(pr)


@operation(
    bp,
    "GET",
    "/requests",
    query=RequestQuery,
    response=Page[RequestOut],
    summary="List the requests the caller may see",
    tag="Purchase requests",
)
def list_requests(query: RequestQuery):
    """Filters: `status`, `mine=1` (filed by the caller), `awaiting_me=1` (a step the
    caller may decide now, oldest first)."""
    select = services.list_query(
        current_user(), status=query.status, mine=query.mine, awaiting_me=query.awaiting_me
    ).options(
        selectinload(PurchaseRequest.lines),
        selectinload(PurchaseRequest.steps).options(
            selectinload(ApprovalStep.decided_by), selectinload(ApprovalStep.on_behalf_of)
        ),
    )
    narrowed = query.mine or query.awaiting_me
    total = None if narrowed else kept_counts.total(PurchaseRequest, current_user(), query.status)
    return paginate(select, query, request_out, total=total)


@operation(
    bp,
    "GET",
    "/requests/<int:pr_id>",
    response=RequestOut,
    summary="Read a purchase request",
    tag="Purchase requests",
)
def get_request(pr_id: int):
    """With its lines, total, the approval steps (who decides each, why, and what was
    decided) and the actions the caller may take now. A request the caller may not see
    is a 404."""
    return request_out(services.get(pr_id, current_user()))


@operation(
    bp,
    "PATCH",
    "/requests/<int:pr_id>",
    body=RequestPatch,
    response=RequestOut,
    summary="Edit a draft (requester)",
    tag="Purchase requests",
    errors=(403, 409),
)
def patch_request(pr_id: int, body: RequestPatch):
    """Only the fields sent change; `lines`, when sent, replace all lines."""
    user = current_user()
    pr = services.get(pr_id, user)
    current = services.RequestData(
        title=pr.title,
        justification=pr.justification,
        department=pr.department.code,
        needed_by=pr.needed_by,
        currency=pr.currency,
        lines=[
            services.LineData(
                description=line.description,
                category=line.category,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                catalogue_item_id=line.catalogue_item_id,
            )
            for line in pr.lines
        ],
    )
    sent = body.model_fields_set
    data = services.RequestData(
        title=body.title if "title" in sent and body.title is not None else current.title,
        justification=body.justification
        if body.justification is not None
        else current.justification,
        department=body.department or current.department,
        needed_by=body.needed_by if "needed_by" in sent else current.needed_by,
        currency=body.currency or current.currency,
        lines=_lines(body.lines) if body.lines is not None else current.lines,
        type_code=body.type if "type" in sent else pr.type_code,
        fields=body.fields if "fields" in sent else dict(pr.fields or {}),
    )
    services.update_request(pr, data, actor=user, expected_version=body.version)
    return request_out(pr)


def _action(name: str, summary: str, description: str):
    def view(pr_id: int, body: ActionBody):
        pr = services.get(pr_id, current_user())
        services.act(
            pr, name, actor=current_user(), comment=body.comment, expected_version=body.version
        )
        return request_out(pr)

    view.__name__ = f"{name}_request"
    view.__doc__ = description
    return operation(
        bp,
        "POST",
        f"/requests/<int:pr_id>/{name}",
        body=ActionBody,
        response=RequestOut,
        summary=summary,
        tag="Purchase requests",
        errors=(403, 409),
    )(view)


_action(
    "submit",
    "Submit a draft for approval (requester)",
    "The draft becomes `pending_approval`: the approval policy adds its steps to "
    "`approvals`, each with the `reason` it applies, and the deciders of the first step "
    "are told. The rate of the submit date (the latest on or before it) is frozen: "
    "`rate`, `rate_date` and `total_base`, which the policy thresholds and the budget "
    "check see. 422 on `currency`, naming the currency and the date, when finance has "
    "entered no rate on or before it.",
)
_action(
    "approve",
    "Approve the pending step (its decider)",
    "Decides the current step; after the last one the request is `approved`. Only a "
    "decider of that step (or their delegate) may, and never the request's own requester.",
)
_action(
    "reject",
    "Reject the request; a comment is required",
    "Ends the request as `rejected` at the current step; `comment` gives the reason "
    "(422 without it) and the requester is told.",
)
_action(
    "return",
    "Return the request to its requester for changes; a comment is required",
    "Sends the request back to `draft` so that its requester can change and submit it "
    "again; `comment` says what to change (422 without it).",
)
_action(
    "cancel",
    "Cancel the request (requester)",
    "The requester withdraws a draft, pending or approved request; it becomes `cancelled` "
    "and its undecided steps are cancelled.",
)
