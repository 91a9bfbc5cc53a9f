"""How a browser request meets the database: one transaction per request.

Every page view runs inside :func:`one_transaction` (``create_app`` wraps them all;
the JSON API has the same in ``api/spec.py``'s ``@operation``, SCIM in
``scim/protocol.py``). A request that changes something (any method but GET, HEAD,
OPTIONS) commits once, after its view answered with a success or a redirect; an
exception or an answer of 400 and above rolls everything back, flash messages of the
failed attempt included. A GET never commits a change (on PostgreSQL one that wrote
nothing ends with COMMIT, not ROLLBACK, so that the connection keeps its prepared
statements: ``db.end_read``), but for the views marked :func:`writes_on_get`: an
identity provider sends the browser back to Procure with a redirect, which can only be
a GET, and that GET signs in.
Views therefore never call ``commit()`` or ``rollback()``; services flush.

A service refuses bad input with a :class:`~procure.errors.ValidationError` naming
fields. :func:`form_errors` catches it around the service call, rolls back and puts
each message beside its field (``lines.3.unit_price`` included), so that the view
re-renders its form::

    if form.validate_on_submit():
        with web.form_errors(form) as outcome:
            services.rename(thing, form.name.data, actor=current_user)
        if outcome.ok:
            flash("Renamed.", "success")
            return redirect(url_for(".detail", thing_id=thing.id))
    return render_template("things/edit.html", form=form), web.form_status(form)

Every other domain error (forbidden, a conflict, a transition that is not allowed)
goes on to the one handler in ``error_pages.py``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from flask import Flask, current_app, g, request, session
from flask_wtf import FlaskForm

from .db import end_read, set_write_intent
from .errors import ValidationError
from .extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_KEEP = "procure_keep_changes"


def keep_changes() -> None:
    """Commit this request's changes although its answer is a refusal: a failed
    sign-in still counts towards the throttle."""
    setattr(g, _KEEP, True)


def writes_on_get(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view whose GET changes something (a sign-in callback): it commits like a POST.
    Put it under the route decorator."""
    view._writes_on_get = True  # type: ignore[attr-defined]
    return view


def one_transaction(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``view`` as one transaction: commit on success, roll back on any error."""
    writes = getattr(view, "_writes_on_get", False)

    @functools.wraps(view)
    def run(*args: Any, **kwargs: Any) -> Any:
        if request.method in SAFE_METHODS and not writes:
            response = view(*args, **kwargs)
            end_read()
            return response
        if writes:
            set_write_intent(True)
        flashes = list(session.get("_flashes", ()))
        try:
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code < 400 or g.get(_KEEP):
                db.session.commit()
            else:
                db.session.rollback()
        except BaseException:
            db.session.rollback()
            # What the failed attempt said ("Saved.") was never true.
            if flashes:
                session["_flashes"] = flashes
            else:
                session.pop("_flashes", None)
            raise
        return response

    return run


def wrap_views(app: Flask, *, skip: tuple[str, ...] = ("api.", "scim.", "static")) -> None:
    """Put every page view of ``app`` inside :func:`one_transaction`."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.startswith(skip) or getattr(view, "_one_transaction", False):
            continue
        wrapped = one_transaction(view)
        wrapped._one_transaction = True  # type: ignore[attr-defined]
        app.view_functions[endpoint] = wrapped


@dataclasses.dataclass
class Outcome:
    ok: bool = False
    error: ValidationError | None = None


@contextlib.contextmanager
def form_errors(form: FlaskForm, *, aliases: Mapping[str, str] | None = None) -> Iterator[Outcome]:
    """Run a service call; a ``ValidationError`` rolls back and lands on the form.

    ``aliases`` maps the service's field names to the form's where they differ.
    """
    outcome = Outcome()
    try:
        yield outcome
    except ValidationError as exc:
        db.session.rollback()
        show_errors(form, exc, aliases=aliases)
        outcome.error = exc
        return
    outcome.ok = True


def show_errors(
    form: FlaskForm, exc: ValidationError, *, aliases: Mapping[str, str] | None = None
) -> None:
    """Put each of ``exc``'s messages beside its field; what no field of the form
    shows (or an error without fields) goes above the form."""
    if not exc.fields:
        form.form_errors.append(exc.message)
        return
    for name, messages in exc.fields.items():
        field = _field(form, (aliases or {}).get(name, name))
        if field is None:
            form.form_errors.extend(messages)
        else:
            field.errors = [*field.errors, *messages]


def _field(form: Any, name: str) -> Any:
    """The field ``name`` names: ``title``, or ``lines.3.unit_price`` in a FieldList."""
    parts = name.split(".")
    current = form
    index = 0
    while index < len(parts):
        part = parts[index]
        if hasattr(current, "entries") and part.isdigit():
            position = int(part)
            if position >= len(current.entries):
                return None
            current = current.entries[position]
            current = getattr(current, "form", current)
        else:
            candidate = current._fields.get(part) if hasattr(current, "_fields") else None
            if candidate is None:
                return None
            current = candidate
        index += 1
    if not hasattr(current, "errors") or hasattr(current, "entries"):
        return None  # a whole list of lines: say it above the form
    return current


def form_status(form: FlaskForm) -> int:
    """422 when the form shows an error, else 200."""
    return 422 if form.errors else 200
