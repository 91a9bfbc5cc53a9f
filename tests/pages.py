"""Reading pages the way a person would: field errors, flash messages, visible text."""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def text(response) -> str:
    """The visible text of a page, tags removed, whitespace collapsed."""
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", body))).strip()


def field_errors(response, field: str) -> list[str]:
    """The messages shown beside a form field (``ui.field`` renders them)."""
    body = response.get_data(as_text=True)
    match = re.search(
        rf'<div id="{re.escape(field)}-errors"[^>]*>((?:\s*<div>.*?</div>)*)\s*</div>', body, re.S
    )
    if match is None:
        return []
    return [
        html.unescape(message).strip()
        for message in re.findall(r"<div>(.*?)</div>", match.group(1), re.S)
    ]


def flashes(response) -> list[str]:
    """The flash messages at the top of a page."""
    body = response.get_data(as_text=True)
    return [
        _SPACE.sub(" ", html.unescape(message)).strip()
        for message in re.findall(
            r'class="alert alert-\w+ alert-dismissible[^"]*" role="alert">(.*?)<button', body, re.S
        )
    ]


def csrf_token(response) -> str:
    """The CSRF token of the (first) form on a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.get_data(True))
    if match is None:
        match = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(True))
    assert match is not None, "the page has no CSRF token"
    return match.group(1)


def is_signed_in(client) -> bool:
    """Whether the dashboard opens for this browser (otherwise it is sent to sign in)."""
    response = client.get("/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    return False
