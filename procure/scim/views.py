"""SCIM 2.0 endpoints (RFC 7644): discovery, Users, Groups. Each view reads, calls a
service and answers; ``protocol.operation`` authenticates and commits."""

from __future__ import annotations

from flask import Response, request

from . import bp, groups, payloads, protocol, resources, search, users
from .errors import not_found
from .protocol import answer, operation

protocol.init_blueprint(bp)


@operation(bp, "/ServiceProviderConfig", ["GET"])
def service_provider_config() -> Response:
    return answer(resources.service_provider_config())


@operation(bp, "/ResourceTypes", ["GET"])
def resource_types() -> Response:
    found = resources.resource_types()
    return protocol.listing(len(found), 1, found)


@operation(bp, "/ResourceTypes/<type_id>", ["GET"])
def resource_type(type_id: str) -> Response:
    found = [item for item in resources.resource_types() if item["id"] == type_id]
    if not found:
        raise not_found("resource type")
    return answer(found[0])


@operation(bp, "/Schemas", ["GET"])
def schemas() -> Response:
    found = resources.schemas()
    return protocol.listing(len(found), 1, found)


@operation(bp, "/Schemas/<schema_id>", ["GET"])
def schema(schema_id: str) -> Response:
    found = [item for item in resources.schemas() if item["id"] == schema_id]
    if not found:
        raise not_found("schema")
    return answer(found[0])


@operation(bp, "/.search", ["POST"])
def search_everything() -> Response:
    query = search.read(protocol.body())
    total, found = search.everything(query)
    return protocol.listing(total, query.start, found, query.shape)


@operation(bp, "/Users", ["GET", "POST"])
def user_collection() -> Response:
    if request.method == "GET":
        start, count = protocol.paging()
        total, found = users.search(request.args.get("filter"), start, count)
        return protocol.listing(total, start, found)
    created = users.create(payloads.new_user(protocol.body()))
    return answer(created, 201, location=created["meta"]["location"])


@operation(bp, "/Groups", ["GET", "POST"])
def group_collection() -> Response:
    if request.method == "GET":
        start, count = protocol.paging()
        total, found = groups.search(request.args.get("filter"), start, count)
        return protocol.listing(total, start, found)
    created = groups.create(payloads.new_group(protocol.body()))
    return answer(created, 201, location=created["meta"]["location"])


@operation(bp, "/Users/<resource_id>", ["GET", "PUT", "PATCH", "DELETE"])
def user_resource(resource_id: str) -> Response:
    user, account = users.get(resource_id)
    current = users.represent(user, account)
    if request.method == "GET":
        return answer(protocol.project(current))
    protocol.check_version(current)
    if request.method == "DELETE":
        users.delete(user, account)
        return answer(None)
    if request.method == "PUT":
        model = payloads.replacing_user(protocol.body(), user)
    else:
        model = payloads.patched_user(protocol.body(), user, account)
    return answer(users.replace(user, account, model))


@operation(bp, "/Groups/<resource_id>", ["GET", "PUT", "PATCH", "DELETE"])
def group_resource(resource_id: str) -> Response:
    group = groups.get(resource_id)
    current = groups.represent(group)
    if request.method == "GET":
        return answer(protocol.project(current))
    protocol.check_version(current)
    if request.method == "DELETE":
        groups.delete(group)
        return answer(None)
    if request.method == "PUT":
        model = payloads.replacing_group(protocol.body())
    else:
        model = payloads.patched_group(protocol.body(), group)
    return answer(groups.replace(group, model))
