"""How a SCIM request is served: the directory's bearer token, the one transaction
(committed here, once, as ``api/spec.py``'s ``@operation`` does for the JSON API),
``application/scim+json`` answers, versions (ETag / If-Match), paging and the
``attributes`` / ``excludedAttributes`` projections, and every failure as RFC 7644
§3.12's error body. Nothing is committed when the answer is an error.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
from collections.abc import Callable
from typing import Any

import pydantic
from flask import Blueprint, Response, current_app, g, request
from scim2_models import Error, SCIMException
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from .. import errors as domain
from .. import inputs
from ..db import end_read
from ..extensions import db
from ..models import ScimToken, utcnow
from ..security import security_event
from . import tokens
from .errors import ScimError, error_body, invalid_syntax, invalid_value
from .resources import ENTERPRISE_SCHEMA, LIST_SCHEMA, MAX_RESULTS

log = logging.getLogger("procure")
SCIM_JSON = "application/scim+json"
ALWAYS_RETURNED = ("schemas", "id")
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def answer(
    body: dict[str, Any] | None, status: int = 200, *, location: str | None = None
) -> Response:
    """``body`` as SCIM JSON; a resource's version goes in the ETag header too."""
    if body is None:
        return Response(status=204)
    response = Response(json.dumps(body), status=status, mimetype=SCIM_JSON)
    meta = body.get("meta") or {}
    if meta.get("version"):
        response.headers["ETag"] = meta["version"]
    if location:
        response.headers["Location"] = location
    return response


def current_token() -> ScimToken:
    return g.scim_token


def _authenticate() -> ScimToken:
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    token = tokens.authenticate(secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        security_event(
            "invalid_token", reason="SCIM: no bearer token, or an unknown or revoked one"
        )
        raise ScimError(
            401, "Send a SCIM token issued by a Procure admin: 'Authorization: Bearer <token>'."
        )
    return token


def operation(
    bp: Blueprint, rule: str, methods: list[str]
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Route ``rule``: authenticate, run the view, commit once when it changed something."""

    def decorator(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def endpoint(**path: Any) -> Response:
            g.scim_token = _authenticate()
            response = view(**path)
            if request.method != "GET":
                g.scim_token.last_used_at = utcnow()
                db.session.commit()
            else:
                end_read()
            return response

        bp.add_url_rule(rule, view_func=endpoint, methods=methods, provide_automatic_options=False)
        return endpoint

    return decorator


def body() -> dict[str, Any]:
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw)
    except RecursionError:
        raise invalid_syntax("The body nests arrays or objects too deeply to be read.") from None
    except ValueError:
        raise invalid_syntax("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise invalid_syntax("The body must be a JSON object.")
    # NUL and the other control characters: no text of ours holds them (procure/inputs.py).
    found = inputs.problems(data.items())
    if found:
        first = next(iter(found))
        raise invalid_value(f"{first}: {found[first][0]}")
    return data


def validate(model: type[Any], data: dict[str, Any], context: Any) -> Any:
    """``data`` as ``model`` in the SCIM ``context`` (creation, replacement, patch)."""
    try:
        return model.model_validate(data, scim_ctx=context)
    except pydantic.ValidationError as exc:
        raise _from_validation(exc) from None


def _from_validation(exc: pydantic.ValidationError) -> ScimError:
    first = exc.errors(include_url=False)[0]
    error = Error.from_validation_error(first)
    return ScimError(
        error.status or 400,
        error.detail or "The body is not valid.",
        error.scim_type or "invalidValue",
    )


def check_version(current: dict[str, Any]) -> None:
    """412 when the client's If-Match names another version than the one stored."""
    wanted = request.headers.get("If-Match")
    if not wanted or wanted.strip() == "*":
        return
    version = (current.get("meta") or {}).get("version", "")
    given = {tag.strip().removeprefix("W/") for tag in wanted.split(",")}
    if version.removeprefix("W/") not in given:
        raise ScimError(412, "The resource changed since that version was read; read it again.")


def paging() -> tuple[int, int]:
    """(startIndex, count) from the query: 1-based; a count of 0 gives only the total."""
    values = []
    for name, default in (("startIndex", 1), ("count", MAX_RESULTS)):
        raw = request.args.get(name)
        try:
            values.append(int(raw) if raw is not None else default)
        except ValueError:
            raise invalid_value(f"{name} must be a whole number.") from None
    return max(values[0], 1), min(max(values[1], 0), MAX_RESULTS)


def listing(
    total: int, start: int, found: list[dict[str, Any]], shape: Shape | None = None
) -> Response:
    return answer(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(found),
            "Resources": [project(item, shape) for item in found],
        }
    )


# attributes= and excludedAttributes= ---------------------------------------------


def _requested(name: str) -> list[str]:
    return [part.strip() for part in request.args.get(name, "").split(",") if part.strip()]


def _key(mapping: dict[str, Any], name: str) -> str | None:
    return next((key for key in mapping if key.lower() == name.lower()), None)


def _locate(resource: dict[str, Any], name: str) -> tuple[dict[str, Any], str, str | None] | None:
    """(the object holding the attribute, its key, a sub-attribute) that ``name`` names."""
    holder = resource
    if name.lower().startswith(ENTERPRISE_SCHEMA.lower()):
        holder = resource.get(ENTERPRISE_SCHEMA) or {}
        name = name[len(ENTERPRISE_SCHEMA) :].lstrip(":")
        if not name:
            return (resource, ENTERPRISE_SCHEMA, None) if ENTERPRISE_SCHEMA in resource else None
    else:
        for schema in resource.get("schemas", []):
            if name.lower().startswith(schema.lower() + ":"):
                name = name[len(schema) + 1 :]
    top, _, sub = name.partition(".")
    key = _key(holder, top)
    return (holder, key, sub or None) if key is not None else None


@dataclasses.dataclass(frozen=True)
class Shape:
    """The attributes asked for (``attributes``) or left out (``excludedAttributes``)."""

    wanted: tuple[str, ...] = ()
    unwanted: tuple[str, ...] = ()


def project(resource: dict[str, Any], shape: Shape | None = None) -> dict[str, Any]:
    """The resource with only the attributes asked for, or without those excluded
    (the query's, unless ``shape`` gives them: a search request's body)."""
    if shape is None:
        shape = Shape(tuple(_requested("attributes")), tuple(_requested("excludedAttributes")))
    wanted, unwanted = shape.wanted, shape.unwanted
    if wanted:
        kept: dict[str, Any] = {key: resource[key] for key in ALWAYS_RETURNED if key in resource}
        for name in wanted:
            found = _locate(resource, name)
            if found is None:
                continue
            holder, key, sub = found
            target = kept if holder is resource else kept.setdefault(ENTERPRISE_SCHEMA, {})
            value = holder[key]
            if sub and isinstance(value, dict):
                inner = _key(value, sub)
                if inner is not None:
                    target.setdefault(key, {})[inner] = value[inner]
            elif sub and isinstance(value, list):
                target[key] = [
                    {k: v for k, v in item.items() if k.lower() == sub.lower()} for item in value
                ]
            else:
                target[key] = value
        return kept
    if unwanted:
        kept = json.loads(json.dumps(resource))
        for name in unwanted:
            found = _locate(kept, name)
            if found is None:
                continue
            holder, key, sub = found
            if key in ALWAYS_RETURNED and holder is kept:
                continue
            if sub is None:
                holder.pop(key, None)
            elif isinstance(holder[key], dict):
                inner = _key(holder[key], sub)
                if inner is not None:
                    holder[key].pop(inner)
        return kept
    return resource


# Errors ---------------------------------------------------------------------------


def _error(status: int, detail: str, scim_type: str | None = None) -> Response:
    db.session.rollback()
    response = answer(error_body(status, detail, scim_type), status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="SCIM"'
    return response


def _another_method_matches() -> list[str]:
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in METHODS:
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except RequestRedirect:
            continue
        except HTTPException:
            continue
        if endpoint != "scim.unknown":
            allowed.append(method)
    return allowed


def unknown(rest: str = "") -> Response:
    """Whatever no route of SCIM serves: 405 where another method would, else 404."""
    allowed = _another_method_matches()
    if allowed:
        response = _error(405, f"{request.method} is not allowed here; use {', '.join(allowed)}.")
        response.headers["Allow"] = ", ".join(allowed)
        return response
    return _error(404, "No such SCIM resource or endpoint.")


def init_blueprint(bp: Blueprint) -> None:
    bp.add_url_rule("/", "unknown", unknown, methods=METHODS, provide_automatic_options=False)
    bp.add_url_rule(
        "/<path:rest>", "unknown", unknown, methods=METHODS, provide_automatic_options=False
    )

    @bp.errorhandler(ScimError)
    def _scim(exc: ScimError) -> Response:
        return _error(exc.status, exc.detail, exc.scim_type)

    @bp.errorhandler(SCIMException)
    def _library(exc: SCIMException) -> Response:
        error = exc.to_error()
        return _error(error.status or 400, error.detail or str(exc), error.scim_type)

    @bp.errorhandler(pydantic.ValidationError)
    def _invalid(exc: pydantic.ValidationError) -> Response:
        error = _from_validation(exc)
        return _error(error.status, error.detail, error.scim_type)

    @bp.errorhandler(domain.DomainError)
    def _domain(exc: domain.DomainError) -> Response:
        status = exc.status if exc.status in (401, 403, 404, 409) else 400
        return _error(status, exc.message, "invalidValue" if status == 400 else None)

    @bp.errorhandler(sa_exc.IntegrityError)
    def _clash(_exc: sa_exc.IntegrityError) -> Response:
        # Two writes of one userName or group name at once: the second loses.
        return _error(409, "Another resource has this userName or displayName.", "uniqueness")

    @bp.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        if isinstance(exc, MethodNotAllowed | NotFound):
            return unknown()
        return _error(exc.code or 500, exc.description or exc.name)
