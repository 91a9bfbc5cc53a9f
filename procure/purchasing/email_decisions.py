"""Deciding a request from the "waits for you" e-mail, without signing in.

The e-mail's buttons are action links (``procure/action_links.py``): one decision, one
person, one step, one version of the request. Opening a link (``open_link``) reads and
changes nothing, because mail scanners follow links; only the confirmation
(``decide``) decides, as the link's person, through the same service as the request's
page (``services.act``: separation of duties, delegation and the version guard apply
alike), and spends the link in the same transaction. A link that can no longer decide
raises ``LinkRefused`` with the reason; a token that does not verify, ``NotFound``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from .. import action_links, permissions
from ..errors import DomainError, NotFound
from ..extensions import db
from ..models import ActionLink, ApprovalStep, PurchaseRequest, User, utcnow
from ..validation import FieldErrors
from . import services

# What each decision reads as on its button and in the page's sentences.
LABELS = {"approve": "Approve", "reject": "Reject", "return": "Return for changes"}
VERBS = {"approve": "approve", "reject": "reject", "return": "return"}
# A comment is required for these: the requester is told why.
NEEDS_COMMENT = ("reject", "return")


class LinkRefused(DomainError):
    """A genuine link that can no longer decide: 409, or 410 once it expired."""

    code = "link_refused"

    def __init__(self, refusal: action_links.Refusal) -> None:
        super().__init__(refusal.reason)
        self.status = refusal.status


@dataclasses.dataclass
class LinkPage:
    """What the confirmation page shows: the request, the step, who decides and how."""

    link: ActionLink
    request: PurchaseRequest
    step: ApprovalStep
    decider: User
    on_behalf_of: User | None  # a stand-in decides for this person
    base_note: str | None  # a foreign request's total in the base currency

    @property
    def action(self) -> str:
        return self.link.action

    @property
    def label(self) -> str:
        return LABELS[self.link.action]

    @property
    def comment_required(self) -> bool:
        return self.link.action in NEEDS_COMMENT


@dataclasses.dataclass(frozen=True)
class Decided:
    request: PurchaseRequest
    action: str
    said: str  # what happened and what comes next, as the request's page says it


def open_link(token: str, *, viewer: User | None, now: dt.datetime | None = None) -> LinkPage:
    """The page of the link ``token`` for whoever opens it (``viewer``: the person
    signed in in this browser, if any). Raises ``NotFound`` for a token that does not
    verify and ``LinkRefused`` for one that can no longer decide; changes nothing."""
    link = action_links.resolve(token)
    pr = db.session.get(PurchaseRequest, link.request_id)
    step = db.session.get(ApprovalStep, link.step_id)
    if pr is None or step is None:  # the foreign keys hold them; a restore might not
        raise NotFound("This link is not valid. Open Procure and sign in to decide.")
    refusal = action_links.refusal(link, pr, step, viewer=viewer, now=now or utcnow())
    if refusal is not None:
        raise LinkRefused(refusal)
    principal, _reason = permissions.decision_capacity(link.user, pr)
    return LinkPage(
        link=link,
        request=pr,
        step=step,
        decider=link.user,
        on_behalf_of=principal,
        base_note=services.base_note(pr),
    )


def check(page: LinkPage, decision: str | None, comment: str | None) -> None:
    """Refuse a confirmation that is not this link's decision, or a rejection or return
    without its reason, every problem at once and beside its field."""
    errors = FieldErrors()
    if decision != page.action:
        errors.add(
            "decision",
            f"This link can only {VERBS[page.action]} {page.request.number}; "
            "use the e-mail's other button for another decision.",
        )
    if page.comment_required and not (comment or "").strip():
        errors.add("comment", f"Say why you {VERBS[page.action]} the request.")
    errors.raise_if_any()


def decide(
    token: str,
    decision: str | None,
    comment: str | None,
    *,
    viewer: User | None,
    now: dt.datetime | None = None,
) -> Decided:
    """Take the link's decision as its person, and spend the link, in one transaction.

    The link is checked again (a second tab may have used it); the request must still
    be at the version the e-mail was written for, so that of two links posted at once
    only one decides and the other loses with ``Conflict``."""
    now = now or utcnow()
    page = open_link(token, viewer=viewer, now=now)
    check(page, decision, comment)
    said = services.act(
        page.request,
        page.action,
        actor=page.decider,
        comment=comment or "",
        expected_version=page.link.request_version,
        via="email",
    )
    action_links.use(page.link, now)
    db.session.flush()
    return Decided(request=page.request, action=page.action, said=said)
