"""Webhooks: admin's endpoints, the events queued for them with each change, and their
delivery by ``send-notifications`` (signed JSON, or a chat product's message)."""

from flask import Blueprint, Flask

from .. import workflow
from . import events

bp = Blueprint("webhooks", __name__)


def init_app(app: Flask) -> None:
    """The admin pages and the listener that queues events with the transitions."""
    app.register_blueprint(bp)
    # Module-level and idempotent: every app created in this process shares it once.
    workflow.on_transition(events.on_transition)


from . import views  # noqa: E402, F401
