"""Migration 0031 (the audit hashes stored as their bytes) on a database with a chain:
the chain written before verifies after, hash for hash, new events chain onto it, the
table stays append-only, and the downgrade gives back the same hex."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from procure import audit
from procure.benchdata.chain import event_hash
from procure.db import MIGRATIONS_DIR, write_intent
from procure.extensions import db as _db
from procure.models import AuditEvent

START = dt.datetime(2026, 3, 2, 9, 30, 1, 120911)


def _write_chain_as_hex(connection: sa.Connection) -> list[str]:
    """Three events as the schema of 0030 holds them, hashes in hex; their hashes."""
    hashes: list[str] = []
    previous = audit.GENESIS
    for ident, (entity, action, changes, comment) in enumerate(
        [
            ("vendor", "create", '{"name":"Acme"}', ""),
            ("vendor", "approve", '{"status":["prospect","approved"]}', "Checked «ok»"),
            ("request", "submit", '{"total":"12.50"}', 'quote "x"\n\\ done'),
        ],
        start=1,
    ):
        at = START + dt.timedelta(minutes=ident)
        digest = event_hash(
            ident, at, None, None, entity, ident, action, changes, comment, "10.0.0.1", previous
        )
        connection.execute(
            sa.text(
                "INSERT INTO audit_events (id, at, actor_id, on_behalf_of_id, entity, entity_id, "
                "action, changes, comment, remote_addr, prev_hash, hash) VALUES (:id, :at, NULL, "
                "NULL, :entity, :id, :action, :changes, :comment, '10.0.0.1', :prev, :hash)"
            ),
            {
                "id": ident,
                "at": at,
                "entity": entity,
                "action": action,
                "changes": changes,
                "comment": comment,
                "prev": previous,
                "hash": digest,
            },
        )
        hashes.append(digest)
        previous = digest
    connection.execute(
        sa.text("UPDATE audit_head SET seq = 3, hash = :hash WHERE id = 1"), {"hash": previous}
    )
    return hashes


def _stored(connection: sa.Connection) -> list[tuple]:
    return connection.execute(
        sa.text("SELECT prev_hash, hash FROM audit_events ORDER BY id")
    ).all()


def test_a_chain_in_hex_verifies_as_bytes_and_back(empty_app):
    with empty_app.app_context(), write_intent():
        upgrade(directory=str(MIGRATIONS_DIR), revision="0030")
        hashes = _write_chain_as_hex(_db.session.connection())
        _db.session.commit()

        upgrade(directory=str(MIGRATIONS_DIR))

        stored = _stored(_db.session.connection())
        assert [bytes(digest) for _, digest in stored] == [bytes.fromhex(h) for h in hashes]
        assert bytes(stored[1][0]) == bytes.fromhex(hashes[0])
        assert _db.session.scalars(sa.select(AuditEvent.hash).order_by(AuditEvent.id)).all() == (
            hashes
        )
        for in_python in (False, True):
            result = audit.verify(in_python=in_python)
            assert (result.ok, result.count) == (True, 3), result

        event = audit.record("vendor", 1, "suspend", actor=None, comment="after the migration")
        _db.session.commit()
        assert event.prev_hash == hashes[2]
        last = event.hash
        assert audit.verify().ok
        assert audit.verify(in_python=True).count == 4

        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            _db.session.execute(sa.text("UPDATE audit_events SET comment = 'x' WHERE id = 2"))
        _db.session.rollback()

        downgrade(directory=str(MIGRATIONS_DIR), revision="0030")

        stored = _stored(_db.session.connection())
        assert [digest for _, digest in stored] == [*hashes, last]
        assert [previous for previous, _ in stored] == [audit.GENESIS, *hashes]
        head = _db.session.execute(sa.text("SELECT hash FROM audit_head")).scalar_one()
        assert head == last
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            _db.session.execute(sa.text("DELETE FROM audit_events WHERE id = 4"))
        _db.session.rollback()

        upgrade(directory=str(MIGRATIONS_DIR))
        assert audit.verify().count == 4
