"""One place that turns every failure into the right answer: a JSON error under
``/api`` (API.md), a friendly page or a flash message elsewhere."""

from __future__ import annotations

import logging

from flask import (
    Flask,
    Response,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import RoutingException

from . import errors, metrics
from .extensions import db
from .security import referrer_path, safe_next, security_event
from .storage import StorageUnavailable

log = logging.getLogger("procure")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
}

HTTP_MESSAGES = {
    404: "No such resource.",
    405: "This method is not allowed here.",
    413: "The request body is too large.",
}


def wants_json() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def json_error(
    status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> tuple[Response, int]:
    body: dict = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return jsonify({"error": body}), status


def _back() -> str:
    """Where a refused form post returns: the page it came from, else this path if
    it is a page (not a POST-only action, which would answer 405), else home."""
    adapter = current_app.create_url_adapter(request)
    here = request.path if adapter is not None and adapter.test(request.path, "GET") else None
    return safe_next(referrer_path(), here or url_for("main.dashboard"))


def _another_method_matches(exc: MethodNotAllowed) -> bool:
    """Whether the path really is a resource that answers other methods.

    Werkzeug's router notes a rule's methods as soon as the path has the rule's
    shape, before the converters have their say: PATCH on /requests/99999999999
    (an id no integer column holds) came out as 405 while GET said 404. A 405 is
    only right if another method would be routed."""
    adapter = current_app.create_url_adapter(request)
    if adapter is None:
        return True
    for method in exc.valid_methods or ():
        try:
            adapter.match(request.path, method=method)
        except RoutingException:
            return True  # a redirect: the resource is there
        except HTTPException:
            continue
        return True
    return False


def init_app(app: Flask) -> None:
    @app.errorhandler(errors.DomainError)
    def _domain_error(exc: errors.DomainError):  # type: ignore[no-untyped-def]
        db.session.rollback()
        if isinstance(exc, errors.Forbidden):
            security_event("forbidden", reason=exc.message)
        if wants_json():
            return json_error(exc.status, exc.code, exc.message, exc.fields)
        if isinstance(exc, errors.NotFound):
            return render_template("errors/404.html", message=exc.message), 404
        if isinstance(exc, errors.Forbidden | errors.Unauthorized):
            return render_template("errors/403.html", message=exc.message), 403
        if request.method == "GET":
            return render_template("errors/400.html", message=exc.message), exc.status
        # A refused action on a page: say why, back where the user was.
        flash(exc.message, "danger")
        return redirect(_back(), 303)

    @app.errorhandler(StaleDataError)
    def _stale(_exc: StaleDataError):  # type: ignore[no-untyped-def]
        return _domain_error(
            errors.Conflict(
                "Somebody else changed this document at the same time; reload it and try again."
            )
        )

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):  # type: ignore[no-untyped-def]
        db.session.rollback()
        security_event("csrf_failed", reason=exc.description)
        message = "The form has expired or was not sent from this site. Please try again."
        if wants_json():
            return json_error(400, "bad_request", message)
        return render_template("errors/400.html", message=message), 400

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
        db.session.rollback()
        if isinstance(exc, MethodNotAllowed) and not _another_method_matches(exc):
            exc = NotFound()
        status = exc.code or 500
        if status == 403:
            security_event("forbidden", reason=exc.description)
        if wants_json():
            code = HTTP_CODES.get(status, "error")
            message = HTTP_MESSAGES.get(status) or exc.description or exc.name
            response, status = json_error(status, code, message)
            if status == 405 and exc.get_response().headers.get("Allow"):
                response.headers["Allow"] = exc.get_response().headers["Allow"]
            return response, status
        template = {403: "errors/403.html", 404: "errors/404.html"}.get(status)
        if template:
            return render_template(template, message=None), status
        if status >= 500:
            return render_template("errors/500.html"), status
        return render_template("errors/400.html", message=exc.description, title=exc.name), status

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    def _database_unavailable(exc: sa_exc.DBAPIError):  # type: ignore[no-untyped-def]
        # The database went away (restarted, connections cut, network): nothing was
        # written, the pool drops the dead connection, and the next try gets a new one.
        try:
            db.session.rollback()
        except sa_exc.SQLAlchemyError:
            db.session.close()
        log.warning("database unavailable on %s %s: %s", request.method, request.path, exc.orig)
        message = "The database is unavailable for a moment; nothing was changed. Try again."
        if wants_json():
            response, status = json_error(503, "unavailable", message)
        else:
            response = make_response(render_template("errors/503.html", message=message))
            status = 503
        response.headers["Retry-After"] = "5"
        return response, status

    @app.errorhandler(StorageUnavailable)
    def _storage_unavailable(exc: StorageUnavailable):  # type: ignore[no-untyped-def]
        # The file was not stored, so its row was not recorded either: roll back all.
        db.session.rollback()
        log.warning("file storage unavailable on %s %s: %s", request.method, request.path, exc)
        message = "The file storage is unavailable for a moment; nothing was changed. Try again."
        if wants_json():
            response, status = json_error(503, "unavailable", message)
        else:
            response = make_response(render_template("errors/503.html", message=message))
            status = 503
        response.headers["Retry-After"] = str(exc.retry_after)
        return response, status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        metrics.report_unhandled(exc)
        if wants_json():
            return json_error(500, "internal_error", "Something went wrong on our side.")
        return render_template("errors/500.html"), 500
