"""E-mails to vendors, who have no account: the invitation to quote, with the
private link. They go through the same outbox as everything else, so they commit
with the RFQ being sent, or not at all."""

from __future__ import annotations

from flask import current_app

from .. import organisation
from ..extensions import db
from ..models import (
    Attachment,
    Notification,
    NotificationStatus,
    OrderRevision,
    PurchaseOrder,
    Rfq,
    RfqInvitation,
    Vendor,
    VendorBankAccount,
    utcnow,
)
from .services import clean_subject

RFQ_INVITATION = "rfq_invitation"
PURCHASE_ORDER = "purchase_order"


def _queue(
    kind: str,
    email: str,
    context: dict,
    *,
    entity: str,
    entity_id: int,
    attachment: Attachment | None = None,
) -> Notification:
    env = current_app.jinja_env
    subject = clean_subject(env.get_template(f"email/{kind}.subject.txt").render(**context))
    notification = Notification(
        user_id=None,
        email=email,
        kind=kind,
        subject=subject,
        body_text=env.get_template(f"email/{kind}.txt").render(subject=subject, **context).strip()
        + "\n",
        body_html=env.get_template(f"email/{kind}.html").render(subject=subject, **context),
        link="",
        entity=entity,
        entity_id=entity_id,
        status=NotificationStatus.PENDING,
        attempts=0,
        next_attempt_at=utcnow(),
        last_error="",
        attachment_id=attachment.id if attachment else None,
    )
    db.session.add(notification)
    return notification


def queue_order(
    order: PurchaseOrder, email: str, pdf: Attachment, *, invoice_link: str | None = None
) -> Notification:
    """The issued purchase order, its PDF attached, to the vendor's contact; with the
    private link the vendor sends its invoice through (kept only in the body)."""
    context = {
        "order": order,
        "vendor": order.vendor,
        "buyer": organisation.current(),
        "invoice_link": invoice_link,
    }
    return _queue(
        PURCHASE_ORDER, email, context, entity="order", entity_id=order.id, attachment=pdf
    )


CHANGE_ORDER = "change_order"


def queue_change_order(
    order: PurchaseOrder, email: str, pdf: Attachment, revision: OrderRevision
) -> Notification:
    """A revision of an issued order, its frozen PDF attached, naming what changed."""
    context = {
        "order": order,
        "vendor": order.vendor,
        "buyer": organisation.current(),
        "revision": revision,
    }
    return _queue(CHANGE_ORDER, email, context, entity="order", entity_id=order.id, attachment=pdf)


def queue_invitation(
    rfq: Rfq, invitation: RfqInvitation, link: str, *, replaces_earlier: bool = False
) -> Notification:
    """The invitation to quote, with the vendor's private link (kept only in the body);
    ``replaces_earlier`` when the link was re-issued and the earlier one stopped working."""
    context = {
        "rfq": rfq,
        "vendor": invitation.vendor,
        "lines": rfq.request.lines,
        "link": link,
        "buyer": organisation.current(),
        "replaces_earlier": replaces_earlier,
    }
    return _queue(RFQ_INVITATION, invitation.emailed_to, context, entity="rfq", entity_id=rfq.id)


BANK_CHANGED = "bank_details_changed"


def queue_bank_change(vendor: Vendor, account: VendorBankAccount, email: str) -> Notification:
    """Tell the vendor that its bank details changed with us, masked: if it did not ask
    for the change, it says so before any payment goes there."""
    context = {"vendor": vendor, "account": account, "buyer": organisation.current()}
    return _queue(BANK_CHANGED, email, context, entity="vendor", entity_id=vendor.id)
