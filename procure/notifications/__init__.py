"""Notifications: the outbox written with each transition, its e-mail delivery
(``send-notifications``), and the list in the app."""

from flask import Blueprint, Flask

from .. import workflow
from . import services

bp = Blueprint("notifications", __name__)


def init_app(app: Flask) -> None:
    """The pages, the listener that writes notifications with request transitions, and
    the unread count every page shows."""
    app.register_blueprint(bp)
    # Module-level and idempotent: every app created in this process shares it once.
    workflow.on_transition(services.on_transition)

    @app.context_processor
    def _unread() -> dict:
        return {"unread_notifications": services.unread_count_for_page()}


from . import views  # noqa: E402, F401
