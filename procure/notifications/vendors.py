"""E-mails to vendors, who have no account: the invitation to quote, with the
private link. They go through the same outbox as everything else, so they commit
with the RFQ being sent, or not at all."""

from __future__ import annotations

from flask import current_app

from ..extensions import db
from ..models import Notification, NotificationStatus, Rfq, RfqInvitation, utcnow

RFQ_INVITATION = "rfq_invitation"


def queue_invitation(rfq: Rfq, invitation: RfqInvitation, link: str) -> Notification:
    from .services import clean_subject

    env = current_app.jinja_env
    context = {
        "rfq": rfq,
        "vendor": invitation.vendor,
        "lines": rfq.request.lines,
        "link": link,
        "buyer": current_app.config.get("PROCURE_ORGANISATION", "Procure"),
    }
    subject = clean_subject(env.get_template("email/rfq_invitation.subject.txt").render(**context))
    notification = Notification(
        user_id=None,
        email=invitation.emailed_to,
        kind=RFQ_INVITATION,
        subject=subject,
        body_text=env.get_template("email/rfq_invitation.txt")
        .render(subject=subject, **context)
        .strip()
        + "\n",
        body_html=env.get_template("email/rfq_invitation.html").render(subject=subject, **context),
        # The link carries the vendor's secret: the outbox keeps it only in the body.
        link="",
        entity="rfq",
        entity_id=rfq.id,
        status=NotificationStatus.PENDING,
        attempts=0,
        next_attempt_at=utcnow(),
        last_error="",
    )
    db.session.add(notification)
    return notification
