"""What the webhook tests share: requests driven to the events, and an HTTP receiver
on loopback that answers as told."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator
from decimal import Decimal

from procure.purchasing import services as purchasing


def filed_request(make, title: str = "Docking stations", *, submit: bool = True):
    """A request of the IT department (one step: department), its requester and approver."""
    requester = make.user(["requester"], department="IT", name="Rita Requester")
    approver = make.user(["approver"], department="IT", name="Alan Approver")
    pr = purchasing.create_request(
        purchasing.RequestData(
            title=title,
            lines=[
                purchasing.LineData(
                    description="Dock", quantity=Decimal(2), unit_price=Decimal("450.00")
                )
            ],
        ),
        actor=requester,
    )
    if submit:
        purchasing.submit(pr, actor=requester)
    return pr, requester, approver


def approved_request(make, title: str = "Docking stations"):
    """A request of the IT department approved at its last step."""
    pr, _requester, approver = filed_request(make, title)
    while pr.pending_step is not None:
        purchasing.approve(pr, actor=approver)
    return pr


class Receiver(http.server.BaseHTTPRequestHandler):
    """Answers each POST with the next code of ``server.codes`` (200 when none is left)."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        length = int(self.headers.get("Content-Length", 0))
        self.server.received.append((dict(self.headers), self.rfile.read(length)))
        code = self.server.codes.pop(0) if self.server.codes else 200
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def receiver(codes: list[int]) -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.codes = list(codes)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
