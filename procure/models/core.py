"""Reference data and infrastructure tables: categories, settings, numbering, audit."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import Sha256, utcnow

DEFAULT_CATEGORIES = [
    ("hardware", "Hardware"),
    ("software", "Software"),
    ("licence", "Licence"),
    ("cloud", "Cloud"),
    ("services", "Services"),
    ("maintenance", "Maintenance"),
    ("telecom", "Telecom"),
    ("peripherals", "Peripherals"),
    ("other", "Other"),
]


class Category(db.Model):
    """The purchase categories; the built-in ones cannot be removed, admin may add more."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40), unique=True)
    label: Mapped[str] = mapped_column(sa.String(200))
    builtin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (sa.CheckConstraint("name = lower(name)", name="name_lower"),)


class Setting(db.Model):
    """Installation settings that admin edits in the app (JSON values)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    value: Mapped[dict | list | str | int | None] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class NumberSequence(db.Model):
    """Gap-free yearly counters for document numbers (``PR-2026-00001``)."""

    __tablename__ = "number_sequences"

    prefix: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class DocumentCount(db.Model):
    """How many documents of one kind (its table's name) are in one status, kept beside
    them so that a list's exact total reads a row where it counted a million
    (``kept_counts.py`` writes it in the documents' own transaction; ``verify-totals``
    recomputes it)."""

    __tablename__ = "document_counts"

    kind: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    documents: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class AuditHead(db.Model):
    """One row: the sequence and hash of the newest audit event.

    Appending updates it first, which serialises writers on every database, so the
    chain never forks."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    hash: Mapped[str] = mapped_column(Sha256)


class AuditEvent(db.Model):
    """An append-only, hash-chained record of a change."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    entity: Mapped[str] = mapped_column(sa.String(20))
    entity_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(sa.String(40))
    changes: Mapped[str] = mapped_column(sa.Text, default="{}")  # canonical JSON
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))
    prev_hash: Mapped[str] = mapped_column(Sha256)
    hash: Mapped[str] = mapped_column(Sha256)

    # A document's events, a handful, are put in order once found: without the id in
    # the key, PostgreSQL keeps one index entry per document (a third of the size).
    __table_args__ = (sa.Index("ix_audit_events_entity", "entity", "entity_id"),)
