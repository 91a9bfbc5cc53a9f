"""People: users, their roles and departments, sign-in sessions, API tokens."""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import enum_column, utcnow
from .search import trigram_index


class Role(enum.StrEnum):
    REQUESTER = "requester"
    APPROVER = "approver"
    FINANCE = "finance"
    EXECUTIVE = "executive"
    PROCUREMENT = "procurement"
    ADMIN = "admin"
    ASSET_MANAGER = "asset_manager"
    SECURITY = "security"  # reviews requests whose type asks for it (SaaS, personal data)

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class AccountSource(enum.StrEnum):
    """Where an account comes from: made in Procure, or by an identity provider or directory."""

    LOCAL = "local"
    OIDC = "oidc"
    SAML = "saml"
    SCIM = "scim"
    LDAP = "ldap"

    @property
    def label(self) -> str:
        return "Local" if self is AccountSource.LOCAL else self.value.upper()


class Department(db.Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Department {self.code}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: e-mail addresses are unique whatever their case.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # None for an account from an identity provider or the directory: it has no password.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Where the account comes from (AccountSource), when it last signed in, when the
    # directory (SCIM, LDAP) last wrote it, and the directory's own id for it (SCIM).
    source: Mapped[str] = mapped_column(sa.String(8), default="local", server_default="local")
    last_sign_in_at: Mapped[datetime | None]
    synced_at: Mapped[datetime | None]
    external_id: Mapped[str | None] = mapped_column(sa.String(255))

    department: Mapped[Department] = relationship(lazy="joined", innerjoin=True)
    # Read when asked for: most users a page loads (requesters, deciders) need only a
    # name. The signed-in user's roles come with the user (see load_session_user).
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="select", order_by="UserRole.role"
    )

    # Set by the sign-in code: the server-side session this user object was loaded for.
    session_key = None  # type: str | None

    __table_args__ = (
        sa.CheckConstraint("email = lower(email)", name="email_lower"),
        # Finding people by part of a name or address (the asset search's holders).
        trigram_index("ix_users_name_trgm", "name"),
        trigram_index("ix_users_email_trgm", "email"),
    )

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()

    @property
    def roles(self) -> set[Role]:
        return {row.role for row in self.role_rows}

    def set_roles(self, roles: set[Role] | list[Role]) -> None:
        wanted = {Role(role) for role in roles}
        self.role_rows = [row for row in self.role_rows if row.role in wanted]
        present = self.roles
        for role in sorted(wanted - present):
            self.role_rows.append(UserRole(role=role))

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def set_password(self, password: str) -> None:
        from flask import current_app

        self.password_hash = generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"]
        )

    def check_password(self, password: str) -> bool:
        if not self.password_hash:
            return False
        return check_password_hash(self.password_hash, password)

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    # Flask-Login -----------------------------------------------------------
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    def get_id(self) -> str:
        # The session cookie names a server-side session, never the user alone,
        # so that ending sessions on the server also ends copied cookies.
        if self.session_key is None:
            raise RuntimeError("user loaded without a session")
        return self.session_key

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), primary_key=True)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class UserSession(db.Model):
    """A browser sign-in. The cookie carries ``key``; ending the row ends the session."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))

    user: Mapped[User] = relationship()

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def hash_key(key: str) -> str:
        return _digest(key)


class ApiToken(db.Model):
    """A bearer token: shown once at creation, stored only as its SHA-256."""

    __tablename__ = "api_tokens"

    PREFIX = "prc_"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The first characters, so that a user can tell their tokens apart.
    hint: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @classmethod
    def generate(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(32)

    @staticmethod
    def hash_token(token: str) -> str:
        return _digest(token)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class LoginAttempt(db.Model):
    """Failed sign-ins per e-mail address (existing or not), for the throttle."""

    __tablename__ = "login_attempts"

    email: Mapped[str] = mapped_column(sa.String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime | None]
    blocked_until: Mapped[datetime | None]
