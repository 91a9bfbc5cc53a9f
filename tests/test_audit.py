"""The audit log: an append-only chain of events that shows any tampering."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from procure import attachments, audit
from procure.models import AuditEvent

from .committing import together
from .documents import issued_order
from .tampering import tamper_as_dba


@pytest.fixture
def chain(db, make):
    """Three events of our own at the end of the chain; returns their ids."""
    actor, other = make.user(["admin"]), make.user(["finance"])
    events = [
        audit.record(
            "vendor",
            7,
            "create",
            actor=actor,
            changes={"name": "Acme", "rating": 4},
            remote_addr="192.0.2.1",
        ),
        audit.record(
            "vendor",
            7,
            "update",
            actor=actor,
            changes={"rating": [4, 5]},
            comment="after the site visit",
            remote_addr="192.0.2.1",
        ),
        audit.record("vendor", 7, "approve", actor=other, remote_addr="192.0.2.2"),
    ]
    db.session.commit()
    return {
        "ids": [event.id for event in events],
        "other_user_id": other.id,
        "actor_id": actor.id,
    }


@pytest.fixture
def postgres(db):
    """The test's database, where it is PostgreSQL (which hashes the chain itself)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL hashes the chain itself (run with --db postgres)")
    return db


@pytest.fixture
def dba(db):
    """The test tampers as a database administrator would: the audit table's
    triggers, which refuse UPDATE and DELETE to everyone else, are switched off."""
    tamper_as_dba(db)


def _events(db, ids) -> list[dict]:
    rows = db.session.execute(
        sa.select(AuditEvent.__table__).where(AuditEvent.id.in_(ids)).order_by(AuditEvent.id)
    )
    return [dict(row._mapping) for row in rows]


def _event_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


def test_record_appends_chained_events(db, chain):
    first, second, third = _events(db, chain["ids"])

    assert [first["id"] + 1, first["id"] + 2] == [second["id"], third["id"]]
    assert second["prev_hash"] == first["hash"]
    assert third["prev_hash"] == second["hash"]
    assert len({first["hash"], second["hash"], third["hash"]}) == 3
    assert all(len(event["hash"]) == 64 for event in (first, second, third))
    assert (second["entity"], second["entity_id"], second["action"]) == ("vendor", 7, "update")
    assert second["comment"] == "after the site visit"
    assert third["actor_id"] == chain["other_user_id"]


def test_the_first_event_starts_from_the_genesis_hash(db, chain):
    first_id = db.session.scalar(sa.select(sa.func.min(AuditEvent.id)))

    (first,) = _events(db, [first_id])

    assert first_id == 1
    assert first["prev_hash"] == audit.GENESIS


def test_an_intact_chain_verifies(db, chain):
    result = audit.verify()

    assert result.ok
    assert result.count == _event_count(db)
    assert result.bad_event_id is None


def test_verify_walks_the_chain_in_batches(db, chain):
    result = audit.verify(batch_size=2)

    assert result.ok
    assert result.count == _event_count(db)


def test_verify_leaves_the_callers_objects_usable(db, make):
    user = make.user(name="Still Here")
    audit.record("user", user.id, "update", actor=user)
    db.session.commit()

    assert audit.verify(batch_size=1).ok
    assert user.name == "Still Here"


def _tampered_value(column: str, event: dict, chain: dict):
    return {
        "id": event["id"] + 1000,
        "at": event["at"] + dt.timedelta(seconds=1),
        "actor_id": chain["other_user_id"]
        if event["actor_id"] != chain["other_user_id"]
        else chain["actor_id"],
        "on_behalf_of_id": chain["other_user_id"],
        "entity": "order",
        "entity_id": event["entity_id"] + 1,
        "action": "delete",
        "changes": '{"rating":[4,1]}',
        "comment": event["comment"] + " (edited)",
        "remote_addr": "203.0.113.9",
        "prev_hash": "f" * 64,
        "hash": "e" * 64,
    }[column]


COLUMNS = [column.name for column in AuditEvent.__table__.columns]


def test_every_column_is_covered():
    assert set(COLUMNS) == set(audit.HASHED_FIELDS) | {"hash"}


# Where PostgreSQL hashes the chain itself, the walk in this process is still offered
# (``verify-audit --in-python``): both must catch every kind of tampering alike.
both_walks = pytest.mark.parametrize("in_python", [False, True], ids=["walk", "in-python"])


@both_walks
@pytest.mark.parametrize("position", [0, 1, 2], ids=["first", "middle", "last"])
@pytest.mark.parametrize("column", COLUMNS)
def test_editing_any_column_is_detected(db, chain, dba, column, position, in_python):
    event_id = chain["ids"][position]
    (event,) = _events(db, [event_id])
    value = _tampered_value(column, event, chain)
    assert value != event[column]

    table = AuditEvent.__table__
    db.session.execute(sa.update(table).where(table.c.id == event_id).values({column: value}))
    db.session.commit()
    result = audit.verify(in_python=in_python)

    assert not result.ok
    assert result.bad_event_id == event_id
    assert result.reason
    assert result.count == event_id - 1


@both_walks
def test_deleting_a_middle_event_is_detected(db, chain, dba, in_python):
    middle = chain["ids"][1]

    db.session.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": middle})
    db.session.commit()
    result = audit.verify(in_python=in_python)

    assert not result.ok
    assert result.bad_event_id == middle
    assert result.reason == f"event {middle} is missing"
    assert result.count == middle - 1


@both_walks
def test_deleting_the_first_event_is_detected(db, chain, dba, in_python):
    db.session.execute(sa.text("DELETE FROM audit_events WHERE id = 1"))
    db.session.commit()
    result = audit.verify(in_python=in_python)

    assert (result.ok, result.bad_event_id, result.count) == (False, 1, 0)
    assert result.reason == "event 1 is missing"


@both_walks
def test_deleting_the_last_event_is_detected(db, chain, dba, in_python):
    last = chain["ids"][-1]

    db.session.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": last})
    db.session.commit()
    result = audit.verify(in_python=in_python)

    assert not result.ok
    assert result.bad_event_id == last
    assert result.count == last - 1


@both_walks
def test_deleting_every_event_is_detected(db, chain, dba, in_python):
    db.session.execute(sa.text("DELETE FROM audit_events"))
    db.session.commit()

    result = audit.verify(in_python=in_python)

    assert not result.ok
    assert result.bad_event_id == 1


@both_walks
def test_the_first_broken_event_is_named(db, chain, dba, in_python):
    middle, last = chain["ids"][1:]
    for event_id in (last, middle):
        db.session.execute(
            sa.text("UPDATE audit_events SET comment = 'x' WHERE id = :id"), {"id": event_id}
        )
    db.session.commit()

    assert audit.verify(in_python=in_python).bad_event_id == middle


def test_events_appended_after_verifying_verify_again(db, chain, make):
    assert audit.verify().ok

    audit.record("vendor", 8, "create", actor=None, changes={"name": "Globex"})
    db.session.commit()

    assert audit.verify().ok


def test_verify_loads_no_orm_objects(db, chain):
    """Rows, not objects: a walk over millions of events must not fill the session."""
    before = len(db.session.identity_map)

    assert audit.verify(batch_size=2).ok
    assert len(db.session.identity_map) == before


@both_walks
def test_verify_is_not_fooled_by_a_forged_event_past_the_head(db, chain, dba, in_python):
    """An event chained onto the last one but never recorded in the head is caught."""
    (last,) = _events(db, [chain["ids"][-1]])
    forged = AuditEvent(
        id=last["id"] + 1,
        at=last["at"],
        actor_id=None,
        on_behalf_of_id=None,
        entity="vendor",
        entity_id=7,
        action="approve",
        changes="{}",
        comment="",
        remote_addr=None,
        prev_hash=last["hash"],
    )
    forged.hash = audit.compute_hash(forged)
    db.session.execute(
        sa.insert(AuditEvent.__table__).values(
            {name: getattr(forged, name) for name in [*audit.HASHED_FIELDS, "hash"]}
        )
    )
    db.session.commit()

    result = audit.verify(in_python=in_python)

    assert not result.ok
    assert (
        result.reason == f"events after {forged.id} were removed (the head records {last['id']})"
    )


# The statement each walk reads the chain with, to append an event once it has begun.
WALK_STATEMENTS = {
    False: "WINDOW chain AS (ORDER BY id)",
    True: "FROM audit_events ORDER BY audit_events.id",
}


@both_walks
@pytest.mark.committing
@pytest.mark.postgres_only
def test_events_appended_while_verifying_do_not_break_the_walk(
    app, committed_db, request, in_python
):
    """The walk's one query sees the chain as it was when it began; an event committed
    by another connection meanwhile moves the head past it, and the chain still holds."""
    if request.config.getoption("--db") != "postgres":
        pytest.skip("needs PostgreSQL's server-side cursor (run with --db postgres)")
    for vendor_id in range(3):
        audit.record("vendor", vendor_id, "create", actor=None)
    committed_db.session.commit()
    appended = []

    def append_one() -> int:
        event = audit.record("vendor", 99, "create", actor=None)
        committed_db.session.commit()
        return event.id

    def append_once_the_walk_has_begun(conn, cursor, statement, *args) -> None:
        if not appended and WALK_STATEMENTS[in_python] in statement:
            appended.extend(together(app, [append_one]))

    sa.event.listen(committed_db.engine, "after_cursor_execute", append_once_the_walk_has_begun)
    try:
        result = audit.verify(batch_size=2, in_python=in_python)
    finally:
        sa.event.remove(
            committed_db.engine, "after_cursor_execute", append_once_the_walk_has_begun
        )

    assert appended == [4]
    assert (result.ok, result.count, result.reason) == (True, 3, "")
    committed_db.session.rollback()
    assert (audit.verify().ok, audit.verify().count) == (True, 4)


# The fast hash of a row is the hash of the event ------------------------------------------

# Text as hostile as a comment or a change record can be: any code point a database
# stores, and the ones JSON escapes.
_awkward_text = st.text(
    st.one_of(
        st.characters(blacklist_categories=["Cs"]),
        st.sampled_from('"\\/\x00\x08\t\n\x0c\r\x1f\x7f\u2028\u2029\ufeff€é日🙂'),
    )
)
_ids = st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.integers()
_change_values = st.recursive(
    st.none() | st.booleans() | st.integers() | _awkward_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_awkward_text, inner, max_size=3),
    max_leaves=8,
)
_changes = st.one_of(
    st.dictionaries(_awkward_text, _change_values, max_size=4).map(audit.canonical_json),
    _awkward_text,  # what a tampered row may hold
)


@st.composite
def _events_to_hash(draw) -> AuditEvent:
    return AuditEvent(
        id=draw(st.integers(min_value=1, max_value=2**63 - 1)),
        at=draw(st.datetimes()),
        actor_id=draw(_ids),
        on_behalf_of_id=draw(_ids),
        entity=draw(_awkward_text),
        entity_id=draw(_ids),
        action=draw(_awkward_text),
        changes=draw(_changes),
        comment=draw(_awkward_text),
        remote_addr=draw(st.none() | _awkward_text),
        prev_hash=draw(
            st.just(audit.GENESIS) | st.text("0123456789abcdef", min_size=64, max_size=64)
        ),
    )


@given(_events_to_hash())
@example(
    AuditEvent(
        id=1,
        at=dt.datetime(2026, 1, 1),  # no microseconds: still written with six digits
        actor_id=None,
        on_behalf_of_id=None,
        entity="vendor",
        entity_id=None,
        action="create",
        changes='{"name":"Ac\\"me\\\\"}',
        comment='"quoted" \\ back\nslash \x00 \u2028',
        remote_addr=None,
        prev_hash=audit.GENESIS,
    )
)
def test_the_fast_row_hash_is_compute_hash(event):
    row = tuple(getattr(event, name) for name in audit._CANONICAL_FIELDS)

    assert audit._row_hash_input(row) == audit._hash_input(event)
    assert audit._row_hash(row) == audit.compute_hash(event)


_BIGINT = range(-(2**63), 2**63)
_SQL_TYPES = {
    "id": "bigint",
    "at": "timestamp",
    "actor_id": "bigint",
    "on_behalf_of_id": "bigint",
    "entity_id": "bigint",
}


def _storable_in_postgres(event: AuditEvent) -> bool:
    """PostgreSQL's text holds no NUL, its bigint 64 bits: what its columns can hold."""
    values = [getattr(event, name) for name in audit.HASHED_FIELDS]
    return not any(isinstance(v, str) and "\x00" in v for v in values) and all(
        v in _BIGINT for v in values if isinstance(v, int)
    )


# The statement only reads: one database for every example is safe.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150)
@given(_events_to_hash().filter(_storable_in_postgres))
@example(
    AuditEvent(
        id=2**63 - 1,
        at=dt.datetime(1, 1, 1),
        actor_id=-(2**63),
        on_behalf_of_id=None,
        entity='"\\/\x08\t\n\x0c\r\x1f\x7f\u2028\u2029\ufeff',
        entity_id=0,
        action="€é日🙂",
        changes='{"a":["\\u0000",1]}',
        comment="",
        remote_addr="::1",
        prev_hash=audit.GENESIS,
    )
)
def test_the_database_builds_the_same_hash_input(postgres, event):
    """The text PostgreSQL hashes when it walks the chain is, to the character, the text
    this process hashes for the same row."""
    columns = ", ".join(
        # The hashes are stored as their bytes.
        f"decode(CAST(:{name} AS text), 'hex') AS {name}"
        if name == "prev_hash"
        else f"CAST(:{name} AS {_SQL_TYPES.get(name, 'text')}) AS {name}"
        for name in audit.HASHED_FIELDS
    )
    built = postgres.session.execute(
        sa.text(
            f"SELECT {audit._ESCAPED_HASH_INPUT} FROM (SELECT {columns}) AS audit_events"  # noqa: S608
        ),
        {name: getattr(event, name) for name in audit.HASHED_FIELDS},
    ).scalar_one()

    assert built == audit._hash_input(event)


def test_the_fast_row_hash_matches_every_recorded_event(db, chain):
    table = AuditEvent.__table__
    rows = db.session.execute(
        sa.select(*(table.c[name] for name in audit._CANONICAL_FIELDS), table.c.hash)
    ).all()

    assert rows
    assert all(audit._row_hash(row[:-1]) == row[-1] for row in rows)


# The command line -----------------------------------------------------------------------


def test_verify_audit_prints_ok_and_the_count(db, runner, chain):
    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 0
    chain_line, files_line = result.output.splitlines()
    assert chain_line == f"ok {_event_count(db)} events"
    assert re.fullmatch(r"ok \d+ stored files?, \d+ order PDFs?", files_line)


def test_verify_audit_in_python_walks_the_same_chain(db, runner, chain):
    result = runner.invoke(args=["verify-audit", "--in-python"])

    assert result.exit_code == 0
    assert result.output.splitlines()[0] == f"ok {_event_count(db)} events"


def test_verify_audit_exits_1_naming_the_bad_event(db, runner, chain, dba):
    middle = chain["ids"][1]
    db.session.execute(
        sa.text("UPDATE audit_events SET changes = :value WHERE id = :id"),
        {"value": '{"rating":[4,1]}', "id": middle},
    )
    db.session.commit()

    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 1
    assert f"event {middle}" in result.output
    assert "ok " not in result.output


def test_verify_audit_names_a_removed_last_event(db, runner, chain, dba):
    last = chain["ids"][-1]
    db.session.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": last})
    db.session.commit()

    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 1
    assert f"event {last}" in result.output


# The database refuses to change events ----------------------------------------------------


def _refused(db, statement: str, params: dict | None = None) -> str:
    """Run ``statement`` as the application would; returns the database's refusal."""
    with pytest.raises(sa.exc.DatabaseError) as refusal:
        with db.session.begin_nested():
            db.session.execute(sa.text(statement), params or {})
    return str(refusal.value.orig)


def test_the_database_refuses_to_update_an_event(db, chain):
    middle = chain["ids"][1]

    message = _refused(db, "UPDATE audit_events SET comment = 'x' WHERE id = :id", {"id": middle})

    assert "append-only" in message
    (event,) = _events(db, [middle])
    assert event["comment"] == "after the site visit"
    assert audit.verify().ok


def test_the_database_refuses_to_delete_events(db, chain):
    before = _event_count(db)

    assert "append-only" in _refused(db, "DELETE FROM audit_events WHERE id = :id", {"id": 1})
    assert "append-only" in _refused(db, "DELETE FROM audit_events")

    assert _event_count(db) == before
    assert audit.verify().ok


def test_the_orm_cannot_change_an_event_either(db, chain):
    event = db.session.get(AuditEvent, chain["ids"][0])
    event.action = "erase"

    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_postgresql_refuses_to_truncate_the_events(db, chain, request):
    if request.config.getoption("--db") != "postgres":
        pytest.skip("SQLite has no TRUNCATE; DELETE is refused above")

    message = _refused(db, "TRUNCATE audit_events CASCADE")

    assert "append-only" in message and "TRUNCATE" in message
    assert audit.verify().ok


def test_appending_still_works_under_the_triggers(db, chain):
    event = audit.record("vendor", 7, "archive", actor=None)
    db.session.commit()

    assert event.id == chain["ids"][-1] + 1
    assert audit.verify().ok


# verify-audit checks the stored files too ---------------------------------------------------


@pytest.fixture
def order(make):
    return issued_order(make)


def _pdf_path(order):
    return attachments.path_for(order.pdf_sha256)


@pytest.fixture
def pdf_kept(order):
    """Put the order's PDF back as it was after the test (files are not rolled back)."""
    path = _pdf_path(order)
    original = path.read_bytes()
    yield path
    path.write_bytes(original)


def test_verify_audit_counts_the_stored_files_and_order_pdfs(runner, order):
    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 0, result.output
    files_line = result.output.splitlines()[1]
    files, orders = re.fullmatch(r"ok (\d+) stored files?, (\d+) order PDFs?", files_line).groups()
    assert int(files) >= 1 and int(orders) >= 1


def test_verify_audit_names_a_changed_pdf(runner, order, pdf_kept):
    pdf_kept.write_bytes(pdf_kept.read_bytes().replace(b"%%EOF", b"%%EOF\n% edited"))

    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 1
    assert f"({order.number}.pdf) at {pdf_kept}: the file's SHA-256 is" in result.output
    assert "the audit chain holds" in result.output
    assert "ok " not in result.output


def test_verify_audit_names_a_missing_pdf(runner, order, pdf_kept):
    pdf_kept.unlink()

    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 1
    assert f"({order.number}.pdf) at {pdf_kept}: the file is missing" in result.output


def test_verify_audit_catches_an_order_pointed_at_another_pdf(db, runner, order, make):
    """Swapping the stored hash for another good file's is caught by the issue event."""
    other = attachments.store_bytes(
        b"%PDF-1.7 another document", "x.pdf", "application/pdf", user=None
    )
    order.pdf_attachment_id = other.id
    order.pdf_sha256 = other.sha256
    db.session.commit()

    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 1
    assert f"order {order.number}: its PDF hash {other.sha256} is not the" in result.output
    assert "its issue event recorded" in result.output


def test_verify_audit_catches_an_attachment_row_rewritten(db, runner, order):
    from procure.models import Attachment

    stored = db.session.get(Attachment, order.pdf_attachment_id)
    stored.sha256 = "0" * 64
    db.session.commit()

    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 1
    assert f"attachment {stored.id} ({order.number}.pdf)" in result.output
    assert "the file is missing" in result.output
    assert f"order {order.number}: its PDF attachment is {'0' * 64}" in result.output
