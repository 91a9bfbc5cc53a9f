"""Helpers shared by the model modules."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa


def utcnow() -> datetime:
    """The current time in UTC, naive (stored the same way on SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


def enum_column(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A string column holding the enum's values, with a CHECK constraint on every database."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_cls),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Sha256(sa.types.TypeDecorator[str]):
    """A SHA-256 digest: stored as its 32 bytes, read and written as 64 lowercase hex
    digits. Half the room of the hex text in the table and in every index on it; what
    the code sees, and what a hash chain hashes, is the hex text as before."""

    impl = sa.LargeBinary(32)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> bytes | None:
        return None if value is None else bytes.fromhex(value)

    def process_result_value(self, value: bytes | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else bytes(value).hex()
