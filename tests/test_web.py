"""One transaction per browser request (procure/web.py): a page action commits once
on success and rolls back on any error; a service's field errors land beside the
form's fields."""

from __future__ import annotations

import flask
import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField, StringField

from procure import web
from procure.errors import Conflict, ValidationError
from procure.models import Department


@pytest.fixture
def counted(app, db):
    """How often the session committed and rolled back during the test."""
    counts = {"commit": 0, "rollback": 0}

    def on_commit(_session):
        counts["commit"] += 1

    def on_rollback(_session, _transaction):
        counts["rollback"] += 1

    session = db.session()
    sa.event.listen(session, "after_commit", on_commit)
    sa.event.listen(session, "after_soft_rollback", on_rollback)
    yield counts
    sa.event.remove(session, "after_commit", on_commit)
    sa.event.remove(session, "after_soft_rollback", on_rollback)


def _department_exists(db, code: str) -> bool:
    return db.session.scalar(sa.select(Department.id).where(Department.code == code)) is not None


def _adding(db, code: str, answer):
    def view():
        db.session.add(Department(code=code, name="Test"))
        db.session.flush()
        flask.flash("Saved.", "success")
        if isinstance(answer, Exception):
            raise answer
        return answer

    return web.one_transaction(view)


def test_a_successful_post_commits_once(app, db, counted):
    with app.test_request_context("/x", method="POST"):
        response = _adding(db, "WEB1", flask.redirect("/"))()
        assert response.status_code == 302
        assert counted == {"commit": 1, "rollback": 0}
        assert _department_exists(db, "WEB1")
        assert flask.session["_flashes"] == [("success", "Saved.")]


def test_a_refusing_answer_rolls_back(app, db, counted):
    with app.test_request_context("/x", method="POST"):
        response = _adding(db, "WEB2", ("Not valid", 422))()
        assert response.status_code == 422
        assert counted["commit"] == 0
        assert not _department_exists(db, "WEB2")


def test_an_error_rolls_back_and_takes_back_what_the_attempt_flashed(app, db, counted):
    with app.test_request_context("/x", method="POST"):
        flask.flash("From before.", "info")
        with pytest.raises(Conflict):
            _adding(db, "WEB3", Conflict("Somebody else won."))()
        assert counted["commit"] == 0
        assert not _department_exists(db, "WEB3")
        assert flask.session["_flashes"] == [("info", "From before.")]


def test_a_get_never_commits(app, db, counted):
    with app.test_request_context("/x", method="GET"):
        _adding(db, "WEB4", "page")()
        assert counted["commit"] == 0


def _on_postgres(request) -> None:
    if request.config.getoption("--db") != "postgres":
        pytest.skip("PostgreSQL only (run with --db postgres): SQLite keeps no prepared plans")


@pytest.mark.committing
@pytest.mark.postgres_only
def test_a_get_that_only_read_keeps_the_connections_prepared_statements(
    app, committed_db, request
):
    """psycopg forgets its prepared statements when the connection rolls back: a GET
    that wrote nothing ends with COMMIT, so a list read page after page is planned once."""
    _on_postgres(request)
    query = sa.select(Department.id).where(Department.code == "NOPE-PREPARED")

    def view():
        committed_db.session.scalars(query).all()
        return "page"

    for _ in range(8):  # psycopg prepares a statement on its sixth run on a connection
        with app.test_request_context("/x", method="GET"):
            web.one_transaction(view)()
            committed_db.session.remove()
    with committed_db.engine.connect() as connection:
        # The pool hands out the one connection the requests used.
        prepared = connection.scalars(
            sa.text("SELECT statement FROM pg_prepared_statements")
        ).all()
    assert any("departments.code = $1" in statement for statement in prepared), prepared


@pytest.mark.committing
@pytest.mark.postgres_only
def test_a_get_that_wrote_still_rolls_back(app, committed_db, request):
    _on_postgres(request)
    committed = []
    sa.event.listen(committed_db.session(), "after_commit", committed.append)
    try:
        with app.test_request_context("/x", method="GET"):
            _adding(committed_db, "WEB7", "page")()
            committed_db.session.remove()
    finally:
        committed_db.session.remove()
    assert committed == []
    assert not _department_exists(committed_db, "WEB7")


def test_kept_changes_commit_although_the_answer_refuses(app, db, counted):
    def view():
        db.session.add(Department(code="WEB5", name="Test"))
        web.keep_changes()
        return "Wrong password", 429

    with app.test_request_context("/x", method="POST"):
        assert web.one_transaction(view)().status_code == 429
        assert counted["commit"] == 1
        assert _department_exists(db, "WEB5")


def test_every_page_view_runs_in_one_transaction_and_the_api_in_its_own(app):
    for endpoint, view in app.view_functions.items():
        wrapped = getattr(view, "_one_transaction", False)
        # The JSON API and SCIM commit in their own decorator (api/spec.py, scim/protocol.py).
        if endpoint.startswith(("api.", "scim.")) or endpoint == "static":
            assert not wrapped, endpoint
        else:
            assert wrapped, endpoint


class LineForm(FlaskForm):
    class Meta:
        csrf = False

    description = StringField()
    unit_price = StringField()


class RequestForm(FlaskForm):
    class Meta:
        csrf = False

    title = StringField()
    department_code = StringField()
    lines = FieldList(FormField(LineForm), min_entries=2)


def test_field_errors_land_beside_their_fields_and_the_rest_above_the_form(app, db, counted):
    with app.test_request_context("/x", method="POST"):
        form = RequestForm()
        with web.form_errors(form, aliases={"department": "department_code"}) as outcome:
            db.session.add(Department(code="WEB6", name="Test"))
            db.session.flush()
            raise ValidationError(
                "Give the request a title.",
                fields={
                    "title": ["Give the request a title."],
                    "department": ["There is no department 'XX'."],
                    "lines.1.unit_price": ["The unit price must not be negative."],
                    "lines.7.unit_price": ["No such line."],
                    "lines": ["Add at least one line."],
                    "currency": ["This installation works in USD only."],
                },
            )
        assert not outcome.ok
        assert counted["rollback"] == 1
        assert not _department_exists(db, "WEB6")
        assert form.title.errors == ["Give the request a title."]
        assert form.department_code.errors == ["There is no department 'XX'."]
        assert form.lines.entries[1].form.unit_price.errors == [
            "The unit price must not be negative."
        ]
        assert not form.lines.entries[0].form.unit_price.errors
        assert form.form_errors == [
            "No such line.",
            "Add at least one line.",
            "This installation works in USD only.",
        ]
        assert web.form_status(form) == 422


def test_an_error_without_fields_goes_above_the_form(app):
    with app.test_request_context("/x", method="POST"):
        form = RequestForm()
        with web.form_errors(form) as outcome:
            raise ValidationError("The quote is no longer valid.")
        assert not outcome.ok
        assert form.form_errors == ["The quote is no longer valid."]


def test_success_leaves_the_form_alone(app):
    with app.test_request_context("/x", method="POST"):
        form = RequestForm()
        with web.form_errors(form) as outcome:
            pass
        assert outcome.ok
        assert web.form_status(form) == 200


def test_other_domain_errors_go_on_to_the_error_handler(app):
    with app.test_request_context("/x", method="POST"):
        form = RequestForm()
        with pytest.raises(Conflict), web.form_errors(form):
            raise Conflict("Somebody else changed it.")
