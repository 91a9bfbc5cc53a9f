"""Pages of the asset register (report_views)."""

from . import bp  # noqa: F401
