"""The storage seam (``procure/storage``): a folder or S3-compatible object storage,
chosen by ``PROCURE_STORAGE_URL``. The S3 tests run against moto's standalone server
on loopback (``tests/s3.py``)."""

from __future__ import annotations

import contextvars
import hashlib
import io
import re

import pytest
import sqlalchemy as sa

from procure import attachments, create_app, storage
from procure.config import ConfigError
from procure.extensions import db
from procure.models import Attachment, Notification, User, utcnow
from procure.notifications import mail

from .documents import issued_order
from .s3 import free_port, s3_fixture, s3_storage_fixture  # noqa: F401 -- fixtures
from .vendor_support import PDF, people_fixture, signed_in, vendor  # noqa: F401

ONE = b"%PDF-1.4 one\n%%EOF\n"
TWO = b"%PDF-1.4 two\n%%EOF\n"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(params=["folder", "s3"])
def backend(request, tmp_path):
    if request.param == "folder":
        return storage.from_url((tmp_path / "files").as_uri())
    return storage.from_url(request.getfixturevalue("s3").url())


# The seam, through both backends ---------------------------------------------------------


def test_put_read_exists_delete_and_keys(backend):
    assert backend.problems() == []
    assert not backend.exists(sha(ONE))

    assert backend.put(ONE) == sha(ONE)
    assert backend.put(ONE) == sha(ONE)  # the same bytes are kept once
    backend.put(TWO)

    assert backend.exists(sha(ONE)) and backend.read(sha(ONE)) == ONE
    assert backend.digest(sha(TWO)) == sha(TWO)
    assert sorted(backend.keys()) == sorted([sha(ONE), sha(TWO)])
    backend.delete(sha(ONE))
    assert not backend.exists(sha(ONE))
    with pytest.raises(FileNotFoundError):
        backend.read(sha(ONE))
    with pytest.raises(ValueError, match="SHA-256"):
        backend.write(sha(ONE), TWO)  # a name always means its content


def test_objects_are_keyed_prefix_then_the_first_two_hex_digits(s3):
    bucket = s3.bucket()
    store = storage.from_url(s3.url(bucket, prefix="procure/files"))
    digest = store.put(ONE)
    body = s3.client().get_object(Bucket=bucket, Key=f"procure/files/{digest[:2]}/{digest}")
    assert body["Body"].read() == ONE


def test_the_default_is_the_attachments_folder(app):
    assert storage.current().url == attachments.path_for(sha(ONE)).parents[1].as_uri()
    assert storage.current().url.endswith(app.config["ATTACHMENTS_DIR"])
    bare = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with bare.app_context():
        assert storage.current().url == (
            storage.FolderStorage(bare.instance_path + "/attachments").url
        )


def test_the_setting_is_read_from_the_environment(monkeypatch, s3):
    url = s3.url()
    monkeypatch.setenv("PROCURE_STORAGE_URL", url)
    made = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with made.app_context():
        assert isinstance(storage.current(), storage.S3Storage)
        assert storage.current().url == url


# Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://files.example/procure", "the scheme is 'ftp'"),
        ("/srv/procure/files", "the scheme is none"),
        ("s3:///prefix", "name the bucket"),
        ("s3://Not_A_Bucket/x", "not a valid bucket name"),
        ("s3://procure/x?endpoint=http://h", "unknown option 'endpoint'"),
        ("s3://procure/x?endpoint_url=localhost:9000", "is not an http(s) URL"),
        ("file://relative/path", "file:///absolute/path"),
    ],
)
def test_a_malformed_url_is_refused_naming_the_setting(url, why):
    with pytest.raises(ValueError) as refused:
        storage.from_url(url)
    message = str(refused.value)
    assert message.startswith("PROCURE_STORAGE_URL=") and why in message
    assert "\n" not in message
    assert storage.check(url) == [message]


def test_the_app_refuses_to_start_with_a_malformed_url(monkeypatch):
    monkeypatch.setenv("PROCURE_STORAGE_URL", "s3://")
    with pytest.raises(ConfigError, match=r"^PROCURE_STORAGE_URL: 's3://': name the bucket"):
        create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_check_names_a_missing_bucket_and_an_unreachable_endpoint(s3, tmp_path):
    assert storage.check(s3.url()) == []
    assert storage.check((tmp_path / "new").as_uri()) == []
    missing = f"s3://no-such-bucket/x?endpoint_url={s3.endpoint_url}"
    [problem] = storage.check(missing)
    assert problem.startswith("PROCURE_STORAGE_URL: the bucket no-such-bucket does not exist")
    nothing_listens = f"http://127.0.0.1:{free_port()}"
    [problem] = storage.check(f"s3://procure/x?endpoint_url={nothing_listens}")
    assert problem.startswith("PROCURE_STORAGE_URL: cannot reach s3://procure at http://127")
    afile = tmp_path / "afile"
    afile.write_text("")
    assert storage.check(afile.as_uri()) == [f"PROCURE_STORAGE_URL: {afile} is not a folder"]


# Through the app, with S3 storage -----------------------------------------------------------


def _upload(client, vendor_id: int, data: bytes = PDF):
    return client.post(
        f"/vendors/{vendor_id}/documents",
        data={
            "kind": "insurance",
            "title": "Liability certificate",
            "expires_on": "2099-12-31",
            "file": (io.BytesIO(data), "certificate.pdf"),
        },
    )


def test_a_vendor_document_uploads_to_s3_and_downloads_through_the_app(
    app, people, s3, s3_storage
):
    made = vendor(people["procurement"])
    response = _upload(signed_in(app, people["procurement"]), made.id)
    assert response.status_code == 302
    db.session.expire_all()
    [filed] = made.documents
    bucket = s3_storage.split("/")[2]
    key = f"files/{sha(PDF)[:2]}/{sha(PDF)}"
    assert s3.client().get_object(Bucket=bucket, Key=key)["Body"].read() == PDF

    reader = signed_in(app, people["requester"])
    with reader.get(f"/vendors/{made.id}/documents/{filed.id}") as download:
        assert download.status_code == 200 and download.data == PDF
        assert download.headers["Content-Type"] == "application/pdf"
        assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert app.test_client().get(f"/vendors/{made.id}/documents/{filed.id}").status_code == 302


def test_the_storage_down_answers_503_stores_nothing_then_the_retry_succeeds(app, people, s3):
    url = s3.url()
    app.config["PROCURE_STORAGE_URL"] = url
    made = vendor(people["procurement"])
    client = signed_in(app, people["procurement"])
    rows = db.session.scalar(sa.select(sa.func.count()).select_from(Attachment))
    s3.stop()
    try:
        refused = _upload(client, made.id)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "5"
        assert "Location" not in refused.headers
        assert "file storage is unavailable" in refused.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == rows
        assert made.documents == []
    finally:
        s3.start()
        app.config["PROCURE_STORAGE_URL"] = None
    app.config["PROCURE_STORAGE_URL"] = url
    try:
        assert _upload(client, made.id).status_code == 302
        db.session.expire_all()
        assert len(made.documents) == 1
    finally:
        app.config["PROCURE_STORAGE_URL"] = None


def test_a_download_with_the_storage_down_is_a_503_json_or_page(app, make, s3):
    app.config["PROCURE_STORAGE_URL"] = s3.url()
    try:
        order = issued_order(make)
        buyer = db.session.get(User, order.issued_by_id)
        api = app.test_client()
        bearer = {"Authorization": f"Bearer {make.token(buyer)}"}
        assert api.get(f"/api/v1/orders/{order.id}/pdf", headers=bearer).status_code == 200
        s3.stop()
        try:
            answer = api.get(f"/api/v1/orders/{order.id}/pdf", headers=bearer)
            page = signed_in(app, buyer).get(f"/orders/{order.id}/pdf")
        finally:
            s3.start()
    finally:
        app.config["PROCURE_STORAGE_URL"] = None
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert answer.get_json()["error"]["code"] == "unavailable"
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "file storage is unavailable" in page.get_data(as_text=True)


def test_verify_audit_reads_s3_and_names_an_altered_object(app, make, runner, s3, s3_storage):
    order = issued_order(make)
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"ok \d+ stored files?, 1 order PDF", result.output.splitlines()[1])

    bucket = s3_storage.split("/")[2]
    key = f"files/{order.pdf_sha256[:2]}/{order.pdf_sha256}"
    s3.client().put_object(Bucket=bucket, Key=key, Body=b"%PDF-1.4 forged\n")
    result = runner.invoke(args=["verify-audit"])
    assert result.exit_code == 1
    assert f"({order.number}.pdf) at s3://{bucket}/{key}: the file's SHA-256 is" in result.output


def test_the_po_e_mail_carries_the_pdf_read_from_s3(app, make, s3, s3_storage):
    order = issued_order(make)
    note = db.session.scalar(
        sa.select(Notification).where(Notification.attachment_id == order.pdf_attachment_id)
    )
    item = mail.Claimed(
        id=note.id,
        email=note.email,
        subject=note.subject,
        body_text=note.body_text,
        body_html=note.body_html,
        attempts=0,
        created_at=note.created_at,
        claimed_at=utcnow(),
        attachment_id=note.attachment_id,
    )
    message = mail.build_message(item, "Procure <procure@localhost>")
    [pdf] = [part for part in message.iter_attachments()]
    assert pdf.get_filename() == f"{order.number}.pdf"
    assert sha(pdf.get_content()) == order.pdf_sha256

    # The storage down: an I/O error, on which the sender keeps the message to retry.
    s3.stop()
    try:
        with pytest.raises(OSError, match="cannot reach"):
            mail.build_message(item, "Procure <procure@localhost>")
    finally:
        s3.start()


# migrate-storage ---------------------------------------------------------------------------


def run_cli(app, *args: str):
    return contextvars.Context().run(app.test_cli_runner().invoke, args=list(args))


def test_migrate_storage_copies_every_file_to_s3_and_is_safe_to_rerun(app, s3, tmp_path):
    folder = storage.from_url((tmp_path / "files").as_uri())
    names = [folder.put(ONE), folder.put(TWO)]
    bucket = s3.bucket()
    target_url = s3.url(bucket)
    app.config["PROCURE_STORAGE_URL"] = folder.url
    try:
        first = run_cli(app, "migrate-storage", "--to", target_url)
        assert first.exit_code == 0, first.output
        assert sorted(re.findall(r"^copied ([0-9a-f]{64})$", first.output, re.M)) == sorted(names)
        assert "copied 2, already there 0, failed 0" in first.output
        target = storage.from_url(target_url)
        assert sorted(target.keys()) == sorted(names)
        assert target.read(sha(ONE)) == ONE

        # Re-run: nothing to do; an object altered at the target is copied again.
        s3.client().put_object(
            Bucket=bucket, Key=f"files/{sha(TWO)[:2]}/{sha(TWO)}", Body=b"damaged"
        )
        again = run_cli(app, "migrate-storage", "--to", target_url)
        assert again.exit_code == 0, again.output
        assert again.output.splitlines()[0] == f"copied {sha(TWO)}"
        assert "copied 1, already there 1, failed 0" in again.output
        assert target.read(sha(TWO)) == TWO

        refused = run_cli(app, "migrate-storage", "--to", "s3://")
        assert refused.exit_code == 1
        assert "PROCURE_STORAGE_URL='s3://': name the bucket" in refused.output
    finally:
        app.config["PROCURE_STORAGE_URL"] = None
