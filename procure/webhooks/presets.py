"""What a webhook delivery says: the signed JSON document, or a chat product's message.

A chat endpoint (Slack, Microsoft Teams, Mattermost incoming webhook) cannot read our
JSON; it wants a message in its own shape. Each is built from the event's ``summary``
(``title``, ``amount``, ``requester``, ``link``), written when the event was queued.
Text that came from people (a request's title, a vendor's name) is escaped the way each
product requires, so that it reads as written and cannot forge links or mentions.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

from ..models import WebhookEvent

Summary = dict[str, str]


def serialise(payload: dict[str, Any]) -> bytes:
    """Compact JSON, serialised once: these exact bytes are signed and sent."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def timestamp(at: dt.datetime) -> str:
    """ISO 8601 in UTC with a ``Z``; the database keeps UTC without a zone."""
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at.isoformat(timespec="seconds") + "Z"


def document(event: WebhookEvent) -> dict[str, Any]:
    """The ``json`` kind: the event as API.md describes it."""
    return {
        "id": event.uid,
        "type": event.type,
        "occurred_at": timestamp(event.occurred_at),
        "data": event.data,
    }


def _fallback(summary: Summary) -> str:
    """One line for notifications and clients that show no attachments or blocks."""
    parts = [summary["title"]]
    if summary.get("amount"):
        parts.append(summary["amount"])
    if summary.get("requester"):
        parts.append(f"requested by {summary['requester']}")
    return " · ".join(parts)


# Slack -------------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    """Slack's three control characters; nothing else is escaped (Slack's "Escaping
    text"), so ``<@U123>`` or ``<!channel>`` in a title stays inert."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack(summary: Summary) -> dict[str, Any]:
    """Block Kit: a section with the title as a link, and fields Amount and Requester;
    ``text`` is the fallback shown in notifications."""
    link, title = slack_escape(summary["link"]), slack_escape(summary["title"])
    fields = [
        {"type": "mrkdwn", "text": f"*Amount*\n{slack_escape(summary.get('amount') or '—')}"},
        {
            "type": "mrkdwn",
            "text": f"*Requester*\n{slack_escape(summary.get('requester') or '—')}",
        },
    ]
    return {
        "text": f"{slack_escape(_fallback(summary))}: {link}",
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*<{link}|{title}>*"},
                "fields": fields,
            }
        ],
    }


# Microsoft Teams ---------------------------------------------------------------------


def teams_text(text: str) -> str:
    """Card text as typed, but never a link: a TextBlock's markdown subset makes
    ``[text](url)`` one, and has no escapes (a backslash would show), so an invisible
    zero-width space parts the brackets from the address."""
    return text.replace("](", "]\u200b(")


def teams(summary: Summary) -> dict[str, Any]:
    """An Adaptive Card 1.4 in a message, as a Teams Workflows incoming webhook wants it."""
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": teams_text(summary["title"]),
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
            {
                "type": "FactSet",
                "facts": [
                    {"title": "Amount", "value": summary.get("amount") or "—"},
                    {"title": "Requester", "value": teams_text(summary.get("requester") or "—")},
                ],
            },
        ],
        "actions": [
            {"type": "Action.OpenUrl", "title": "Open in Procure", "url": summary["link"]}
        ],
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


# Mattermost --------------------------------------------------------------------------

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~@:$])")


def markdown_escape(text: str) -> str:
    """A backslash before every character Mattermost's markdown gives a meaning
    (emphasis, links, tables, mentions, emoji, inline LaTeX)."""
    return _MARKDOWN.sub(r"\\\1", text)


def mattermost(summary: Summary) -> dict[str, Any]:
    """An incoming-webhook message with one attachment: the title linking to the page,
    and fields Amount and Requester."""
    fallback = _fallback(summary)
    return {
        "text": markdown_escape(fallback),
        "attachments": [
            {
                "fallback": fallback,
                "title": summary["title"],
                "title_link": summary["link"],
                "fields": [
                    {
                        "title": "Amount",
                        "value": markdown_escape(summary.get("amount") or "—"),
                        "short": True,
                    },
                    {
                        "title": "Requester",
                        "value": markdown_escape(summary.get("requester") or "—"),
                        "short": True,
                    },
                ],
            }
        ],
    }


CHAT: dict[str, Callable[[Summary], dict[str, Any]]] = {
    "slack": slack,
    "teams": teams,
    "mattermost": mattermost,
}


def body(kind: str, event: WebhookEvent) -> bytes:
    """The bytes to POST to an endpoint of ``kind``."""
    if kind in CHAT:
        return serialise(CHAT[kind](dict(event.summary)))
    return serialise(document(event))
