"""The audit log: an append-only chain of events that shows any tampering."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from procure import audit
from procure.models import AuditEvent


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


@pytest.mark.parametrize("position", [0, 1, 2], ids=["first", "middle", "last"])
@pytest.mark.parametrize("column", COLUMNS)
def test_editing_any_column_is_detected(db, chain, column, position):
    event_id = chain["ids"][position]
    (event,) = _events(db, [event_id])
    value = _tampered_value(column, event, chain)
    assert value != event[column]

    table = AuditEvent.__table__
    db.session.execute(sa.update(table).where(table.c.id == event_id).values({column: value}))
    db.session.commit()
    result = audit.verify()

    assert not result.ok
    assert result.bad_event_id == event_id
    assert result.reason


def test_deleting_a_middle_event_is_detected(db, chain):
    middle = chain["ids"][1]

    db.session.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": middle})
    db.session.commit()
    result = audit.verify()

    assert not result.ok
    assert result.bad_event_id == middle
    assert "missing" in result.reason


def test_deleting_the_last_event_is_detected(db, chain):
    last = chain["ids"][-1]

    db.session.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": last})
    db.session.commit()
    result = audit.verify()

    assert not result.ok
    assert result.bad_event_id == last
    assert result.count == last - 1


def test_deleting_every_event_is_detected(db, chain):
    db.session.execute(sa.text("DELETE FROM audit_events"))
    db.session.commit()

    result = audit.verify()

    assert not result.ok
    assert result.bad_event_id == 1


def test_the_first_broken_event_is_named(db, chain):
    middle, last = chain["ids"][1:]
    for event_id in (last, middle):
        db.session.execute(
            sa.text("UPDATE audit_events SET comment = 'x' WHERE id = :id"), {"id": event_id}
        )
    db.session.commit()

    assert audit.verify().bad_event_id == middle


def test_events_appended_after_verifying_verify_again(db, chain, make):
    assert audit.verify().ok

    audit.record("vendor", 8, "create", actor=None, changes={"name": "Globex"})
    db.session.commit()

    assert audit.verify().ok


# The command line -----------------------------------------------------------------------


def test_verify_audit_prints_ok_and_the_count(db, runner, chain):
    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 0
    assert result.output.strip() == f"ok {_event_count(db)} events"


def test_verify_audit_exits_1_naming_the_bad_event(db, runner, chain):
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


def test_verify_audit_names_a_removed_last_event(db, runner, chain):
    last = chain["ids"][-1]
    db.session.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": last})
    db.session.commit()

    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 1
    assert f"event {last}" in result.output
