"""A listening socket on loopback that records whether anything connected to it:
proof that rendering a document reached out to no URL it was given."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def loopback_trap(timeout: float = 2.0) -> Iterator[tuple[int, list[socket.socket]]]:
    """Yields ``(port, hits)``; ``hits`` holds every connection accepted meanwhile."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(timeout)
    hits: list[socket.socket] = []

    def watch() -> None:
        try:
            connection, _ = server.accept()
            hits.append(connection)
        except OSError:
            pass

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        yield server.getsockname()[1], hits
    finally:
        server.close()
        watcher.join()
        for connection in hits:
            connection.close()
