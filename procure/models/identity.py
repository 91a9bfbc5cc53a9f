"""Accounts from identity providers: which provider subject is which user, and the
single-use values of sign-in protocols (nonces, SAML request and assertion ids)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .users import User


class ExternalIdentity(db.Model):
    """A user as an identity provider knows them: the provider (``issuer``) and its stable
    subject. An e-mail address can change at the provider; this link does not."""

    __tablename__ = "external_identities"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(sa.String(8))
    issuer: Mapped[str] = mapped_column(sa.String(500))
    subject: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    __table_args__ = (sa.UniqueConstraint("issuer", "subject", name="uq_external_subject"),)


class SignInNonce(db.Model):
    """A value a sign-in protocol accepts once: a used OpenID Connect nonce, an outstanding
    SAML request id, a SAML assertion id seen. Kept until it could no longer be valid."""

    __tablename__ = "sign_in_nonces"

    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
