"""Pages of framework agreements (catalogue_views)."""

from . import bp  # noqa: F401
