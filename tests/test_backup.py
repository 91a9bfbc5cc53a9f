"""``backup FILE`` and ``restore FILE``: a database with documents and their PDFs
comes back whole in an empty database, with its audit chain and files intact."""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import io
import json
import tarfile
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import attachments, backup, create_app
from procure.backup.archive import read_manifest
from procure.config import normalise_database_url
from procure.extensions import db as _db
from procure.models import AuditHead
from procure.purchasing import services as purchasing

from .documents import issued_order
from .factories import PASSWORD
from .s3 import s3_fixture  # noqa: F401 -- the s3 fixture


def run_cli(app, *args: str):
    """Invoke a command of ``app`` outside the test's own app context, as the
    ``flask`` script would (with_appcontext would otherwise reuse the test's app)."""

    # A fresh context: no app context, as in a new process.
    return contextvars.Context().run(app.test_cli_runner().invoke, args=list(args))


@pytest.fixture
def other_app(empty_database_url, tmp_path):
    """Procure on an empty database of the same kind, with its own files folder."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "SECRET_KEY": "another-secret",
            "WTF_CSRF_ENABLED": False,
            "ATTACHMENTS_DIR": str(tmp_path / "other-attachments"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    yield app
    with app.app_context():
        _db.engine.dispose()


def _table_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(normalise_database_url(url))
    try:
        with engine.connect() as connection:
            return {
                table.name: connection.scalar(sa.select(sa.func.count()).select_from(table))
                for table in _db.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def _refused(result, *phrases: str) -> None:
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), "a clear error, not a traceback"
    assert "Traceback" not in result.output
    for phrase in phrases:
        assert phrase in result.output


@pytest.mark.committing
def test_a_backup_restores_into_an_empty_database(
    app, committed_db, make, database_url, other_app, tmp_path
):
    db = committed_db
    order = issued_order(make)
    draft = purchasing.create_request(
        purchasing.RequestData(
            title="Monitors for the new starters",
            needed_by=dt.date.today() + dt.timedelta(days=14),
            lines=[
                purchasing.LineData(
                    description="27-inch monitor",
                    quantity=Decimal("4"),
                    unit_price=Decimal("289.90"),
                    category="hardware",
                )
            ],
        ),
        actor=order.request.requester,
    )
    db.session.commit()
    # Read now: touching these objects with the other app's context current would
    # reload them through the other app's database.
    number, request_number, pdf = order.number, order.request.number, order.pdf_sha256
    draft_id = draft.id
    pdf_bytes = attachments.read_bytes(order.pdf)
    requester_email = order.request.requester.email
    before = _table_counts(database_url)
    bundle = tmp_path / "procure.backup"

    taken = run_cli(app, "backup", str(bundle))

    assert taken.exit_code == 0, taken.output
    assert f"to {bundle}" in taken.output
    assert "audit events" in taken.output
    with tarfile.open(bundle) as archive:
        manifest = read_manifest(archive, bundle)
    head = db.session.scalar(sa.select(AuditHead.hash))
    assert manifest["audit"] == {"events": before["audit_events"], "head": head}

    restored = run_cli(other_app, "restore", str(bundle))

    assert restored.exit_code == 0, restored.output
    assert "Restored the" in restored.output
    verified = run_cli(other_app, "verify-audit")
    assert verified.exit_code == 0, verified.output
    chain, files = verified.output.splitlines()
    assert chain == f"ok {before['audit_events']} events"
    stored = before["attachments"]
    assert files == f"ok {stored} stored file{'s' * (stored != 1)}, 1 order PDF"
    assert _table_counts(other_app.config["SQLALCHEMY_DATABASE_URI"]) == before

    # Spot checks: the documents, the PDF's very bytes, and a person can sign in.
    with other_app.app_context():
        from procure.models import PurchaseOrder, PurchaseRequest

        copy = _db.session.scalar(sa.select(PurchaseOrder).where(PurchaseOrder.number == number))
        assert copy is not None and copy.status.value == "issued"
        assert copy.request.number == request_number
        assert [line.description for line in copy.lines] == ["Laptop", "Dock"]
        assert copy.pdf_sha256 == pdf
        assert attachments.read_bytes(copy.pdf) == pdf_bytes
        assert str(attachments.path_for(pdf)).startswith(other_app.config["ATTACHMENTS_DIR"])
        monitors = _db.session.scalar(
            sa.select(PurchaseRequest).where(PurchaseRequest.id == draft_id)
        )
        assert monitors.title == "Monitors for the new starters"
        assert monitors.total == Decimal("1159.60")
        _db.session.remove()
    browser = other_app.test_client()
    assert (
        browser.post("/login", data={"email": requester_email, "password": PASSWORD}).status_code
        == 302
    )
    assert browser.get(f"/requests/{draft_id}").status_code == 200

    # Now the database holds data: a second restore must be asked for.
    again = run_cli(other_app, "restore", str(bundle))
    _refused(again, "holds data", "--force")
    forced = run_cli(other_app, "restore", "--force", str(bundle))
    assert forced.exit_code == 0, forced.output
    assert run_cli(other_app, "verify-audit").exit_code == 0
    assert _table_counts(other_app.config["SQLALCHEMY_DATABASE_URI"]) == before

    # The audit table refuses changes in the restored database too.
    with other_app.app_context():
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            _db.session.execute(sa.text("DELETE FROM audit_events"))
        _db.session.rollback()
        _db.session.remove()

    # An existing backup file is not overwritten unless asked.
    _refused(run_cli(app, "backup", str(bundle)), "exists already", "--force")
    assert run_cli(app, "backup", "--force", str(bundle)).exit_code == 0


@pytest.mark.committing
def test_a_backup_from_s3_restores_into_another_bucket(
    app, committed_db, make, empty_database_url, s3, tmp_path
):
    """Both sides on S3: the backup reads the PDF from one bucket, the restore writes it
    into another, and verify-audit there re-hashes it from S3."""
    source_bucket, target_bucket = s3.bucket(), s3.bucket()
    app.config["PROCURE_STORAGE_URL"] = s3.url(source_bucket)
    try:
        order = issued_order(make)
        pdf = order.pdf_sha256
        bundle = tmp_path / "procure.backup"
        taken = run_cli(app, "backup", str(bundle))
    finally:
        app.config["PROCURE_STORAGE_URL"] = None
    assert taken.exit_code == 0, taken.output
    with tarfile.open(bundle) as archive:
        assert f"attachments/{pdf[:2]}/{pdf}" in archive.getnames()

    restored_app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "SECRET_KEY": "another-secret",
            "PROCURE_STORAGE_URL": s3.url(target_bucket),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    try:
        restored = run_cli(restored_app, "restore", str(bundle))
        assert restored.exit_code == 0, restored.output
        verified = run_cli(restored_app, "verify-audit")
        assert verified.exit_code == 0, verified.output
        assert verified.output.splitlines()[1].endswith(", 1 order PDF")
    finally:
        with restored_app.app_context():
            _db.engine.dispose()
    copy = s3.client().get_object(Bucket=target_bucket, Key=f"files/{pdf[:2]}/{pdf}")
    assert hashlib.sha256(copy["Body"].read()).hexdigest() == pdf


# Refusals ------------------------------------------------------------------------------------


def _tar(path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def _manifest(kind: str, **overrides) -> bytes:
    manifest = {
        "format": backup.FORMAT,
        "version": backup.VERSION,
        "created_at": "2026-01-01T00:00:00+00:00",
        "database": {
            "kind": kind,
            "member": backup.DATABASE_MEMBERS[kind],
            "sha256": "0" * 64,
            "size": 4,
        },
        "audit": {"events": 0, "head": "0" * 64},
        "attachments": [],
    }
    manifest.update(overrides)
    return json.dumps(manifest).encode()


def _kind(other_app) -> str:
    return sa.make_url(other_app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()


def test_restore_refuses_a_missing_file(other_app, tmp_path):
    _refused(run_cli(other_app, "restore", str(tmp_path / "nothing.backup")), "does not exist")


def test_restore_refuses_a_file_that_is_not_a_backup(other_app, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a backup at all")
    plain_tar = tmp_path / "photos.tar.gz"
    _tar(plain_tar, {"holiday.jpg": b"\xff\xd8\xff"})
    foreign = tmp_path / "foreign.tar.gz"
    _tar(foreign, {backup.MANIFEST: json.dumps({"format": "something-else"}).encode()})

    _refused(run_cli(other_app, "restore", str(text)), "is not a Procure backup")
    _refused(run_cli(other_app, "restore", str(plain_tar)), "is not a Procure backup")
    _refused(run_cli(other_app, "restore", str(foreign)), "is not a Procure backup")


def test_restore_refuses_a_damaged_backup(other_app, tmp_path):
    kind = _kind(other_app)
    damaged = tmp_path / "damaged.backup"
    _tar(damaged, {backup.MANIFEST: _manifest(kind), backup.DATABASE_MEMBERS[kind]: b"junk"})

    _refused(run_cli(other_app, "restore", str(damaged)), "is damaged")


def test_restore_refuses_a_stored_file_that_does_not_match_its_name(other_app, tmp_path):
    kind = _kind(other_app)
    name = "a" * 64
    bundle = tmp_path / "swapped.backup"
    _tar(
        bundle,
        {
            backup.MANIFEST: _manifest(kind, attachments=[name]),
            f"attachments/aa/{name}": b"%PDF-1.7 not the recorded file",
        },
    )

    _refused(run_cli(other_app, "restore", str(bundle)), f"attachments/aa/{name}", "damaged")


def test_restore_refuses_a_backup_of_the_other_kind_of_database(other_app, tmp_path):
    kind = _kind(other_app)
    other = "sqlite" if kind == "postgresql" else "postgresql"
    bundle = tmp_path / "other-kind.backup"
    _tar(bundle, {backup.MANIFEST: _manifest(other)})

    _refused(
        run_cli(other_app, "restore", str(bundle)),
        f"holds a {backup.KIND_NAMES[other]} database",
        f"the configured database is {backup.KIND_NAMES[kind]}",
    )


def test_a_pg_tool_older_than_the_server_is_refused_by_name():
    with pytest.raises(backup.BackupError, match="PostgreSQL 99 or newer is needed"):
        backup.postgres_tool("pg_dump", 99)
