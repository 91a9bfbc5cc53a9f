"""The caller's notifications through the API: list, mark one read, mark all read."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from ..models import Notification, NotificationStatus
from ..notifications import services
from . import bp
from .schemas import Output, Page, PageQuery, Timestamp
from .spec import current_user, operation, paginate


class NotificationQuery(PageQuery):
    unread: bool = Field(False, description="`1`: only the unread ones.")


class NotificationOut(Output):
    id: int
    kind: str = Field(
        description="`step_pending`, `request_approved`, `request_rejected`, "
        "`request_returned`, `welcome`.",
        examples=["step_pending"],
    )
    subject: str
    body: str = Field(description="The plain-text body of the e-mail.")
    link: str = Field(description="The page of the document it is about.")
    entity: str | None = Field(description="The document's entity name, e.g. `request`.")
    entity_id: int | None
    created_at: Timestamp
    read_at: Timestamp | None
    unread: bool
    delivery: NotificationStatus = Field(
        description="The e-mail: `pending`, `sending`, `sent` or `failed` (given up)."
    )


class ReadAllOut(Output):
    marked: int = Field(description="How many were unread until now.")


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.UTC) if value is not None else None


def notification_out(notification: Notification) -> NotificationOut:
    return NotificationOut(
        id=notification.id,
        kind=notification.kind,
        subject=notification.subject,
        body=notification.body_text,
        link=notification.link,
        entity=notification.entity,
        entity_id=notification.entity_id,
        created_at=_utc(notification.created_at),
        read_at=_utc(notification.read_at),
        unread=notification.read_at is None,
        delivery=notification.status,
    )


@operation(
    bp,
    "GET",
    "/notifications",
    query=NotificationQuery,
    response=Page[NotificationOut],
    summary="The caller's notifications, newest first",
    tag="Notifications",
)
def list_notifications(query: NotificationQuery):
    """`unread=1` lists only those not read yet."""
    return paginate(
        services.list_query(current_user(), unread=query.unread), query, notification_out
    )


@operation(
    bp,
    "POST",
    "/notifications/<int:notification_id>/read",
    response=NotificationOut,
    summary="Mark one of the caller's notifications read",
    tag="Notifications",
)
def read_notification(notification_id: int):
    """Idempotent. Somebody else's notification is a 404."""
    notification = services.get_own(notification_id, current_user())
    services.mark_read(notification)
    return notification_out(notification)


@operation(
    bp,
    "POST",
    "/notifications/read-all",
    response=ReadAllOut,
    summary="Mark all of the caller's notifications read",
    tag="Notifications",
)
def read_all_notifications():
    """Answers how many were marked. Only the caller's own notifications change."""
    return ReadAllOut(marked=services.mark_all_read(current_user()))
