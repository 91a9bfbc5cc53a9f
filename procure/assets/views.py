"""Pages of the asset register (views)."""

from . import bp  # noqa: F401
