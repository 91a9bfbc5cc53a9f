"""Helpers the vendor tests share: people, vendors, files, and a query counter."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
import sqlalchemy as sa

from procure import settings
from procure.extensions import db
from procure.vendors import services

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# Enough of a PDF for the upload check, which reads what a file starts with.
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(name="people")
def people_fixture(make):
    return {
        "requester": make.user(["requester"], department="IT"),
        "approver": make.user(["approver"], department="IT"),
        "finance": make.user(["finance"], department="FIN"),
        "executive": make.user(["executive"], department="EXEC"),
        "procurement": make.user(["procurement"], department="PROC"),
        "buyer": make.user(["procurement"], department="PROC"),
        "admin": make.user(["admin"], department="IT"),
    }


def vendor(actor, name="Northwind Hardware", *, status="prospect", **fields):
    """A vendor made through the service (audited), taken to ``status``."""
    fields.setdefault("categories", ["hardware"])
    contacts = fields.pop("contacts", [])
    created = services.create_vendor(
        services.VendorData(
            name=name,
            contacts=[services.ContactData(**c) for c in contacts],
            **fields,
        ),
        actor=actor,
    )
    for action in {
        "prospect": [],
        "approved": ["approve"],
        "suspended": ["approve", "suspend"],
        "blocked": ["block"],
    }[status]:
        services.act(created, action, actor=actor)
    db.session.commit()
    return created


def document(actor, target, kind="insurance", *, days: int | None = 30):
    from procure import attachments

    stored = attachments.store_bytes(PDF, f"{kind}.pdf", "application/pdf", user=actor)
    expires = None if days is None else services.today() + dt.timedelta(days=days)
    made = services.file_document(
        target, stored, kind=kind, title=kind.title(), expires_on=expires, actor=actor
    )
    db.session.commit()
    return made


def require(*kinds: str) -> None:
    settings.put(services.REQUIRED_DOCUMENTS, list(kinds), actor=None)
    db.session.commit()


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def signed_in(app, user):
    client = app.test_client()
    response = client.post(
        "/login", data={"email": user.email, "password": "correct horse battery"}
    )
    assert response.status_code == 302
    return client


@contextlib.contextmanager
def counting_queries():
    """Count the SQL statements run inside the block: ``with counting_queries() as n``."""
    calls = []

    def listener(*_args, **_kwargs) -> None:
        calls.append(1)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield calls
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
