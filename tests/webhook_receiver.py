"""A real HTTP server on 127.0.0.1 that receives webhooks for the tests.

It keeps each request (path, headers, body), checks its ``X-Procure-Signature`` with
the endpoint's secret as a receiver would, and answers from a script: a status code,
``(code, headers)``, or ``Sleep(seconds)`` to hold the answer past the sender's
timeout. When the script runs out it answers 200. With ``tls`` (see ``certificates``)
it speaks HTTPS, as ``https://localhost:<port>/``.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import hmac
import http.server
import ipaddress
import socket
import ssl
import threading
import time
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclasses.dataclass(frozen=True)
class Sleep:
    """Answer 200 only after ``seconds``: longer than the sender waits."""

    seconds: float


@dataclasses.dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signed: bool  # a signature header that verifies with the secret

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def verify(secret: str, header: str | None, body: bytes) -> bool:
    """``t=<seconds>,v1=<hex>``: HMAC-SHA256 of ``"<t>.<body>"``, compared in constant time."""
    if not secret or not header:
        return False
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if "t" not in fields or "v1" not in fields:
        return False
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), fields["v1"])


@dataclasses.dataclass(frozen=True)
class Tls:
    ca_file: str  # what the sender must trust
    cert_file: str
    key_file: str


def _certificate(
    subject: x509.Name, issuer: x509.Name, public_key: Any, signer: Any, **extra: Any
):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
    )
    for extension, critical in extra.values():
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signer, hashes.SHA256())


def certificates(folder: Path, names: list[str]) -> Tls:
    """A CA of its own and a server certificate for ``names`` (host names or IPs)."""
    pem = serialization.Encoding.PEM
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Webhook test CA")])
    ca = _certificate(
        ca_name,
        ca_name,
        ca_key.public_key(),
        ca_key,
        basic=(x509.BasicConstraints(ca=True, path_length=None), True),
    )
    alternatives: list[x509.GeneralName] = []
    for name in names:
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternatives.append(x509.DNSName(name))
    server = _certificate(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]),
        ca_name,
        key.public_key(),
        ca_key,
        names=(x509.SubjectAlternativeName(alternatives), False),
    )
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "server.pem").write_bytes(server.public_bytes(pem))
    (folder / "server.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Tls(str(folder / "ca.pem"), str(folder / "server.pem"), str(folder / "server.key"))


class Receiver:
    def __init__(
        self,
        secret: str = "",
        port: int | None = None,
        script: list[Any] | None = None,
        tls: Tls | None = None,
    ):
        self.secret = secret
        self.port = port or free_port()
        self.script = list(script or [])
        self.tls = tls
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self.tls is not None:
            return f"https://localhost:{self.port}/hooks/procure"
        return f"http://127.0.0.1:{self.port}/hooks/procure"

    def _next_answer(self) -> Any:
        with self._lock:
            return self.script.pop(0) if self.script else 200

    def _keep(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)

    def start(self) -> Receiver:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 -- http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = dict(self.headers.items())
                signed = verify(receiver.secret, self.headers.get("X-Procure-Signature"), body)
                receiver._keep(Received(self.path, headers, body, signed))
                answer = receiver._next_answer()
                extra: dict[str, str] = {}
                if isinstance(answer, Sleep):
                    time.sleep(answer.seconds)
                    answer = 200
                if isinstance(answer, tuple):
                    answer, extra = answer
                reply = b"ok" if answer < 400 else b"Internal trouble <b>here</b>"
                try:
                    self.send_response(answer)
                    for name, value in extra.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except OSError:  # the sender gave up waiting and closed the connection
                    pass

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.tls.cert_file, self.tls.key_file)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
