"""Whether the application can answer: the health check's question."""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db


def database_reachable() -> bool:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        # The failed statement leaves the session unusable until it is rolled back.
        db.session.rollback()
        return False
    return True
