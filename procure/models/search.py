"""Trigram indexes for the searches that match part of a word (``ILIKE '%word%'``): a
B-tree cannot serve a pattern that starts with a wildcard, so without them each search
reads its whole table (millions of assets at a million requests).

PostgreSQL only, through ``pg_trgm`` (a trusted extension: the database's owner may
create it). SQLite has no such index and scans, which serves the small databases it is
for; ``ddl_if`` keeps the indexes out of its schema, and migration 0025 makes them on
PostgreSQL only, so that a migrated schema and a created one stay the same.
"""

from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db

EXTENSION = "pg_trgm"

# ``metadata.create_all`` on PostgreSQL needs the operator class before the indexes.
sa.event.listen(
    db.metadata,
    "before_create",
    sa.DDL(f"CREATE EXTENSION IF NOT EXISTS {EXTENSION}").execute_if(dialect="postgresql"),
)


def trigram_index(name: str, column: str) -> sa.Index:
    """A GIN trigram index on ``column`` (PostgreSQL only): serves ``column ILIKE
    '%…%'`` and ``column LIKE '%…%'``, ideally with three characters or more."""
    index = sa.Index(name, column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"})
    return index.ddl_if(dialect="postgresql")


def made_on(item: sa.schema.HasConditionalDDL, dialect: str) -> bool:
    """Whether ``item`` (an index, a constraint) is part of the schema on ``dialect``:
    what ``ddl_if`` says, for a comparison of the migrated schema with the models
    (Alembic's autogenerate does not read ``ddl_if``), as its ``include_object``."""
    condition = item._ddl_if  # noqa: SLF001 -- SQLAlchemy keeps no public accessor
    return condition is None or condition.dialect in (None, dialect)


def include_object(dialect: str):  # type: ignore[no-untyped-def]
    """Alembic's ``include_object`` for comparing ``dialect``'s schema with the models:
    an index the models make on another database only is not expected here."""

    def include(item, _name, type_, reflected, _compare_to) -> bool:  # type: ignore[no-untyped-def]
        return reflected or type_ != "index" or made_on(item, dialect)

    return include
