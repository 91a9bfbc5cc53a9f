"""The user's notifications in the app: the list, the unread count in the navigation,
marking them read."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import has_request_context
from flask_login import current_user

from ..errors import NotFound
from ..extensions import db
from ..models import Notification, User, utcnow

log = logging.getLogger("procure.notifications")


def list_query(user: User, *, unread: bool = False) -> sa.Select[Any]:
    """The user's notifications, newest first."""
    query = sa.select(Notification).where(Notification.user_id == user.id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.id.desc())


def unread_count(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def unread_count_for_page() -> int | None:
    """The navigation's count for the signed-in user; None for anybody else.

    An error page must still render when the database is what failed."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    counted = getattr(current_user._get_current_object(), "unread_notifications", None)
    if counted is not None:
        return counted  # read with the user at the start of the request
    try:
        return unread_count(current_user)
    except sa.exc.SQLAlchemyError:
        log.warning("could not count unread notifications", exc_info=True)
        return None


def get_own(notification_id: int, user: User) -> Notification:
    """One of the user's own notifications; anybody else's does not exist for them."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound("No such notification.")
    return notification


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user: User) -> int:
    """Mark every unread notification of ``user`` read; returns how many."""
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount or 0
