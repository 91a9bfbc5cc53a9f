"""The guard on URLs Procure itself calls (webhooks): only http(s), a sane length, and
public addresses unless the operator allows private ones."""

from __future__ import annotations

import pytest

from procure import outbound


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("", "Enter the endpoint's URL."),
        ("ftp://example.org/hook", "Only http:// and https://"),
        ("file:///etc/passwd", "Only http:// and https://"),
        ("javascript:alert(1)", "Only http:// and https://"),
        ("gopher://127.0.0.1:25/", "Only http:// and https://"),
        ("https:///no-host", "names no host"),
        ("https://example.org:99999/", "port"),
        ("https://user:pw@example.org/", "no user name or password"),
        ("https://example.org/a b", "no spaces"),
        ("https://example.org/\r\nX-Injected: 1", "no spaces or control characters"),
        ("https://example.org/" + "a" * 2000, "at most 2,000 characters"),
    ],
)
def test_a_url_of_the_wrong_form_is_refused_before_anything_is_resolved(url, said):
    with pytest.raises(outbound.UnsafeUrl, match=said.replace("(", r"\(").replace("+", r"\+")):
        outbound.check_form(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://[::1]/hook",
        "http://10.1.2.3/hook",
        "http://172.16.0.9/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",  # loopback written as IPv6
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",  # carrier-grade NAT
        "http://localhost:5000/hook",
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(url):
    with pytest.raises(outbound.UnsafeUrl, match="public addresses only"):
        outbound.checked_addresses(url, allow_private=False)


def test_the_operator_may_allow_private_addresses():
    scheme, host, port, addresses = outbound.checked_addresses(
        "http://127.0.0.1:8080/hook", allow_private=True
    )
    assert (scheme, host, port) == ("http", "127.0.0.1", 8080)
    assert [str(address) for address in addresses] == ["127.0.0.1"]


def test_a_public_address_is_accepted_with_its_default_port():
    scheme, host, port, addresses = outbound.checked_addresses(
        "HTTPS://93.184.215.14/hooks/procure", allow_private=False
    )
    assert (scheme, port) == ("https", 443)
    assert [str(address) for address in addresses] == ["93.184.215.14"]


def test_a_host_that_cannot_be_found_is_refused():
    with pytest.raises(outbound.UnsafeUrl, match="cannot be found"):
        outbound.checked_addresses("https://nowhere.invalid/hook", allow_private=False)
