"""Declaring API operations once: validation, authentication, commit and the
OpenAPI document all come from the same declaration.

    @operation("POST", "/departments", body=DepartmentIn, response=DepartmentOut,
               status=201, summary="Create a department", tag="Departments")
    def create_department(body: DepartmentIn): ...
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import inspect
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pydantic
import sqlalchemy as sa
from flask import Blueprint, Response, g, jsonify, request
from pydantic.json_schema import models_json_schema

from .. import inputs
from ..auth.services import user_for_token
from ..db import end_read
from ..errors import BadRequest, Unauthorized, ValidationError
from ..extensions import db
from ..models import User
from ..security import security_event
from .schemas import MAX_ID, ErrorOut, Page, PageQuery

ERROR_DESCRIPTIONS = {
    400: "The body is not JSON, or not an object.",
    401: "No token, or a bad one (for a sign-in: a wrong e-mail or password).",
    403: "Role, ownership or separation of duties forbids it.",
    404: "No such resource, or not visible to the caller.",
    409: "The action is not allowed in the current state, or the document changed concurrently.",
    413: "The body is too large.",
    422: "A field is missing, malformed, out of range or too long.",
    429: "Too many failed sign-ins: wait before trying again.",
}


# The groups of operations, in the order the document lists them. Every ``tag`` of an
# ``@operation`` is declared here, with what a reader finds under it.
TAGS = {
    "Auth": "API tokens and the calling user. Send a token as `Authorization: Bearer <token>`.",
    "Purchase requests": "Requests to buy something, their lines and approval steps: file, "
    "submit, approve, reject, return, cancel.",
    "Budgets": "Each department's budget for a fiscal year, with what is committed, spent and "
    "still available.",
    "Sourcing": "Requests for quotation (RFQs): invite vendors, record their quotes, compare "
    "them on price and the weighted criteria, award one.",
    "Purchase orders": "Orders to vendors: edit the draft, issue it with a frozen PDF, record "
    "receipts, close or cancel.",
    "Invoices": "Vendor invoices and credit notes against purchase orders: enter or import "
    "(UBL 2.1 / Peppol BIS 3.0) them, match them to what was ordered and received, resolve or "
    "release holds, approve and pay them; the payment CSV.",
    "Vendors": "The vendor register: details, contacts, documents, status (prospect, "
    "approved, suspended, blocked) and bank details, confirmed by a second person.",
    "Assets": "The asset register: hardware received on orders (tag, serial, warranty, "
    "holder, life cycle, what covers it), licence pools and their seats, the CMDB export "
    "and label sheets.",
    "Agreements": "Framework agreements with vendors (agreed unit prices, optional maxima "
    "and a ceiling), their items as the catalogue, and call-off orders that consume them.",
    "Request types": "The kinds of request admin defines, each with its extra fields and the "
    "policy conditions that name it.",
    "Contracts": "Support, maintenance, licence and service contracts: terms, renewals, notice "
    "deadlines, PDFs.",
    "Notifications": "The caller's notifications (what the e-mails said) and marking them read.",
    "Delegations": "Stand-ins who decide approval steps for someone while they are away.",
    "Departments": "The organisation's departments, which requests, budgets and people belong to.",
    "Audit": "The append-only, hash-chained log of every change, per document or whole.",
    "Currencies": "The base currency, the currencies documents may be in, and exchange rates "
    "(what one unit of a currency is worth in the base currency on a day).",
    "Settings": "Installation settings: the buying organisation's details shown on documents, "
    "the invoice matching tolerance, the asset register's categories and places, sealed bids' "
    "two to open.",
    "Webhooks": "Endpoints other systems (a service desk, chat, accounting) register to be "
    "told of events: a request approved, an order issued, an invoice paid. Each event is "
    "POSTed as signed JSON or as a chat message; each endpoint keeps a delivery log.",
    "Meta": "This OpenAPI document.",
}

# Procure's licence (setup.cfg), as an SPDX identifier.
LICENCE = "MIT"
PROJECT = "Procure"

# A binary document (a PDF) is also offered as application/octet-stream: HTTP clients and
# generators that know no other binary type still read it as bytes.
OCTET_STREAM = "application/octet-stream"


@dataclasses.dataclass
class Operation:
    method: str
    path: str  # Flask rule, with the blueprint prefix
    endpoint: str
    summary: str
    description: str
    tag: str
    body: type[pydantic.BaseModel] | None
    query: type[pydantic.BaseModel] | None
    response: Any
    status: int
    auth: bool
    errors: tuple[int, ...]
    content_type: str = "application/json"


OPERATIONS: list[Operation] = []


def current_user() -> User:
    """The user the bearer token of this API request belongs to."""
    return g.api_user


def _authenticate() -> None:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        security_event("invalid_token", reason="no bearer token")
        raise Unauthorized("Send an API token: 'Authorization: Bearer <token>'.")
    user = user_for_token(secret.strip())
    if user is None:
        security_event("invalid_token", reason="unknown or revoked token, or a disabled user")
        raise Unauthorized("The API token is unknown or revoked, or its user is disabled.")
    g.api_user = user


def _json_body(optional: bool) -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if not raw.strip():
        if optional:
            return {}
        raise BadRequest("The body must be a JSON object.")
    try:
        data = json.loads(raw, parse_float=Decimal)
    except RecursionError:
        # Valid JSON, thousands of arrays or objects deep: not read, and said so.
        raise BadRequest("The body nests arrays or objects too deeply to be read.") from None
    except ValueError:
        raise BadRequest("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    return data


def _clean_message(message: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def validation_error(exc: pydantic.ValidationError, where: str = "body") -> ValidationError:
    fields: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False, include_context=False, include_input=False):
        location = ".".join(str(part) for part in error["loc"]) or where
        fields.setdefault(location, []).append(_clean_message(error["msg"]))
    first = next(iter(fields))
    return ValidationError(f"{first}: {fields[first][0]}", fields=fields)


def parse(model: type[pydantic.BaseModel], data: dict[str, Any], where: str = "body") -> Any:
    found = inputs.problems(data.items())
    if found:
        first = next(iter(found))
        raise ValidationError(f"{first}: {found[first][0]}", fields=found)
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise validation_error(exc, where) from None


def _body_is_optional(model: type[pydantic.BaseModel]) -> bool:
    return not any(field.is_required() for field in model.model_fields.values())


def _render(result: Any, response: Any, status: int) -> Response | tuple[Response, int]:
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(status=204)
    if isinstance(result, pydantic.BaseModel):
        payload = result.model_dump(mode="json")
    elif response is not None:
        payload = pydantic.TypeAdapter(response).dump_python(
            pydantic.TypeAdapter(response).validate_python(result), mode="json"
        )
    else:
        payload = result
    return jsonify(payload), status


def _is_binary(content_type: str) -> bool:
    return content_type.split("/")[0] in {"application", "image"} and "json" not in content_type


def _negotiate(answer: Response, content_type: str) -> None:
    """Answer ``application/octet-stream`` to a client that prefers it to ``content_type``."""
    accept = request.accept_mimetypes
    if accept and accept.quality(OCTET_STREAM) > accept.quality(content_type):
        answer.mimetype = OCTET_STREAM


def operation(
    bp: Blueprint,
    method: str,
    rule: str,
    *,
    summary: str,
    tag: str,
    body: type[pydantic.BaseModel] | None = None,
    query: type[pydantic.BaseModel] | None = None,
    response: Any = None,
    status: int = 200,
    auth: bool = True,
    errors: tuple[int, ...] = (),
    content_type: str = "application/json",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def endpoint(**path: Any) -> Any:
            if auth:
                _authenticate()
            kwargs = dict(path)
            if query is not None:
                kwargs["query"] = parse(query, request.args.to_dict(), "query")
            if body is not None:
                kwargs["body"] = parse(body, _json_body(_body_is_optional(body)))
            result = view(**kwargs)
            if method != "GET":
                db.session.commit()
            answer = _render(result, response, status)
            if method == "GET":
                end_read()
            if _is_binary(content_type) and isinstance(answer, Response):
                _negotiate(answer, content_type)
            return answer

        # No slash merging: "/api/v1//me" is no resource of ours (404), not a redirect
        # with an HTML body. No automatic OPTIONS either: its empty text/html answer
        # would be the one non-JSON answer of the API; OPTIONS is a JSON 405 instead.
        bp.add_url_rule(
            rule,
            view_func=endpoint,
            methods=[method],
            merge_slashes=False,
            provide_automatic_options=False,
        )
        OPERATIONS.append(
            Operation(
                method=method,
                path=(bp.url_prefix or "") + rule,
                endpoint=f"{bp.name}.{view.__name__}",
                summary=summary,
                description=inspect.cleandoc(view.__doc__ or ""),
                tag=tag,
                body=body,
                query=query,
                response=response,
                status=status,
                auth=auth,
                errors=errors,
                content_type=content_type,
            )
        )
        return endpoint

    return decorator


def paginate(
    query: sa.Select[Any],
    page: PageQuery,
    item: Callable[..., Any],
    *,
    batch: Callable[[list[Any]], dict[int, Any]] | None = None,
    total: int | None = None,
) -> dict:
    """One page of ``query`` as the API's list answer. ``batch`` reads what the items
    need about all rows of the page at once (``{row.id: extra}``), handed to ``item``
    as ``summary``, so a page costs the same number of queries whatever its length.
    ``total``: the rows' number, where it is known without counting (``kept_counts``)."""
    if total is None:  # count bare rows, not the entity's columns and eager joins
        rows = query.order_by(None).with_only_columns(sa.literal(1), maintain_column_froms=True)
        total = db.session.scalar(sa.select(sa.func.count()).select_from(rows.subquery()))
    rows = list(
        db.session.scalars(query.limit(page.per_page).offset((page.page - 1) * page.per_page))
    )
    if batch is not None:
        extra = batch(rows)
        items = [item(row, summary=extra[row.id]) for row in rows]
    else:
        items = [item(row) for row in rows]
    return {"items": items, "page": page.page, "per_page": page.per_page, "total": total or 0}


# The OpenAPI document --------------------------------------------------------------

_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    parameters = []
    for converter, name in _PARAMETER.findall(rule):
        schema: dict[str, Any] = {"type": "string"}
        if converter == "int":
            schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return _PARAMETER.sub(r"{\2}", rule), parameters


def contact(fallback_url: str) -> dict[str, str]:
    """Who answers for the API: the project, at the home page its package names
    (setup.cfg's ``url``), else at the address of this installation."""
    try:
        home = importlib.metadata.metadata("procure").get("Home-page")
    except importlib.metadata.PackageNotFoundError:
        home = None
    return {"name": PROJECT, "url": home or fallback_url}


def openapi_document(title: str, version: str, *, contact_url: str) -> dict[str, Any]:
    wanted: list[tuple[Any, str]] = [(ErrorOut, "serialization")]
    for op in OPERATIONS:
        if op.body is not None:
            wanted.append((op.body, "validation"))
        if isinstance(op.response, type) and issubclass(op.response, pydantic.BaseModel):
            wanted.append((op.response, "serialization"))
    wanted = list(dict.fromkeys(wanted))
    refs, definitions = models_json_schema(wanted, ref_template="#/components/schemas/{model}")
    schemas = definitions.get("$defs", {})
    error_ref = refs[(ErrorOut, "serialization")]

    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        path, parameters = _openapi_path(op.path)
        if op.query is not None:
            # Enums and other models a query parameter refers to live with the rest
            # of the schemas: a "#/$defs/..." reference would point nowhere.
            query_schema = op.query.model_json_schema(
                mode="validation", ref_template="#/components/schemas/{model}"
            )
            schemas.update(query_schema.pop("$defs", {}))
            required = set(query_schema.get("required", []))
            for name, prop in query_schema.get("properties", {}).items():
                parameters.append(
                    {"name": name, "in": "query", "required": name in required, "schema": prop}
                )
        entry: dict[str, Any] = {
            "operationId": op.endpoint.replace(".", "_"),
            "summary": op.summary,
            "tags": [op.tag],
            "parameters": parameters,
            "responses": {},
        }
        if op.description:
            entry["description"] = op.description
        if not op.auth:
            entry["security"] = []
        if op.body is not None:
            entry["requestBody"] = {
                "required": not _body_is_optional(op.body),
                "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
            }
        if op.response is None:
            success: dict[str, Any] = {"description": "Done."}
        elif op.content_type != "application/json":
            binary = {"schema": {"type": "string", "format": "binary"}}
            content = {op.content_type: binary}
            if _is_binary(op.content_type):
                content[OCTET_STREAM] = binary
            success = {
                "description": f"The document ({op.content_type}), as a download.",
                "headers": {
                    "Content-Disposition": {
                        "description": "`attachment`, with the document's file name.",
                        "schema": {"type": "string"},
                    }
                },
                "content": content,
            }
        else:
            key = (op.response, "serialization")
            schema = refs.get(key) or pydantic.TypeAdapter(op.response).json_schema(
                mode="serialization", ref_template="#/components/schemas/{model}"
            )
            schemas.update(schema.pop("$defs", {}) if isinstance(schema, dict) else {})
            success = {
                "description": "Success.",
                "content": {"application/json": {"schema": schema}},
            }
        entry["responses"][str(op.status)] = success
        codes = set(op.errors) | {400, 422} if op.body is not None else set(op.errors)
        if op.query is not None:
            codes.add(422)
        if op.auth:
            codes.add(401)
        if "<" in op.path:
            codes.add(404)
        for code in sorted(codes):
            entry["responses"][str(code)] = {
                "description": ERROR_DESCRIPTIONS.get(code, "Error."),
                "content": {"application/json": {"schema": error_ref}},
            }
        paths.setdefault(path, {})[op.method.lower()] = entry

    used = list(dict.fromkeys(op.tag for op in OPERATIONS))
    tags = [{"name": name, "description": TAGS[name]} for name in TAGS if name in used]
    tags += [{"name": name} for name in used if name not in TAGS]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "The public JSON API of Procure. Money is a string with two "
            "decimals; errors share one shape (see the Error schema).",
            "contact": contact(contact_url),
            "license": {"name": LICENCE, "identifier": LICENCE},
        },
        "servers": [{"url": "/"}],
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
    }


__all__ = [
    "OPERATIONS",
    "Page",
    "PageQuery",
    "current_user",
    "openapi_document",
    "operation",
    "paginate",
    "parse",
]
