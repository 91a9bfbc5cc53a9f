"""Deciding from an e-mail: the Approve, Reject and Return links of a "waits for you"
message (API.md, "Decisions by e-mail, webhooks").

Each link is one decision for one person, one step and one version of the request.
Its token is a random value signed with the secret key (itsdangerous), so a tampered
or truncated token is refused before the database is asked; only the token's SHA-256
is stored. A link works once, for ``PROCURE_ACTION_LINK_HOURS`` (72) hours, while its
step is the pending one, the request unchanged and its person still entitled to decide
exactly as on the request's page (``workflow.check``: role, department, delegation,
separation of duties). ``refusal`` says in words why a link no longer works.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from . import workflow
from .errors import Forbidden, InvalidTransition, NotFound
from .extensions import db
from .models import ActionLink, ApprovalStep, PurchaseRequest, RequestStatus, StepStatus, User
from .money import format_date
from .private_links import address

SALT = "procure.action-link"
TOKEN_MAX = 200  # anything longer is not one of ours: refused before it is verified

# What a decision on a pending request may be; an order's increase cannot be returned.
DECISIONS = {
    RequestStatus.PENDING_APPROVAL: ("approve", "reject", "return"),
    RequestStatus.ORDERED: ("approve", "reject"),
}
_DONE = {
    StepStatus.APPROVED: "approved",
    StepStatus.REJECTED: "rejected",
    StepStatus.RETURNED: "returned",
}


@dataclasses.dataclass(frozen=True)
class Refusal:
    """Why a link no longer works: 409, or 410 when it expired."""

    status: int
    reason: str


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def lifetime() -> dt.timedelta:
    return dt.timedelta(hours=int(current_app.config["PROCURE_ACTION_LINK_HOURS"]))


def mint(
    people: list[User], pr: PurchaseRequest, step: ApprovalStep, *, now: dt.datetime
) -> dict[int, dict[str, str]]:
    """The links that let each of ``people`` decide ``step`` of ``pr`` as it is now:
    person's id → decision → absolute address. Written in one statement, in the
    transaction of the e-mails that carry them."""
    links: dict[int, dict[str, str]] = {}
    rows = []
    expires_at = now + lifetime()
    for person in people:
        links[person.id] = {}
        for action in DECISIONS.get(pr.status, ()):
            token = _serializer().dumps(secrets.token_urlsafe(18))
            rows.append(
                {
                    "token_hash": _hash(token),
                    "user_id": person.id,
                    "request_id": pr.id,
                    "step_id": step.id,
                    "action": action,
                    "request_version": pr.version,
                    "created_at": now,
                    "expires_at": expires_at,
                }
            )
            links[person.id][action] = address(f"/act/{token}")
    if rows:
        db.session.execute(sa.insert(ActionLink), rows)
    return links


def resolve(token: str) -> ActionLink:
    """The link ``token`` names; ``NotFound`` for a token that does not verify
    (tampered, truncated, made with another key) or that Procure never issued."""
    refused = NotFound("This link is not valid. Open Procure and sign in to decide.")
    if not token or len(token) > TOKEN_MAX:
        raise refused
    try:
        _serializer().loads(token)
    except BadData:
        raise refused from None
    link = db.session.scalar(sa.select(ActionLink).where(ActionLink.token_hash == _hash(token)))
    if link is None:
        raise refused
    return link


def _decided(step: ApprovalStep, pr: PurchaseRequest) -> str:
    done = _DONE.get(step.status)
    if done is not None and step.decided_by is not None:
        who = step.decided_by.name
        if step.on_behalf_of is not None:
            who += f" on behalf of {step.on_behalf_of.name}"
        when = format_date(step.decided_at.date()) if step.decided_at else ""
        return f"The {step.name} step was already {done} by {who} on {when}."
    return (
        f"The {step.name} step no longer waits for a decision: the request is "
        f"{pr.status.value.replace('_', ' ')}."
    )


def refusal(
    link: ActionLink,
    pr: PurchaseRequest,
    step: ApprovalStep,
    *,
    viewer: User | None,
    now: dt.datetime,
) -> Refusal | None:
    """Why ``link`` cannot decide now, or None. ``viewer`` is whoever is signed in in
    this browser, if anyone: a link is not for somebody else's session."""
    if link.used_at is not None:
        return Refusal(
            409, f"This link was used on {format_date(link.used_at.date())}; the decision stands."
        )
    if now >= link.expires_at:
        return Refusal(
            410,
            f"This link expired on {format_date(link.expires_at.date())}. "
            "Sign in to decide on the request's page.",
        )
    if step.status != StepStatus.PENDING:
        return Refusal(409, _decided(step, pr))
    if pr.version != link.request_version:
        return Refusal(
            409,
            "The request changed after this e-mail was sent. Sign in to see it as it is now.",
        )
    person = link.user
    if not person.active:
        return Refusal(409, "The account this link was sent to is deactivated.")
    if viewer is not None and viewer.id != person.id:
        return Refusal(
            409,
            f"This link was sent to {person.name}; you are signed in as {viewer.name}. "
            "Decide on the request's page instead.",
        )
    try:
        workflow.check(workflow.REQUEST, pr, workflow.RequestAction(link.action), person)
    except (Forbidden, InvalidTransition) as exc:
        return Refusal(409, f"You may no longer decide this step: {exc.message}")
    return None


def use(link: ActionLink, now: dt.datetime) -> None:
    """Spend ``link`` in the current transaction: its siblings (the other decisions of
    the same e-mail) stop working because the step is decided."""
    link.used_at = now
