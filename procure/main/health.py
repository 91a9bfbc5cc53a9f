"""Whether the application can answer: the load balancer's and the operator's questions.

``/livez`` asks only whether the process answers. ``/readyz`` asks whether this
machine can serve users: the database answers, the file storage (a folder or a
bucket) takes files, and the database's schema is the one this code expects (its
migrations at head).
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from .. import storage
from ..db import MIGRATIONS_DIR
from ..extensions import db


def database_reachable() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        # The failed statement leaves the session unusable until it is rolled back.
        db.session.rollback()
        return False
    return True


@functools.cache
def code_heads() -> frozenset[str]:
    """The newest migration(s) this code ships (read once: they change only with it)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def database_heads() -> frozenset[str]:
    """The migration(s) the database is at (none: an empty database)."""
    context = MigrationContext.configure(db.session.connection())
    return frozenset(context.get_current_heads())


def migration_problem() -> str | None:
    try:
        current = database_heads()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return "migrations: cannot read the database's revision"
    expected = code_heads()
    if current == expected:
        return None
    at = ", ".join(sorted(current)) or "none (an empty database)"
    return (
        f"migrations: the database is at {at}, the code at {', '.join(sorted(expected))}; "
        "run flask --app wsgi init-db"
    )


def storage_problems() -> list[str]:
    """What stops the file storage (a folder or a bucket) from taking files now."""
    return [f"storage: {problem}" for problem in storage.current().problems()]


def readiness_problems() -> list[str]:
    """Everything that stops this machine from serving, each said in one line."""
    problems = []
    if database_reachable():
        behind = migration_problem()
        if behind:
            problems.append(behind)
    else:
        problems.append("database: unreachable")
    problems.extend(storage_problems())
    return problems
