"""The demo's "waits for you" e-mails: each step still waiting has decision links that
work (the demo moves some requests back in time without changing them)."""

from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa

from procure import demo
from procure.models import ActionLink, ApprovalStep, Notification, StepStatus


def test_every_waiting_step_of_the_demo_can_be_decided_from_its_email(db, new_client):
    demo.seed_all()
    db.session.commit()
    waiting = db.session.scalars(
        sa.select(ActionLink)
        .join(ApprovalStep, ApprovalStep.id == ActionLink.step_id)
        .where(ApprovalStep.status == StepStatus.PENDING, ActionLink.action == "approve")
    ).all()
    assert waiting
    by_hash = {link.token_hash: link for link in waiting}
    approve = re.compile(r"^Approve: \S+?(/act/(\S+))$", re.M)
    opened = {}
    browser = new_client()
    for note in db.session.scalars(
        sa.select(Notification).where(Notification.kind == "step_pending")
    ):
        path, token = approve.search(note.body_text).groups()
        link = by_hash.get(hashlib.sha256(token.encode()).hexdigest())
        if link is not None:
            opened[(link.request_id, note.email)] = browser.get(path).status_code
    assert len(opened) == len({(link.request_id, link.user_id) for link in waiting})
    assert set(opened.values()) == {200}, opened
