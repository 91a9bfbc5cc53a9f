"""docs/webhooks.md's examples work: its Python and JavaScript code, taken from the page
as written, verifies a real delivery captured by the test receiver, and refuses a
changed body, a wrong secret and a stale timestamp. The events table lists every event."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import shutil
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest

from procure.purchasing import services as purchasing
from procure.webhooks import delivery, endpoints, events

from .webhook_receiver import Receiver

DOC = Path(__file__).resolve().parent.parent / "docs" / "webhooks.md"
SECRET = "docs-example-secret-0123456789"


def code_block(language: str) -> str:
    """The page's first fenced block in ``language``."""
    match = re.search(rf"^```{language}\n(.*?)^```$", DOC.read_text(), re.S | re.M)
    assert match, f"docs/webhooks.md has no {language} example"
    return match.group(1)


@pytest.fixture
def captured(app, db, make, monkeypatch) -> tuple[str, bytes]:
    """A real delivery's signature header and raw body, as a receiver gets them."""
    monkeypatch.setitem(app.config, "PROCURE_WEBHOOK_ALLOW_PRIVATE", True)
    admin = make.user(["admin"])
    requester = make.user(["requester"], department="IT")
    make.user(["approver"], department="IT")
    with Receiver(SECRET) as receiver:
        endpoints.create(
            url=receiver.url, secret=SECRET, events=["request.submitted"], actor=admin
        )
        pr = purchasing.create_request(
            purchasing.RequestData(
                title="Headsets “noise-cancelling” for €",
                lines=[
                    purchasing.LineData(
                        description="Headset", quantity=Decimal(2), unit_price=Decimal("99.50")
                    )
                ],
            ),
            actor=requester,
        )
        purchasing.submit(pr, actor=requester)
        db.session.commit()
        assert delivery.send_pending().delivered == 1
    (got,) = receiver.requests
    assert got.signed
    return got.header("X-Procure-Signature"), got.body


def stale(body: bytes) -> str:
    """A correct signature, but made ten minutes ago: a replay."""
    at = int(time.time()) - 600
    mac = hmac.new(SECRET.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def test_the_python_example_verifies_a_real_delivery(captured):
    header, body = captured
    namespace: dict = {}
    exec(compile(code_block("python"), "docs/webhooks.md", "exec"), namespace)  # noqa: S102
    verify = namespace["verify"]
    assert verify(SECRET, header, body) is True
    assert verify(SECRET, header, body + b" ") is False
    assert verify("another-secret-0123456789", header, body) is False
    assert verify(SECRET, stale(body), body) is False
    assert verify(SECRET, "garbage", body) is False
    assert verify(SECRET, header.replace("v1=", "v1=é"), body) is False
    assert json.loads(body)["type"] == "request.submitted"


def test_the_javascript_example_verifies_a_real_delivery(captured, tmp_path):
    node = shutil.which("node")
    assert node, "Node.js is needed to run docs/webhooks.md's JavaScript example"
    header, body = captured
    script = tmp_path / "verify.js"
    script.write_text(
        code_block("javascript")
        + """
const [secret, header, stale, encoded] = process.argv.slice(2);
const body = Buffer.from(encoded, "base64");
console.log(JSON.stringify([
  verify(secret, header, body),
  verify(secret, header, Buffer.concat([body, Buffer.from(" ")])),
  verify("another-secret-0123456789", header, body),
  verify(secret, stale, body),
  verify(secret, "garbage", body),
]));
"""
    )
    result = subprocess.run(  # noqa: S603 -- our own script, no shell
        [node, str(script), SECRET, header, stale(body), base64.b64encode(body).decode()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [True, False, False, False, False]


def test_the_events_table_lists_every_event():
    text = DOC.read_text()
    for name, meaning in events.TYPES.items():
        assert f"| `{name}` | {meaning} |" in text
