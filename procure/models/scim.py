"""What SCIM keeps of its own: the directory's bearer tokens, what the directory said
of each account it writes (userName, name, e-mails, department as sent), and its groups."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .users import User


class ScimToken(db.Model):
    """A directory's bearer token: shown once when issued, stored only as its SHA-256."""

    __tablename__ = "scim_tokens"

    PREFIX = "scim_"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The first characters, so that admin can tell the tokens apart.
    hint: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()

    @classmethod
    def generate(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class ScimAccount(db.Model):
    """The directory's view of an account it wrote. An account without a row (a local
    one, say) shows its own e-mail, name and department; ``deleted_at`` hides the
    account from SCIM after a DELETE while the account itself stays, deactivated."""

    __tablename__ = "scim_users"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    user_name: Mapped[str] = mapped_column(sa.String(254))
    # userName compares without regard to case (RFC 7643 caseExact false): one per account.
    user_name_key: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str | None] = mapped_column(sa.String(200))
    # The complex attributes as the directory sent them (JSON), to answer them back.
    name_json: Mapped[str] = mapped_column(sa.Text, default="{}")
    emails_json: Mapped[str] = mapped_column(sa.Text, default="[]")
    department: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class ScimGroup(db.Model):
    """A directory group; its display name is what the sign-in mapping turns into roles."""

    __tablename__ = "scim_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(sa.String(256))
    display_key: Mapped[str] = mapped_column(sa.String(256), unique=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[ScimMember]] = relationship(
        cascade="all, delete-orphan", order_by="ScimMember.user_id"
    )


class ScimMember(db.Model):
    __tablename__ = "scim_group_members"

    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("scim_groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    user: Mapped[User] = relationship()
