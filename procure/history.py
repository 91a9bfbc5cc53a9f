"""What a document's history says: the same words for every document.

Each page that lists a document's audit events (a request, an RFQ, a purchase order,
a vendor) builds its entries here. One table turns an action into the words shown
before "by <who>", in the past tense: "Created by", "Issued by", "Received by",
"Closed by", "Cancelled by" (API.md, "Organisation, hosts, documents"). A document
adds only what is its own, such as the step a decision was on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa

from .extensions import db
from .models import AuditEvent, User

# What an event's action reads as, and how the timeline marks it.
ACTIONS: dict[str, tuple[str, str]] = {
    # Every document
    "create": ("Created", "default"),
    "update": ("Edited", "default"),
    "cancel": ("Cancelled", "danger"),
    "close": ("Closed", "default"),
    # Requests and their approval steps
    "submit": ("Submitted for approval", "warning"),
    "approve": ("Approved", "success"),
    "reject": ("Rejected", "danger"),
    "return": ("Returned for changes", "warning"),
    "order": ("Ordered", "success"),
    "reopen": ("Order cancelled; open again", "warning"),
    # RFQs
    "send": ("Sent to the vendors", "warning"),
    "quote": ("Quote recorded", "default"),
    "award": ("Awarded", "success"),
    "reissue_link": ("Quote link re-issued", "warning"),
    "decline": ("Declined to quote", "warning"),
    "open_bids": ("Bids opened", "default"),
    "request_open_bids": ("Asked to open the bids", "warning"),
    # Purchase orders
    "issue": ("Issued", "success"),
    "receive": ("Received", "success"),
    "revise": ("Revised", "warning"),
    "reverse_receipt": ("Receipt reversed", "warning"),
    "issue_revision": ("Revision issued: increase approved", "success"),
    "withdraw_revision": ("Revision withdrawn", "warning"),
    "increase": ("Increase of its order sent for approval", "warning"),
    "reverse": ("Reversed", "warning"),
    "settle": ("Closed: received and invoiced in full", "success"),
    # Vendors
    "suspend": ("Suspended", "warning"),
    "reinstate": ("Reinstated", "success"),
    "block": ("Blocked", "danger"),
    "add_document": ("Document added", "default"),
    "remove_document": ("Document removed", "warning"),
    # Contracts
    "activate": ("Activated", "success"),
    "renew": ("Renewed", "success"),
    "auto_renew": ("Renewed automatically", "success"),
    "terminate": ("Terminated", "danger"),
    "expire": ("Expired", "warning"),
    "attach_signed_copy": ("Signed copy attached", "default"),
    # Invoices
    "match": ("Matched again", "default"),
    "attach_pdf": ("Vendor's PDF attached", "default"),
    "reissue_invoice_link": ("Invoice link re-issued", "warning"),
    "resolve": ("Exceptions resolved", "default"),
    "release": ("Released from hold", "warning"),
    "pay": ("Paid", "success"),
    # Vendors' bank details
    "confirm": ("Confirmed by a second person", "success"),
    "withdraw": ("Withdrawn", "default"),
    "supersede": ("Superseded", "default"),
    # Assets and licences
    "deploy": ("Deployed", "success"),
    "repair": ("Sent for repair", "warning"),
    "retire": ("Retired", "default"),
    "dispose": ("Disposed of", "default"),
    "assign": ("Assigned", "default"),
    "send_back": ("Sent back to the vendor", "warning"),
    # Framework agreements
    "call_off": ("Called off", "success"),
    "give_back": ("Call-off cancelled, its quantities given back", "warning"),
    "cover": ("Coverage changed", "default"),
    # Approval steps
    "open": ("Opened", "default"),
    # People and their access
    "deactivate": ("Deactivated", "danger"),
    "reactivate": ("Reactivated", "success"),
    # The directory (SCIM): a person it deleted, its groups and its tokens
    "scim_delete": ("Deleted by the directory", "danger"),
    # Identity providers: an account linked to one, and brought up to date at a sign-in
    "link_identity": ("Linked to the company sign-in", "default"),
    "sync": ("Updated from the identity provider", "default"),
    "delete": ("Deleted", "danger"),
    "revoke": ("Revoked", "default"),
    "change_password": ("Password changed", "default"),
    "reset_password": ("Password reset", "warning"),
    "create_token": ("API token created", "default"),
    "revoke_token": ("API token revoked", "default"),
    "create_calendar_token": ("Calendar feed created", "default"),
    "revoke_calendar_token": ("Calendar feed revoked", "default"),
    "delegate": ("Delegated", "default"),
    "end_delegation": ("Delegation ended", "default"),
}

# Where an action means something else for one kind of document.
BY_DOCUMENT: dict[tuple[str, str], tuple[str, str]] = {
    ("order", "return"): ("Returned to the vendor", "warning"),
    ("invoice", "submit"): ("Submitted for matching", "warning"),
    ("asset", "return"): ("Returned to stock", "default"),
    ("licence", "assign"): ("Seat assigned", "default"),
    ("licence", "release"): ("Seat released", "default"),
    ("webhook", "create"): ("Webhook endpoint registered", "default"),
    ("webhook", "delete"): ("Webhook endpoint deleted", "warning"),
}

# Who an event without a person was done by: a scheduled job, the system itself.
NOBODY = "Procure"

# How a decision was taken when not on the page or through the API (the audit event's
# ``changes["via"]``), read after who took it: "Approved by Ian Approver from the e-mail".
VIA = {"email": "from the e-mail"}


def words(entity: str, action: str) -> tuple[str, str]:
    """``(words, style)`` of ``action`` on a document of kind ``entity``. An action
    missing from the table still reads in the past tense, never as a bare verb."""
    found = BY_DOCUMENT.get((entity, action)) or ACTIONS.get(action)
    if found is not None:
        return found
    verb, _, rest = action.partition("_")
    past = verb + ("d" if verb.endswith("e") else "ed")
    return " ".join(filter(None, [past.capitalize(), rest.replace("_", " ")])), "default"


# A document's own addition to an entry: given the event and its changes, the text put
# after the words ("Approved — finance step") and, where the event had no person, who
# did it (a vendor through their link).
Detail = Callable[[AuditEvent, dict[str, Any]], tuple[str, str | None]]


def entries(
    entity: str, events: Sequence[AuditEvent], *, detail: Detail | None = None
) -> list[dict[str, Any]]:
    """The timeline of ``events`` (a document's, oldest first): each entry has
    ``what``, ``who``, ``at``, ``note`` and ``style``, as ``ui.timeline`` shows them."""
    ids = {event.actor_id for event in events} | {event.on_behalf_of_id for event in events}
    ids.discard(None)
    people = (
        {user.id: user for user in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}
        if ids
        else {}
    )
    items = []
    for event in events:
        label, style = words(entity, event.action)
        who = people[event.actor_id].name if event.actor_id in people else None
        changes = json.loads(event.changes or "{}")
        if detail is not None:
            extra, stand_in = detail(event, changes)
            label += extra
            who = who or stand_in
        if event.on_behalf_of_id in people:
            who = f"{who or NOBODY} on behalf of {people[event.on_behalf_of_id].name}"
        how = VIA.get(changes.get("via")) if isinstance(changes, dict) else None
        if how:
            who = f"{who or NOBODY} {how}"
        items.append(
            {
                "what": label,
                "who": who or NOBODY,
                "at": event.at,
                "note": event.comment,
                "style": style,
            }
        )
    return items
