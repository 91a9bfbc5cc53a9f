"""Where Procure may send a request of its own (webhooks): only http(s) URLs of a
reasonable length, and only to public addresses unless the operator allows private
ones (``PROCURE_WEBHOOK_ALLOW_PRIVATE=1``). Checked when a URL is registered and again
before each delivery, against the addresses the name resolves to then; the delivery
connects to the very address that was checked, so a name that changes its answer in
between (DNS rebinding) reaches nothing private."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

URL_MAX = 2000
SCHEMES = ("http", "https")
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValueError):
    """The URL may not be used; ``str()`` says why, for the field's error."""


def _public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_form(url: str) -> tuple[str, str, int]:
    """The URL's scheme, host and port, or ``UnsafeUrl``: its form alone, nothing resolved."""
    if not url or not url.strip():
        raise UnsafeUrl("Enter the endpoint's URL.")
    if len(url) > URL_MAX:
        raise UnsafeUrl(f"Use at most {URL_MAX:,} characters.")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise UnsafeUrl("A URL has no spaces or control characters.")
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        raise UnsafeUrl("Only http:// and https:// URLs can receive webhooks.")
    try:
        port = parts.port
    except ValueError:
        raise UnsafeUrl("The URL's port is not a number from 1 to 65535.") from None
    if not parts.hostname:
        raise UnsafeUrl("The URL names no host.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("Put no user name or password in the URL; the secret signs each delivery.")
    scheme = parts.scheme.lower()
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def resolve(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to now; ``UnsafeUrl`` when it resolves to none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrl(f"The host {host!r} cannot be found ({exc}).") from None
    addresses: list[Address] = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeUrl(f"The host {host!r} cannot be found.")
    return addresses


def checked_addresses(url: str, *, allow_private: bool) -> tuple[str, str, int, list[Address]]:
    """The URL's scheme, host, port and the addresses it may be sent to; ``UnsafeUrl``
    when any address it resolves to is private, loopback or link-local (and that is
    not allowed)."""
    scheme, host, port = check_form(url)
    addresses = resolve(host, port)
    if not allow_private:
        private = [address for address in addresses if not _public(address)]
        if private:
            raise UnsafeUrl(
                f"{host} resolves to {private[0]}, a private, loopback or link-local "
                "address: webhooks go to public addresses only."
            )
    return scheme, host, port, addresses
