"""Pages of framework agreements (views)."""

from . import bp  # noqa: F401
