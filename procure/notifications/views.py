"""The signed-in user's notifications: the list, opening one, marking all read."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..models import Notification
from ..pagination import paginate_page
from ..security import safe_next
from . import bp, services


@bp.get("/notifications")
@login_required
def index():
    page = paginate_page(services.list_query(current_user), key=Notification.id)
    return render_template(
        "notifications/index.html", page=page, unread=services.unread_count(current_user)
    )


@bp.post("/notifications/<int:notification_id>")
@login_required
def open_notification(notification_id: int):
    """Mark the notification read and go to its document. A POST (the list shows each
    notification as a small form), since it changes state: a GET never does."""
    notification = services.get_own(notification_id, current_user)
    services.mark_read(notification)
    parts = urlsplit(notification.link)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return redirect(safe_next(target, url_for(".index")), 303)


@bp.post("/notifications/read-all")
@login_required
def read_all():
    marked = services.mark_all_read(current_user)
    flash(
        f"Marked {marked} notification{'s' if marked != 1 else ''} read."
        if marked
        else "Nothing was unread.",
        "success",
    )
    return redirect(url_for(".index"))
