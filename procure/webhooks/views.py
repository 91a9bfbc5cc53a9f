"""The admin's webhook pages: ``/admin/webhooks`` and one endpoint's delivery log."""

from . import bp  # noqa: F401
