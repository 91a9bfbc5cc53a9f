"""Each approval step carries its request's department (migration 0024), so that an
approver's inbox walks one index of the waiting steps in wait order: steps written by
the services, by an order's increase and by the migration's fill all carry it, and the
inbox lists what it listed before."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from procure.admin import services as admin_services
from procure.db import MIGRATIONS_DIR, write_intent
from procure.extensions import db as _db
from procure.models import ApprovalStep, Role
from procure.purchasing import services

from .factories import PASSWORD
from .test_request_transitions import build, people  # noqa: F401 -- the fixture

WHEN = "2026-03-02 10:00:00"


@pytest.mark.parametrize(
    "situation", ["pending_department", "pending_department_of_three", "ordered_increase"]
)
def test_steps_carry_their_requests_department(db, people, situation):  # noqa: F811
    pr = build(situation, people)
    db.session.flush()
    departments = db.session.scalars(
        sa.select(ApprovalStep.department_id).where(ApprovalStep.request_id == pr.id)
    ).all()
    assert departments and set(departments) == {pr.department_id}


def test_the_inbox_finds_its_departments_steps_only(db, people):  # noqa: F811
    waiting = build("pending_department", people)
    ops_requester = admin_services.create_user(
        "ops.requester@example.org",
        name="Ops requester",
        password=PASSWORD,
        department=people["other_approver"].department,
        roles={Role.REQUESTER},
        actor=None,
    )
    elsewhere = build("pending_department", {**people, "owner": ops_requester})
    db.session.flush()
    inbox = db.session.scalars(services.awaiting(people["approver"])).unique().all()
    assert [pr.id for pr in inbox] == [waiting.id]
    theirs = db.session.scalars(services.awaiting(people["other_approver"])).unique().all()
    assert [pr.id for pr in theirs] == [elsewhere.id]


def test_the_migration_fills_each_steps_department(empty_app):
    with empty_app.app_context(), write_intent():
        upgrade(directory=str(MIGRATIONS_DIR), revision="0023")
        connection = _db.session.connection()
        connection.execute(
            sa.text(
                "INSERT INTO departments (id, code, name, created_at) "
                "VALUES (:id, :code, :code, :at)"
            ),
            [{"id": 1, "code": "IT", "at": WHEN}, {"id": 2, "code": "OPS", "at": WHEN}],
        )
        connection.execute(
            sa.text(
                "INSERT INTO users (id, email, name, password_hash, department_id, active, "
                "created_at, source) VALUES (:id, :email, 'X', 'x', :department, true, :at, "
                "'local')"
            ),
            [
                {"id": 1, "email": "ada@example.org", "department": 1, "at": WHEN},
                {"id": 2, "email": "bo@example.org", "department": 2, "at": WHEN},
            ],
        )
        connection.execute(
            sa.text(
                "INSERT INTO purchase_requests (id, number, title, justification, requester_id, "
                "department_id, currency, status, total, over_budget, approval_round, "
                "submitted_at, created_at, updated_at, version) VALUES (:id, :number, 'T', '', "
                ":id, :id, 'USD', 'pending_approval', 0, false, 1, :at, :at, :at, 1)"
            ),
            [{"id": i, "number": f"PR-2026-0000{i}", "at": WHEN} for i in (1, 2)],
        )
        connection.execute(
            sa.text(
                "INSERT INTO approval_steps (id, request_id, round, position, name, role, reason, "
                "status, pending_since, comment) VALUES (:id, :request, 1, :position, :name, "
                ":role, '', :status, :since, '')"
            ),
            [
                {
                    "id": 1,
                    "request": 1,
                    "position": 1,
                    "name": "department",
                    "role": "approver",
                    "status": "pending",
                    "since": WHEN,
                },
                {
                    "id": 2,
                    "request": 1,
                    "position": 2,
                    "name": "finance",
                    "role": "finance",
                    "status": "waiting",
                    "since": None,
                },
                {
                    "id": 3,
                    "request": 2,
                    "position": 1,
                    "name": "department",
                    "role": "approver",
                    "status": "pending",
                    "since": WHEN,
                },
            ],  # fmt: skip
        )
        _db.session.commit()

        upgrade(directory=str(MIGRATIONS_DIR))

        departments = dict(
            _db.session.execute(sa.select(ApprovalStep.id, ApprovalStep.department_id)).all()
        )
        assert departments == {1: 1, 2: 1, 3: 2}
