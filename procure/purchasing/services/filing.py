"""Filing and editing purchase requests: what a request may contain, checked field by
field, and the drafts written from it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy.orm.exc import StaleDataError

from ... import access, audit, currencies, numbering, request_types, totals, workflow
from ...errors import Conflict, Forbidden, InvalidTransition, ValidationError
from ...extensions import db
from ...models import (
    AgreementItem,
    AgreementStatus,
    PurchaseRequest,
    RequestLine,
    RequestStatus,
    User,
    utcnow,
)
from ...money import MAX_AMOUNT, minor_units, round_money
from ...reference import category_names, department_by_code
from ...validation import FieldErrors

MAX_LINES = 1000
TITLE_MAX = 200
TEXT_MAX = 10_000


@dataclasses.dataclass
class LineData:
    description: str
    quantity: Decimal
    unit_price: Decimal
    category: str = "other"
    unit: str = "each"
    # An item of an active framework agreement: its description, unit, category and
    # price are taken, and a different price is refused.
    catalogue_item_id: int | None = None


@dataclasses.dataclass
class RequestData:
    title: str
    lines: list[LineData]
    justification: str = ""
    department: str | None = None
    needed_by: dt.date | None = None
    currency: str | None = None
    # The request type's code and its field values (``procure/request_types.py``).
    type_code: str | None = None
    fields: dict[str, Any] | None = None


def _check(
    data: RequestData, actor: User, current_type: str | None = None
) -> tuple[FieldErrors, dict[str, Any]]:
    """Every problem of a request's content, by field, and its cleaned header."""
    errors = FieldErrors()
    type_code, fields = request_types.check_values(
        data.type_code, data.fields, errors, current=current_type
    )
    title = errors.text(
        data.title,
        "title",
        max_length=TITLE_MAX,
        required=True,
        missing="Give the request a title.",
    )
    justification = errors.text(data.justification, "justification", max_length=TEXT_MAX)

    department = actor.department
    if data.department:
        department = department_by_code(data.department)
        if department is None:
            errors.add("department", f"There is no department {data.department!r}.")
        elif department.id != actor.department_id:
            errors.add("department", "You can file requests for your own department only.")

    currency = _currency(data.currency, errors)

    if data.needed_by is not None and data.needed_by < dt.date.today():
        errors.add("needed_by", "The needed-by date is in the past.")

    if not data.lines:
        errors.add("lines", "Add at least one line.")
    elif len(data.lines) > MAX_LINES:
        errors.add("lines", f"A request has at most {MAX_LINES} lines.")
    categories = set(category_names())
    for index, line in enumerate(data.lines):
        prefix = f"lines.{index}"
        if line.catalogue_item_id is not None:
            _catalogue_line(line, prefix, currency, errors)
        errors.text(
            line.description,
            f"{prefix}.description",
            max_length=TEXT_MAX,
            required=True,
            missing="Describe what to buy.",
        )
        if (line.category or "other") not in categories:
            errors.add(f"{prefix}.category", f"There is no category {line.category!r}.")
        if not (line.unit or "each").strip() or len(line.unit or "") > TITLE_MAX:
            errors.add(f"{prefix}.unit", f"Give a unit of at most {TITLE_MAX} characters.")
        if line.quantity is None or line.quantity <= 0:
            errors.add(f"{prefix}.quantity", "The quantity must be greater than zero.")
        if line.unit_price is None or line.unit_price < 0:
            errors.add(f"{prefix}.unit_price", "The unit price must not be negative.")
        elif _places(line.unit_price) > minor_units(currency):
            errors.add(
                f"{prefix}.unit_price",
                f"A {currency} amount has at most {minor_units(currency)} decimal places.",
            )
    if not errors:
        total = sum(
            (round_money(line.quantity * line.unit_price, currency) for line in data.lines),
            Decimal("0"),
        )
        if total > MAX_AMOUNT:
            errors.add("lines", "The total is larger than Procure accepts.")
    clean = {
        "title": title,
        "justification": justification,
        "department": department,
        "currency": currency,
        "type_code": type_code,
        "fields": fields,
    }
    return errors, clean


def _catalogue_line(line: LineData, prefix: str, currency: str, errors: FieldErrors) -> None:
    """Take the catalogue item's description, unit, category and price into ``line``;
    a problem by field when the item cannot be ordered or the price differs."""
    item = db.session.get(AgreementItem, line.catalogue_item_id)
    today = dt.date.today()
    if item is None:
        errors.add(f"{prefix}.catalogue_item_id", "There is no such catalogue item.")
        return
    agreement = item.agreement
    if agreement.status != AgreementStatus.ACTIVE or not (
        agreement.start_date <= today <= agreement.end_date
    ):
        errors.add(
            f"{prefix}.catalogue_item_id",
            f"{agreement.number} is not active today; its items cannot be ordered.",
        )
        return
    if agreement.currency != currency:
        errors.add(
            "currency",
            f"{item.description} is priced in {agreement.currency}; "
            f"file the request in {agreement.currency}.",
        )
    if line.unit_price is not None and line.unit_price != item.unit_price:
        errors.add(
            f"{prefix}.unit_price",
            f"The agreed price of {item.description} is {item.unit_price} {agreement.currency}.",
        )
        return
    line.description = item.description
    line.unit = item.unit
    line.category = item.category
    line.unit_price = item.unit_price


def _currency(code: str | None, errors: FieldErrors) -> str:
    """The request's currency: an enabled one (default the base); a problem on
    ``currency`` otherwise, and the base meanwhile so that the lines still check."""
    if not (code or "").strip():
        return currencies.base()
    try:
        return currencies.require_enabled(code)
    except ValidationError as exc:
        errors.add("currency", exc.message)
        return currencies.base()


def _places(amount: Decimal) -> int:
    """How many decimals ``amount`` really has (1.50 has one)."""
    exponent = amount.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def problems(
    data: RequestData, actor: User, current_type: str | None = None
) -> dict[str, list[str]]:
    """What :func:`validate` would refuse, by field, without raising: a form shows these
    beside the ones it found itself (amounts that do not parse). ``current_type``: the
    type of the draft edited, accepted even when switched off since."""
    return _check(data, actor, current_type)[0].fields


def validate(data: RequestData, actor: User, current_type: str | None = None) -> dict[str, Any]:
    """Domain checks of a request's content; every problem at once, by field."""
    errors, clean = _check(data, actor, current_type)
    errors.raise_if_any()
    return clean


def _set_lines(pr: PurchaseRequest, lines: list[LineData]) -> None:
    """The lines and their totals, each rounded to the request currency's minor units."""
    pr.lines = [
        RequestLine(
            position=index + 1,
            description=line.description.strip(),
            category=line.category or "other",
            quantity=line.quantity,
            unit=(line.unit or "each").strip(),
            unit_price=line.unit_price,
            total=round_money(line.quantity * line.unit_price, pr.currency),
            catalogue_item_id=line.catalogue_item_id,
        )
        for index, line in enumerate(lines)
    ]
    pr.total = sum((line.total for line in pr.lines), Decimal("0.00"))
    totals.keep_main_category(pr)


def _snapshot(pr: PurchaseRequest) -> dict[str, Any]:
    return {
        "title": pr.title,
        "justification": pr.justification,
        "department": pr.department.code if pr.department else None,
        "needed_by": pr.needed_by.isoformat() if pr.needed_by else None,
        "currency": pr.currency,
        "type": pr.type_code,
        "fields": dict(pr.fields or {}),
        "total": str(pr.total),
        "lines": [
            [line.description, line.category, str(line.quantity), line.unit, str(line.unit_price)]
            + ([line.catalogue_item_id] if line.catalogue_item_id is not None else [])
            for line in pr.lines
        ],
    }


def require_filer(user: User) -> None:
    """Only requesters file purchase requests (the form is refused to others too)."""
    access.require(user, "file_requests", action="file purchase requests")


def create_request(data: RequestData, *, actor: User) -> PurchaseRequest:
    require_filer(actor)
    clean = validate(data, actor)
    pr = PurchaseRequest(
        number=numbering.next_number("PR", utcnow().year),
        title=clean["title"],
        justification=clean["justification"],
        requester=actor,
        department=clean["department"],
        needed_by=data.needed_by,
        currency=clean["currency"],
        status=RequestStatus.DRAFT,
        type_code=clean["type_code"],
        fields=clean["fields"],
    )
    _set_lines(pr, data.lines)
    db.session.add(pr)
    db.session.flush()
    audit.record("request", pr.id, "create", actor=actor, changes=_snapshot(pr))
    return pr


def update_request(
    pr: PurchaseRequest, data: RequestData, *, actor: User, expected_version: int | None = None
) -> None:
    if pr.requester_id != actor.id:
        raise Forbidden("Only the requester may edit a request.")
    if pr.status != RequestStatus.DRAFT:
        raise InvalidTransition("Only a draft can be edited.")
    workflow.check_version(pr, expected_version, "request")
    clean = validate(data, actor, pr.type_code)
    before = _snapshot(pr)
    pr.title = clean["title"]
    pr.justification = clean["justification"]
    pr.department = clean["department"]
    pr.needed_by = data.needed_by
    pr.currency = clean["currency"]
    pr.type_code = clean["type_code"]
    pr.fields = clean["fields"]
    _set_lines(pr, data.lines)
    # The lines are replaced; bump the version so concurrent editors conflict.
    pr.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError:
        # Another edit or a transition of the same version was committed first.
        raise Conflict(
            "Somebody else changed this request at the same time; reload it and try again."
        ) from None
    changes = audit.diff(before, _snapshot(pr))
    if changes:
        audit.record("request", pr.id, "update", actor=actor, changes=changes)
