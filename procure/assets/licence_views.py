"""Pages of the asset register (licence_views)."""

from . import bp  # noqa: F401
